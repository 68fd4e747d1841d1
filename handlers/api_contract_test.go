package handlers_test

import (
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"

	"activation-console/docs"
	"activation-console/handlers"
)

// pathParams are the parameters of a route (echo's :name) or of a documented
// path ({name}); their names may differ, their places may not.
var pathParams = regexp.MustCompile(`:[^/]+|\{[^}/]+\}`)

// The document and the router cannot drift: every API route is documented,
// every documented operation is a route.
func TestContract_DocumentsEveryAPIRouteAndNoOther(t *testing.T) {
	c := loadContract(t)
	if len(c.model.Servers) != 1 {
		t.Fatalf("%d servers, want 1", len(c.model.Servers))
	}
	server, err := url.Parse(strings.ReplaceAll(c.model.Servers[0].URL, "{host}", "host"))
	if err != nil || server.Path != "/api/v1" {
		t.Fatalf("server %q: %v; want its path /api/v1", c.model.Servers[0].URL, err)
	}
	documented := map[string]bool{}
	for path, item := range c.model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			documented[strings.ToUpper(method)+" "+pathParams.ReplaceAllString(server.Path+path, "{}")] = true
		}
	}
	routed := map[string]bool{}
	e := handlers.NewServer(handlers.New(handlers.Config{Logger: slog.New(slog.DiscardHandler)}))
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound || !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		routed[r.Method+" "+pathParams.ReplaceAllString(r.Path, "{}")] = true
	}
	if len(routed) < 9 {
		t.Fatalf("only %d API routes: %v", len(routed), routed)
	}
	for op := range routed {
		if !documented[op] {
			t.Errorf("the route %s is not in docs/openapi.json", op)
		}
	}
	for op := range documented {
		if !routed[op] {
			t.Errorf("docs/openapi.json documents %s, which the console does not route", op)
		}
	}
}

