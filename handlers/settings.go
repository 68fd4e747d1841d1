package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// settings shows the viewer's own settings: the time zone of every date.
func (h *Handler) settings(c echo.Context) error {
	v := currentViewer(c)
	return h.renderSettings(c, http.StatusOK, v.loc.String(), views.FormErrors{})
}

// saveSettings changes the viewer's time zone; every page shows it from the next request on.
func (h *Handler) saveSettings(c echo.Context) error {
	v := currentViewer(c)
	tz := strings.TrimSpace(c.FormValue("time_zone"))
	err := h.store.SetTimeZone(c.Request().Context(), v.user.ID, tz)
	if errs := views.NewFormErrors("time_zone"); errs.Absorb(c.Request().Context(), err) {
		return h.renderSettings(c, http.StatusUnprocessableEntity, tz, errs)
	}
	if err != nil {
		return err
	}
	h.flash(c, "Time zone saved: dates are now shown in "+tz+" time.")
	return redirect(c, h.url(c, routenames.Settings))
}

func (h *Handler) renderSettings(c echo.Context, status int, tz string, errs views.FormErrors) error {
	v := currentViewer(c)
	p := h.page(c, "Settings", "settings")
	s := views.Settings{Zones: zoneOptions(v.loc.String(), h.store.Now()), TimeZone: v.loc.String(), Errors: errs,
		Now: h.store.Now(), Email: v.user.Email, Role: views.RoleText(c.Request().Context(), v.user.Role, v.user.ManageLicenses)}
	// A refused zone stays chosen when it is one of the list, so the person sees what was refused.
	for _, z := range s.Zones {
		if z.Name == tz {
			s.TimeZone = tz
		}
	}
	return h.render(c, status, p, views.SettingsPage(s), nil)
}

// zoneOptions are the offered zones with their offset now, and the
// viewer's own zone when it is not among them.
func zoneOptions(current string, now time.Time) []views.ZoneOption {
	names := store.TimeZones
	found := false
	for _, n := range names {
		found = found || n == current
	}
	if !found {
		names = append([]string{current}, names...)
	}
	opts := make([]views.ZoneOption, 0, len(names))
	for _, n := range names {
		loc, err := time.LoadLocation(n)
		if err != nil {
			continue
		}
		label := n + " (" + utcOffset(now.In(loc)) + ")"
		if n == "UTC" {
			label = "UTC, Coordinated Universal Time"
		}
		opts = append(opts, views.ZoneOption{Name: n, Label: label})
	}
	return opts
}

// utcOffset words a time's offset from UTC: "UTC", "UTC+08:00", "UTC-03:30".
func utcOffset(t time.Time) string {
	_, secs := t.Zone()
	if secs == 0 {
		return "UTC"
	}
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	return "UTC" + sign + time.Date(0, 1, 1, secs/3600, secs%3600/60, 0, 0, time.UTC).Format("15:04")
}
