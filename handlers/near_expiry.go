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

// nearExpiry is the near-expiry page (docs/pages.md, "5. Devices with near-expiry codes"):
// the devices whose codes expire within 30 days, with their outlook and auto-renew toggle; its results are
// also the htmx fragment of search and paging, and a CSV export.
func (h *Handler) nearExpiry(c echo.Context) error {
	v := currentViewer(c)
	sc := h.scope(c)
	q := parseNearExpiryQuery(c, v.loc)
	p := h.page(c, views.T(c.Request().Context(), "near_expiry.title"), "near-expiry")
	return listPage(h, c, list[store.NearExpiryFilter, store.Device]{query: q, page: p, path: h.url(c, routenames.NearExpiry),
		csv: func(f store.NearExpiryFilter) error { return h.nearExpiryCSV(c, sc, f, v.loc) },
		read: func(ctx context.Context, f store.NearExpiryFilter, page store.PageRequest) (store.Page[store.Device], error) {
			return h.store.NearExpiryDevices(ctx, sc, f, page)
		},
		show: func(rows store.Page[store.Device], pager views.Pager) (templ.Component, templ.Component) {
			form := views.NearExpiryFilterForm{Product: q.filter.Product, DeviceKey: q.filter.DeviceKey,
				ActivatedFrom: queryText(c, "activated_from"), ActivatedTo: queryText(c, "activated_to"),
				ExpiresFrom: queryText(c, "expires_from"), ExpiresTo: queryText(c, "expires_to"), Errors: q.errs}
			l := views.NearExpiryList{Filter: form, Rows: rows.Rows, Now: h.store.Now(), CanManage: v.canManage(),
				ListURL: listReturn(c), Pager: pager}
			return views.NearExpiryResults(l), later(func() (templ.Component, error) {
				// The figure of the page head; the results do not show it.
				var err error
				if l.Count, err = h.store.NearExpiryCount(c.Request().Context(), sc); err != nil {
					return nil, err
				}
				l.Days, err = h.store.NearExpiryByDay(c.Request().Context(), sc, v.loc)
				return views.NearExpiry(l), err
			})
		}})
}

// parseNearExpiryQuery reads the product and DK searches and the two date
// ranges (dayRange).
func parseNearExpiryQuery(c echo.Context, loc *time.Location) listQuery[store.NearExpiryFilter] {
	q := listQuery[store.NearExpiryFilter]{keep: url.Values{}}
	if q.filter.Product = queryText(c, "product"); q.filter.Product != "" {
		q.keep.Set("product", q.filter.Product)
	}
	if q.filter.DeviceKey = queryText(c, "dk"); q.filter.DeviceKey != "" {
		q.keep.Set("dk", q.filter.DeviceKey)
	}
	q.filter.Activated = q.dayRange(c, "activated", loc)
	q.filter.Expires = q.dayRange(c, "expires", loc)
	return q
}

// nearExpiryCSV exports the list with times in the viewer's zone.
func (h *Handler) nearExpiryCSV(c echo.Context, sc store.Scope, f store.NearExpiryFilter, loc *time.Location) error {
	return exportCSV(c, "near-expiry-devices-"+sc.DC+".csv", views.NearExpiryCSV(c.Request().Context(), h.store.Now(), loc),
		func(row func(store.Device) error) error {
			return h.store.EachNearExpiryDevice(c.Request().Context(), sc, f, row)
		})
}

// nearExpiryChartCSV is the near-expiry chart's data as CSV: a row per day
// of the viewer's zone, the devices by outlook. Thirty-one rows from the
// counters, so it needs none of the list exports' limits.
func (h *Handler) nearExpiryChartCSV(c echo.Context) error {
	v := currentViewer(c)
	days, err := h.store.NearExpiryByDay(c.Request().Context(), h.scope(c), v.loc)
	if err != nil {
		return err
	}
	return exportCSV(c, "near-expiry-chart-"+h.scope(c).DC+".csv", views.NearExpiryChartCSV(c.Request().Context(), v.loc),
		func(row func(store.ExpiryDay) error) error {
			for _, d := range days {
				if err := row(d); err != nil {
					return err
				}
			}
			return nil
		})
}
