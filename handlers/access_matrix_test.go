package handlers_test

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// The role x route matrix (docs/access.md, "Roles"). Every route of the router must
// have a row here (or be public): a new route without one fails the test.

// roles, in the order of each row's expectations.
var roles = []string{"owner", "manager", "viewer", "chosen", "support", "anon"}

// Expectations: "ok" is any answer that is not a refusal (2xx, 3xx to a
// page, 422 for a form the matrix fills sloppily); "403"; "404"; "in" is
// the sign-in page.
var accessMatrix = map[string][6]string{
	//                                                   owner  manager viewer chosen support anon
	"GET /":                                             {"ok", "ok", "ok", "ok", "ok", "in"},
	"GET /switch":                                       {"ok", "ok", "ok", "ok", "ok", "in"},
	"GET /support":                                      {"404", "404", "404", "404", "ok", "in"},
	"POST /support/accounts/:account":                   {"404", "404", "404", "404", "ok", "in"},
	"GET /account/password":                             {"ok", "ok", "ok", "ok", "ok", "in"}, // support staff too
	"POST /account/password":                            {"ok", "ok", "ok", "ok", "ok", "in"},
	"GET /:dc/licenses":                                 {"ok", "ok", "ok", "ok", "ok", "in"},
	"GET /:dc/licenses/history":                         {"ok", "ok", "ok", "ok", "ok", "in"},
	"GET /:dc/licenses/forecast.csv":                    {"ok", "ok", "ok", "ok", "ok", "in"},
	"GET /:dc/licenses/unassigned":                      {"ok", "ok", "ok", "ok", "ok", "in"},
	"GET /:dc/assign":                                   {"ok", "ok", "ok", "ok", "ok", "in"}, // viewers get a notice
	"POST /:dc/assign":                                  {"ok", "ok", "403", "ok", "403", "in"},
	"GET /:dc/products/:id":                             {"ok", "ok", "ok", "ok", "ok", "in"},
	"POST /:dc/products/:id/auto-renew":                 {"ok", "ok", "403", "ok", "403", "in"},
	"GET /:dc/products/:id/consumption.csv":             {"ok", "ok", "ok", "ok", "ok", "in"},
	"GET /:dc/products/:id/blacklist":                   {"ok", "ok", "ok", "ok", "ok", "in"},
	"POST /:dc/products/:id/blacklist":                  {"ok", "ok", "403", "ok", "403", "in"},
	"POST /:dc/products/:id/blacklist/remove":           {"ok", "ok", "403", "ok", "403", "in"},
	"GET /:dc/products/:id/devices/:device/history":     {"ok", "ok", "ok", "ok", "ok", "in"},
	"POST /:dc/products/:id/devices/:device/renew":      {"ok", "ok", "403", "ok", "403", "in"},
	"POST /:dc/products/:id/devices/:device/auto-renew": {"ok", "ok", "403", "ok", "403", "in"},
	"GET /:dc/near-expiry":                              {"ok", "ok", "ok", "ok", "ok", "in"},
	"GET /:dc/near-expiry/chart.csv":                    {"ok", "ok", "ok", "ok", "ok", "in"},
	"GET /:dc/recipients":                               {"ok", "ok", "ok", "ok", "ok", "in"},
	"POST /:dc/recipients":                              {"ok", "ok", "ok", "ok", "403", "in"},
	"POST /:dc/recipients/:id/delete":                   {"ok", "ok", "ok", "404", "403", "in"}, // chosen: not one it added
	"POST /:dc/recipients/test":                         {"ok", "ok", "ok", "ok", "403", "in"},
	"POST /:dc/recipients/threshold":                    {"ok", "ok", "ok", "ok", "403", "in"},
	"GET /:dc/settings":                                 {"ok", "ok", "ok", "ok", "ok", "in"},
	"POST /:dc/settings":                                {"ok", "ok", "ok", "ok", "403", "in"},
	"POST /:dc/settings/language":                       {"ok", "ok", "ok", "ok", "403", "in"},
	"GET /:dc/audit":                                    {"ok", "403", "403", "403", "ok", "in"},
	"GET /:dc/members":                                  {"ok", "403", "403", "403", "403", "in"},
	"GET /:dc/members/new":                              {"ok", "403", "403", "403", "403", "in"},
	"POST /:dc/members":                                 {"ok", "403", "403", "403", "403", "in"},
	"GET /:dc/members/:id":                              {"ok", "403", "403", "403", "403", "in"},
	"POST /:dc/members/:id":                             {"ok", "403", "403", "403", "403", "in"},
	"POST /:dc/members/:id/disable":                     {"ok", "403", "403", "403", "403", "in"},
	"POST /:dc/members/:id/enable":                      {"ok", "403", "403", "403", "403", "in"},
	// Webhooks: everyone reads; the owner and managers change; a sub-account
	// with chosen products changes only endpoints it registered (the owner's: 404).
	"GET /:dc/webhooks":                              {"ok", "ok", "ok", "ok", "ok", "in"},
	"POST /:dc/webhooks":                             {"ok", "ok", "403", "ok", "403", "in"},
	"GET /:dc/webhooks/:id":                          {"ok", "ok", "403", "404", "403", "in"},
	"POST /:dc/webhooks/:id":                         {"ok", "ok", "403", "404", "403", "in"},
	"POST /:dc/webhooks/:id/enabled":                 {"ok", "ok", "403", "404", "403", "in"},
	"POST /:dc/webhooks/:id/rotate":                  {"ok", "ok", "403", "404", "403", "in"},
	"POST /:dc/webhooks/:id/test":                    {"ok", "ok", "403", "404", "403", "in"},
	"POST /:dc/webhooks/:id/delete":                  {"ok", "ok", "403", "404", "403", "in"},
	"POST /:dc/webhooks/:id/events/:event/redeliver": {"ok", "ok", "403", "404", "403", "in"},
	// Signing out always ends on the sign-in page.
	"POST /signout": {"in", "in", "in", "in", "in", "in"},
	// Everyone chooses their own language (the matrix's form names none: 400).
	"POST /language": {"ok", "ok", "ok", "ok", "ok", "in"},
}

