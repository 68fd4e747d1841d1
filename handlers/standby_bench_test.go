package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"activation-console/handlers"
	"activation-console/store"
	"activation-console/store/demo"
	"activation-console/store/storetest"
)

// BenchmarkStandbyPages renders pages of the demo account on a primary and
// its streaming standby (storetest.StartPair): each page once with the
// console reading the standby, once with the same console reading the
// primary only. The difference is the standby routing's cost (choosing a
// standby, the WAL position looks) beside the network and server a real
// standby would add.
//
//	go test ./handlers/ -run '^$' -bench StandbyPages -benchtime 200x
func BenchmarkStandbyPages(b *testing.B) {
	ctx := context.Background()
	pair := storetest.StartPair(b)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	withStandby, err := store.Open(ctx, pair.PrimaryURL, store.WithStandbys([]string{pair.StandbyURL}, 0, quiet))
	if err != nil {
		b.Fatal(err)
	}
	defer withStandby.Close()
	if _, err := withStandby.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	primaryOnly, err := store.Open(ctx, pair.PrimaryURL)
	if err != nil {
		b.Fatal(err)
	}
	defer primaryOnly.Close()
	signIns, err := demo.Load(ctx, withStandby, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	pair.WaitReplayed(b)
	owner := signIns[0]
	acc, err := withStandby.FindAccount(ctx, owner.Email)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		st   *store.Store
	}{{"primary", primaryOnly}, {"standby", withStandby}, {"primary-again", primaryOnly}} {
		srv := handlers.NewServer(handlers.New(handlers.Config{Store: c.st, Logger: quiet}))
		br := newBrowser(&testing.T{}, srv)
		_, doc := br.get("/signin", false)
		token, _ := doc.Find(`input[name=csrf]`).Attr("value")
		if rec := br.do(http.MethodPost, "/signin", url.Values{"csrf": {token}, "email": {owner.Email}, "password": {owner.Password}}, false); rec.Code != http.StatusSeeOther {
			b.Fatalf("sign in: %d", rec.Code)
		}
		for _, page := range []string{"/licenses", "/licenses/history", "/near-expiry", "/audit"} {
			full := "/" + acc.HomeDC + page
			b.Run(c.name+page, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					req := httptest.NewRequest(http.MethodGet, full, nil)
					for _, ck := range br.jar.Cookies(site) {
						req.AddCookie(ck)
					}
					rec := httptest.NewRecorder()
					srv.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("%s: %d", full, rec.Code)
					}
				}
			})
		}
		if sts, falls := c.st.Standbys(ctx); len(sts) > 0 {
			b.Logf("%s: standby %+v, reads left for the primary %v", c.name, sts[0], falls)
		}
	}
}
