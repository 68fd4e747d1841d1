package store_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"activation-console/store"
)

// Resource alerts (docs/alerts.md, "What raises an alert"): triggers,
// throttle and digest, with the figures a mail shows. mailer/ sends the same mails through a real SMTP server.

// digests is a MailRenderer that keeps what it is given.
type digests struct {
	mu   sync.Mutex
	list []store.AlertDigest
}

func (d *digests) render(a store.AlertDigest) (store.Mail, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.list = append(d.list, a)
	return store.Mail{Subject: "Activation code alert", Text: "text", HTML: "<p>html</p>"}, nil
}

// digest runs DigestAlerts after the gathering minute and returns the digests written.
func (f *fixture) digest(t *testing.T) []store.AlertDigest {
	t.Helper()
	f.clock.Advance(store.AlertGather)
	d := &digests{}
	if _, err := f.st.DigestAlerts(f.ctx, d.render); err != nil {
		t.Fatal(err)
	}
	return d.list
}

// alertsOf describes the alerts of a digest as "PK: trigger trigger".
func alertsOf(d store.AlertDigest) []string {
	var out []string
	for _, p := range d.Products {
		s := p.ProductKey + ":"
		if p.Lapsed != nil {
			s += " lapsed"
		}
		if p.Refused != nil {
			s += " refused"
		}
		if p.Shortfall != nil {
			s += " shortfall"
		}
		if p.LowCodes {
			s += " low_codes"
		}
		out = append(out, s)
	}
	return out
}

func wantAlerts(t *testing.T, got []store.AlertDigest, want ...string) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("%d digests, want 1", len(got))
	}
	if g := strings.Join(alertsOf(got[0]), ", "); g != strings.Join(want, ", ") {
		t.Fatalf("alerts %q, want %q", g, strings.Join(want, ", "))
	}
}

func (f *fixture) outboxCount(t *testing.T) int64 {
	t.Helper()
	return countRows(t, f.st, `SELECT count(*) FROM outbox WHERE account_id = $1`, f.account.ID)
}

func TestAlerts_LowCodesWhenAConnectTakesTheCodeAtTheThreshold(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 10) // the free grant; threshold 10
	f.buy(t, "o-1", "std-1y", 1)
	f.assign(t, f.product.ID, 1)
	f.connect(t, "dev-1") // 10 left: at the threshold
	got := f.digest(t)
	wantAlerts(t, got, "PK-1: low_codes")
	d := got[0]
	if d.Threshold != 10 || d.Products[0].Available != 10 || d.Products[0].Package != "std-1y" || d.Products[0].DCName != "Germany (Frankfurt)" {
		t.Errorf("digest %+v", d)
	}
	if len(d.Recipients) != 1 || d.Recipients[0] != "owner@acme.example" {
		t.Errorf("recipients %q", d.Recipients)
	}
	if n := f.outboxCount(t); n != 1 {
		t.Errorf("%d outbox rows, want 1", n)
	}
}

func TestAlerts_NoAlertAboveTheThresholdOrForAProductThatNeverHadCodes(t *testing.T) {
	f := newFixture(t)
	f.newProduct(t, "eu-frankfurt", "PK-EMPTY") // 0 codes, never assigned
	f.buy(t, "o-1", "std-1y", 20)
	f.assign(t, f.product.ID, 20)
	f.connect(t, "dev-1") // 19 left
	if n, err := f.st.EvaluateAlerts(f.ctx); err != nil || n != 0 {
		t.Fatalf("evaluate raised %d (%v), want 0", n, err)
	}
	if got := f.digest(t); len(got) != 0 {
		t.Errorf("digests %v, want none", got)
	}
}

