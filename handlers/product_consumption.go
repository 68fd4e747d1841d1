package handlers

import (
	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// productConsumptionCSV is the product page's consumption chart as CSV
// (docs/pages.md, "4. A product's details"): a row per month, as the
// chart's table shows it. Twenty-four rows from the counters, so it needs
// none of the list exports' limits. A product outside the viewer's scope is
// not found.
func (h *Handler) productConsumptionCSV(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	pc, err := h.store.ProductConsumption(ctx, h.scope(c), id)
	if err != nil {
		return err
	}
	return exportCSV(c, "consumption-"+pc.Product.ProductKey+".csv", views.ConsumptionCSV(ctx),
		func(row func(store.ConsumptionMonth) error) error {
			for _, m := range pc.Months {
				if err := row(m); err != nil {
					return err
				}
			}
			return nil
		})
}
