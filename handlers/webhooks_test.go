package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"activation-console/store"
	"activation-console/store/storetest"
)

const webhooksPath = "/eu-frankfurt/webhooks"

func TestWebhooks_TheOwnerRegistersAnEndpoint_AndSeesItsSecretOnce(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	b.get(webhooksPath, false)
	rec, doc := b.post(webhooksPath, url.Values{"url": {"https://93.184.215.14/hooks"}, "events": {"device.activated", "device.lapsed"},
		"enabled": {"on"}}, false)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	secret, _ := doc.Find("#webhook-secret-value").Attr("value")
	if !strings.HasPrefix(secret, "whsec_") || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("secret %q, Cache-Control %q", secret, rec.Header().Get("Cache-Control"))
	}
	if got := text(doc.Find(".webhook .webhook-url")); got != "https://93.184.215.14/hooks" {
		t.Errorf("the new endpoint reads %q", got)
	}
	_, doc = b.get(webhooksPath, false)
	if doc.Find("#webhook-secret-value").Length() != 0 || strings.Contains(doc.Text(), secret) {
		t.Error("the secret shows again")
	}
	es, err := f.st.WebhookEndpointsSeenBy(f.ctx, f.account.ID, 0)
	if err != nil || len(es) != 1 || strings.Join(es[0].Events, ",") != "device.activated,device.lapsed" || !es[0].Enabled {
		t.Fatalf("endpoints %+v, %v", es, err)
	}
	audit, _ := f.st.AuditLog(f.ctx, f.account.ID, store.AuditFilter{Type: store.AuditWebhooks}, store.PageRequest{})
	if len(audit.Rows) != 1 || audit.Rows[0].Operation != string(store.OpWebhookAdd) {
		t.Errorf("audit %+v", audit.Rows)
	}
}

func TestWebhooks_RefusalsShowNextToTheirFields(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	b.get(webhooksPath, false)
	rec, doc := b.post(webhooksPath, url.Values{"url": {"http://169.254.169.254/latest"}}, false)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", rec.Code)
	}
	if got := text(doc.Find("#webhook-url-error")); !strings.Contains(got, "169.254.169.254 is a private") {
		t.Errorf("url error %q", got)
	}
	if got := text(doc.Find("#webhook-events-error")); got != "Choose at least one event." {
		t.Errorf("events error %q beside the URL's", got)
	}
	if v, _ := doc.Find("#webhook-url").Attr("value"); v != "http://169.254.169.254/latest" {
		t.Errorf("the URL typed was not kept: %q", v)
	}
	rec, doc = b.post(webhooksPath, url.Values{"url": {"https://93.184.215.14/"}}, false)
	if rec.Code != http.StatusUnprocessableEntity || text(doc.Find("#webhook-events-error")) != "Choose at least one event." {
		t.Errorf("no events: status %d, %q", rec.Code, text(doc.Find("#webhook-events-error")))
	}
	if es, _ := f.st.WebhookEndpointsSeenBy(f.ctx, f.account.ID, 0); len(es) != 0 {
		t.Errorf("a refused endpoint was saved: %+v", es)
	}
}

func TestWebhooks_AViewerReadsTheDeliveriesButChangesNothing(t *testing.T) {
	t.Parallel()
	f := newConsole(t, storetest.WithSubAccount("viewer@acme.example", false))
	e, _, err := f.st.SaveWebhookEndpoint(f.ctx, store.Scope{AccountID: f.account.ID}, store.WebhookInput{URL: "https://93.184.215.14/h",
		Events: []string{"codes.assigned"}, Enabled: true, Actor: store.SystemActor(storetest.OwnerEmail)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SendTestWebhook(f.ctx, store.Scope{AccountID: f.account.ID}, store.WebhookRef{ID: e.ID, Actor: store.SystemActor(storetest.OwnerEmail)}); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, "viewer@acme.example", storetest.MemberPassword)
	_, doc := b.get(webhooksPath, false)
	if doc.Find("#webhooks-read-only").Length() != 1 || doc.Find("#webhook-form").Length() != 0 || doc.Find(".webhook-actions").Length() != 0 {
		t.Error("a viewer is offered changes")
	}
	if got := text(doc.Find(".webhook-deliveries tbody td code")); got != "webhook.test" {
		t.Errorf("the deliveries read %q", got)
	}
}
