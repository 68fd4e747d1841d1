package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/handlers"
	"activation-console/store"
	"activation-console/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// epoch is where every fixture's clock starts.
var epoch = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// year is more than the validity of the std-1y package, leap years included.
const year = 366 * 24 * time.Hour

// apiFixture is the real router on a fresh database whose clock the test
// controls, with an API token and an enterprise account (owner@acme.example,
// eu-frankfurt, 10 free std-1y codes).
type apiFixture struct {
	st       *store.Store
	clock    *storetest.Clock
	srv      *echo.Echo
	token    string
	account  store.Account
	ctx      context.Context
	logs     *lockedBuffer
	noVerify bool // set by tests that break the database on purpose
}

func newAPI(t *testing.T) *apiFixture {
	t.Helper()
	base := storetest.NewFixture(t, storetest.WithToken("access layer"))
	st := base.Store
	logs := &lockedBuffer{}
	f := &apiFixture{st: st, clock: base.Clock, ctx: base.Ctx, logs: logs, token: base.Token, account: base.Account,
		srv: newServer(t, handlers.Config{Store: st, Logger: slog.New(slog.NewTextHandler(logs, nil))})}
	if f.account.ID != 1 { // a fresh database; the tests name the account by id 1
		t.Fatalf("account id %d, want 1", f.account.ID)
	}
	// Registered after the store's own cleanups, so it runs before they close it.
	t.Cleanup(func() {
		if f.noVerify {
			return
		}
		v, err := st.Verify(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range v {
			t.Error("ledger violation:", line)
		}
	})
	return f
}

// response is what the router answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends one request with the fixture's token.
func (f *apiFixture) call(t *testing.T, method, path, body string) response {
	t.Helper()
	return f.callAs(t, "Bearer "+f.token, method, path, body)
}

// callAs sends one request with the given Authorization header ("" for none).
func (f *apiFixture) callAs(t *testing.T, authorization, method, path, body string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	}
	if authorization != "" {
		req.Header.Set(echo.HeaderAuthorization, authorization)
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// json decodes the body as one JSON object.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// want fails unless the status is status, and returns the body as JSON.
func (r response) want(t *testing.T, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if status == http.StatusNoContent {
		if len(r.body) != 0 {
			t.Fatalf("204 with a body: %s", r.body)
		}
		return nil
	}
	return r.json(t)
}

// wantError fails unless the answer is the API's error body
// (docs/api.md, "Conventions") with this status, code and field ("" for none), and returns the body.
func (r response) wantError(t *testing.T, status int, code, field string) map[string]any {
	t.Helper()
	m := r.want(t, status)
	if m["error"] != code {
		t.Errorf("error %v, want %s: %s", m["error"], code, r.body)
	}
	if msg, _ := m["message"].(string); msg == "" {
		t.Errorf("no message: %s", r.body)
	}
	if got, _ := m["field"].(string); got != field {
		t.Errorf("field %q, want %q: %s", got, field, r.body)
	}
	for k := range m {
		if k != "error" && k != "message" && k != "field" && k != "reason" {
			t.Errorf("unexpected key %q in error body %s", k, r.body)
		}
	}
	return m
}

// wantFields fails unless the body holds exactly these keys and values
// (numbers as float64, as encoding/json decodes them).
func wantFields(t *testing.T, got map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("missing %q in %v", k, got)
			continue
		}
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(v)
		if !bytes.Equal(gj, wj) {
			t.Errorf("%s = %s, want %s", k, gj, wj)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected key %q = %v", k, got[k])
		}
	}
}

// product creates a product of the fixture's account in eu-frankfurt and,
// when codes > 0, buys it that many std-1y codes.
func (f *apiFixture) product(t *testing.T, pk string, codes int64) store.Product {
	t.Helper()
	p, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: pk, Name: "Product " + pk})
	if err != nil {
		t.Fatal(err)
	}
	if codes > 0 {
		f.buy(t, "seed-"+pk, pk, codes)
	}
	return p
}

// buy credits a product with codes std-1y codes through the store.
func (f *apiFixture) buy(t *testing.T, order, pk string, codes int64) {
	t.Helper()
	if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: order, AccountID: f.account.ID, DataCenter: "eu-frankfurt",
		PackageCode: "std-1y", Quantity: codes, ProductKey: pk}); err != nil {
		t.Fatal(err)
	}
}

// connect reports a device connecting through eu-frankfurt.
func (f *apiFixture) connect(t *testing.T, pk, dk string) response {
	t.Helper()
	return f.call(t, http.MethodPost, "/api/v1/devices/connect",
		`{"product_key":"`+pk+`","device_key":"`+dk+`","data_center":"eu-frankfurt"}`)
}

// rfc3339 writes t as the API does.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// lockedBuffer is a log sink safe for concurrent handlers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