func TestAlerts_ShortfallNamesTheMissingCodesAndTheFirstLapse(t *testing.T) {
	f := newFixture(t)
	if err := f.st.SetAlertThreshold(f.ctx, store.Scope{AccountID: f.account.ID},
		store.AlertThresholdInput{Threshold: 0, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.assign(t, f.product.ID, 5)
	f.connect(t, "dev-1")
	f.clock.Advance(time.Hour)
	f.connect(t, "dev-2")
	f.clock.Advance(time.Hour)
	f.connect(t, "dev-3") // 2 codes left, 3 devices expiring in a year
	if n, err := f.st.EvaluateAlerts(f.ctx); err != nil || n != 0 {
		t.Fatalf("a year ahead: evaluate raised %d (%v), want 0", n, err)
	}
	f.clock.Set(epoch.AddDate(1, 0, -20)) // all three due within 30 days, 2 codes
	if n, err := f.st.EvaluateAlerts(f.ctx); err != nil || n != 1 {
		t.Fatalf("evaluate raised %d (%v), want 1", n, err)
	}
	got := f.digest(t)
	wantAlerts(t, got, "PK-1: shortfall")
	sf := got[0].Products[0].Shortfall
	if want := year(epoch.Add(2 * time.Hour)); sf.Due != 3 || sf.Missing != 1 || !sf.FirstLapse.Equal(want) {
		t.Errorf("shortfall %+v, want 3 due, 1 missing, first lapse %s (dev-3's expiry)", sf, want)
	}
}

func TestAlerts_ShortfallIgnoresBlacklistedDevicesAndProductsWithRenewalOff(t *testing.T) {
	f := newFixture(t)
	if err := f.st.SetAlertThreshold(f.ctx, store.Scope{AccountID: f.account.ID},
		store.AlertThresholdInput{Threshold: 0, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.assign(t, f.product.ID, 3)
	f.connect(t, "dev-1")
	f.connect(t, "dev-2") // 1 code left, 2 due
	if _, err := f.st.SetBlacklisted(f.ctx, f.scope(),
		store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"dev-2"}, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(epoch.AddDate(1, 0, -10))
	if n, err := f.st.EvaluateAlerts(f.ctx); err != nil || n != 0 {
		t.Fatalf("blacklisted device counted: raised %d (%v)", n, err)
	}
	// Off the blacklist: the shortfall is raised in the same transaction.
	if _, err := f.st.SetBlacklisted(f.ctx, f.scope(),
		store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"dev-2"}, Blacklisted: false, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetAutoRenew(f.ctx, f.scope(),
		store.AutoRenewInput{ProductID: f.product.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if got := f.digest(t); len(got) != 0 {
		t.Fatalf("renewal off: digests %v, want the shortfall dropped", alertsOf(got[0]))
	}
	if err := f.st.SetAutoRenew(f.ctx, f.scope(),
		store.AutoRenewInput{ProductID: f.product.ID, On: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	wantAlerts(t, f.digest(t), "PK-1: shortfall")
}

func TestAlerts_RefusedDeviceAlertsWithTheWaitingCount(t *testing.T) {
	f := newFixture(t)
	for _, dk := range []string{"dev-1", "dev-2"} {
		if _, err := f.st.Connect(f.ctx, "PK-1", dk, "eu-frankfurt"); !store.HasCode(err, store.CodeNoActivationCode) {
			t.Fatalf("connect %s: %v", dk, err)
		}
	}
	got := f.digest(t)
	wantAlerts(t, got, "PK-1: refused")
	if r := got[0].Products[0].Refused; r.Waiting != 2 || !r.Since.Equal(epoch) {
		t.Errorf("refused %+v, want 2 waiting since %s", r, epoch)
	}
}

func TestAlerts_RefusedIsDroppedOnceCodesAreAssigned(t *testing.T) {
	f := newFixture(t)
	f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
	f.assign(t, f.product.ID, 10)
	if got := f.digest(t); len(got) != 0 {
		t.Errorf("digests %v, want none: the device gets a code when it comes back", alertsOf(got[0]))
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM alert_events WHERE raised_at IS NOT NULL`); n != 0 {
		t.Errorf("%d triggers still raised, want them cleared", n)
	}
}

func TestAlerts_LapsesForLackOfACodeAreCountedByTheRenewalPass(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 2)
	f.connect(t, "dev-1")
	f.connect(t, "dev-2")
	f.digest(t) // the low codes alert of the two connects
	f.clock.Set(year(epoch).Add(time.Hour))
	if st := f.pass(t); st.Lapsed != 2 {
		t.Fatalf("pass %+v, want 2 lapsed", st)
	}
	if _, err := f.st.EvaluateAlerts(f.ctx); err != nil { // still low: a year after the last mail, it goes again
		t.Fatal(err)
	}
	got := f.digest(t)
	wantAlerts(t, got, "PK-1: lapsed low_codes")
	if l := got[0].Products[0].Lapsed; l.Devices != 2 {
		t.Errorf("lapsed %+v, want 2 devices", l)
	}
}

func TestAlerts_ChosenLapsesAreNotAlerts(t *testing.T) {
	f := newFixture(t)
	if err := f.st.SetAlertThreshold(f.ctx, store.Scope{AccountID: f.account.ID},
		store.AlertThresholdInput{Threshold: 0, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.assign(t, f.product.ID, 5)
	f.connect(t, "dev-1")
	if err := f.st.SetAutoRenew(f.ctx, f.scope(),
		store.AutoRenewInput{ProductID: f.product.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(year(epoch).Add(time.Hour))
	if st := f.pass(t); st.Lapsed != 1 {
		t.Fatalf("pass %+v", st)
	}
	if got := f.digest(t); len(got) != 0 {
		t.Errorf("a lapse with renewal off alerted: %v", alertsOf(got[0]))
	}
}

func TestAlerts_ALapseOnConnectAlerts(t *testing.T) {
	f := newFixture(t)
	if err := f.st.SetAlertThreshold(f.ctx, store.Scope{AccountID: f.account.ID},
		store.AlertThresholdInput{Threshold: 0, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.assign(t, f.product.ID, 1)
	f.connect(t, "dev-1")
	f.digest(t)
	f.clock.Set(year(epoch).Add(time.Minute)) // before the worker's pass
	if _, err := f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt"); !store.HasCode(err, store.CodeExpired) {
		t.Fatalf("connect: %v", err)
	}
	f.clock.Advance(store.AlertThrottle)
	wantAlerts(t, f.digest(t), "PK-1: lapsed")
}

func TestAlerts_ThrottleOncePerDayPerTriggerAndProduct(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 10)
	f.connect(t, "dev-1")
	wantAlerts(t, f.digest(t), "PK-1: low_codes")
	f.connect(t, "dev-2")
	f.clock.Advance(time.Hour)
	if _, err := f.st.EvaluateAlerts(f.ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.digest(t); len(got) != 0 {
		t.Fatalf("an hour later: %v, want nothing (at most once per 24 hours)", alertsOf(got[0]))
	}
	f.clock.Set(epoch.Add(store.AlertThrottle))
	got := f.digest(t)
	wantAlerts(t, got, "PK-1: low_codes")
	if got[0].Products[0].Available != 8 {
		t.Errorf("available %d, want today's 8", got[0].Products[0].Available)
	}
	if n := f.outboxCount(t); n != 2 {
		t.Errorf("%d outbox rows, want 2 in two days", n)
	}
}

func TestAlerts_ProductsAlertingTogetherGoOutAsOneDigest(t *testing.T) {
	f := newFixture(t)
	other := f.newProduct(t, "eu-frankfurt", "PK-2")
	shanghai := f.newProduct(t, "cn-shanghai", "PK-CN")
	f.assign(t, f.product.ID, 5)
	f.connect(t, "dev-1")
	f.st.Connect(f.ctx, other.ProductKey, "dev-1", "eu-frankfurt")
	f.st.Connect(f.ctx, shanghai.ProductKey, "dev-1", "cn-shanghai")
	acme2 := f.newAccount(t, "individual", "eu-frankfurt", "someone@else.example")
	p2, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: acme2.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-ELSE", Name: "Elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	f.st.Connect(f.ctx, p2.ProductKey, "dev-1", "eu-frankfurt")

	f.clock.Advance(store.AlertGather)
	d := &digests{}
	n, err := f.st.DigestAlerts(f.ctx, d.render)
	if err != nil || n != 2 {
		t.Fatalf("digests %d (%v), want one per account", n, err)
	}
	var acme store.AlertDigest
	for _, x := range d.list {
		if x.AccountID == f.account.ID {
			acme = x
		}
	}
	if got := strings.Join(alertsOf(acme), ", "); got != "PK-CN: refused, PK-2: refused, PK-1: low_codes" {
		t.Errorf("Acme's digest: %q", got)
	}
	if n := f.outboxCount(t); n != 1 {
		t.Errorf("Acme has %d outbox rows, want one mail", n)
	}
}

func TestAlerts_ATriggerWaitsTheGatheringMinute(t *testing.T) {
	f := newFixture(t)
	f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
	d := &digests{}
	if n, err := f.st.DigestAlerts(f.ctx, d.render); err != nil || n != 0 {
		t.Fatalf("digested %d (%v) at once, want to wait for what comes with it", n, err)
	}
	f.clock.Advance(store.AlertGather / 2)
	other := f.newProduct(t, "eu-frankfurt", "PK-2")
	f.st.Connect(f.ctx, other.ProductKey, "dev-1", "eu-frankfurt")
	f.clock.Advance(store.AlertGather / 2)
	if n, err := f.st.DigestAlerts(f.ctx, d.render); err != nil || n != 1 {
		t.Fatalf("digested %d (%v), want 1", n, err)
	}
	wantAlerts(t, d.list, "PK-2: refused", "PK-1: refused") // by name: "Product PK-2", "Thermostat"
}

func TestAlerts_DeletedProductsAreDropped(t *testing.T) {
	f := newFixture(t)
	f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
	if err := f.st.DeleteProduct(f.ctx, "PK-1"); err != nil {
		t.Fatal(err)
	}
	if got := f.digest(t); len(got) != 0 {
		t.Errorf("a deleted product alerted: %v", alertsOf(got[0]))
	}
}

func TestAlerts_RecipientsAreTheOwnerAndTheListWithValidAddressesOnly(t *testing.T) {
	f := newFixture(t)
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "Ops", Email: "ops@acme.example", Actor: recipientActor}); err != nil {
		t.Fatal(err)
	}
	// Written past the page's validation, as an old row or a hand edit could be.
	if _, err := f.st.DB().ExecContext(f.ctx, `INSERT INTO alert_recipients (account_id, email) VALUES ($1, $2), ($1, 'not an@address.example')`,
		f.account.ID, "evil@acme.example\r\nBcc: spam@else.example"); err != nil {
		t.Fatal(err)
	}
	f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
	got := f.digest(t)
	if len(got) != 1 || strings.Join(got[0].Recipients, ",") != "owner@acme.example,ops@acme.example" {
		t.Fatalf("recipients %v", got)
	}
	var to string
	if err := f.st.DB().GetContext(f.ctx, &to, `SELECT array_to_string(recipients, ',') FROM outbox WHERE account_id = $1`, f.account.ID); err != nil {
		t.Fatal(err)
	}
	if to != "owner@acme.example,ops@acme.example" {
		t.Errorf("outbox recipients %q", to)
	}
}

func TestQueueMail_RefusesBadAddresses(t *testing.T) {
	f := newFixture(t)
	for _, bad := range []string{"", "owner@acme.example\r\nBcc: x@else.example", "Owner <owner@acme.example>", "a@b", "a@b.example, c@d.example", "a b@c.example"} {
		_, err := f.st.QueueMail(f.ctx, store.OutgoingMail{AccountID: f.account.ID, Kind: store.MailKindTest, DedupeKey: "k-" + bad,
			Recipients: []string{"owner@acme.example", bad}, Mail: store.Mail{Subject: "s", Text: "t", HTML: "h"}})
		wantCode(t, err, store.CodeInvalid)
	}
	if n := f.outboxCount(t); n != 0 {
		t.Errorf("%d rows reached the outbox", n)
	}
	// The table refuses them too, whoever writes.
	_, err := f.st.DB().ExecContext(f.ctx, `INSERT INTO outbox (account_id, kind, dedupe_key, recipients, subject, text_body, html_body, next_attempt_at, created_at)
		VALUES ($1, 'test', 'raw', ARRAY['ok@acme.example', E'x@acme.example\nBcc: y@else.example'], 's', 't', 'h', now(), now())`, f.account.ID)
	if err == nil || !strings.Contains(err.Error(), "check constraint") {
		t.Errorf("raw insert of a bad address: %v, want a check violation", err)
	}
}

func TestQueueMail_OneRowPerDedupeKey(t *testing.T) {
	f := newFixture(t)
	m := store.OutgoingMail{AccountID: f.account.ID, Kind: store.MailKindTest, DedupeKey: "same",
		Recipients: []string{"owner@acme.example"}, Mail: store.Mail{Subject: "s", Text: "t", HTML: "h"}}
	a, err := f.st.QueueMail(f.ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.st.QueueMail(f.ctx, m)
	if err != nil || a != b {
		t.Fatalf("second queue: id %d (%v), want %d", b, err, a)
	}
	if n := f.outboxCount(t); n != 1 {
		t.Errorf("%d rows", n)
	}
}

func TestSetAlertThreshold(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 10)
	if err := f.st.SetAlertThreshold(f.ctx, store.Scope{AccountID: f.account.ID},
		store.AlertThresholdInput{Threshold: 5, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.connect(t, "dev-1") // 9 left: above 5
	if got := f.digest(t); len(got) != 0 {
		t.Fatalf("alerted above the threshold: %v", alertsOf(got[0]))
	}
	for _, bad := range []int{-1, store.MaxAlertThreshold + 1} {
		e := wantCode(t, f.st.SetAlertThreshold(f.ctx, store.Scope{AccountID: f.account.ID},
			store.AlertThresholdInput{Threshold: bad, Actor: store.SystemActor("test")}), store.CodeInvalid)
		if e.Field != "threshold" {
			t.Errorf("field %q", e.Field)
		}
	}
	// Raising it makes the product low at once, in the same transaction.
	if err := f.st.SetAlertThreshold(f.ctx, store.Scope{AccountID: f.account.ID},
		store.AlertThresholdInput{Threshold: 100, Actor: store.Actor{Name: "owner@acme.example"}}); err != nil {
		t.Fatal(err)
	}
	wantAlerts(t, f.digest(t), "PK-1: low_codes")
	acc, err := f.st.Account(f.ctx, f.account.ID)
	if err != nil || acc.AlertThreshold != 100 {
		t.Fatalf("threshold %d (%v)", acc.AlertThreshold, err)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM audit_log WHERE account_id = $1 AND operation = 'alert threshold'
		AND description = 'changed the alert threshold from 5 to 100 available codes'`, f.account.ID); n != 1 {
		t.Errorf("%d audit rows", n)
	}
}
