package handlers

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// productDetails is a product's page (docs/pages.md, "4. A product's details"): its
// figures, package, Automatic Renewal card and devices, read at once, and its
// consumption chart; its device list is also the htmx fragment of search and
// paging, and a CSV export.
func (h *Handler) productDetails(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v := currentViewer(c)
	sc := h.scope(c)
	q := parseDeviceQuery(c, v.loc)
	if wantsCSV(c) {
		return h.productDevicesCSV(c, sc, id, q.filter, v.loc)
	}
	d, err := h.store.ProductDetails(c.Request().Context(), sc, id, q.filter, pageRequest(c))
	if err != nil {
		return err
	}
	path := h.url(c, routenames.ProductDetails, id)
	p := h.page(c, d.Product.Name, "overview")
	form := views.DeviceFilterForm{DeviceKey: queryText(c, "dk"), Status: c.QueryParam("status"),
		ActivatedFrom: queryText(c, "activated_from"), ActivatedTo: queryText(c, "activated_to"),
		ExpiresFrom: queryText(c, "expires_from"), ExpiresTo: queryText(c, "expires_to"), Errors: q.errs}
	l := views.DeviceList{ProductID: id, Filter: form, Rows: d.Devices.Rows, SwitchOn: d.Product.AutoRenew, CanManage: v.canManage(),
		ListURL: listReturn(c), Pager: views.NewPager(path, q.keep, d.Devices), ByKey: q.filter.SortedByKey()}
	page := views.ProductDetails{Product: d.Product, Package: d.Package, CanManage: v.canManage(), Devices: l,
		AssignURL: views.AssignURL(p, id, path),
		Renewal:   views.RenewalCard{ProductID: id, Figures: d.Renewal, CanManage: v.canManage()}}
	return h.render(c, q.status(), p, later(func() (templ.Component, error) {
		// The consumption chart is the whole page's; search and paging swap the device list alone.
		var err error
		page.Consumption, err = h.store.ProductConsumptionOf(c.Request().Context(), sc, d.Product)
		return views.ProductPage(page), err
	}), views.DeviceResults(l))
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
// (dayRange). A status that is not one of the list's is refused.
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
	q.filter.Activated = q.dayRange(c, "activated", loc)
	q.filter.Expires = q.dayRange(c, "expires", loc)
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

// productDevicesCSV streams the device list of a product of the scope with
// times in the viewer's zone.
func (h *Handler) productDevicesCSV(c echo.Context, sc store.Scope, id int64, f store.DeviceFilter, loc *time.Location) error {
	ctx := c.Request().Context()
	prod, err := h.store.ScopedProduct(ctx, sc, id)
	if err != nil {
		return err
	}
	return exportCSV(c, "devices-"+prod.ProductKey+".csv", views.ProductDevicesCSV(ctx, loc),
		func(row func(store.Device) error) error { return h.store.EachProductDevice(ctx, sc, prod, f, row) })
}

// setAutoRenew turns a product's automatic renewal switch on or off
// (docs/renewal.md, "The settings"). htmx gets the fresh card back and a renewalChanged event that
// makes the device list reload its outlooks; a plain form goes back to the page.
func (h *Handler) setAutoRenew(c echo.Context) error {
	ctx := c.Request().Context()
	prod, err := h.scopedProduct(c)
	if err != nil {
		return err
	}
	on := c.FormValue("on") == "on"
	if err := h.store.SetAutoRenew(ctx, h.scope(c), store.AutoRenewInput{ProductID: prod.ID, On: on, Actor: h.actor(c)}); err != nil {
		return err
	}
	if !isPartial(c) {
		h.flash(c, autoRenewFlash(ctx, on, prod.Name))
		return redirect(c, h.url(c, routenames.ProductDetails, prod.ID))
	}
	if prod, err = h.scopedProduct(c); err != nil {
		return err
	}
	card, err := h.renewalCard(c, prod)
	if err != nil {
		return err
	}
	c.Response().Header().Set("HX-Trigger", "renewalChanged")
	comp := views.RenewalCardView(card)
	return h.render(c, http.StatusOK, h.page(c, prod.Name, "overview"), comp, comp)
}

// autoRenewFlash says which way the product's switch was turned.
func autoRenewFlash(ctx context.Context, on bool, product string) string {
	if on {
		return views.T(ctx, "renewal.card.turned_on", "Product", product)
	}
	return views.T(ctx, "renewal.card.turned_off", "Product", product)
}

// renewalCard reads the figures of a product's Automatic Renewal card.
func (h *Handler) renewalCard(c echo.Context, prod store.Product) (views.RenewalCard, error) {
	v := currentViewer(c)
	fig, err := h.store.ProductRenewal(c.Request().Context(), h.scope(c), prod)
	return views.RenewalCard{ProductID: prod.ID, Figures: fig, CanManage: v.canManage()}, err
}
