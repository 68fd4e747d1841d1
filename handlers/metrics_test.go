package handlers_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"activation-console/handlers"
	"activation-console/store"
)

// scrape reads /metrics as Prometheus would: no session, no token.
func scrape(t *testing.T, srv http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	return rec.Body.String()
}

func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(body, l) {
			t.Errorf("/metrics has no line with %q", l)
		}
	}
}

func TestMetrics_RequestDurationsByRoutePattern(t *testing.T) {
	f := newConsole(t)
	b := f.owner(t)
	rec, _ := b.get("/eu-frankfurt/licenses", false)
	if rec.Code != http.StatusOK {
		t.Fatalf("overview: %d", rec.Code)
	}
	// Every answer tells the client the server's time.
	if st := rec.Header().Get("Server-Timing"); !strings.HasPrefix(st, "app;dur=") {
		t.Errorf("Server-Timing = %q, want app;dur=<ms>", st)
	}
	b.get("/eu-frankfurt/products/424242", false) // a product that does not exist: 404
	body := scrape(t, f.srv)
	wantLines(t, body,
		`console_http_request_duration_seconds_count{method="GET",route="/:dc/licenses",status="2xx"}`,
		`console_http_request_duration_seconds_count{method="GET",route="/:dc/products/:id",status="4xx"} 1`,
		`console_http_request_duration_seconds_bucket{method="GET",route="/:dc/licenses",status="2xx",le="0.05"}`,
		// The sign-in through the real form, counted under its routes too.
		`route="/signin",status="3xx"`,
	)
	if strings.Contains(body, "424242") {
		t.Error("/metrics names a raw URL; want route patterns only")
	}
}

func TestMetrics_PoolWorkerAndOutbox(t *testing.T) {
	f := newConsole(t)
	h := handlers.New(handlers.Config{Store: f.st})
	srv := handlers.NewServer(h)
	h.ObserveRenewalPass(store.RenewalStats{Renewed: 7, Lapsed: 2}, 30*time.Millisecond, nil)
	h.ObserveRenewalPass(store.RenewalStats{}, time.Millisecond, errTest)
	body := scrape(t, srv)
	wantLines(t, body,
		`go_sql_max_open_connections{db_name="console"} 20`, // storetest's pool
		`go_sql_open_connections{db_name="console"}`,
		`console_renewal_passes_total{result="ok"} 1`,
		`console_renewal_passes_total{result="error"} 1`,
		`console_renewal_devices_total{outcome="renewed"} 7`,
		`console_renewal_devices_total{outcome="lapsed"} 2`,
		`console_renewal_pass_duration_seconds_count 2`,
		`console_outbox_mails{status="queued"} 0`,
		`process_resident_memory_bytes`,
	)
}

var errTest = errors.New("a failing pass")
