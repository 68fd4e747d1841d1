package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestStoreRefusals_InTheViewersLanguage: a refusal of the store reads in
// the language of the page, next to its field and on an error page, with
// what the person typed still quoted.
func TestStoreRefusals_InTheViewersLanguage(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	b.lang = "zh-CN"
	b.get(recipientsPath, false)
	rec, doc := b.post(recipientsPath, url.Values{"name": {"Dan"}, "email": {"dan at acme"}}, false)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", rec.Code)
	}
	if got, want := text(doc.Find("#recipient-email-error")), `"dan at acme" 不是有效的邮箱地址。`; got != want {
		t.Errorf("field error = %q, want %q", got, want)
	}
	rec, doc = b.get("/eu-frankfurt/products/999999", false)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("unknown product: status %d", rec.Code)
	}
	if got := text(doc.Find("body")); !strings.Contains(got, "没有这个产品。") {
		t.Errorf("error page = %q, want the store's refusal in Chinese", got)
	}
}

// TestAPI_StoreRefusalsStayEnglish: the API's message is for programs and
// does not follow Accept-Language.
func TestAPI_StoreRefusalsStayEnglish(t *testing.T) {
	f := newAPI(t)
	req := httptest.NewRequest(http.MethodGet, "/api/v1/products/PK-9", nil)
	req.Header.Set(echo.HeaderAuthorization, "Bearer "+f.token)
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusNotFound || body["error"] != "unknown_product" || body["message"] != `there is no product "PK-9"` {
		t.Errorf("status %d, body %v; want 404 unknown_product in English", rec.Code, body)
	}
}
