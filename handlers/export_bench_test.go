package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"activation-console/store/demo"
)

// BenchmarkExport_ProductDevicesCSV downloads the device list of one product
// of EXPORT_BENCH_DEVICES devices (default 100,000; the seed's stories) as
// CSV, through the real router and database, and reports rows a second.
//
//	EXPORT_BENCH_DEVICES=1000000 go test ./handlers/ -run '^$' -bench Export -benchtime 3x
func BenchmarkExport_ProductDevicesCSV(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("EXPORT_BENCH_DEVICES")); err == nil && v > 0 {
		n = v
	}
	f := newConsole(b)
	if _, err := demo.Seed(context.Background(), f.st, demo.SeedInput{AccountID: f.account.ID, Devices: n, Products: 1}); err != nil {
		b.Fatal(err)
	}
	var productID int64
	if err := f.st.DB().GetContext(f.ctx, &productID, `SELECT id FROM products WHERE account_id = $1`, f.account.ID); err != nil {
		b.Fatal(err)
	}
	br := f.owner(b)
	path := "/eu-frankfurt/products/" + strconv.FormatInt(productID, 10) + "?format=csv"
	var rows int
	b.ResetTimer()
	for b.Loop() {
		w := &countingWriter{header: http.Header{}}
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for _, c := range br.jar.Cookies(site) {
			req.AddCookie(c)
		}
		f.srv.ServeHTTP(w, req)
		if w.code != http.StatusOK || w.lines != n+1 {
			b.Fatalf("status %d, %d lines, want %d", w.code, w.lines, n+1)
		}
		rows += n
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// countingWriter is a client that reads the download and counts its lines
// without keeping it.
type countingWriter struct {
	header http.Header
	code   int
	lines  int
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}
