package handlers

import (
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// nearExpiry is the near-expiry page (docs/pages.md, "5. Devices with near-expiry codes"):
// the devices whose codes expire within 30 days, with their outlook and auto-renew toggle; its results are
// also the htmx fragment of search and paging, and a CSV export.
func (h *Handler) nearExpiry(c echo.Context) error {
	v := currentViewer(c)
	sc := h.scope(c)
	ctx := c.Request().Context()
	in := parseNearExpiryFilter(c, v.loc)
	if wantsCSV(c) {
		return h.nearExpiryCSV(c, sc, in.filter, v.loc)
	}
	page, err := h.store.NearExpiryDevices(ctx, sc, in.filter, pageRequest(c))
	if err != nil {
		return err
	}
	p := h.page(c, "Devices with near-expiry codes", "near-expiry")
	path := h.url(c, routenames.NearExpiry)
	list := views.NearExpiryList{Filter: in.form, Rows: page.Rows, Now: h.store.Now(), CanManage: v.canManage(), ListURL: listReturn(c),
		PrevURL: cursorURL(path, in.values, "before", page.Prev), NextURL: cursorURL(path, in.values, "after", page.Next),
		CSVURL: cursorURL(path, in.values, "format", "csv"), ClearURL: path}
	status := http.StatusOK
	if len(in.form.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	partial := views.NearExpiryResults(p, list)
	if isPartial(c) {
		return h.render(c, status, p, partial, partial)
	}
	// The figure of the page head; the fragment does not show it.
	if list.Count, err = h.store.NearExpiryCount(ctx, sc); err != nil {
		return err
	}
	return h.render(c, status, p, views.NearExpiry(p, list), partial)
}

// nearExpiryFilter is the list's query, read and checked.
type nearExpiryFilter struct {
	filter store.NearExpiryFilter
	form   views.NearExpiryFilterForm
	values url.Values // the filters to keep in page and CSV links
}

// parseNearExpiryFilter reads the product and DK searches and the two date
// ranges, days in the viewer's zone (from 00:00 of the first to 24:00 of
// the last). A date that cannot be used is left out, with the reason.
func parseNearExpiryFilter(c echo.Context, loc *time.Location) nearExpiryFilter {
	in := nearExpiryFilter{values: url.Values{}, form: views.NearExpiryFilterForm{Errors: map[string]string{}}}
	f := &in.form
	if f.Product = strings.TrimSpace(c.QueryParam("product")); f.Product != "" {
		in.values.Set("product", f.Product)
	}
	if f.DeviceKey = strings.TrimSpace(c.QueryParam("dk")); f.DeviceKey != "" {
		in.values.Set("dk", f.DeviceKey)
	}
	in.filter.Product, in.filter.DeviceKey = f.Product, f.DeviceKey
	var activated, expires map[string]string
	in.filter.Activated, activated = parseDayRange(c, "activated", loc, in.values)
	in.filter.Expires, expires = parseDayRange(c, "expires", loc, in.values)
	maps.Copy(f.Errors, activated)
	maps.Copy(f.Errors, expires)
	f.ActivatedFrom, f.ActivatedTo = queryText(c, "activated_from"), queryText(c, "activated_to")
	f.ExpiresFrom, f.ExpiresTo = queryText(c, "expires_from"), queryText(c, "expires_to")
	return in
}

// nearExpiryCSV streams the list with times in the viewer's zone.
func (h *Handler) nearExpiryCSV(c echo.Context, sc store.Scope, f store.NearExpiryFilter, loc *time.Location) error {
	w, err := startCSV(c, "near-expiry-devices-"+sc.DC+".csv",
		"Product", "ProductKey", "DeviceKey", "Activated at", "Expires at", "Days left", "Renewal outlook", "Auto-renew")
	if err != nil {
		return err
	}
	now := h.store.Now()
	err = h.store.EachNearExpiryDevice(c.Request().Context(), sc, f, func(d store.Device) error {
		renew := "on"
		if d.Blacklisted {
			renew = "off (blacklisted)"
		}
		return w.Row(d.ProductName, d.ProductKey, d.DeviceKey, d.ActivatedAt.In(loc).Format(time.RFC3339),
			d.ExpiresAt.In(loc).Format(time.RFC3339), strconv.Itoa(views.DaysLeft(*d.ExpiresAt, now, loc)), views.OutlookText(d.Outlook), renew)
	})
	return h.endCSV(c, w, err)
}
