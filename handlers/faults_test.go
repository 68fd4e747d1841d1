package handlers_test

import (
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"activation-console/handlers"
	"activation-console/store"
	"activation-console/store/storetest"
)

// A database that cannot serve in time (down, restarting, or behind a lock
// held too long) answers 503 with Retry-After, in JSON for the API and in
// words for the console; never a 500, never a hang: the caller learns that
// nothing was done and that it may try again (docs/api.md, "Conventions").

// faultFixture is the shared fixture on a store with the given lock timeout,
// with opts, and a connection outside the store that holds row locks.
func faultFixture(t *testing.T, lock time.Duration, opts ...storetest.Option) (*storetest.Fixture, *sql.DB) {
	t.Helper()
	base := storetest.NewFixture(t, append([]storetest.Option{storetest.WithStoreOptions(store.WithTimeouts(10*time.Second, lock))}, opts...)...)
	locker, err := sql.Open("postgres", base.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locker.Close() })
	return base, locker
}

// holdRow locks the rows query selects (FOR UPDATE) until the test ends.
func holdRow(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	if _, err := tx.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

// newFaultAPI is the API fixture on a store with the given lock timeout and
// a handler with the given request timeout (0: the default).
func newFaultAPI(t *testing.T, lock, request time.Duration) (*apiFixture, *sql.DB) {
	t.Helper()
	base, locker := faultFixture(t, lock, storetest.WithToken("access layer"))
	logs := &lockedBuffer{}
	f := &apiFixture{st: base.Store, clock: base.Clock, ctx: base.Ctx, logs: logs, noVerify: true, token: base.Token, account: base.Account,
		srv: newServer(t, handlers.Config{Store: base.Store, Logger: slog.New(slog.NewTextHandler(logs, nil)), RequestTimeout: request})}
	return f, locker
}

// wantUnavailable fails unless r is the API's 503.
func wantUnavailable(t *testing.T, r response) {
	t.Helper()
	m := r.want(t, http.StatusServiceUnavailable)
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2", got)
	}
	wantFields(t, m, map[string]any{"error": "unavailable", "message": "the service is briefly unavailable; retry"})
}

// connectWithin calls the connect API and fails when it takes longer than bound.
func (f *apiFixture) connectWithin(t *testing.T, bound time.Duration, pk, dk string) response {
	t.Helper()
	start := time.Now()
	r := f.call(t, http.MethodPost, "/api/v1/devices/connect",
		fmt.Sprintf(`{"product_key":%q,"device_key":%q,"data_center":"eu-frankfurt"}`, pk, dk))
	if took := time.Since(start); took > bound {
		t.Fatalf("the answer took %v, more than %v", took, bound)
	}
	return r
}

func TestFaults_StuckDatabaseAnswers503WithinTheLockTimeout(t *testing.T) {
	t.Parallel()
	f, locker := newFaultAPI(t, 300*time.Millisecond, 0)
	p := f.product(t, "PK-1", 3)
	holdRow(t, locker, `SELECT id FROM products WHERE id = $1 FOR UPDATE`, p.ID)

	// A new device (the batched path, then the general one) and a renewal on connect.
	wantUnavailable(t, f.connectWithin(t, 5*time.Second, "PK-1", "new-1"))
	if !strings.Contains(f.logs.String(), "database unavailable") {
		t.Errorf("no log line for the 503: %s", f.logs.String())
	}
	var consumed int64
	if err := f.st.DB().QueryRow(`SELECT consumed FROM products WHERE id = $1`, p.ID).Scan(&consumed); err != nil {
		t.Fatal(err)
	}
	var devices int64
	if err := f.st.DB().QueryRow(`SELECT count(*) FROM devices`).Scan(&devices); err != nil {
		t.Fatal(err)
	}
	if consumed != 0 || devices != 0 {
		t.Errorf("consumed %d, devices %d after a 503; want none", consumed, devices)
	}
}

func TestFaults_RequestTimeoutAnswers503(t *testing.T) {
	t.Parallel()
	f, locker := newFaultAPI(t, 10*time.Second, 300*time.Millisecond)
	p := f.product(t, "PK-1", 3)
	f.connectWithin(t, 5*time.Second, "PK-1", "dk-1").want(t, http.StatusOK)
	f.clock.Advance(year) // dk-1's code expired: its connect renews on the general path
	holdRow(t, locker, `SELECT id FROM products WHERE id = $1 FOR UPDATE`, p.ID)

	wantUnavailable(t, f.connectWithin(t, 5*time.Second, "PK-1", "dk-1"))
	var consumed int64
	if err := f.st.DB().QueryRow(`SELECT consumed FROM products WHERE id = $1`, p.ID).Scan(&consumed); err != nil {
		t.Fatal(err)
	}
	if consumed != 1 {
		t.Errorf("consumed %d after a 503; want 1", consumed)
	}
}

func TestFaults_StuckDatabaseAnswersPagesInWords(t *testing.T) {
	t.Parallel()
	base, locker := faultFixture(t, 300*time.Millisecond, storetest.WithProduct("PK-1", "Thermostat", 0))
	p := base.Product
	f := consoleOn(base, handlers.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b := f.owner(t)
	holdRow(t, locker, `SELECT id FROM products WHERE id = $1 FOR UPDATE`, p.ID)
	path := fmt.Sprintf("/eu-frankfurt/products/%d/auto-renew", p.ID)
	for _, htmx := range []bool{false, true} {
		start := time.Now()
		rec, doc := b.post(path, url.Values{"on": {""}}, htmx)
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("the answer took %v", took)
		}
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "2" {
			t.Fatalf("htmx %v: status %d, Retry-After %q; want 503 and 2", htmx, rec.Code, rec.Header().Get("Retry-After"))
		}
		if got := text(doc.Find("body")); !strings.Contains(got, "briefly unavailable") {
			t.Errorf("htmx %v: the page says %q", htmx, got)
		}
	}
}
