package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// receiver is a webhook endpoint in the test process: it records every
// request, checks it against the webhooks' contract in docs/openapi.json
// (a violation fails the test), and answers with what answer says (200
// when nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, r received) (status int, wait time.Duration)
}

// received is one request as the receiver saw it.
type received struct {
	ID, Timestamp, Signature string
	Body                     []byte
	Type                     string
	Data                     map[string]any
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	contract := loadHookContract(t)
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		for _, v := range contract.violations(r.Header, body) {
			t.Errorf("contract (docs/openapi.json, webhooks): %s", v)
		}
		var ev struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		json.Unmarshal(body, &ev)
		got := received{ID: r.Header.Get("webhook-id"), Timestamp: r.Header.Get("webhook-timestamp"),
			Signature: r.Header.Get("webhook-signature"), Body: body, Type: ev.Type, Data: ev.Data}
		rc.mu.Lock()
		n := len(rc.got)
		rc.got = append(rc.got, got)
		answer := rc.answer
		rc.mu.Unlock()
		status, wait := http.StatusOK, time.Duration(0)
		if answer != nil {
			status, wait = answer(n, got)
		}
		if wait > 0 {
			select {
			case <-time.After(wait):
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(status)
		io.WriteString(w, strings.Repeat("x", 1000)) // more than the log keeps
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// verify checks a request's signature against a secret by the Standard
// Webhooks specification, written here on its own rather than with Sign:
// one of the space-separated "v1,<base64>" entries must be the HMAC-SHA256,
// keyed with the base64 after "whsec_", of "id.timestamp.body".
func verify(secret string, r received) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.ID + "." + r.Timestamp + "." + string(r.Body)))
	want := mac.Sum(nil)
	for _, entry := range strings.Fields(r.Signature) {
		version, sig, ok := strings.Cut(entry, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if ok && version == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// fixture is the account Acme with product PK-1 (codes codes), a store
// that lets webhooks reach loopback (the operator's setting), and a
// receiver.
type fixture struct {
	*storetest.Fixture
	rc  *receiver
	ctx context.Context
	sc  store.Scope
}

func newFixture(t *testing.T, codes int64, opts ...storetest.Option) *fixture {
	t.Helper()
	opts = append([]storetest.Option{storetest.WithStoreOptions(store.WithWebhookGuard(store.WebhookGuard{AllowPrivate: true})),
		storetest.WithProduct("PK-1", "Thermostat", codes)}, opts...)
	base := storetest.NewFixture(t, opts...)
	return &fixture{Fixture: base, rc: newReceiver(t), ctx: base.Ctx, sc: store.Scope{AccountID: base.Account.ID, DC: storetest.HomeDC}}
}

// endpoint registers the receiver for events, as the owner, and returns it with its secret.
func (f *fixture) endpoint(t *testing.T, events ...store.WebhookEvent) (store.WebhookEndpoint, string) {
	t.Helper()
	return f.endpointBy(t, store.SystemActor(storetest.OwnerEmail), f.rc.URL+"/hook", events...)
}

func (f *fixture) endpointBy(t *testing.T, actor store.Actor, url string, events ...store.WebhookEvent) (store.WebhookEndpoint, string) {
	t.Helper()
	var names []string
	for _, e := range events {
		names = append(names, string(e))
	}
	e, secret, err := f.Store.SaveWebhookEndpoint(f.ctx, f.sc, store.WebhookInput{URL: url, Events: names, Enabled: true, Actor: actor})
	if err != nil {
		t.Fatalf("register endpoint: %v", err)
	}
	return e, secret
}

// deliverer is a fresh deliverer (its own claim token) with a short timeout.
func (f *fixture) deliverer() *Deliverer {
	return &Deliverer{Store: f.Store, Timeout: 2 * time.Second, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Render: func(n store.WebhookDisabledNotice) (store.Mail, error) {
			return store.Mail{Subject: "Webhook disabled: " + n.URL, Text: "text", HTML: "<p>html</p>"}, nil
		}}
}

func (f *fixture) run(t *testing.T) Stats {
	t.Helper()
	st, err := f.deliverer().RunOnce(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *fixture) connect(t *testing.T, dk string) {
	t.Helper()
	if _, err := f.Store.Connect(f.ctx, "PK-1", dk, storetest.HomeDC); err != nil && !store.HasCode(err, store.CodeNoActivationCode) && !store.HasCode(err, store.CodeExpired) {
		t.Fatalf("connect %s: %v", dk, err)
	}
}

// event is one row of webhook_events.
type event struct {
	ID            int64     `db:"id"`
	Type          string    `db:"type"`
	Status        string    `db:"status"`
	Attempts      int       `db:"attempts"`
	NextAttemptAt time.Time `db:"next_attempt_at"`
	LastStatus    *int      `db:"last_status"`
	LastError     *string   `db:"last_error"`
	LastResponse  *string   `db:"last_response"`
}

func (f *fixture) events(t *testing.T) []event {
	t.Helper()
	var es []event
	if err := f.Store.DB().SelectContext(f.ctx, &es, `SELECT id, type, status, attempts, next_attempt_at, last_status, last_error, last_response
		FROM webhook_events ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return es
}
