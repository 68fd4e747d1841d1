package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"activation-console/handlers"
)

// Fuzz tests through the real router and database: whatever a client sends,
// the console answers without a panic and without a 5xx. Their seed corpora
// (f.Add and testdata/fuzz) run on every `go test`.

// FuzzAPI_JSONBodies posts arbitrary bodies to every API endpoint that takes one.
func FuzzAPI_JSONBodies(f *testing.F) {
	for _, body := range []string{
		`{"product_key":"PK-1","device_key":"dev-1","data_center":"eu-frankfurt"}`,
		`{"order_no":"o-1","account":"owner@acme.example","data_center":"eu-frankfurt","package":"std-1y","quantity":3}`,
		`{"account":1,"data_center":"eu-frankfurt","product_key":"PK-9","name":"x"}`,
		`{"quantity":1e400}`, `{"account":[1]}`, `[]`, `null`, `{"a":`, "\xff", `{"product_key":"PK-1","device_key":"dev-1","data_center":"eu-frankfurt"} {}`,
	} {
		for _, path := range []string{"/api/v1/devices/connect", "/api/v1/purchases", "/api/v1/products"} {
			f.Add(path, body)
		}
	}
	fx := newAPIFuzzFixture(f)
	f.Fuzz(func(t *testing.T, path, body string) {
		fx.use(t)
		switch path {
		case "/api/v1/devices/connect", "/api/v1/purchases", "/api/v1/products":
		default:
			return
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+fx.token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		fx.srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body.String())
		}
	})
}

// FuzzAPI_PathsAndQueries sends arbitrary path parameters and queries to the GET and DELETE endpoints.
func FuzzAPI_PathsAndQueries(f *testing.F) {
	for _, s := range []string{"PK-1", "dev-1", "%00", "..", "a/b", strings.Repeat("x", 70), "owner@acme.example", "1", "-1", "eu-frankfurt", "%zz"} {
		f.Add(s, s)
	}
	fx := newAPIFuzzFixture(f)
	f.Fuzz(func(t *testing.T, a, b string) {
		fx.use(t)
		for _, target := range []struct{ method, path string }{
			{http.MethodGet, "/api/v1/products/" + url.PathEscape(a)},
			{http.MethodGet, "/api/v1/products/" + url.PathEscape(a) + "/devices/" + url.PathEscape(b)},
			{http.MethodGet, "/api/v1/accounts/" + url.PathEscape(a) + "/licenses?data_center=" + url.QueryEscape(b)},
			{http.MethodDelete, "/api/v1/products/PK-none/devices/" + url.PathEscape(b)},
		} {
			req := httptest.NewRequest(target.method, target.path, nil)
			req.Header.Set("Authorization", "Bearer "+fx.token)
			rec := httptest.NewRecorder()
			fx.srv.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s: %d %s", target.method, target.path, rec.Code, rec.Body.String())
			}
		}
	})
}

// FuzzConsole_ListQueries sends arbitrary filters and cursors to every list page.
func FuzzConsole_ListQueries(f *testing.F) {
	for _, q := range []string{"", "q=Thermo", "after=garbage", "before=W10", "from=2026-13-45&to=x", "from=2026-02-01&to=2026-01-01",
		"dk=T3&expires_from=2026-01-01", "format=csv&q=%00", "status=lapsed&after=WzEsMl0", "type=nonsense&user=%25"} {
		f.Add(q)
	}
	fx := newAccessFixture(f)
	b := fx.owner(f)
	pages := []string{"/eu-frankfurt/licenses", "/eu-frankfurt/licenses/history", "/eu-frankfurt/near-expiry",
		"/eu-frankfurt/products/" + id(fx.p1.ID), "/eu-frankfurt/audit", "/eu-frankfurt/assign", "/eu-frankfurt/products/" + id(fx.p1.ID) + "/blacklist"}
	f.Fuzz(func(t *testing.T, query string) {
		if strings.IndexFunc(query, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' }) >= 0 {
			return // no client can put these in a request line unescaped
		}
		b := b.in(t)
		for _, p := range pages {
			for _, htmx := range []bool{false, true} {
				rec := b.do(http.MethodGet, p+"?"+query, nil, htmx)
				if rec.Code >= 500 {
					t.Fatalf("GET %s?%s: %d", p, query, rec.Code)
				}
			}
		}
	})
}

