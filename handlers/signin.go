package handlers

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// signinCSRFCookie carries the anti-forgery token of the sign-in form, which
// is shown before there is a session to keep it in.
const signinCSRFCookie = "console_signin"

func (h *Handler) signinForm(c echo.Context) error {
	// Keep the token of an earlier visit: a second tab, or a browser fetching
	// something else that ends here, must not invalidate the form on screen.
	token := ""
	if ck, err := c.Cookie(signinCSRFCookie); err == nil && len(ck.Value) == 32 {
		token = ck.Value
	} else {
		token = base64.RawURLEncoding.EncodeToString(randomKey(24))
	}
	c.SetCookie(&http.Cookie{Name: signinCSRFCookie, Value: token, Path: "/signin", HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	next := c.QueryParam("next")
	if !localPath(next) {
		next = ""
	}
	return h.renderBare(c, http.StatusOK, views.SignIn(views.SignInForm{Next: next, CSRF: token}))
}

func (h *Handler) signin(c echo.Context) error {
	form := views.SignInForm{Email: c.FormValue("email"), Next: c.FormValue("next"), CSRF: c.FormValue("csrf")}
	cookie, err := c.Cookie(signinCSRFCookie)
	if err != nil || form.CSRF == "" || subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(form.CSRF)) != 1 {
		form.Error = "The sign-in form expired. Please try again."
		return h.signinFormWith(c, form)
	}
	ctx := c.Request().Context()
	ip := c.RealIP()
	throttled, err := h.store.SignInThrottled(ctx, form.Email, ip)
	if err != nil {
		return err
	}
	if throttled {
		form.Error = "Too many failed sign-ins. Wait 15 minutes, then try again."
		return h.renderBare(c, http.StatusTooManyRequests, views.SignIn(form))
	}
	user, err := h.store.Authenticate(ctx, form.Email, c.FormValue("password"))
	if errors.Is(err, store.ErrBadCredentials) {
		if err := h.store.RecordSignInFailure(ctx, form.Email, ip); err != nil {
			return err
		}
		// The same page, byte for byte, whether the e-mail exists or not.
		form.Error = "The e-mail or the password is wrong."
		return h.renderBare(c, http.StatusUnprocessableEntity, views.SignIn(form))
	}
	if err != nil {
		return err
	}
	if err := h.store.RecordSignIn(ctx, user, ip); err != nil {
		return err
	}
	// A fresh session id at every sign-in; a session this browser already had
	// ends, so an id planted before sign-in is worth nothing after it.
	if old := h.sessionID(c); old != "" {
		if err := h.store.EndSession(ctx, old); err != nil {
			return err
		}
	}
	id, err := h.store.CreateSession(ctx, user.ID)
	if err != nil {
		return err
	}
	if err := h.setSessionCookie(c, id); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: signinCSRFCookie, Path: "/signin", MaxAge: -1, Expires: time.Unix(0, 0)})
	next := form.Next
	if !localPath(next) {
		next = "/"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func (h *Handler) signinFormWith(c echo.Context, form views.SignInForm) error {
	form.CSRF = base64.RawURLEncoding.EncodeToString(randomKey(24))
	c.SetCookie(&http.Cookie{Name: signinCSRFCookie, Value: form.CSRF, Path: "/signin", HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	return h.renderBare(c, http.StatusUnprocessableEntity, views.SignIn(form))
}

func (h *Handler) signout(c echo.Context) error {
	if v := currentViewer(c); v != nil {
		if err := h.store.EndSession(c.Request().Context(), v.sessionID); err != nil {
			return err
		}
	}
	if err := h.setSessionCookie(c, ""); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/signin")
}

// home sends a signed-in person to the overview of their account's home data center.
func (h *Handler) homeRedirect(c echo.Context) error {
	v := currentViewer(c)
	if v.support() && v.account.ID == 0 {
		return c.Redirect(http.StatusSeeOther, "/support")
	}
	dc := v.account.HomeDC
	if dc == "" && len(h.dcs) > 0 {
		dc = h.dcs[0].Code
	}
	return c.Redirect(http.StatusSeeOther, "/"+dc+"/licenses")
}

// switchDC answers the header's data-center switcher: the same page in another DC.
func (h *Handler) switchDC(c echo.Context) error {
	dc := c.QueryParam("dc")
	if !h.knownDC(dc) {
		return echo.ErrNotFound
	}
	paths := map[string]string{"near-expiry": "/near-expiry", "recipients": "/recipients", "settings": "/settings", "audit": "/audit", "members": "/members"}
	path, ok := paths[c.QueryParam("page")]
	if !ok {
		path = "/licenses"
	}
	return c.Redirect(http.StatusSeeOther, "/"+dc+path)
}
