package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/labstack/echo/v4"

	"activation-console/handlers"
	"activation-console/store"
	"activation-console/store/storetest"
)

type apiFuzzFixture struct {
	srv   *echo.Echo
	token string
}

// newAPIFuzzFixture is the router with an account, a product with codes and a token.
func newAPIFuzzFixture(tb testing.TB) apiFuzzFixture {
	st := storetest.New(tb)
	ctx := context.Background()
	acc, err := st.CreateAccount(ctx, store.NewAccount{Name: "Acme", Type: "enterprise", DataCenter: "eu-frankfurt",
		OwnerEmail: "owner@acme.example", OwnerPassword: ownerPassword})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.CreateProduct(ctx, acc.ID, "eu-frankfurt", "PK-1", "Thermostat"); err != nil {
		tb.Fatal(err)
	}
	token, err := st.CreateToken(ctx, "fuzz")
	if err != nil {
		tb.Fatal(err)
	}
	return apiFuzzFixture{srv: handlers.NewServer(handlers.New(handlers.Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})), token: token}
}
