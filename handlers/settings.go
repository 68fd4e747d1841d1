package handlers

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// settings shows the viewer's own settings: the time zone of every date
// and the language of every page.
func (h *Handler) settings(c echo.Context) error {
	v := currentViewer(c)
	return h.renderSettings(c, http.StatusOK, views.Settings{TimeZone: v.loc.String()})
}

// saveSettings changes the viewer's time zone; every page shows it from the next request on.
func (h *Handler) saveSettings(c echo.Context) error {
	v := currentViewer(c)
	tz := strings.TrimSpace(c.FormValue("time_zone"))
	err := h.store.SetTimeZone(c.Request().Context(), v.user.ID, tz)
	if errs := views.NewFormErrors("time_zone"); errs.Absorb(c.Request().Context(), err) {
		return h.renderSettings(c, http.StatusUnprocessableEntity, views.Settings{TimeZone: tz, Errors: errs})
	}
	if err != nil {
		return err
	}
	h.flash(c, views.T(c.Request().Context(), "settings.tz_saved", "Zone", tz))
	return redirect(c, h.url(c, routenames.Settings))
}

// saveLanguage changes the viewer's language, as the header's switch does
// (handlers/language.go): kept for them and in this browser, and every page
// speaks it from this answer's flash on.
func (h *Handler) saveLanguage(c echo.Context) error {
	v := currentViewer(c)
	lang, err := store.CheckLanguage("language", c.FormValue("language"))
	if err == nil {
		err = h.store.SetLanguage(c.Request().Context(), v.user.ID, string(lang))
	}
	if errs := views.NewFormErrors("language"); errs.Absorb(c.Request().Context(), err) {
		return h.renderSettings(c, http.StatusUnprocessableEntity, views.Settings{TimeZone: v.loc.String(), LangError: errs})
	}
	if err != nil {
		return err
	}
	h.setLanguageCookie(c, lang)
	setLanguage(c, lang)
	ctx := c.Request().Context()
	h.flash(c, views.T(ctx, "settings.language_saved", "Language", views.T(ctx, "language."+string(lang))))
	return redirect(c, h.url(c, routenames.Settings))
}

// renderSettings shows the settings page with s's zone (kept when it is
// one of the list, so the person sees what was refused) and errors.
func (h *Handler) renderSettings(c echo.Context, status int, s views.Settings) error {
	v := currentViewer(c)
	ctx := c.Request().Context()
	p := h.page(c, views.T(ctx, "settings.title"), "settings")
	tz := s.TimeZone
	s.Zones, s.TimeZone = zoneOptions(ctx, v.loc.String(), h.store.Now()), v.loc.String()
	s.Language, s.Now, s.Email = views.LanguageOf(ctx), h.store.Now(), v.user.Email
	s.Role = views.RoleText(ctx, v.user.Role, v.user.ManageLicenses)
	for _, z := range s.Zones {
		if z.Name == tz {
			s.TimeZone = tz
		}
	}
	return h.render(c, status, p, views.SettingsPage(s), nil)
}

// zoneOptions are the offered zones with their offset now, and the
// viewer's own zone when it is not among them.
func zoneOptions(ctx context.Context, current string, now time.Time) []views.ZoneOption {
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
		label := views.T(ctx, "settings.zone", "Zone", n, "Offset", utcOffset(now.In(loc)))
		if n == "UTC" {
			label = views.T(ctx, "settings.zone_utc")
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
