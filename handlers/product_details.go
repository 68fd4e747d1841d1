package handlers

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// productDetails is a product's page (docs/pages.md, "4. A product's details"): its
// figures, package, Automatic Renewal card and devices; its device list is also the htmx
// fragment of search and paging, and a CSV export.
func (h *Handler) productDetails(c echo.Context) error {
	v := currentViewer(c)
	sc := h.scope(c)
	ctx := c.Request().Context()
	prod, err := h.scopedProduct(c)
	if err != nil {
		return err
	}
	in := parseDeviceFilter(c, v.loc)
	if wantsCSV(c) {
		return h.productDevicesCSV(c, sc, prod, in.filter, v.loc)
	}
	devices, err := h.store.ProductDevices(ctx, sc, prod, in.filter, pageRequest(c))
	if err != nil {
		return err
	}
	p := h.page(c, prod.Name, "overview")
	path := views.ProductPath(p.DC, prod.ID)
	list := views.DeviceList{DC: p.DC, CSRF: p.CSRF, ProductID: prod.ID, Filter: in.form, Rows: devices.Rows,
		SwitchOn: prod.AutoRenew, CanManage: v.canManage(), ListURL: listReturn(c),
		PrevURL: cursorURL(path, in.values, "before", devices.Prev), NextURL: cursorURL(path, in.values, "after", devices.Next),
		CSVURL: cursorURL(path, in.values, "format", "csv"), ByKey: in.filter.SortedByKey()}
	status := http.StatusOK
	if len(in.form.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	partial := views.DeviceResults(p, list)
	if isPartial(c) {
		return h.render(c, status, p, partial, partial)
	}
	details := views.ProductDetails{Product: prod, CanManage: v.canManage(), Devices: list, AssignURL: views.AssignURL(p, prod.ID, path)}
	if prod.PackageCode != nil {
		pkg, err := h.store.PackageByCode(ctx, *prod.PackageCode)
		if err != nil {
			return err
		}
		details.Package = &pkg
	}
	if details.Renewal, err = h.renewalCard(c, prod); err != nil {
		return err
	}
	return h.render(c, status, p, views.ProductPage(p, details), partial)
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

// deviceFilter is the device list's query, read and checked.
type deviceFilter struct {
	filter store.DeviceFilter
	form   views.DeviceFilterForm
	values url.Values // the filters to keep in page and CSV links
}

// parseDeviceFilter reads the DK, the status and the two date ranges; the
// dates are days in the viewer's zone, from 00:00 of the first to 24:00 of
// the last. A filter that cannot be used is left out, with the reason.
func parseDeviceFilter(c echo.Context, loc *time.Location) deviceFilter {
	in := deviceFilter{values: url.Values{}, form: views.DeviceFilterForm{Errors: map[string]string{}}}
	f := &in.form
	f.DeviceKey = strings.TrimSpace(c.QueryParam("dk"))
	if f.DeviceKey != "" {
		in.filter.DeviceKey = f.DeviceKey
		in.values.Set("dk", f.DeviceKey)
	}
	f.Status = c.QueryParam("status")
	switch {
	case f.Status == "":
	case knownStatus(f.Status):
		in.filter.Status = store.DeviceStatus(f.Status)
		in.values.Set("status", f.Status)
	default:
		f.Errors["status"] = "Choose a status from the list."
	}
	var activated, expires map[string]string
	in.filter.Activated, activated = parseDayRange(c, "activated", loc, in.values)
	in.filter.Expires, expires = parseDayRange(c, "expires", loc, in.values)
	maps.Copy(f.Errors, activated)
	maps.Copy(f.Errors, expires)
	f.ActivatedFrom, f.ActivatedTo = queryText(c, "activated_from"), queryText(c, "activated_to")
	f.ExpiresFrom, f.ExpiresTo = queryText(c, "expires_from"), queryText(c, "expires_to")
	return in
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
	w, err := startCSV(c, "devices-"+prod.ProductKey+".csv",
		"DeviceKey", "Activated at", "Expires at", "Kind", "Status", "Renewal outlook", "Auto-renew")
	if err != nil {
		return err
	}
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	err = h.store.EachProductDevice(c.Request().Context(), sc, prod, f, func(d store.Device) error {
		renew := "on"
		if d.Blacklisted {
			renew = "off (blacklisted)"
		}
		return w.Row(d.DeviceKey, at(d.ActivatedAt), at(d.ExpiresAt), views.ActivationKindText(d.LastKind),
			views.DeviceStatusText(d.Status, d.LapseReason), views.OutlookText(d.Outlook), renew)
	})
	return h.endCSV(c, w, err)
}

// renewalCard reads the figures of a product's Automatic Renewal card.
func (h *Handler) renewalCard(c echo.Context, prod store.Product) (views.RenewalCard, error) {
	v := currentViewer(c)
	fig, err := h.store.ProductRenewal(c.Request().Context(), h.scope(c), prod)
	return views.RenewalCard{DC: c.Param("dc"), CSRF: v.session.CSRFToken, ProductID: prod.ID, Figures: fig, CanManage: v.canManage()}, err
}
