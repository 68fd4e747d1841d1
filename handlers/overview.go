package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

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
	filter := store.ProductCodesFilter{Search: strings.TrimSpace(c.QueryParam("q"))}
	if wantsCSV(c) {
		return h.productCodesCSV(c, sc, filter)
	}
	page, err := h.store.ProductCodes(c.Request().Context(), sc, filter, pageRequest(c))
	if err != nil {
		return err
	}
	p := h.page(c, "License overview", "overview")
	filters := url.Values{}
	if filter.Search != "" {
		filters.Set("q", filter.Search)
	}
	path := h.url(c, routenames.Overview)
	list := views.ProductCodesList{Search: filter.Search, Rows: page.Rows,
		PrevURL: cursorURL(path, filters, "before", page.Prev), NextURL: cursorURL(path, filters, "after", page.Next),
		CSVURL: cursorURL(path, filters, "format", "csv"), CanManage: currentViewer(c).canManage(), Return: listReturn(c)}
	partial := views.ProductCodesResults(p, list)
	if isPartial(c) {
		// The figures are not part of the swap: skip reading them.
		return h.render(c, http.StatusOK, p, partial, partial)
	}
	head, err := h.licenseHead(c, p, views.TabProductCodes)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, p, views.Overview(p, head, list), partial)
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

// pageRequest reads the keyset cursors of a list page.
func pageRequest(c echo.Context) store.PageRequest {
	return store.PageRequest{After: c.QueryParam("after"), Before: c.QueryParam("before")}
}

// cursorURL is a list's URL with its filters and one more parameter, or ""
// when value is "" (no such page).
func cursorURL(path string, filters url.Values, key, value string) string {
	if value == "" {
		return ""
	}
	q := url.Values{}
	for k, v := range filters {
		q[k] = v
	}
	q.Set(key, value)
	return path + "?" + q.Encode()
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
