package store_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

// webhookFixture is the store fixture whose webhooks may reach loopback,
// and products PK-1 (5 codes) and PK-2 (5 codes), and a sub-account that
// manages licenses and sees PK-2 only.
func webhookFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixture(t, storetest.WithStoreOptions(store.WithWebhookGuard(store.WebhookGuard{AllowPrivate: true})),
		storetest.WithProduct("PK-2", "Lamp", 5), storetest.WithSubAccount("scoped@acme.example", true, "PK-2"))
}

func (f *fixture) register(t *testing.T, actor store.Actor, events ...store.WebhookEvent) store.WebhookEndpoint {
	t.Helper()
	var names []string
	for _, e := range events {
		names = append(names, string(e))
	}
	e, secret, err := f.st.SaveWebhookEndpoint(f.ctx, f.scope(), store.WebhookInput{URL: "http://127.0.0.1:9/hook", Events: names, Enabled: true, Actor: actor})
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < 40 || secret[:6] != "whsec_" {
		t.Fatalf("secret %q is not a Standard Webhooks secret", secret)
	}
	return e
}

// webhookEvents lists the events written, as "endpoint type device_key|product_key".
func (f *fixture) webhookEvents(t *testing.T) []string {
	t.Helper()
	var rows []string
	if err := f.st.DB().SelectContext(f.ctx, &rows, `SELECT endpoint_id || ' ' || type || ' ' ||
			coalesce(data->>'device_key', data->>'product_key', data->>'order_no', '') FROM webhook_events ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return rows
}

func owner() store.Actor { return store.SystemActor(storetest.OwnerEmail) }

func TestWebhookEvents_WrittenByTheLedgerChangesThatCauseThem(t *testing.T) {
	f := webhookFixture(t)
	e := f.register(t, owner(), store.WebhookEvents...)
	f.assign(t, f.product.ID, 2)                          // codes.assigned
	f.buy(t, "o-1", "std-1y", 3)                          // codes.purchased
	f.st.Connect(f.ctx, "PK-1", "DK-1", storetest.HomeDC) // device.activated
	f.st.Connect(f.ctx, "PK-1", "DK-2", storetest.HomeDC) // device.activated, and the codes are low
	f.st.Connect(f.ctx, "PK-1", "DK-3", storetest.HomeDC) // device.refused
	f.st.Connect(f.ctx, "PK-1", "DK-3", storetest.HomeDC) // refused again: no second event
	f.clock.Advance(366 * 24 * time.Hour)                 // the year of DK-1 and DK-2 is over
	f.assign(t, f.product.ID, 1)                          // one code for one renewal
	if _, err := f.st.RenewalPass(f.ctx); err != nil {    // DK-1 renewed, DK-2 lapsed
		t.Fatal(err)
	}
	id := fmt.Sprint(e.ID)
	want := []string{id + " codes.assigned PK-1", id + " codes.purchased o-1", id + " device.activated DK-1",
		id + " product.codes_low PK-1", id + " device.activated DK-2", id + " device.refused DK-3", id + " codes.assigned PK-1",
		id + " device.renewed DK-1", id + " device.lapsed DK-2"}
	got := f.webhookEvents(t)
	// The free grant's and the fixture's own purchases came before the endpoint.
	if !slices.Equal(got, want) {
		t.Fatalf("events\n%v\nwant\n%v", got, want)
	}
	verifyClean(t, f.st)
}

func TestWebhookEvents_NoneForARolledBackChange(t *testing.T) {
	f := webhookFixture(t)
	f.register(t, owner(), store.EventDeviceActivated)
	f.assign(t, f.product.ID, 2)
	// A check at commit that fails for one device: its connect rolls back whole.
	if _, err := f.st.DB().ExecContext(f.ctx, `CREATE FUNCTION refuse_dk_fail() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.device_key = 'DK-FAIL' AND NEW.activated_at IS NOT NULL THEN RAISE EXCEPTION 'refused at commit'; END IF; RETURN NEW; END $$;
		CREATE CONSTRAINT TRIGGER refuse_dk_fail AFTER INSERT OR UPDATE ON devices DEFERRABLE INITIALLY DEFERRED
		FOR EACH ROW EXECUTE FUNCTION refuse_dk_fail()`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Connect(f.ctx, "PK-1", "DK-FAIL", storetest.HomeDC); err == nil {
		t.Fatal("the connect committed")
	}
	if _, err := f.st.Connect(f.ctx, "PK-1", "DK-OK", storetest.HomeDC); err != nil {
		t.Fatal(err)
	}
	got := f.webhookEvents(t)
	if len(got) != 1 || got[0][len(got[0])-5:] != "DK-OK" {
		t.Fatalf("events %v, want DK-OK's activation alone", got)
	}
}

func TestWebhookEvents_AScopedSubAccountsEndpointHearsOnlyOfItsProducts(t *testing.T) {
	f := webhookFixture(t)
	m := f.base.Members["scoped@acme.example"]
	mine := f.register(t, store.Actor{UserID: m.ID, Name: m.Email}, store.EventDeviceActivated, store.EventCodesPurchased)
	all := f.register(t, owner(), store.EventDeviceActivated, store.EventCodesPurchased)
	f.assign(t, f.product.ID, 1)
	f.st.Connect(f.ctx, "PK-1", "DK-1", storetest.HomeDC)
	f.st.Connect(f.ctx, "PK-2", "DK-2", storetest.HomeDC)
	f.buy(t, "o-account", "std-1y", 1) // no product: the whole account's
	got := f.webhookEvents(t)
	want := []string{fmt.Sprint(all.ID, " device.activated DK-1"), fmt.Sprint(mine.ID, " device.activated DK-2"),
		fmt.Sprint(all.ID, " device.activated DK-2"), fmt.Sprint(all.ID, " codes.purchased o-account")}
	if !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	// It sees and changes only its own endpoint.
	seen, err := f.st.WebhookEndpointsSeenBy(f.ctx, f.account.ID, m.ID)
	if err != nil || len(seen) != 1 || seen[0].ID != mine.ID {
		t.Fatalf("the sub-account sees %+v, %v", seen, err)
	}
	if _, err := f.st.DeleteWebhookEndpoint(f.ctx, f.scope(), store.WebhookRef{ID: all.ID, Actor: store.Actor{UserID: m.ID, Name: m.Email}}); !store.HasCode(err, store.CodeUnknownEndpoint) {
		t.Fatalf("deleting the owner's endpoint: %v", err)
	}
}

func TestWebhookEndpoint_AnotherAccountsIsNotFound(t *testing.T) {
	f := webhookFixture(t)
	e := f.register(t, owner(), store.EventDeviceActivated)
	other := f.base.AddAccount(t, "Other", "owner@other.example")
	sc := store.Scope{AccountID: other.ID, DC: storetest.HomeDC}
	if _, _, err := f.st.RotateWebhookSecret(f.ctx, sc, store.WebhookRef{ID: e.ID, Actor: owner()}); !store.HasCode(err, store.CodeUnknownEndpoint) {
		t.Fatalf("rotating another account's endpoint: %v", err)
	}
	if _, err := f.st.SendTestWebhook(f.ctx, sc, store.WebhookRef{ID: e.ID, Actor: owner()}); !store.HasCode(err, store.CodeUnknownEndpoint) {
		t.Fatalf("testing another account's endpoint: %v", err)
	}
}

func TestWebhookEndpoint_RefusesBadEvents(t *testing.T) {
	f := webhookFixture(t)
	for _, events := range [][]string{nil, {"device.exploded"}, {"webhook.test"}} {
		_, _, err := f.st.SaveWebhookEndpoint(f.ctx, f.scope(), store.WebhookInput{URL: "http://127.0.0.1/", Events: events, Actor: owner()})
		if e, ok := store.AsError(err); !ok || e.Field != "events" {
			t.Fatalf("events %v: %v", events, err)
		}
	}
}

// fakeResolver answers every name with its addresses.
type fakeResolver []netip.Addr

func (r fakeResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r, nil
}

func TestWebhookGuard_RefusesWhatWebhooksMayNotReach(t *testing.T) {
	g := store.WebhookGuard{Resolver: fakeResolver{netip.MustParseAddr("93.184.215.14")}}
	ctx := context.Background()
	for _, c := range []struct{ url, msg string }{
		{"", "err.webhook_url_missing"},
		{"ftp://example.com/", "err.webhook_url_scheme"},
		{"javascript:alert(1)", "err.webhook_url_malformed"},
		{"file:///etc/passwd", "err.webhook_url_scheme"},
		{"https://user:pass@example.com/", "err.webhook_url_credentials"},
		{"https://example.com:99999/", "err.webhook_url_malformed"},
		{"http://127.0.0.1/", "err.webhook_url_private"},
		{"http://localhost./", ""}, // resolved by the fake to a public address: fine
		{"http://10.1.2.3/", "err.webhook_url_private"},
		{"http://172.16.0.1/", "err.webhook_url_private"},
		{"http://192.168.1.1/", "err.webhook_url_private"},
		{"http://169.254.169.254/latest/meta-data", "err.webhook_url_private"},
		{"http://100.64.0.1/", "err.webhook_url_private"},
		{"http://0.0.0.0/", "err.webhook_url_private"},
		{"http://224.0.0.1/", "err.webhook_url_private"},
		{"http://[::1]/", "err.webhook_url_private"},
		{"http://[::]/", "err.webhook_url_private"},
		{"http://[fe80::1]/", "err.webhook_url_private"},
		{"http://[fc00::1]/", "err.webhook_url_private"},
		{"http://[ff02::1]/", "err.webhook_url_private"},
		{"http://[::ffff:10.0.0.1]/", "err.webhook_url_private"},
		{"http://[::ffff:127.0.0.1]/", "err.webhook_url_private"},
		{"http://[64:ff9b::a00:1]/", "err.webhook_url_private"},
		{"https://example.com/hook?x=1", ""},
		{"http://93.184.215.14/", ""},
	} {
		_, err := g.CheckURL(ctx, c.url)
		e, ok := store.AsError(err)
		switch {
		case c.msg == "" && err != nil:
			t.Errorf("%q refused: %v", c.url, err)
		case c.msg != "" && (!ok || e.Msg != c.msg || e.Field != "url"):
			t.Errorf("%q: %v, want %s", c.url, err, c.msg)
		}
	}
	// A name that resolves to a private address, among public ones.
	rebinding := store.WebhookGuard{Resolver: fakeResolver{netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("10.0.0.5")}}
	if _, err := rebinding.CheckURL(ctx, "https://hooks.example.com/"); !store.HasCode(err, store.CodeInvalid) {
		t.Errorf("a name resolving to a private address: %v", err)
	}
	// The operator's setting lets private addresses through.
	if _, err := (store.WebhookGuard{AllowPrivate: true}).CheckURL(ctx, "http://127.0.0.1:8080/"); err != nil {
		t.Errorf("allowed private: %v", err)
	}
	// The dialer's check, on the address actually dialled.
	for addr, ok := range map[string]bool{"127.0.0.1:80": false, "[::1]:443": false, "10.0.0.1:80": false, "[::ffff:192.168.0.1]:80": false,
		"93.184.215.14:443": true} {
		if err := g.Control("tcp", addr, nil); (err == nil) != ok || (err != nil && !store.IsForbiddenAddr(err)) {
			t.Errorf("dial %s: %v", addr, err)
		}
	}
}

func TestPrune_DeletesFinishedWebhookEventsPastTheirKeeping(t *testing.T) {
	f := webhookFixture(t)
	e := f.register(t, owner(), store.EventDeviceActivated)
	for range 4 {
		if _, err := f.st.SendTestWebhook(f.ctx, f.scope(), store.WebhookRef{ID: e.ID, Actor: owner()}); err != nil {
			t.Fatal(err)
		}
	}
	// Old and delivered, old and failed: pruned; old but pending, and new and delivered: kept.
	var ids []int64
	if err := f.st.DB().SelectContext(f.ctx, &ids, `SELECT id FROM webhook_events ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for i, q := range []string{
		`UPDATE webhook_events SET status = 'delivered', delivered_at = created_at, created_at = created_at - interval '31 days' WHERE id = $1`,
		`UPDATE webhook_events SET status = 'failed', created_at = created_at - interval '31 days' WHERE id = $1`,
		`UPDATE webhook_events SET created_at = created_at - interval '31 days' WHERE id = $1`,
		`UPDATE webhook_events SET status = 'delivered', delivered_at = created_at WHERE id = $1`,
	} {
		if _, err := f.st.DB().ExecContext(f.ctx, q, ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	st, err := f.st.Prune(f.ctx, time.Hour, time.Hour)
	if err != nil || st.WebhookEvents != 2 {
		t.Fatalf("pruned %+v, %v; want 2 webhook events", st, err)
	}
	var left []string
	if err := f.st.DB().SelectContext(f.ctx, &left, `SELECT status FROM webhook_events ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(left) != "[pending delivered]" {
		t.Fatalf("left %v", left)
	}
}