// publicRoutes need no sign-in; the API has its own tests (bearer tokens).
func publicRoute(method, path string) bool {
	switch path {
	case "/healthz", "/readyz", "/signin", "/signin/language", "/static/*", "/favicon.ico", "/metrics":
		return true
	}
	return strings.HasPrefix(path, "/api/")
}

// consoleRoutes lists "METHOD path" of every route of the router that the
// matrix must cover, leaving out echo's own catch-alls.
func consoleRoutes(f *accessFixture) []string {
	var keys []string
	seen := map[string]bool{}
	for _, r := range f.srv.Routes() {
		if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodDelete && r.Method != http.MethodPut {
			continue
		}
		if strings.HasSuffix(r.Path, "/*") && r.Path != "/static/*" || r.Path == "" || publicRoute(r.Method, r.Path) {
			continue
		}
		k := r.Method + " " + r.Path
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { // sign out last: it ends the session
		return keys[j] == "POST /signout" || (keys[i] != "POST /signout" && keys[i] < keys[j])
	})
	return keys
}

// concrete fills a route's parameters with the fixture's ids (account A's).
func (f *accessFixture) concrete(path string) string {
	r := strings.NewReplacer(":dc", "eu-frankfurt", ":account", id(f.account.ID), ":device", id(f.d1.ID))
	path = r.Replace(path)
	if path == "/switch" {
		return "/switch?dc=cn-shanghai&page=near-expiry"
	}
	switch {
	case strings.Contains(path, "/products/:id"):
		path = strings.Replace(path, ":id", id(f.p1.ID), 1)
	case strings.Contains(path, "/recipients/:id"):
		path = strings.Replace(path, ":id", id(f.recipientID), 1)
	case strings.Contains(path, "/members/:id"):
		path = strings.Replace(path, ":id", id(f.targetMemberID), 1)
	case strings.HasSuffix(path, "/webhooks/:id/delete"):
		path = strings.Replace(path, ":id", id(f.doomedWebhookID), 1) // the others still need theirs
	case strings.Contains(path, "/webhooks/:id"):
		path = strings.Replace(path, ":id", id(f.webhookID), 1)
		path = strings.Replace(path, ":event", id(f.webhookEventID), 1)
	}
	return path
}

