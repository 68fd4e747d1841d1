package handlers

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// requireSignIn loads the viewer from the session, or sends the browser to
// the sign-in page and back here afterwards.
func (h *Handler) requireSignIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := h.sessionID(c)
		var sess store.Session
		var err error
		if id != "" {
			sess, err = h.store.SessionByID(c.Request().Context(), id, h.idle, h.lifetime)
		}
		if id == "" || store.HasCode(err, store.CodeNoSession) {
			return h.toSignIn(c)
		}
		if err != nil {
			return err
		}
		v := &viewer{sessionID: id, session: sess, user: sess.User, loc: time.UTC}
		if loc, err := location(sess.User.TimeZone); err == nil {
			v.loc = loc
		}
		accountID := sess.User.AccountID
		if v.support() {
			accountID = sess.SupportAccountID
		}
		if accountID != nil {
			// Read with the session (the same row unless it was not found: then Account says why).
			if sess.Account != nil && sess.Account.ID == *accountID {
				v.account = *sess.Account
			} else if v.account, err = h.store.Account(c.Request().Context(), *accountID); err != nil {
				return err
			}
		}
		if v.products, err = h.store.ScopeProducts(c.Request().Context(), sess.User); err != nil {
			return err
		}
		if sess.User.Language != nil {
			setLanguage(c, *sess.User.Language)
		}
		c.Set(viewerKey, v)
		return next(c)
	}
}

// locations keeps the time zones viewers have, loaded once each:
// time.LoadLocation reads and parses the zone's file on every call.
var locations sync.Map // name -> *time.Location

// location is time.LoadLocation, remembered.
func location(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err == nil {
		locations.Store(name, l)
	}
	return l, err
}

func (h *Handler) toSignIn(c echo.Context) error {
	var q url.Values
	if next, ok := sitePath(c.Request().URL.RequestURI()); ok && c.Request().Method == http.MethodGet {
		q = url.Values{"next": {next}}
	}
	target := views.WithQuery(h.url(c, routenames.SignInForm), q)
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusUnauthorized)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// checkCSRF refuses a state-changing request that does not carry the
// session's anti-forgery token (form field csrf, or the X-CSRF-Token header
// htmx sends).
func (h *Handler) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		v := currentViewer(c)
		token := c.Request().Header.Get("X-CSRF-Token")
		if token == "" {
			token = c.FormValue("csrf")
		}
		if v == nil || token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(v.session.CSRFToken)) != 1 {
			return echo.NewHTTPError(http.StatusForbidden, views.T(c.Request().Context(), "errors.refusal.form_expired"))
		}
		return next(c)
	}
}

// requireDC checks the data center in the path and remembers it.
func (h *Handler) requireDC(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !h.knownDC(c.Param("dc")) {
			return echo.ErrNotFound
		}
		return next(c)
	}
}

func (h *Handler) knownDC(dc string) bool {
	for _, d := range h.dcs {
		if d.Code == dc {
			return true
		}
	}
	return false
}

// requireManage refuses changes to codes and renewal to viewers without the permission.
func (h *Handler) requireManage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if v := currentViewer(c); v == nil || !v.canManage() {
			return echo.NewHTTPError(http.StatusForbidden, views.T(c.Request().Context(), "errors.refusal.view_only"))
		}
		return next(c)
	}
}

// requireAccount keeps the account pages to people of an account. Support
// staff reach an account through the support search (docs/access.md, "Roles"); every
// change is refused to them.
func (h *Handler) requireAccount(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v := currentViewer(c)
		if v.support() && v.account.ID == 0 {
			return c.Redirect(http.StatusSeeOther, h.url(c, routenames.Support))
		}
		if v.support() && c.Request().Method != http.MethodGet {
			return echo.NewHTTPError(http.StatusForbidden, views.T(c.Request().Context(), "errors.refusal.support_read_only"))
		}
		return next(c)
	}
}

// requireOwner keeps a route to the account's owner.
func (h *Handler) requireOwner(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if v := currentViewer(c); v.user.Role != store.RoleOwner {
			return echo.NewHTTPError(http.StatusForbidden, views.T(c.Request().Context(), "errors.refusal.owner_only"))
		}
		return next(c)
	}
}

// requireSupport keeps a route to platform support staff.
func (h *Handler) requireSupport(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if v := currentViewer(c); !v.support() {
			return echo.ErrNotFound
		}
		return next(c)
	}
}
