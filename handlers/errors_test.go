package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"activation-console/store"
)

// The error handler, outside the router: console paths sit behind sign-in,
// so their error pages are reached here directly.
func TestHandleError_AnswersEachPathInItsShapeAndHidesInternals(t *testing.T) {
	secret := errors.New(`pq: relation "accounts" does not exist`)
	cases := []struct {
		name, method, path string
		err                error
		status             int
		contentType        string
		says               string
	}{
		{"api store error", http.MethodGet, "/api/v1/x", &store.Error{Kind: store.KindConflict, Code: "activation_expired", Msg: "err.expired_blacklisted", Args: map[string]any{"Device": "d1"}, Reason: "blacklisted"},
			409, "application/json", `{"error":"activation_expired","message":"the activation code of device d1 expired and was not renewed: the device is on its product's renewal blacklist","reason":"blacklisted"}`},
		{"api forbidden", http.MethodGet, "/api/v1/x", &store.Error{Kind: store.KindForbidden, Code: "forbidden", Msg: "err.support_only"}, 403, "application/json", `"error":"forbidden"`},
		{"api internal", http.MethodGet, "/api/v1/x", secret, 500, "application/json", `{"error":"internal","message":"Internal error"}`},
		{"api echo 404", http.MethodGet, "/api/v1/x", echo.ErrNotFound, 404, "application/json", `{"error":"not_found"`},
		{"api echo 500", http.MethodGet, "/api/v1/x", echo.NewHTTPError(500, secret.Error()), 500, "application/json", `"Internal error"`},
		{"page store error", http.MethodGet, "/eu-frankfurt/products/9", &store.Error{Kind: store.KindNotFound, Code: "unknown_product", Msg: "err.no_product_key", Args: map[string]any{"Product": store.Quoted("<such>")}},
			404, "text/html", "There is no product &#34;&lt;such&gt;&#34;."},
		{"page echo error", http.MethodGet, "/nowhere", echo.ErrMethodNotAllowed, 405, "text/html", "Method Not Allowed"},
		{"page internal", http.MethodGet, "/eu-frankfurt/licenses", secret, 500, "text/html", "Something went wrong on our side"},
		{"page refusal in words", http.MethodPost, "/eu-frankfurt/assign", echo.NewHTTPError(403, "You may view these codes but not change them."), 403, "text/html", "You may view these codes but not change them."},
		{"page head", http.MethodHead, "/eu-frankfurt/licenses", secret, 500, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := New(Config{Logger: slog.New(slog.DiscardHandler)})
			e := NewServer(h)
			rec := httptest.NewRecorder()
			h.handleError(c.err, e.NewContext(httptest.NewRequest(c.method, c.path, nil), rec))
			body := rec.Body.String()
			if rec.Code != c.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), c.contentType) || !strings.Contains(body, c.says) {
				t.Errorf("%d %q %s; want %d %s saying %s", rec.Code, rec.Header().Get("Content-Type"), body, c.status, c.contentType, c.says)
			}
			if strings.Contains(body, "pq:") {
				t.Errorf("the internal error reached the client: %s", body)
			}
			if c.method == http.MethodHead && body != "" {
				t.Errorf("HEAD with a body: %s", body)
			}
		})
	}
}
