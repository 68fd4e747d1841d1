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
	p := h.page(c, "License overview", "overview")
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
				return views.Overview(head, l), err
			})
		}})
}

// productCodesCSV streams the product activation code list.
func (h *Handler) productCodesCSV(c echo.Context, sc store.Scope, filter store.ProductCodesFilter) error {
	w, err := startCSV(c, "product-activation-codes-"+sc.DC+".csv",
		"Product", "ProductKey", "Package", "Total", "Consumed", "Available", "Automatic renewal", "Runway (days)")
	if err != nil {
		return err
	}
	err = h.store.EachProductCodes(c.Request().Context(), sc, filter, func(r store.ProductCodes) error {
		pkg, renew, runway := "", "off", "no consumption"
		if r.PackageCode != nil {
			pkg = *r.PackageCode
		}
		if r.AutoRenew {
			renew = "on"
		}
		if days, ok := r.RunwayDays(); ok {
			runway = strconv.FormatInt(days, 10)
		}
		return w.Row(r.Name, r.ProductKey, pkg, strconv.FormatInt(r.Total(), 10), strconv.FormatInt(r.Consumed, 10),
			strconv.FormatInt(r.Available, 10), renew, runway)
	})
	return h.endCSV(c, w, err)
}

// endCSV finishes a CSV download: the spool goes to the client once the
// store has yielded every row, so a failed read still gets an error page.
// A failure while sending goes back to limitExports (csv_export.go), which
// logs it and breaks the connection, so the client never takes a short file
// for a whole one.
func (h *Handler) endCSV(c echo.Context, w *csvStream, err error) error {
	if err != nil {
		w.Discard() // nothing was sent: the error gets its page (csv_export.go)
		return err
	}
	return w.Send()
}

// licenseHead reads the figures shown above both tabs of the overview.
func (h *Handler) licenseHead(c echo.Context, p views.Page, tab string) (views.LicenseHead, error) {
	v := currentViewer(c)
	sum, err := h.store.LicensesIn(c.Request().Context(), h.scope(c))
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
