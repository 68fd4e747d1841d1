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

// The language of a request (docs/i18n.md, "Choosing"): a signed-in
// person's own choice, recorded in the database (requireSignIn applies it);
// before sign-in, or until they choose, the one the language switch left in
// a cookie; else the browser's Accept-Language.

// languageCookie remembers the switch's choice in this browser, for the
// pages before sign-in.
const languageCookie = "console_lang"

// language puts the request's language on its context, for every
// component, error page, CSV export and flash it leads to.
func (h *Handler) language(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if isAPI(c) || strings.HasPrefix(c.Request().URL.Path, "/static/") {
			// The platform API speaks English (docs/api.md); assets have no
			// words, and a Vary on them would split their cache by language.
			return next(c)
		}
		lang := views.MatchLanguage(c.Request().Header.Get("Accept-Language"))
		if ck, err := c.Cookie(languageCookie); err == nil {
			if l, ok := store.ParseLanguage(ck.Value); ok {
				lang = l
			}
		}
		c.Response().Header().Add("Vary", "Accept-Language")
		setLanguage(c, lang)
		return next(c)
	}
}

// setLanguage makes lang the language of the rest of the request.
func setLanguage(c echo.Context, lang store.Language) {
	r := c.Request()
	c.SetRequest(r.WithContext(views.WithLanguage(r.Context(), lang)))
}

// chooseLanguage is the header's switch for a signed-in person: it records
// the choice for them and in this browser, then shows the same page again.
func (h *Handler) chooseLanguage(c echo.Context) error {
	v := currentViewer(c)
	lang, err := store.CheckLanguage("language", c.FormValue("language"))
	if err == nil && !v.support() {
		// Support staff share no settings row with a customer; their choice
		// lives in the cookie alone.
		err = h.store.SetLanguage(c.Request().Context(), v.user.ID, string(lang))
	}
	if err != nil {
		return err
	}
	h.setLanguageCookie(c, lang)
	target, ok := sitePath(c.FormValue("return_to"))
	if !ok {
		target = h.url(c, routenames.Home)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// chooseSigninLanguage is the sign-in page's switch: before sign-in there
// is no one to record it for, so only this browser remembers it. The
// sign-in form's anti-forgery token guards it like the form itself.
func (h *Handler) chooseSigninLanguage(c echo.Context) error {
	if !h.signinTokenMatches(c, c.FormValue("csrf")) {
		return echo.NewHTTPError(http.StatusForbidden)
	}
	lang, err := store.CheckLanguage("language", c.FormValue("language"))
	if err != nil {
		return err
	}
	h.setLanguageCookie(c, lang)
	target := h.url(c, routenames.SignInForm)
	if next, ok := sitePath(c.FormValue("next")); ok {
		target = views.WithQuery(target, map[string][]string{"next": {next}})
	}
	return c.Redirect(http.StatusSeeOther, target)
}

func (h *Handler) setLanguageCookie(c echo.Context, lang store.Language) {
	c.SetCookie(&http.Cookie{Name: languageCookie, Value: string(lang), Path: "/", MaxAge: int((400 * 24 * time.Hour).Seconds()),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}
