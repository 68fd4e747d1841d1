package handlers

import (
	"context"
	"net/url"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// overview is the license overview with its first tab, the product
// activation code list (docs/pages.md, "1. License overview" and "2. Product
// activation codes"), or that list as CSV.
func (h *Handler) overview(c echo.Context) error {
	sc := h.scope(c)
	q := listQuery[store.ProductCodesFilter]{keep: url.Values{}}
	if q.filter.Search = queryText(c, "q"); q.filter.Search != "" {
		q.keep.Set("q", q.filter.Search)
	}
	p := h.page(c, views.T(c.Request().Context(), "overview.title"), "overview")
	// The chart of codes against renewals: its filter swaps it alone; the
	// whole page reads it before the list, so that a refused product makes
	// the answer a 422 like any refused filter.
	var forecast *views.ForecastView
	if !wantsCSV(c) && (!isPartial(c) || c.Request().Header.Get("HX-Target") == "forecast") {
		v, err := h.forecastView(c, sc)
		if err != nil {
			return err
		}
		if msg := v.Errors.For("product"); msg != "" {
			q.errs.Set("product", msg)
		} else if v.ProductID != 0 {
			q.keep.Set("product", strconv.FormatInt(v.ProductID, 10))
		}
		if isPartial(c) {
			return h.render(c, q.status(), p, views.ForecastSection(v), nil)
		}
		forecast = &v
	}
	return listPage(h, c, list[store.ProductCodesFilter, store.ProductCodes]{query: q, page: p, path: h.url(c, routenames.Overview),
		csv: func(f store.ProductCodesFilter) error { return h.productCodesCSV(c, sc, f) },
		read: func(ctx context.Context, f store.ProductCodesFilter, page store.PageRequest) (store.Page[store.ProductCodes], error) {
			return h.store.ProductCodes(ctx, sc, f, page)
		},
		show: func(rows store.Page[store.ProductCodes], pager views.Pager) (templ.Component, templ.Component) {
			l := views.ProductCodesList{Search: q.filter.Search, Rows: rows.Rows, Pager: pager,
				CanManage: currentViewer(c).canManage(), Return: listReturn(c)}
			// The figures are not part of the results: read only for the whole page.
			return views.ProductCodesResults(l), later(func() (templ.Component, error) {
				head, err := h.licenseHead(c, p, views.TabProductCodes)
				head.Forecast = forecast
				return views.Overview(head, l), err
			})
		}})
}

// productCodesCSV exports the product activation code list.
func (h *Handler) productCodesCSV(c echo.Context, sc store.Scope, filter store.ProductCodesFilter) error {
	return exportCSV(c, "product-activation-codes-"+sc.DC+".csv", views.ProductCodesCSV(c.Request().Context()),
		func(row func(store.ProductCodes) error) error {
			return h.store.EachProductCodes(c.Request().Context(), sc, filter, row)
		})
}

// licenseHead reads the figures shown above both tabs of the overview.
func (h *Handler) licenseHead(c echo.Context, p views.Page, tab string) (views.LicenseHead, error) {
	v := currentViewer(c)
	sum, err := h.store.Licenses(c.Request().Context(), h.scope(c))
	if err != nil {
		return views.LicenseHead{}, err
	}
	return views.LicenseHead{Summary: sum, CanManage: v.canManage(), Tab: tab,
		AssignURL: assignURL(p, 0, listReturn(c))}, nil
}

// listReturn is the list page being shown, for dialogs to come back to.
func listReturn(c echo.Context) string {
	u := *c.Request().URL
	q := u.Query()
	q.Del("format")
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// assignURL opens the assign dialog, with a product preselected when id > 0,
// returning to back afterwards.
func assignURL(p views.Page, id int64, back string) string { return views.AssignURL(p, id, back) }
