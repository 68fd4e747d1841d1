package mailer

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"activation-console/cmd/console/mailer/mailtest"
	"activation-console/store"
)

// Each trigger (docs/alerts.md, "What raises an alert"), end to end: the ledger event or the
// worker's evaluation, the digest, the sender, a real SMTP server.

// wantText fails unless the text part holds every phrase.
func wantText(t *testing.T, r mailtest.Received, phrases ...string) {
	t.Helper()
	text := r.Text()
	for _, p := range phrases {
		if !strings.Contains(text, p) {
			t.Errorf("the mail does not say %q:\n%s", p, text)
		}
	}
	if strings.Contains(text, "&amp;") || strings.Contains(text, "&#") {
		t.Errorf("HTML entities in the text part:\n%s", text)
	}
}

func TestAlertMail_LowCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 10)
	f.connect(t, "PK-1", "dev-1") // 9 left, threshold 10
	if st := f.round(t); st.Digests != 1 || st.Sent != 1 {
		t.Fatalf("round %+v", st)
	}
	got := f.smtp.WaitFor(t, 1)
	r := got[0]
	if r.Subject != "Activation code alert: 1 product needs attention (Acme)" || strings.Join(r.To, ",") != "owner@acme.example" {
		t.Errorf("subject %q to %q", r.Subject, r.To)
	}
	id := strconv.FormatInt(f.product.ID, 10)
	wantText(t, r, "Thermostat", "PK PK-1, Germany (Frankfurt), package std-1y, 9 codes available",
		"Only 9 activation codes are left, at or below the alert threshold of 10.",
		"Assign codes:  https://console.example.com/eu-frankfurt/assign?product="+id,
		"Product page:  https://console.example.com/eu-frankfurt/products/"+id)
	html := r.HTML()
	if !strings.Contains(html, `href="https://console.example.com/eu-frankfurt/assign?product=`+id+`"`) || !strings.Contains(html, "<h2") {
		t.Errorf("HTML part:\n%s", html)
	}
	row := f.onlyRow(t)
	if row.Status != store.MailSent || r.MessageID != MessageID(row.DedupeKey, "alerts@console.example.com") {
		t.Errorf("row %s, Message-ID %q", row.Status, r.MessageID)
	}
}

func TestAlertMail_Shortfall(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.st.SetAlertThreshold(f.ctx, store.Scope{AccountID: f.account.ID},
		store.AlertThresholdInput{Threshold: 0, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.assign(t, f.product.ID, 4)
	for i := 1; i <= 3; i++ {
		f.connect(t, "PK-1", "dev-"+strconv.Itoa(i))
		f.clock.Advance(24 * time.Hour)
	}
	// 1 code left, 3 devices expire within 30 days: 2 will go offline.
	f.clock.Set(epoch.AddDate(1, 0, -14))
	if _, err := f.st.EvaluateAlerts(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.round(t)
	r := f.smtp.WaitFor(t, 1)[0]
	// dev-2 is the first without a code: its code expires a year after its connect.
	wantText(t, r, "2 devices will go offline at expiry, the first on 2 Jan 2027 at 12:00 UTC: 3 devices are due to renew in the next 30 days and only 1 code is available.")
}

func TestAlertMail_RefusedDevice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.connect(t, "PK-1", "dev-1")
	f.round(t)
	r := f.smtp.WaitFor(t, 1)[0]
	wantText(t, r, "PK PK-1, Germany (Frankfurt), no package yet, 0 codes available",
		"1 device has been refused since 1 Jan 2026 at 12:00 UTC because the product has no activation code. It waits for a first code and connects once codes are assigned.")
}

func TestAlertMail_LapsedDevices(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 3)
	for _, dk := range []string{"dev-1", "dev-2", "dev-3"} {
		f.connect(t, "PK-1", dk)
	}
	f.round(t) // the low codes alert
	f.clock.Set(epoch.AddDate(1, 0, 1))
	if _, err := f.st.RenewalPass(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.round(t)
	got := f.smtp.WaitFor(t, 2)
	wantText(t, got[1], "3 devices went offline since 2 Jan 2027 at 12:00 UTC: their codes expired and the product had none left to renew them.")
	if strings.Contains(got[1].Text(), "activation codes are left") {
		t.Errorf("the low codes alert went again within 24 hours:\n%s", got[1].Text())
	}
}

func TestAlertMail_ThrottleOncePerDay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 10)
	f.connect(t, "PK-1", "dev-1")
	f.round(t)
	for i := 2; i <= 5; i++ { // more consumption and the worker's evaluations, within the day
		f.clock.Advance(time.Hour)
		f.connect(t, "PK-1", "dev-"+strconv.Itoa(i))
		f.st.EvaluateAlerts(f.ctx)
		f.round(t)
	}
	if n := len(f.smtp.Received()); n != 1 {
		t.Fatalf("%d mails within 24 hours, want 1", n)
	}
	f.clock.Set(epoch.Add(store.AlertThrottle + time.Hour))
	f.round(t)
	got := f.smtp.WaitFor(t, 2)
	wantText(t, got[1], "Only 5 activation codes are left")
}

