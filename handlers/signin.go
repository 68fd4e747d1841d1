package handlers

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// signinCSRFCookie carries the anti-forgery token of the sign-in form, which
// is shown before there is a session to keep it in. Over HTTPS it takes the
// __Host- prefix like the session cookie: Secure, Path=/ and no Domain, so
// neither a sibling subdomain nor a plain-HTTP page can plant or read it
// (docs/SECURITY.md, "Sign-in").
const signinCSRFCookie = "console_signin"

// maxSignInBody bounds the sign-in form: an e-mail, a password, a token and
// a path are far less; anything bigger is refused before it is read.
const maxSignInBody = 32 << 10

func (h *Handler) signinCookieName() string {
	if h.secure {
		return "__Host-" + signinCSRFCookie
	}
	return signinCSRFCookie
}

// setSigninCookie keeps token as the sign-in form's anti-forgery token for
// an hour; "" clears it.
func (h *Handler) setSigninCookie(c echo.Context, token string) {
	ck := &http.Cookie{Name: h.signinCookieName(), Value: token, Path: "/", HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteStrictMode, MaxAge: 3600}
	if token == "" {
		ck.MaxAge, ck.Expires = -1, time.Unix(0, 0)
	}
	c.SetCookie(ck)
}

func (h *Handler) signinForm(c echo.Context) error {
	// Keep the token of an earlier visit: a second tab, or a browser fetching
	// something else that ends here, must not invalidate the form on screen.
	token := ""
	if ck, err := c.Cookie(h.signinCookieName()); err == nil && len(ck.Value) == 32 {
		token = ck.Value
	} else {
		token = base64.RawURLEncoding.EncodeToString(randomKey(24))
	}
	h.setSigninCookie(c, token)
	next, _ := sitePath(c.QueryParam("next"))
	return h.renderBare(c, http.StatusOK, views.SignIn(views.SignInForm{Next: next, CSRF: token}))
}

func (h *Handler) signin(c echo.Context) error {
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxSignInBody)
	if err := req.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			var form views.SignInForm
			form.Errors.Set("", views.T(req.Context(), "signin.too_large"))
			return h.signinFormWith(c, http.StatusRequestEntityTooLarge, form)
		}
		var form views.SignInForm
		form.Errors.Set("", views.T(req.Context(), "signin.unreadable"))
		return h.signinFormWith(c, http.StatusBadRequest, form)
	}
	next, _ := sitePath(req.PostFormValue("next"))
	form := views.SignInForm{Next: next, CSRF: req.PostFormValue("csrf")}
	email := req.PostFormValue("email")
	if _, err := store.NormalizeEmail(email); err == nil {
		form.Email = email // shown again only when it can be an address
	}
	if !h.signinTokenMatches(c, form.CSRF) {
		form.Errors.Set("", views.T(req.Context(), "signin.expired"))
		return h.signinFormWith(c, http.StatusUnprocessableEntity, form)
	}
	ctx := req.Context()
	ip := c.RealIP()
	user, err := h.store.SignIn(ctx, email, req.PostFormValue("password"), ip)
	switch {
	case errors.Is(err, store.ErrThrottled):
		c.Response().Header().Set("Retry-After", "900") // the throttle's window
		form.Errors.Set("", views.T(ctx, "signin.throttled"))
		return h.renderBare(c, http.StatusTooManyRequests, views.SignIn(form))
	case errors.Is(err, store.ErrBadCredentials):
		// The same page, byte for byte, whether the e-mail exists or not.
		form.Errors.Set("", views.T(ctx, "signin.bad_credentials"))
		return h.renderBare(c, http.StatusUnprocessableEntity, views.SignIn(form))
	case errors.Is(err, store.ErrBusy):
		// Nothing was checked or counted: the same form, sent again, works.
		c.Response().Header().Set("Retry-After", "5")
		form.Errors.Set("", views.T(ctx, "signin.busy"))
		return h.renderBare(c, http.StatusServiceUnavailable, views.SignIn(form))
	case err != nil:
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
	h.setSigninCookie(c, "")
	if next == "" {
		next = h.url(c, routenames.Home)
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// signinTokenMatches tells whether token is the one in the browser's sign-in
// cookie. Any cookie of the name will do: one set before the cookie moved to
// Path=/ may still be there for its hour, and comes first.
func (h *Handler) signinTokenMatches(c echo.Context, token string) bool {
	if token == "" {
		return false
	}
	for _, ck := range c.Cookies() {
		if ck.Name == h.signinCookieName() && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(token)) == 1 {
			return true
		}
	}
	return false
}

// signinFormWith shows the sign-in form again with a fresh anti-forgery token.
func (h *Handler) signinFormWith(c echo.Context, status int, form views.SignInForm) error {
	form.CSRF = base64.RawURLEncoding.EncodeToString(randomKey(24))
	h.setSigninCookie(c, form.CSRF)
	return h.renderBare(c, status, views.SignIn(form))
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
	return c.Redirect(http.StatusSeeOther, h.url(c, routenames.SignInForm))
}

// home sends a signed-in person to the overview of their account's home data center.
func (h *Handler) homeRedirect(c echo.Context) error {
	v := currentViewer(c)
	if v.support() && v.account.ID == 0 {
		return c.Redirect(http.StatusSeeOther, h.url(c, routenames.Support))
	}
	dc := v.account.HomeDC
	if (dc == "" || !h.knownDC(dc)) && len(h.dcs) > 0 {
		dc = h.dcs[0].Code // the home data center is served by another instance (--dc)
	}
	return c.Redirect(http.StatusSeeOther, h.urlIn(dc, routenames.Overview))
}

// switchDC answers the header's data-center switcher: the same page in another DC.
func (h *Handler) switchDC(c echo.Context) error {
	dc := c.QueryParam("dc")
	if !h.knownDC(dc) {
		return echo.ErrNotFound
	}
	pages := map[string]string{"near-expiry": routenames.NearExpiry, "recipients": routenames.Recipients,
		"settings": routenames.Settings, "audit": routenames.Audit, "members": routenames.Members}
	page, ok := pages[c.QueryParam("page")]
	if !ok {
		page = routenames.Overview
	}
	return c.Redirect(http.StatusSeeOther, h.urlIn(dc, page))
}
