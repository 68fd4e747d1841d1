package handlers_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/labstack/echo/v4"

	"activation-console/handlers"
	"activation-console/store/storetest"
)

type apiFuzzFixture struct {
	srv   *echo.Echo
	token string
}

// newAPIFuzzFixture is the router with an account, a product with codes and a token.
func newAPIFuzzFixture(tb testing.TB) apiFuzzFixture {
	base := storetest.NewFixture(tb, storetest.WithProduct("PK-1", "Thermostat", 0), storetest.WithToken("fuzz"))
	return apiFuzzFixture{srv: handlers.NewServer(handlers.New(handlers.Config{Store: base.Store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})), token: base.Token}
}
