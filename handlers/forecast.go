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
// and the chart shows every product. The filter's choices are read apart:
// the forecast of every product is kept summed and names none of them.
func (h *Handler) forecastView(c echo.Context, sc store.Scope) (views.ForecastView, error) {
	ctx := c.Request().Context()
	v := views.ForecastView{Errors: views.NewFormErrors("product")}
	if raw := queryText(c, "product"); raw != "" {
		if id, err := strconv.ParseInt(raw, 10, 64); err == nil && id > 0 {
			v.ProductID = id
		} else {
			v.Errors.Set("product", views.T(ctx, "forecast.unknown_product"))
		}
	}
	var err error
	if v.ProductID != 0 {
		v.Forecast, err = h.store.Forecast(ctx, sc, store.ForecastQuery{ProductID: v.ProductID})
		if se, ok := store.AsError(err); ok && se.Kind == store.KindNotFound {
			v.ProductID, err = 0, nil
			v.Errors.Set("product", views.T(ctx, "forecast.unknown_product"))
		}
		if err != nil {
			return v, err
		}
	}
	if v.ProductID == 0 {
		if v.Forecast, err = h.store.Forecast(ctx, sc, store.ForecastQuery{}); err != nil {
			return v, err
		}
	}
	v.Products, err = h.store.ForecastProducts(ctx, sc)
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
