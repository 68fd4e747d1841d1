package handlers

import (
	"context"
	"net/url"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// productDetails is a product's page (docs/pages.md, "4. A product's details"): its
// figures, package, Automatic Renewal card and devices; its device list is also the htmx
// fragment of search and paging, and a CSV export.
func (h *Handler) productDetails(c echo.Context) error {
	v := currentViewer(c)
	sc := h.scope(c)
	prod, err := h.scopedProduct(c)
	if err != nil {
		return err
	}
	q := parseDeviceQuery(c, v.loc)
	p := h.page(c, prod.Name, "overview")
	path := h.url(c, routenames.ProductDetails, prod.ID)
	return listPage(h, c, list[store.DeviceFilter, store.Device]{query: q, page: p, path: path,
		csv: func(f store.DeviceFilter) error { return h.productDevicesCSV(c, sc, prod, f, v.loc) },
		read: func(ctx context.Context, f store.DeviceFilter, page store.PageRequest) (store.Page[store.Device], error) {
			return h.store.ProductDevices(ctx, sc, prod, f, page)
		},
		show: func(rows store.Page[store.Device], pager views.Pager) (templ.Component, templ.Component) {
			form := views.DeviceFilterForm{DeviceKey: queryText(c, "dk"), Status: c.QueryParam("status"),
				ActivatedFrom: queryText(c, "activated_from"), ActivatedTo: queryText(c, "activated_to"),
				ExpiresFrom: queryText(c, "expires_from"), ExpiresTo: queryText(c, "expires_to"), Errors: q.errs}
			l := views.DeviceList{ProductID: prod.ID, Filter: form, Rows: rows.Rows,
				SwitchOn: prod.AutoRenew, CanManage: v.canManage(), ListURL: listReturn(c), Pager: pager, ByKey: q.filter.SortedByKey()}
			return views.DeviceResults(l), later(func() (templ.Component, error) { return h.productPage(c, p, prod, l) })
		}})
}

// productPage is the whole details page around its device list: the
// product's package and Automatic Renewal card.
func (h *Handler) productPage(c echo.Context, p views.Page, prod store.Product, l views.DeviceList) (templ.Component, error) {
	details := views.ProductDetails{Product: prod, CanManage: l.CanManage, Devices: l,
		AssignURL: views.AssignURL(p, prod.ID, h.url(c, routenames.ProductDetails, prod.ID))}
	if prod.PackageCode != nil {
		pkg, err := h.store.PackageByCode(c.Request().Context(), *prod.PackageCode)
		if err != nil {
			return nil, err
		}
		details.Package = &pkg
	}
	var err error
	details.Renewal, err = h.renewalCard(c, prod)
	return views.ProductPage(details), err
}

// scopedProduct is the product of the :id path parameter, when the viewer's
// scope holds it; anything else is not found.
func (h *Handler) scopedProduct(c echo.Context) (store.Product, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return store.Product{}, err
	}
	return h.store.ScopedProduct(c.Request().Context(), h.scope(c), id)
}

// parseDeviceQuery reads the DK, the status and the two date ranges
// (parseDayRange). A status that is not one of the list's is refused.
func parseDeviceQuery(c echo.Context, loc *time.Location) listQuery[store.DeviceFilter] {
	q := listQuery[store.DeviceFilter]{keep: url.Values{}}
	if q.filter.DeviceKey = queryText(c, "dk"); q.filter.DeviceKey != "" {
		q.keep.Set("dk", q.filter.DeviceKey)
	}
	switch status := c.QueryParam("status"); {
	case status == "":
	case knownStatus(status):
		q.filter.Status = store.DeviceStatus(status)
		q.keep.Set("status", status)
	default:
		q.errs.Set("status", views.T(c.Request().Context(), "product.devices.bad_status"))
	}
	q.filter.Activated = parseDayRange(c, "activated", loc, q.keep, &q.errs)
	q.filter.Expires = parseDayRange(c, "expires", loc, q.keep, &q.errs)
	return q
}

func knownStatus(s string) bool {
	for _, k := range store.DeviceStatuses {
		if string(k) == s {
			return true
		}
	}
	return false
}

// productDevicesCSV streams the device list with times in the viewer's zone.
func (h *Handler) productDevicesCSV(c echo.Context, sc store.Scope, prod store.Product, f store.DeviceFilter, loc *time.Location) error {
	return exportCSV(c, "devices-"+prod.ProductKey+".csv", views.ProductDevicesCSV(c.Request().Context(), loc),
		func(row func(store.Device) error) error {
			return h.store.EachProductDevice(c.Request().Context(), sc, prod, f, row)
		})
}

// renewalCard reads the figures of a product's Automatic Renewal card.
func (h *Handler) renewalCard(c echo.Context, prod store.Product) (views.RenewalCard, error) {
	v := currentViewer(c)
	fig, err := h.store.ProductRenewal(c.Request().Context(), h.scope(c), prod)
	return views.RenewalCard{ProductID: prod.ID, Figures: fig, CanManage: v.canManage()}, err
}
