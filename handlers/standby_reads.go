package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/store"
)

// Reads past one server (docs/scaling.md, "A standby for reads"): which
// requests' reads may go to a standby is decided here, per route group,
// and carried in the request's context; the store picks the standby, and
// keeps every write on the primary.

// pageReads lets a console page (a GET, CSV downloads included) read from a
// standby that has replayed the session's latest change. After any other
// request (a change), the session records the primary's WAL position, so
// that its next pages show the change even before the standby has it. The
// session, the account and the viewer's products, which decide what the
// viewer may see and do, were read from the primary by requireSignIn.
func (h *Handler) pageReads(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v := currentViewer(c)
		if v == nil || !h.store.HasStandbys() {
			return next(c)
		}
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead:
			c.SetRequest(c.Request().WithContext(store.StandbyReads(c.Request().Context(), v.session.WroteLSN)))
			return next(c)
		}
		// Recorded before the answer leaves (the change has committed by
		// then), so the browser's next page cannot overtake it; whatever the
		// outcome: a refused change wrote nothing, and one more position only
		// costs standby reads until the standby has replayed it.
		c.Response().Before(func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 2*time.Second)
			defer cancel()
			if err := h.store.NoteWrite(ctx, v.sessionID); err != nil {
				h.log.Warn("handlers: recording the session's WAL position failed: its next pages may miss the change until the standby has it",
					"request_id", requestID(c), "err", err)
			}
		})
		return next(c)
	}
}

// deviceReads lets a device connect ask a standby whether its code is
// valid; whatever else the connect needs is decided on the primary (the
// store's Connect).
func (h *Handler) deviceReads(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h.store.HasStandbys() {
			c.SetRequest(c.Request().WithContext(store.StandbyReads(c.Request().Context(), 0)))
		}
		return next(c)
	}
}
