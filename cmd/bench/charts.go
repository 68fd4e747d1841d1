package main

// A chart's own server time (issue 14: "each chart adds at most a few
// milliseconds of server time at a million devices"): the request that
// reads a chart's data and nothing else, its CSV, served in-process through
// the real router, one request at a time, so that the figure is the
// chart's cost and not a queue behind other users.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"activation-console/handlers"
	"activation-console/store"
)

// chartTarget is "a few milliseconds" of server time per chart, at p50.
const chartTarget = 5 * time.Millisecond

// chartRequests is how many requests each chart is timed over, after a warm-up.
const chartRequests = 40

// chartResult is a chart's own server time.
type chartResult struct {
	page
	p50, p99 time.Duration
	requests int
}

// timeCharts times each chart of pages alone, signed in with cookies.
func timeCharts(ctx context.Context, st *store.Store, dbURL string, keys [][]byte, cookies []*http.Cookie, pages []page) ([]chartResult, error) {
	own, err := store.Open(ctx, dbURL, store.WithPoolSize(2))
	if err != nil {
		return nil, err
	}
	defer own.Close()
	srv := handlers.NewServer(handlers.New(handlers.Config{Store: own, SessionKeys: keys,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	serve := func(path string) (time.Duration, error) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		t0 := time.Now()
		srv.ServeHTTP(rec, req)
		took := time.Since(t0)
		if rec.Code != http.StatusOK {
			return 0, fmt.Errorf("in-process %s: status %d", path, rec.Code)
		}
		return took, nil
	}
	var out []chartResult
	for _, p := range pages {
		if !p.chart {
			continue
		}
		restore, err := viewerZone(ctx, st, p.zone)
		if err != nil {
			return nil, err
		}
		r := chartResult{page: p}
		var took []time.Duration
		for i := range 3 + chartRequests {
			d, err := serve(p.path)
			if err != nil {
				restore()
				return nil, err
			}
			if i >= 3 { // the first ones warm the caches and make what is kept
				took = append(took, d)
			}
		}
		if err := restore(); err != nil {
			return nil, err
		}
		r.requests, r.p50, r.p99 = len(took), percentile(took, 0.5), percentile(took, 0.99)
		out = append(out, r)
	}
	return out, nil
}
