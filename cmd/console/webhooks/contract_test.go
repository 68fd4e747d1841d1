package webhooks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"activation-console/docs"
	"activation-console/store"
	"activation-console/store/storetest"
)

// The webhooks' contract (docs/webhooks.md, "Events"): the top-level
// webhooks of docs/openapi.json, one POST per event type. Every request a
// test's receiver gets is checked against it (newReceiver), so a payload
// the deliverer sends that the document does not describe fails the test
// that sent it.

// hookContract is the document's webhooks, loaded once for the package's tests.
type hookContract struct {
	webhooks map[string]*v3.Operation
	sv       schema_validation.SchemaValidator
	mu       sync.Mutex // one validation at a time: the validator's caches are shared
}

var (
	hookContractOnce sync.Once
	hookContractDoc  *hookContract
	hookContractErr  error
)

func loadHookContract(tb testing.TB) *hookContract {
	tb.Helper()
	hookContractOnce.Do(func() {
		doc, err := libopenapi.NewDocument(docs.OpenAPI)
		if err != nil {
			hookContractErr = fmt.Errorf("docs/openapi.json: %w", err)
			return
		}
		model, err := doc.BuildV3Model()
		if err != nil {
			hookContractErr = fmt.Errorf("docs/openapi.json: %w", err)
			return
		}
		c := &hookContract{webhooks: map[string]*v3.Operation{},
			sv: schema_validation.NewSchemaValidator(config.WithFormatAssertions())} // the times are RFC 3339
		for name, item := range model.Model.Webhooks.FromOldest() {
			if item.Post == nil {
				hookContractErr = fmt.Errorf("docs/openapi.json: webhook %s has no POST", name)
				return
			}
			c.webhooks[name] = item.Post
		}
		hookContractDoc = c
	})
	if hookContractErr != nil {
		tb.Fatal(hookContractErr)
	}
	return hookContractDoc
}

// violations says how one delivery breaks the contract: its type must be a
// documented webhook, its body an instance of that webhook's schema, and
// its headers those the webhook's parameters describe.
func (c *hookContract) violations(header http.Header, body []byte) []string {
	var ev struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return []string{fmt.Sprintf("the body is not JSON: %v: %s", err, body)}
	}
	op := c.webhooks[ev.Type]
	if op == nil {
		return []string{fmt.Sprintf("event type %q is not among the document's webhooks: %s", ev.Type, body)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	if ct := header.Get("Content-Type"); ct != "application/json" {
		out = append(out, fmt.Sprintf("%s: Content-Type %q, want application/json", ev.Type, ct))
	}
	media := op.RequestBody.Content.GetOrZero("application/json")
	if media == nil || media.Schema == nil {
		return append(out, fmt.Sprintf("%s: the document gives no application/json schema", ev.Type))
	}
	if ok, errs := c.sv.ValidateSchemaBytes(media.Schema.Schema(), body); !ok {
		out = append(out, fmt.Sprintf("%s: the body %s breaks its schema: %s", ev.Type, body, describe(errs)))
	}
	for _, p := range op.Parameters {
		if p.In != "header" {
			continue
		}
		v := header.Get(p.Name)
		if v == "" {
			if p.Required != nil && *p.Required {
				out = append(out, fmt.Sprintf("%s: no %s header", ev.Type, p.Name))
			}
			continue
		}
		b, _ := json.Marshal(v)
		if ok, errs := c.sv.ValidateSchemaBytes(p.Schema.Schema(), b); !ok {
			out = append(out, fmt.Sprintf("%s: header %s %q breaks its schema: %s", ev.Type, p.Name, v, describe(errs)))
		}
	}
	return out
}

// describe words validation errors, with the schema's reasons.
func describe(errs []*liberrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n\t%s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n\t\tat %q: %s", f.FieldPath, f.Reason)
		}
	}
	return b.String()
}

// The document describes exactly the events the console can send: those an
// endpoint may subscribe to (store.WebhookEvents; SaveWebhookEndpoint
// refuses any other, and an event is written only for endpoints that want
// it) and the test event.
func TestContract_DocumentsEveryWebhookEventAndNoOther(t *testing.T) {
	c := loadHookContract(t)
	var sent []string
	for _, ev := range append(slices.Clone(store.WebhookEvents), store.EventTest) {
		sent = append(sent, string(ev))
		if c.webhooks[string(ev)] == nil {
			t.Errorf("the console sends %s, which docs/openapi.json's webhooks lack", ev)
		}
	}
	for name := range c.webhooks {
		if !slices.Contains(sent, name) {
			t.Errorf("docs/openapi.json documents webhook %s, which the console never sends", name)
		}
	}
}

// Every type of event, caused by the ledger changes that cause it and
// delivered to a real receiver, matches its schema (the receiver checks
// each request).
func TestContract_EveryEventTypeDeliveredMatchesTheDocument(t *testing.T) {
	f := newFixture(t, 2)
	owner := store.SystemActor(storetest.OwnerEmail)
	e, _ := f.endpoint(t, store.WebhookEvents...)
	if _, _, err := f.Store.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-1", AccountID: f.Account.ID, DataCenter: storetest.HomeDC,
		PackageCode: "std-1y", Quantity: 1, ProductKey: "PK-1"}); err != nil { // codes.purchased, codes.assigned
		t.Fatal(err)
	}
	if _, _, err := f.Store.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-2", AccountID: f.Account.ID, DataCenter: storetest.HomeDC,
		PackageCode: "std-1y", Quantity: 1}); err != nil { // codes.purchased without a product
		t.Fatal(err)
	}
	for i := range 3 {
		f.connect(t, fmt.Sprintf("DK-%d", i)) // device.activated; the codes are low (product.codes_low)
	}
	f.connect(t, "DK-WAIT")                                  // device.refused: no code left
	f.Clock.Advance(340 * 24 * time.Hour)                    // three devices due within 30 days, no code: a shortfall
	if _, err := f.Store.EvaluateAlerts(f.ctx); err != nil { // product.shortfall
		t.Fatal(err)
	}
	f.Clock.Advance(30 * 24 * time.Hour) // their year is over
	if _, err := f.Store.Assign(f.ctx, f.sc, store.AssignInput{ProductID: f.Product.ID, PackageCode: "std-1y", Quantity: 1, Actor: owner}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Store.RenewalPass(f.ctx); err != nil { // device.renewed once, device.lapsed twice
		t.Fatal(err)
	}
	if _, err := f.Store.SendTestWebhook(f.ctx, f.sc, store.WebhookRef{ID: e.ID, Actor: owner}); err != nil { // webhook.test
		t.Fatal(err)
	}
	if st := f.run(t); st.Retrying+st.Failed > 0 {
		t.Fatalf("stats %+v, want everything delivered", st)
	}
	var got []string
	for _, r := range f.rc.requests() {
		if !slices.Contains(got, r.Type) {
			got = append(got, r.Type)
		}
	}
	for name := range loadHookContract(t).webhooks {
		if !slices.Contains(got, name) {
			t.Errorf("no %s delivered; got %v", name, got)
		}
	}
}