// The check every API test runs is real: answers that break the document
// in different ways are each reported, and the same exchanges done right pass.
func TestContract_CheckReportsAnswersAndRequestsThatBreakIt(t *testing.T) {
	c := loadContract(t)
	jsonHeader := func(extra ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r1"}, "Cache-Control": {"no-store"}}
		for i := 0; i+1 < len(extra); i += 2 {
			h.Set(extra[i], extra[i+1])
		}
		return h
	}
	get := func(path string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("Authorization", "Bearer acc_x")
		return r
	}
	post := func(path string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, path, nil)
		r.Header.Set("Authorization", "Bearer acc_x")
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	const product = `{"product_key":"PK-1","name":"Smart lock","data_center":"eu-frankfurt","package":"std-1y","total":5,"consumed":1,"available":4,"auto_renew":true}`
	const connect = `{"product_key":"PK-1","device_key":"d1","data_center":"eu-frankfurt"}`
	good := []exchange{
		{req: get("/api/v1/products/PK-1"), status: 200, header: jsonHeader(), body: []byte(product)},
		{req: get("/api/v1/products/PK-9"), status: 404, header: jsonHeader(), body: []byte(`{"error":"unknown_product","message":"there is no product \"PK-9\""}`)},
		{req: post("/api/v1/devices/connect"), reqBody: []byte(connect), status: 409, header: jsonHeader(),
			body: []byte(`{"error":"activation_expired","message":"expired","reason":"blacklisted"}`)},
		{req: get("/api/v1/nowhere"), status: 404, header: jsonHeader(), body: []byte(`{"error":"not_found","message":"there is no such API endpoint"}`)},
	}
	for _, x := range good {
		if v := c.violations(x); len(v) > 0 {
			t.Errorf("a right exchange reported: %v", v)
		}
	}
	bad := []struct {
		name string
		x    exchange
	}{
		{"a count as a string", exchange{req: get("/api/v1/products/PK-1"), status: 200, header: jsonHeader(),
			body: []byte(strings.Replace(product, `"total":5`, `"total":"5"`, 1))}},
		{"a missing field", exchange{req: get("/api/v1/products/PK-1"), status: 200, header: jsonHeader(),
			body: []byte(strings.Replace(product, `,"auto_renew":true`, ``, 1))}},
		{"an undocumented field", exchange{req: get("/api/v1/products/PK-1"), status: 200, header: jsonHeader(),
			body: []byte(strings.Replace(product, `"total":5`, `"total":5,"colour":"red"`, 1))}},
		{"a bad time", exchange{req: post("/api/v1/devices/connect"), reqBody: []byte(connect), status: 200, header: jsonHeader(),
			body: []byte(`{"result":"activated","activated_at":"yesterday","expires_at":"2027-01-01T12:00:00Z"}`)}},
		{"a result the document does not list", exchange{req: post("/api/v1/devices/connect"), reqBody: []byte(connect), status: 200, header: jsonHeader(),
			body: []byte(`{"result":"maybe","activated_at":"2026-01-01T12:00:00Z","expires_at":"2027-01-01T12:00:00Z"}`)}},
		{"an error code of another status", exchange{req: get("/api/v1/products/PK-9"), status: 404, header: jsonHeader(),
			body: []byte(`{"error":"product_exists","message":"x"}`)}},
		{"activation_expired without its reason", exchange{req: post("/api/v1/devices/connect"), reqBody: []byte(connect), status: 409, header: jsonHeader(),
			body: []byte(`{"error":"activation_expired","message":"expired"}`)}},
		{"an undocumented status", exchange{req: get("/api/v1/products/PK-1"), status: 418, header: jsonHeader(),
			body: []byte(`{"error":"internal","message":"x"}`)}},
		{"no Cache-Control", exchange{req: get("/api/v1/products/PK-1"), status: 200, header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r1"}},
			body: []byte(product)}},
		{"a 503 without Retry-After", exchange{req: get("/api/v1/products/PK-1"), status: 503, header: jsonHeader(),
			body: []byte(`{"error":"unavailable","message":"retry"}`)}},
		{"a 401 without its challenge", exchange{req: get("/api/v1/products/PK-1"), status: 401, header: jsonHeader(),
			body: []byte(`{"error":"unauthorized","message":"no"}`)}},
		{"an undocumented path answering 200", exchange{req: get("/api/v1/nowhere"), status: 200, header: jsonHeader(), body: []byte(`{}`)}},
		{"an undocumented path without the error shape", exchange{req: get("/api/v1/nowhere"), status: 404, header: jsonHeader(), body: []byte(`{"oops":1}`)}},
		{"a request the document refuses, accepted", exchange{req: post("/api/v1/devices/connect"), reqBody: []byte(`{"product_key":"PK 1","device_key":"d1","data_center":"eu-frankfurt"}`),
			status: 200, header: jsonHeader(), body: []byte(`{"result":"activated","activated_at":"2026-01-01T12:00:00Z","expires_at":"2027-01-01T12:00:00Z"}`)}},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			if v := c.violations(b.x); len(v) == 0 {
				t.Error("not reported")
			}
		})
	}
}

