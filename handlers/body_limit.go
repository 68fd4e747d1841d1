package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"activation-console/views"
)

// Request bodies are bounded before anything reads them, so an anonymous
// client cannot make the console buffer megabytes (docs/SECURITY.md,
// "Resource limits"). The largest legitimate body of a form or an API call
// is a few hundred bytes; the one route that takes a list pasted by a
// person gets room for it.
const bodyLimit = 64 << 10

// largeBodies are the routes (as routes.go registers them) that need a
// larger body, and how large.
var largeBodies = map[string]int64{
	// Up to 10,000 DeviceKeys of 64 characters (store.ParseDeviceKeys), URL-encoded.
	"/:dc/products/:id/blacklist": 1 << 20,
}

// ownBodyLimits are the routes whose handler bounds its body itself, below
// bodyLimit, and answers an oversized one with its own page: the sign-in
// shows its form again (signin.go, maxSignInBody).
var ownBodyLimits = map[string]bool{"/signin": true}

// errBodyTooLarge is the 413 of every body over its route's limit.
func errBodyTooLarge(ctx context.Context, limit int64) *echo.HTTPError {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge, views.T(ctx, "errors.refusal.body_too_large", "KiB", views.Num(limit>>10)))
}

// limitBody refuses a body over its route's limit with 413: at once when
// Content-Length says so, else when reading passes the limit. A form is read
// here, whole, so that no handler (nor the anti-forgery check) acts on a
// form cut short.
func (h *Handler) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if ownBodyLimits[c.Path()] {
			return next(c)
		}
		limit := int64(bodyLimit)
		if n, ok := largeBodies[c.Path()]; ok {
			limit = n
		}
		if req.ContentLength > limit {
			return errBodyTooLarge(c.Request().Context(), limit)
		}
		if req.Body == nil || req.Body == http.NoBody {
			return next(c)
		}
		req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
		if strings.HasPrefix(req.Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
			// Other errors (a malformed escape) leave what parsed, as before.
			var tooLarge *http.MaxBytesError
			if err := req.ParseForm(); errors.As(err, &tooLarge) {
				return errBodyTooLarge(c.Request().Context(), limit)
			}
		}
		return next(c)
	}
}
