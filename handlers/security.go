package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
)

// contentSecurityPolicy allows only the console's own scripts and styles: no
// inline code, no eval (htmx is configured without it), no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// secureHeaders sets the security headers of every response. API answers
// (errors too) carry tokens' views of accounts: no cache keeps them.
func (h *Handler) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hdr := c.Response().Header()
		hdr.Set("Content-Security-Policy", contentSecurityPolicy)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "same-origin")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
		if h.secure {
			hdr.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if isAPI(c) {
			hdr.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// isAPI tells whether the request is one of the platform API's.
func isAPI(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/api/") }

// clientRequestID is the form of a request id the console accepts from a
// client (a load balancer's, a caller's): anything else could forge log
// lines or carry markup into a log viewer (docs/SECURITY.md, "Resource limits").
var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestIDs gives every request an id, echoed in X-Request-ID and written
// with its log lines: the client's own when it is well-formed, else a new one.
func requestIDs(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !clientRequestID.MatchString(id) {
			b := make([]byte, 16)
			rand.Read(b)
			id = hex.EncodeToString(b)
			c.Request().Header.Set(echo.HeaderXRequestID, id)
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}
