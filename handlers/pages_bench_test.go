package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"activation-console/handlers"
	"activation-console/store"
	"activation-console/store/demo"
	"activation-console/store/storetest"
)

// BenchmarkPages renders every page of docs/pages.md for the demo account,
// through the real router and database: the server time per page.
//
//	go test ./handlers/ -run '^$' -bench Pages -benchtime 200x
func BenchmarkPages(b *testing.B) {
	ctx := context.Background()
	st := storetest.New(b)
	signIns, err := demo.Load(ctx, st, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	srv := handlers.NewServer(handlers.New(handlers.Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	br := newBrowser(&testing.T{}, srv)
	_, doc := br.get("/signin", false)
	token, _ := doc.Find(`input[name=csrf]`).Attr("value")
	owner := signIns[0] // the account owner comes first
	if rec := br.do(http.MethodPost, "/signin", url.Values{"csrf": {token}, "email": {owner.Email}, "password": {owner.Password}}, false); rec.Code != http.StatusSeeOther {
		b.Fatalf("sign in: %d", rec.Code)
	}
	acc, err := st.FindAccount(ctx, owner.Email)
	if err != nil {
		b.Fatal(err)
	}
	page, err := st.ProductCodes(ctx, store.Scope{AccountID: acc.ID, DC: acc.HomeDC}, store.ProductCodesFilter{}, store.PageRequest{})
	if err != nil || len(page.Rows) == 0 {
		b.Fatalf("products: %v", err)
	}
	product := "/" + acc.HomeDC + "/products/" + id(page.Rows[0].ID)
	pages := map[string]string{
		"overview":        "/licenses",
		"history":         "/licenses/history",
		"unassigned":      "/licenses/unassigned",
		"assign":          "/assign",
		"product":         "",
		"near-expiry":     "/near-expiry",
		"near-expiry-dk":  "/near-expiry?dk=T3-1",
		"recipients":      "/recipients",
		"audit":           "/audit",
		"settings":        "/settings",
		"product-partial": "",
	}
	names := make([]string, 0, len(pages))
	for name := range pages {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := pages[name]
		full := "/" + acc.HomeDC + path
		if strings.HasPrefix(name, "product") {
			full = product
		}
		htmx := strings.HasSuffix(name, "partial")
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest(http.MethodGet, full, nil)
				if htmx {
					req.Header.Set("HX-Request", "true")
				}
				for _, c := range br.jar.Cookies(site) {
					req.AddCookie(c)
				}
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", full, rec.Code)
				}
			}
		})
	}
}
