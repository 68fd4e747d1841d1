package handlers_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/handlers"
)

func TestAPI_RefusesRequestsWithoutAValidToken(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 1)
	cases := []struct{ name, authorization string }{
		{"no header", ""},
		{"another scheme", "Basic " + f.token},
		{"scheme alone", "Bearer"},
		{"empty token", "Bearer "},
		{"token without scheme", f.token},
		{"wrong token", "Bearer acc_0000000000000000000000000000000000000000000000000000000000000000"},
		{"token with a suffix", "Bearer " + f.token + "x"},
		{"two tokens", "Bearer " + f.token + " " + f.token},
		{"not a console token", "Bearer " + strings.TrimPrefix(f.token, "acc_")},
	}
	requests := []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/products/PK-1", ""},
		{http.MethodPost, "/api/v1/devices/connect", `{"product_key":"PK-1","device_key":"d1","data_center":"eu-frankfurt"}`},
		{http.MethodGet, "/api/v1/no-such-endpoint", ""}, // unknown paths reveal nothing either
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range requests {
				resp := f.callAs(t, c.authorization, r.method, r.path, r.body)
				resp.wantError(t, http.StatusUnauthorized, "unauthorized", "")
				if got := resp.header.Get("WWW-Authenticate"); got != "Bearer" {
					t.Errorf("%s %s: WWW-Authenticate %q", r.method, r.path, got)
				}
			}
		})
	}
	// Refused requests changed nothing: the device never connected.
	f.call(t, http.MethodGet, "/api/v1/products/PK-1/devices/d1", "").wantError(t, http.StatusNotFound, "unknown_device", "")
}

func TestAPI_AcceptsTheBearerSchemeInAnyCase(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 0)
	f.callAs(t, "bearer "+f.token, http.MethodGet, "/api/v1/products/PK-1", "").want(t, http.StatusOK)
}

func TestAPI_RevokedTokenStopsWorkingOnEveryInstanceWithinFiveSeconds(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 0)
	// A second instance of the console on the same database, with its own token cache.
	other := newServer(t, handlers.Config{Store: f.st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	instances := map[string]*echo.Echo{"first": f.srv, "second": other}
	call := func(srv *echo.Echo) int {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/products/PK-1", nil)
		req.Header.Set(echo.HeaderAuthorization, "Bearer "+f.token)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Code
	}
	for name, srv := range instances {
		if code := call(srv); code != http.StatusOK {
			t.Fatalf("%s instance before the revocation: %d", name, code)
		}
	}
	// Revoked the very moment both instances cached their check: the worst case.
	if err := f.st.RevokeToken(f.ctx, "access layer"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Second)
	for name, srv := range instances {
		if code := call(srv); code != http.StatusUnauthorized {
			t.Errorf("%s instance 5 s after the revocation: %d, want 401", name, code)
		}
	}
}

func TestAPI_NewlyRevokedTokenIsRefusedByAnInstanceThatHadNotCachedIt(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 0)
	if err := f.st.RevokeToken(f.ctx, "access layer"); err != nil {
		t.Fatal(err)
	}
	f.call(t, http.MethodGet, "/api/v1/products/PK-1", "").wantError(t, http.StatusUnauthorized, "unauthorized", "")
}

func TestAPI_UnknownEndpointsAnswerNotFoundInJSON(t *testing.T) {
	f := newAPI(t)
	f.call(t, http.MethodGet, "/api/v1/no-such-endpoint", "").wantError(t, http.StatusNotFound, "not_found", "")
	// Echo's catch-all route of a group with middleware answers a wrong method with 404 too.
	f.call(t, http.MethodPut, "/api/v1/products/PK-1", "").wantError(t, http.StatusNotFound, "not_found", "")
}

func TestAPI_InternalErrorHidesItsCauseAndLogsIt(t *testing.T) {
	f := newAPI(t)
	f.noVerify = true
	// Break the database under a working token: the token check still passes.
	f.call(t, http.MethodGet, "/api/v1/accounts/1/licenses?data_center=eu-frankfurt", "").want(t, http.StatusOK)
	if _, err := f.st.DB().Exec(`ALTER TABLE accounts RENAME TO accounts_gone`); err != nil {
		t.Fatal(err)
	}
	resp := f.call(t, http.MethodGet, "/api/v1/accounts/1/licenses?data_center=eu-frankfurt", "")
	body := resp.want(t, http.StatusInternalServerError)
	wantFields(t, body, map[string]any{"error": "internal", "message": "Internal error"})
	id := resp.header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no request id")
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "request_id="+id) || !strings.Contains(logs, `accounts`) {
		t.Errorf("the log lacks the request id %s or the cause:\n%s", id, logs)
	}
}