func TestAlertMail_DigestOfSeveralProducts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 2)
	f.connect(t, "PK-1", "dev-1")
	for _, pk := range []string{"PK-2", "PK-3"} {
		if _, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: pk, Name: "Sensor " + pk}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			f.connect(t, pk, "dev-"+strconv.Itoa(i))
		}
	}
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "", Email: "ops@acme.example", Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if st := f.round(t); st.Digests != 1 || st.Sent != 1 {
		t.Fatalf("round %+v, want one digest", st)
	}
	got := f.smtp.WaitFor(t, 1)
	r := got[0]
	if r.Subject != "Activation code alert: 3 products need attention (Acme)" || strings.Join(r.To, ",") != "owner@acme.example,ops@acme.example" {
		t.Errorf("subject %q, to %q", r.Subject, r.To)
	}
	wantText(t, r, "3 products of Acme need activation codes.", "Sensor PK-2", "Sensor PK-3", "Thermostat",
		"3 devices have been refused since 1 Jan 2026 at 12:00 UTC")
	time.Sleep(50 * time.Millisecond)
	if n := len(f.smtp.Received()); n != 1 {
		t.Errorf("%d mails, want one digest", n)
	}
}

// A digest to recipients of several languages goes once per language, each
// mail to its language's addresses (docs/i18n.md): here the owner, who chose
// Chinese, and a Chinese recipient get one in Chinese, an English recipient
// one in English.
func TestAlertMail_OnceInEachRecipientsLanguage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var owner int64
	if err := f.st.DB().GetContext(f.ctx, &owner, `SELECT id FROM users WHERE account_id = $1 AND role = 'owner'`, f.account.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetLanguage(f.ctx, owner, string(store.Chinese)); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"ops@acme.example", "wang@acme.example"} {
		if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
			store.RecipientInput{Name: "", Email: email, Actor: store.SystemActor("test")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.DB().ExecContext(f.ctx, `UPDATE alert_recipients SET language = 'zh-CN' WHERE email = 'wang@acme.example'`); err != nil {
		t.Fatal(err)
	}
	f.assign(t, f.product.ID, 10)
	f.connect(t, "PK-1", "dev-1") // 9 left, threshold 10
	if st := f.round(t); st.Digests != 1 || st.Sent != 2 {
		t.Fatalf("round %+v, want one digest sent as two mails", st)
	}
	got := map[string]mailtest.Received{}
	for _, r := range f.smtp.WaitFor(t, 2) {
		got[strings.Join(r.To, ",")] = r
	}
	zh, en := got["owner@acme.example,wang@acme.example"], got["ops@acme.example"]
	if len(got) != 2 || zh.Subject != "激活码告警：1 个产品需要处理（Acme）" || en.Subject != "Activation code alert: 1 product needs attention (Acme)" {
		t.Fatalf("mails by recipients: %v", subjects(got))
	}
	wantText(t, zh, "Acme 的激活码告警", "ProductKey PK-1，Germany (Frankfurt)，套餐 std-1y，可用激活码 9 个",
		"可用激活码仅剩 9 个，已达到或低于告警阈值 10。", "分配激活码：https://console.example.com/eu-frankfurt/assign?product=")
	wantText(t, en, "Only 9 activation codes are left, at or below the alert threshold of 10.")
	if !strings.Contains(zh.HTML(), `<html lang="zh-CN">`) || !strings.Contains(en.HTML(), `<html lang="en">`) {
		t.Errorf("HTML parts not marked with their language:\n%s\n%s", zh.HTML(), en.HTML())
	}
	if strings.Contains(zh.Text(), "activation") || strings.Contains(en.Text(), "激活码") {
		t.Errorf("a mail in the other language:\n%s\n%s", zh.Text(), en.Text())
	}
}

func subjects(ms map[string]mailtest.Received) map[string]string {
	out := map[string]string{}
	for to, m := range ms {
		out[to] = m.Subject
	}
	return out
}
