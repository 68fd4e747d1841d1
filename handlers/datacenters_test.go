package handlers_test

import (
	"io"
	"log/slog"
	"net/http"
	"testing"

	"activation-console/handlers"
)

// An instance started with --dc eu-frankfurt serves that data center alone:
// the console neither shows nor offers cn-shanghai, and the API refuses
// requests naming it with a precise error.
func TestDataCenters_AnInstanceServesOnlyItsOwn(t *testing.T) {
	f := newAPI(t)
	f.srv = newServer(t, handlers.Config{Store: f.st, DataCenters: []string{"eu-frankfurt"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b := (&consoleFixture{st: f.st, clock: f.clock, srv: f.srv, account: f.account, ctx: f.ctx}).signIn(t, "owner@acme.example", ownerPassword)

	rec, doc := b.get("/eu-frankfurt/licenses", false)
	if rec.Code != http.StatusOK {
		t.Fatalf("served data center: status %d", rec.Code)
	}
	if opts := doc.Find(`#dc-select option`); opts.Length() != 1 || opts.AttrOr("value", "") != "eu-frankfurt" {
		t.Errorf("the switcher offers %q, want eu-frankfurt alone", text(opts))
	}
	for _, path := range []string{"/cn-shanghai/licenses", "/cn-shanghai/near-expiry", "/switch?dc=cn-shanghai&page=overview"} {
		if rec := b.do(http.MethodGet, path, nil, false); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, rec.Code)
		}
	}

	// An instance that does not serve the account's home data center sends
	// the person home to one it serves, not to a 404.
	shanghai := newServer(t, handlers.Config{Store: f.st, DataCenters: []string{"cn-shanghai"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	sb := (&consoleFixture{st: f.st, clock: f.clock, srv: shanghai, account: f.account, ctx: f.ctx}).signIn(t, "owner@acme.example", ownerPassword)
	if rec := sb.do(http.MethodGet, "/", nil, false); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/cn-shanghai/licenses" {
		t.Errorf("GET / on a cn-shanghai instance: %d to %q, want /cn-shanghai/licenses", rec.Code, rec.Header().Get("Location"))
	}

	const other = "data_center cn-shanghai is served by another instance of the console; this one serves eu-frankfurt"
	for _, c := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/devices/connect", `{"product_key":"PK-1","device_key":"d1","data_center":"cn-shanghai"}`},
		{http.MethodGet, "/api/v1/accounts/1/licenses?data_center=cn-shanghai", ""},
		{http.MethodPost, "/api/v1/products", `{"account":"1","data_center":"cn-shanghai","product_key":"PK-9","name":"x"}`},
		{http.MethodPost, "/api/v1/purchases", `{"order_no":"O-1","account":"1","data_center":"cn-shanghai","package":"std-1y","quantity":1}`},
	} {
		m := f.call(t, c.method, c.path, c.body).wantError(t, http.StatusMisdirectedRequest, "wrong_data_center", "")
		if m["message"] != other {
			t.Errorf("%s %s: message %q", c.method, c.path, m["message"])
		}
	}
	// Nothing was written for the refused requests; a data center nobody has is still the store's 400.
	f.call(t, http.MethodGet, "/api/v1/products/PK-9", "").wantError(t, http.StatusNotFound, "unknown_product", "")
	f.call(t, http.MethodGet, "/api/v1/accounts/1/licenses?data_center=mars-1", "").wantError(t, http.StatusBadRequest, "invalid_request", "data_center")
	if lic := f.call(t, http.MethodGet, "/api/v1/accounts/1/licenses?data_center=eu-frankfurt", "").want(t, http.StatusOK); lic["total"] != float64(10) {
		t.Errorf("Frankfurt's licenses: %v", lic)
	}
}
