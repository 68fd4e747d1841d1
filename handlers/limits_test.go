package handlers_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// twoMB is a body far over every route's limit.
var twoMB = strings.Repeat("a", 2<<20)

func TestBodyLimit_RefusesATwoMegabyteSignInAndWritesNothing(t *testing.T) {
	f := newConsole(t)
	for _, chunked := range []bool{false, true} {
		b := newBrowser(t, f.srv)
		_, doc := b.get("/signin", false)
		token, _ := doc.Find(`input[name=csrf]`).Attr("value")
		form := url.Values{"csrf": {token}, "email": {"owner@acme.example"}, "password": {"wrong password"}, "pad": {twoMB}}
		req := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if chunked { // no Content-Length: the limit must hold while reading
			req.ContentLength = -1
		}
		for _, c := range b.jar.Cookies(site.ResolveReference(&url.URL{Path: "/signin"})) {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("chunked %v: status %d, want 413: %.200s", chunked, rec.Code, rec.Body.String())
		}
		// The sign-in bounds its own form, below the console's limit, and
		// shows the form again with the reason (body_limit.go, ownBodyLimits).
		if !strings.Contains(rec.Body.String(), "The form was too large") || !strings.Contains(rec.Body.String(), `action="/signin"`) {
			t.Errorf("chunked %v: the page does not say why: %.300s", chunked, rec.Body.String())
		}
	}
	var failures int
	if err := f.st.DB().Get(&failures, `SELECT count(*) FROM sign_in_failures`); err != nil {
		t.Fatal(err)
	}
	if failures != 0 {
		t.Errorf("%d sign-in failures recorded for refused bodies", failures)
	}
}

func TestBodyLimit_RefusesATwoMegabyteAPICallAndWritesNothing(t *testing.T) {
	f := newAPI(t)
	body := `{"account":"owner@acme.example","data_center":"eu-frankfurt","product_key":"PK-big","name":"Big"}`
	for name, b := range map[string]string{"padded before": strings.Repeat(" ", 2<<20) + body, "padded after": body + strings.Repeat(" ", 2<<20)} {
		for _, chunked := range []bool{false, true} {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/products", io.NopCloser(bytes.NewReader([]byte(b))))
			if !chunked {
				req.ContentLength = int64(len(b))
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+f.token)
			rec := httptest.NewRecorder()
			f.srv.ServeHTTP(rec, req)
			r := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
			m := r.wantError(t, http.StatusRequestEntityTooLarge, "request_too_large", "")
			if m["message"] != "the request body is larger than 64 KiB" {
				t.Errorf("%s, chunked %v: message %q", name, chunked, m["message"])
			}
		}
	}
	f.call(t, http.MethodGet, "/api/v1/products/PK-big", "").wantError(t, http.StatusNotFound, "unknown_product", "")
}

func TestBodyLimit_LeavesRoomForAPastedBlacklist(t *testing.T) {
	f := newConsole(t)
	b := f.owner(t)
	keys := make([]string, 0, 5000)
	for i := range 5000 {
		keys = append(keys, "DK-"+strings.Repeat("x", 40)+"-"+strconv.Itoa(i))
	}
	// 5,000 keys (about 250 KiB): over the default limit, within the blacklist's.
	rec, _ := b.post("/eu-frankfurt/products/999/blacklist", url.Values{"device_keys": {strings.Join(keys, "\n")}}, false)
	if rec.Code == http.StatusRequestEntityTooLarge {
		t.Fatalf("a pasted list of 5,000 DeviceKeys was refused as too large")
	}
}

func TestAPI_EveryAnswerIsNoStore(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 0)
	for _, c := range []struct{ auth, method, path, body string }{
		{"Bearer " + f.token, http.MethodGet, "/api/v1/products/PK-1", ""},
		{"Bearer " + f.token, http.MethodGet, "/api/v1/products/PK-none", ""},
		{"", http.MethodGet, "/api/v1/products/PK-1", ""},
		{"Bearer " + f.token, http.MethodGet, "/api/v1/nowhere", ""},
		{"Bearer " + f.token, http.MethodPost, "/api/v1/devices/connect", `{"broken`},
		{"Bearer " + f.token, http.MethodPut, "/api/v1/products/PK-1", `{}`},
	} {
		r := f.callAs(t, c.auth, c.method, c.path, c.body)
		if got := r.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s (status %d): Cache-Control %q, want no-store", c.method, c.path, r.status, got)
		}
	}
}

func TestRequestID_KeepsOnlyAWellFormedClientID(t *testing.T) {
	f := newAPI(t)
	hostile := []string{"abc\r\nX-Injected: 1", strings.Repeat("a", 10<<10), `<script>alert(1)</script>`, "a b", "ünïcode"}
	for _, id := range hostile {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/products/PK-none", nil)
		req.Header["X-Request-Id"] = []string{id} // set raw: Header.Set would refuse nothing either
		req.Header.Set("Authorization", "Bearer "+f.token)
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-ID")
		if got == id || got == "" || len(got) > 64 {
			t.Errorf("client id %.40q: answered with id %.80q", id, got)
		}
	}
	if logs := f.logs.String(); strings.Contains(logs, "X-Injected") || strings.Contains(logs, "<script>") || strings.Contains(logs, strings.Repeat("a", 100)) {
		t.Errorf("a hostile request id reached the log: %.500s", logs)
	}
	req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	req.Header.Set("X-Request-ID", "lb-7f3a.01_x")
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-ID"); got != "lb-7f3a.01_x" {
		t.Errorf("a well-formed client id was replaced by %q", got)
	}
}