// FuzzConsole_Forms posts arbitrary values to every form of the console.
func FuzzConsole_Forms(f *testing.F) {
	for _, v := range []string{"", "1", "0", "-1", "999999999999999999999", "std-1y", "x@y.example", "<b>", "Europe/Berlin", "Local", "dev-1\ndev 2", "\x00"} {
		f.Add(v, v)
	}
	fx := newAccessFixture(f)
	b := fx.owner(f)
	forms := map[string][2]string{
		"/eu-frankfurt/assign":                                         {"product", "quantity"},
		"/eu-frankfurt/products/" + id(fx.p1.ID) + "/blacklist":        {"device_keys", "x"},
		"/eu-frankfurt/products/" + id(fx.p1.ID) + "/blacklist/remove": {"device_key", "one"},
		"/eu-frankfurt/products/" + id(fx.p1.ID) + "/auto-renew":       {"on", "x"},
		"/eu-frankfurt/recipients":                                     {"name", "email"},
		"/eu-frankfurt/settings":                                       {"time_zone", "x"},
		"/account/password":                                            {"old_password", "new_password"},
		"/eu-frankfurt/members":                                        {"email", "product"},
	}
	f.Fuzz(func(t *testing.T, a, c string) {
		b := b.in(t)
		for path, fields := range forms {
			form := url.Values{fields[0]: {a}, fields[1]: {c}, "package": {a}, "confirm": {c}, "scope": {a}, "name": {c}}
			rec, _ := b.post(path, form, false)
			if rec.Code >= 500 {
				t.Fatalf("POST %s %v: %d", path, form, rec.Code)
			}
		}
	})
}

// FuzzSignIn_Form posts arbitrary e-mails, passwords and pages to return to
// to the sign-in form: never a server error, never a redirect off the site.
func FuzzSignIn_Form(f *testing.F) {
	for _, v := range []string{"owner@acme.example", " OWNER@acme.example", "\x00", "\xff", "/\\evil.example", "/\t/evil.example", "//x", strings.Repeat("a", 3000)} {
		f.Add(v, v)
	}
	srv := signinServer(f, handlers.Config{})
	f.Fuzz(func(t *testing.T, a, c string) {
		for _, at := range []attempt{{email: a, password: c, next: c}, {email: a, password: ownerPassword, next: c}, {email: "owner@acme.example", password: ownerPassword, next: a}} {
			rec, _ := at.send(t, srv)
			loc := rec.Header().Get("Location")
			if rec.Code >= 500 || (loc != "" && (!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.ContainsAny(loc, "\\\t\r\n"))) {
				t.Fatalf("%+v: %d %q", at, rec.Code, loc)
			}
		}
	})
}

// FuzzRequestID_AnswersOnlyAWellFormedID sends arbitrary X-Request-ID
// headers: the answer's id is the client's when it is 1-64 of
// [A-Za-z0-9._-], else one of the console's own.
func FuzzRequestID_AnswersOnlyAWellFormedID(f *testing.F) {
	for _, id := range []string{"", "abc-123", "a\r\nb", "<b>x</b>", strings.Repeat("z", 65), "x y", "\x00", "ok.id_1"} {
		f.Add(id)
	}
	fx := newAPIFuzzFixture(f)
	f.Fuzz(func(t *testing.T, id string) {
		fx.use(t)
		req := httptest.NewRequest(http.MethodGet, "/api/v1/products/PK-none", nil)
		req.Header["X-Request-Id"] = []string{id}
		req.Header.Set("Authorization", "Bearer "+fx.token)
		rec := httptest.NewRecorder()
		fx.srv.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-ID")
		if got == "" || len(got) > 64 || strings.Trim(got, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
			t.Fatalf("client id %q: answered with %q", id, got)
		}
	})
}
