package handlers

import (
	"context"

	"github.com/labstack/echo/v4"
)

// deadline puts the request timeout on the request's context: the store's
// queries give up when it passes, and the request answers 503 (errors.go)
// instead of hanging. Unlike echo's Timeout middleware it never writes the
// answer from another goroutine; the handler still answers, only sooner.
// A CSV export of a route that exports (routes.go) gets the longer export
// deadline instead: reading its rows and sending the spooled file both
// end by then; each of its queries still has the statement timeout.
func (h *Handler) deadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		timeout := h.timeout
		if h.exports.exports(c) {
			timeout = h.exports.timeout
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), timeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}
