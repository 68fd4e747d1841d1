package handlers

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// The overview's chart of codes against renewals (docs/pages.md, "1.
// License overview"; docs/renewal.md, "The forecast"), narrowed to one
// product of the viewer's scope by ?product=ID.

// forecastView reads the chart's filter and the forecast it shows. A
// product that is not one of the scope's is refused next to the filter,
// and the chart shows every product.
func (h *Handler) forecastView(c echo.Context, sc store.Scope) (views.ForecastView, error) {
	ctx := c.Request().Context()
	v := views.ForecastView{Errors: views.NewFormErrors("product")}
	products, err := h.store.ForecastProducts(ctx, sc)
	if err != nil {
		return v, err
	}
	v.Products = products
	if raw := queryText(c, "product"); raw != "" {
		id, _ := strconv.ParseInt(raw, 10, 64)
		v.ProductID = id
		if _, ok := v.Product(); !ok {
			v.ProductID = 0
			v.Errors.Set("product", views.T(ctx, "forecast.unknown_product"))
		}
	}
	v.Forecast, err = h.store.Forecast(ctx, sc, store.ForecastQuery{ProductID: v.ProductID})
	return v, err
}

// forecastCSV is the chart's data as CSV, for the whole scope or
// ?product=ID; a product outside the scope is not found.
func (h *Handler) forecastCSV(c echo.Context) error {
	sc := h.scope(c)
	var id int64
	if raw := queryText(c, "product"); raw != "" {
		var err error
		if id, err = strconv.ParseInt(raw, 10, 64); err != nil || id <= 0 {
			return echo.ErrNotFound
		}
	}
	f, err := h.store.Forecast(c.Request().Context(), sc, store.ForecastQuery{ProductID: id})
	if err != nil {
		return err
	}
	return exportCSV(c, "codes-forecast-"+sc.DC+".csv", views.ForecastCSV(c.Request().Context()),
		func(row func(store.ForecastWeek) error) error {
			for _, w := range f.Weeks {
				if err := row(w); err != nil {
					return err
				}
			}
			return nil
		})
}