// formFor is a plausible form for each unsafe route.
func (f *accessFixture) formFor(path string) url.Values {
	switch {
	case strings.HasSuffix(path, "/assign"):
		return url.Values{"product": {id(f.p1.ID)}, "package": {"std-1y"}, "quantity": {"1"}, "confirm": {"1"}}
	case strings.HasSuffix(path, "/auto-renew"):
		return url.Values{"on": {"on"}, "auto_renew": {"on"}}
	case strings.HasSuffix(path, "/blacklist"):
		return url.Values{"device_keys": {"dev-a1"}}
	case strings.HasSuffix(path, "/blacklist/remove"):
		return url.Values{"device_key": {"dev-a1"}}
	case strings.HasSuffix(path, "/renew"):
		return url.Values{"confirm": {"yes"}}
	case strings.HasSuffix(path, "/recipients"):
		return url.Values{"name": {"New"}, "email": {"new@acme.example"}}
	case strings.HasSuffix(path, "/recipients/threshold"):
		return url.Values{"threshold": {"12"}}
	case strings.HasSuffix(path, "/settings"):
		return url.Values{"time_zone": {"Europe/Berlin"}}
	case strings.HasSuffix(path, "/settings/language"):
		return url.Values{"language": {"zh-CN"}}
	case strings.HasSuffix(path, "/account/password"):
		return url.Values{"old_password": {"not it"}, "new_password": {"a brand new password"}}
	case strings.HasSuffix(path, "/members"):
		return url.Values{"name": {"Lee"}, "email": {"lee@acme.example"}, "password": {"lee long password"}, "scope": {"all"}}
	case strings.HasSuffix(path, "/webhooks") || strings.HasSuffix(path, "/webhooks/:id"):
		return url.Values{"url": {"http://93.184.215.14/new"}, "events": {"device.activated"}, "enabled": {"on"}}
	case strings.HasSuffix(path, "/enabled"):
		return url.Values{"enabled": {"off"}}
	case strings.Contains(path, "/members/") && !strings.HasSuffix(path, "able"):
		return url.Values{"name": {"Target"}, "scope": {"all"}}
	}
	return url.Values{}
}

// outcome classifies an answer as the matrix does.
func outcome(rec interface {
	Result() *http.Response
}) string {
	res := rec.Result()
	switch {
	case res.StatusCode == http.StatusForbidden:
		return "403"
	case res.StatusCode == http.StatusNotFound:
		return "404"
	case res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/signin"):
		return "in"
	case res.StatusCode == http.StatusUnauthorized:
		return "in"
	case res.StatusCode >= 500:
		return "5xx"
	}
	return "ok"
}

func TestAccess_RoleRouteMatrix(t *testing.T) {
	base := newAccessFixture(t)
	routes := consoleRoutes(base)
	for _, k := range routes {
		if _, ok := accessMatrix[k]; !ok {
			t.Errorf("route %s has no row in the access matrix", k)
		}
	}
	for k := range accessMatrix {
		found := false
		for _, r := range routes {
			found = found || r == k
		}
		if !found {
			t.Errorf("the matrix has a row for %s, which the router does not serve", k)
		}
	}
	cells := 0
	for i, role := range roles {
		t.Run(role, func(t *testing.T) {
			f := base
			if i > 0 {
				f = newAccessFixture(t) // each role changes things: a database of its own
			}
			b := f.as(t, role)
			for _, k := range routes {
				want := accessMatrix[k][i]
				method, path, _ := strings.Cut(k, " ")
				var form url.Values
				if method != http.MethodGet {
					form = f.formFor(path)
					if b.csrf != "" {
						form.Set("csrf", b.csrf)
					}
				}
				rec := b.do(method, f.concrete(path), form, false)
				cells++
				if got := outcome(rec); got != want {
					t.Errorf("%s as %s: got %s (status %d, %s), want %s", k, role, got, rec.Code,
						strings.TrimSpace(firstLine(rec.Body.String())), want)
				}
			}
		})
	}
	t.Logf("access matrix: %d roles x %d routes = %d cells", len(roles), len(routes), cells)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160]
	}
	return s
}
