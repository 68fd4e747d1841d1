package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz answers while the process is up.
func (h *Handler) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyz answers 200 only when the database answers and its schema is current.
func (h *Handler) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := h.store.Ping(ctx); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	current, err := h.store.SchemaCurrent(ctx)
	if err != nil || !current {
		return c.String(http.StatusServiceUnavailable, "migrations pending\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