// Every example in the document is an instance of its schema.
func TestContract_ExamplesMatchTheirSchemas(t *testing.T) {
	c := loadContract(t)
	sv := schema_validation.NewSchemaValidator()
	n := 0
	check := func(where string, schema *base.Schema, value any) {
		t.Helper()
		n++
		b, err := json.Marshal(value)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if ok, errs := sv.ValidateSchemaBytes(schema, b); !ok {
			t.Errorf("%s: the example %s does not match its schema: %s", where, b, describe(errs))
		}
	}
	items := map[string]*v3.PathItem{}
	for path, item := range c.model.Paths.PathItems.FromOldest() {
		items[path] = item
	}
	for name, item := range c.model.Webhooks.FromOldest() { // the webhooks' bodies (docs/webhooks.md, "Events"), each with an example
		items["webhook "+name] = item
		if item.Post == nil || item.Post.RequestBody == nil || item.Post.RequestBody.Content.GetOrZero("application/json") == nil ||
			orderedmap.Len(item.Post.RequestBody.Content.GetOrZero("application/json").Examples) == 0 {
			t.Errorf("webhook %s has no example of its body", name)
		}
	}
	for _, path := range slices.Sorted(maps.Keys(items)) {
		for method, op := range items[path].GetOperations().FromOldest() {
			where := strings.ToUpper(method) + " " + path
			if op.RequestBody != nil {
				for mt, m := range op.RequestBody.Content.FromOldest() {
					for name, ex := range m.Examples.FromOldest() {
						var v any
						if err := ex.Value.Decode(&v); err != nil {
							t.Fatal(err)
						}
						check(where+" request "+mt+" "+name, m.Schema.Schema(), v)
					}
				}
			}
			for code, resp := range op.Responses.Codes.FromOldest() {
				for mt, m := range resp.Content.FromOldest() {
					for name, ex := range m.Examples.FromOldest() {
						var v any
						if err := ex.Value.Decode(&v); err != nil {
							t.Fatal(err)
						}
						check(where+" "+code+" "+mt+" "+name, m.Schema.Schema(), v)
					}
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d examples checked", n)
	}
}

func TestOpenAPI_IsServedWithoutATokenAndCached(t *testing.T) {
	f := newAPI(t)
	r := f.callAs(t, "", http.MethodGet, "/api/v1/openapi.json", "")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" || string(r.body) != string(docs.OpenAPI) {
		t.Fatalf("status %d, Content-Type %q, %d bytes; want 200, application/json and docs/openapi.json", r.status, r.header.Get("Content-Type"), len(r.body))
	}
	etag := r.header.Get("ETag")
	if cc := r.header.Get("Cache-Control"); cc != "public, max-age=3600" || etag == "" {
		t.Errorf("Cache-Control %q, ETag %q: want it cacheable, with an ETag", cc, etag)
	}
	// With a token too, and then a conditional request: 304, no body.
	for _, inm := range []string{etag, `"other", ` + etag, "W/" + etag} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil)
		req.Header.Set("If-None-Match", inm)
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d with %d bytes, want 304", inm, rec.Code, rec.Body.Len())
		}
	}
	if r := f.call(t, http.MethodGet, "/api/v1/openapi.json", ""); r.status != http.StatusOK {
		t.Errorf("with a token: %d", r.status)
	}
	// The rest of the API still asks for a token.
	f.callAs(t, "", http.MethodGet, "/api/v1/openapi.yaml", "").wantError(t, http.StatusUnauthorized, "unauthorized", "")
}

// An error quotes what the client sent, cut short: the document bounds
// messages and field names, and an answer need not echo 60 KiB.
func TestAPI_ErrorsCutLongQuotesShort(t *testing.T) {
	f := newAPI(t)
	long := strings.Repeat("é", 20000)
	cases := []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/products", `{"` + long + `":1}`},
		{http.MethodGet, "/api/v1/accounts/" + url.PathEscape(long+"@acme.example") + "/licenses?data_center=eu-frankfurt", ""},
		{http.MethodGet, "/api/v1/accounts/1/licenses?data_center=" + url.QueryEscape(long), ""},
	}
	for _, c := range cases {
		m := f.call(t, c.method, c.path, c.body).json(t)
		msg, _ := m["message"].(string)
		field, _ := m["field"].(string)
		if n := utf8.RuneCountInString(msg); n == 0 || n > 500 || !strings.HasSuffix(msg, "…") {
			t.Errorf("%s %.40s: message of %d characters: %.80q", c.method, c.path, n, msg)
		}
		if utf8.RuneCountInString(field) > 64 {
			t.Errorf("%s %.40s: field of %d characters", c.method, c.path, utf8.RuneCountInString(field))
		}
	}
}
