package handlers_test

import (
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"

	"activation-console/handlers"
	"activation-console/store/storetest"
)

type apiFuzzFixture struct {
	srv     *echo.Echo
	token   string
	current *atomic.Pointer[testing.T] // the fuzz target's, which the contract check fails
}

// use makes the contract check (contract_test.go) fail t, the fuzz target's
// own: a fuzz target may not fail the *testing.F.
func (fx apiFuzzFixture) use(t *testing.T) { fx.current.Store(t) }

// newAPIFuzzFixture is the router with an account, a product with codes and a token.
func newAPIFuzzFixture(tb testing.TB) apiFuzzFixture {
	base := storetest.NewFixture(tb, storetest.WithProduct("PK-1", "Thermostat", 0), storetest.WithToken("fuzz"))
	current := &atomic.Pointer[testing.T]{}
	srv := handlers.NewServer(handlers.New(handlers.Config{Store: base.Store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	srv.Pre(checkContractReporting(tb, func(v string) {
		if t := current.Load(); t != nil {
			t.Error(v)
			return
		}
		panic("the fuzz target did not call fx.use(t): " + v)
	}))
	return apiFuzzFixture{srv: srv, token: base.Token, current: current}
}
