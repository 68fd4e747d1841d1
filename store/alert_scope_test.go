package store_test

import (
	"strconv"
	"strings"
	"testing"

	"activation-console/handlers"
	"activation-console/migrations"
	"activation-console/store"
	"activation-console/store/storetest"
	"activation-console/views/mail"
)

// Tenant scope in alert mail (docs/SECURITY.md): a recipient's mail names
// only what the user who added it may see when the digest is written.

// scopeFixture is Acme with two products, PK-1 and PK-2, a sub-account that
// sees PK-1 only and one that sees every product, each with a recipient it
// added, and one recipient the owner added.
type scopeFixture struct {
	*fixture
	other          store.Product
	scoped, allOf  store.Member
	scopedActor    store.Actor
	allActor       store.Actor
	scopedReceiver store.Recipient
}

func newScopeFixture(t *testing.T) *scopeFixture {
	t.Helper()
	f := &scopeFixture{fixture: newFixture(t,
		storetest.WithProduct("PK-2", "Product PK-2", 0),
		storetest.WithSubAccount("scoped@acme.example", false, "PK-1"),
		storetest.WithSubAccount("all@acme.example", false))}
	f.other = f.base.Products["PK-2"]
	f.scoped, f.allOf = f.base.Members["scoped@acme.example"], f.base.Members["all@acme.example"]
	f.scopedActor = store.Actor{UserID: f.scoped.ID, Name: f.scoped.Email}
	f.allActor = store.Actor{UserID: f.allOf.ID, Name: f.allOf.Email}
	var err error
	if f.scopedReceiver, err = f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "", Email: "mallory@outside.example", Actor: f.scopedActor}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "", Email: "ops@acme.example", Actor: recipientActor}); err != nil {
		t.Fatal(err)
	}
	var owner int64
	if err := f.st.DB().GetContext(f.ctx, &owner, `SELECT id FROM users WHERE account_id = $1 AND role = 'owner'`, f.account.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "", Email: "boss@acme.example", Actor: store.Actor{UserID: owner, Name: "owner@acme.example"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "", Email: "team@acme.example", Actor: f.allActor}); err != nil {
		t.Fatal(err)
	}
	return f
}

// alertBoth raises low codes on PK-1 and a refusal on PK-2.
func (f *scopeFixture) alertBoth(t *testing.T) {
	t.Helper()
	f.assign(t, f.product.ID, 5)
	f.connect(t, "dev-1")
	f.alertOther(t)
}

// alertOther raises a refusal on PK-2 alone.
func (f *scopeFixture) alertOther(t *testing.T) {
	t.Helper()
	if _, err := f.st.Connect(f.ctx, f.other.ProductKey, "dev-1", "eu-frankfurt"); !store.HasCode(err, store.CodeNoActivationCode) {
		t.Fatalf("connect to PK-2: %v", err)
	}
}

// byRecipients is each digest's products by its recipients.
func byRecipients(ds []store.AlertDigest) map[string]string {
	out := map[string]string{}
	for _, d := range ds {
		out[strings.Join(d.Recipients, ",")] = strings.Join(alertsOf(d), ", ")
	}
	return out
}

func TestDigest_AScopedSubAccountsRecipientHearsOnlyOfItsProducts(t *testing.T) {
	f := newScopeFixture(t)
	f.alertBoth(t)
	got := byRecipients(f.digest(t))
	want := map[string]string{
		"owner@acme.example,ops@acme.example,boss@acme.example,team@acme.example": "PK-2: refused, PK-1: low_codes",
		"mallory@outside.example": "PK-1: low_codes",
	}
	if len(got) != len(want) {
		t.Fatalf("digests %q, want %q", got, want)
	}
	for to, alerts := range want {
		if got[to] != alerts {
			t.Errorf("digest to %s: %q, want %q (all: %q)", to, got[to], alerts, got)
		}
	}
	// The delivery log knows which products each mail names.
	var ids string
	if err := f.st.DB().GetContext(f.ctx, &ids, `SELECT array_to_string(product_ids, ',') FROM outbox WHERE recipients = ARRAY['mallory@outside.example']`); err != nil {
		t.Fatal(err)
	}
	if ids != itoa64(f.product.ID) {
		t.Errorf("the scoped mail names products %q, want %d", ids, f.product.ID)
	}
}

func TestDigest_NoMailToAScopedRecipientWhenOnlyOtherProductsAlert(t *testing.T) {
	f := newScopeFixture(t)
	f.alertOther(t)
	got := f.digest(t)
	if len(got) != 1 || strings.Contains(strings.Join(got[0].Recipients, ","), "mallory") {
		t.Fatalf("digests %v: want one, not to the scoped sub-account's recipient", byRecipients(got))
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM outbox WHERE 'mallory@outside.example' = ANY(recipients)`); n != 0 {
		t.Errorf("%d mails to the scoped recipient", n)
	}
}

func TestDigest_TheScopedMailsWordsAndCountsAreItsOwn(t *testing.T) {
	f := newScopeFixture(t)
	f.alertBoth(t)
	f.clock.Advance(store.AlertGather)
	if _, err := f.st.DigestAlerts(f.ctx, mail.NewRenderer("https://console.example.com", handlers.Reverse()).Alert); err != nil {
		t.Fatal(err)
	}
	var m struct {
		Subject string `db:"subject"`
		Text    string `db:"text_body"`
		HTML    string `db:"html_body"`
	}
	if err := f.st.DB().GetContext(f.ctx, &m, `SELECT subject, text_body, html_body FROM outbox WHERE recipients = ARRAY['mallory@outside.example']`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Subject, "1 product needs attention") {
		t.Errorf("subject %q: want the count of its own products", m.Subject)
	}
	for _, part := range []string{m.Text, m.HTML} {
		if !strings.Contains(part, "PK-1") || strings.Contains(part, "PK-2") || strings.Contains(part, "Product PK-2") ||
			strings.Contains(part, "product="+itoa64(f.other.ID)) || strings.Contains(part, "2 products") {
			t.Errorf("the scoped mail names what its adder cannot see:\n%s", part)
		}
	}
}

// Languages split a digest further, never widen it: the scoped
// recipient's Chinese mail still names only its adder's products, and each
// language's mail goes only to the addresses of that language.
func TestDigest_EachLanguageGetsItsOwnMailWithinTheScope(t *testing.T) {
	f := newScopeFixture(t)
	if _, err := f.st.DB().ExecContext(f.ctx, `UPDATE alert_recipients SET language = 'zh-CN'
		WHERE email IN ('mallory@outside.example', 'ops@acme.example')`); err != nil {
		t.Fatal(err)
	}
	f.alertBoth(t)
	f.clock.Advance(store.AlertGather)
	if _, err := f.st.DigestAlerts(f.ctx, mail.NewRenderer("https://console.example.com", handlers.Reverse()).Alert); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		To      string `db:"recipients"`
		Subject string `db:"subject"`
		Text    string `db:"text_body"`
	}
	if err := f.st.DB().SelectContext(f.ctx, &rows, `SELECT array_to_string(recipients, ',') AS recipients, subject, text_body
		FROM outbox WHERE kind = 'alert' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.To] = r.Subject
		if r.To == "mallory@outside.example" && (strings.Contains(r.Text, "PK-2") || !strings.Contains(r.Text, "PK-1")) {
			t.Errorf("the scoped Chinese mail names what its adder cannot see:\n%s", r.Text)
		}
	}
	want := map[string]string{
		"owner@acme.example,boss@acme.example,team@acme.example": "Activation code alert: 2 products need attention (Acme)",
		"ops@acme.example":        "激活码告警：2 个产品需要处理（Acme）",
		"mallory@outside.example": "激活码告警：1 个产品需要处理（Acme）",
	}
	if len(got) != len(want) {
		t.Fatalf("mails %q, want %q", got, want)
	}
	for to, subject := range want {
		if got[to] != subject {
			t.Errorf("mail to %s: %q, want %q", to, got[to], subject)
		}
	}
}

func TestDigest_FollowsTheAddersScopeAtSendTime(t *testing.T) {
	f := newScopeFixture(t)
	// The sub-account now sees PK-2 instead of PK-1: its recipient follows.
	if _, err := f.st.UpdateMember(f.ctx, store.Scope{AccountID: f.account.ID},
		store.MemberInput{ID: f.scoped.ID, Actor: store.SystemActor("test"), Name: "scoped", AllProducts: false,
			ProductIDs: []int64{f.other.ID}}); err != nil {
		t.Fatal(err)
	}
	f.alertBoth(t)
	if got := byRecipients(f.digest(t)); got["mallory@outside.example"] != "PK-2: refused" {
		t.Fatalf("after the scope changed: %q", got)
	}
	// Disabled, its recipients hear nothing more.
	if err := f.st.DisableMember(f.ctx, store.Scope{AccountID: f.account.ID},
		store.MemberStatusInput{ID: f.scoped.ID, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(store.AlertThrottle)
	f.alertBoth(t)
	got := f.digest(t)
	for _, d := range got {
		if strings.Contains(strings.Join(d.Recipients, ","), "mallory") {
			t.Fatalf("a disabled sub-account's recipient still gets %q", byRecipients(got))
		}
	}
	if len(got) != 1 {
		t.Errorf("digests %q, want the owner's only", byRecipients(got))
	}
}

func TestRecipientsSeenBy_AScopedSubAccountSeesAndRemovesOnlyItsOwn(t *testing.T) {
	f := newScopeFixture(t)
	emails := func(userID int64) string {
		rs, err := f.st.RecipientsSeenBy(f.ctx, f.account.ID, userID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.Email+"/"+r.Reach)
		}
		return strings.Join(out, ",")
	}
	if got := emails(f.scoped.ID); got != "owner@acme.example/all,mallory@outside.example/chosen" {
		t.Errorf("the scoped sub-account sees %s", got)
	}
	all := "owner@acme.example/all,mallory@outside.example/chosen,ops@acme.example/all,boss@acme.example/all,team@acme.example/all"
	if got := emails(f.allOf.ID); got != all {
		t.Errorf("the all-products sub-account sees %s", got)
	}
	rs, _ := f.st.Recipients(f.ctx, f.account.ID)
	for _, r := range rs {
		if r.Email != "mallory@outside.example" && !r.Owner {
			if _, err := f.st.RemoveRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
				store.RemoveRecipientInput{ID: r.ID, Actor: f.scopedActor}); !store.HasCode(err, store.CodeUnknownRecipient) {
				t.Errorf("the scoped sub-account removed %s: %v", r.Email, err)
			}
		}
	}
	if _, err := f.st.RemoveRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RemoveRecipientInput{ID: f.scopedReceiver.ID, Actor: f.scopedActor}); err != nil {
		t.Errorf("the scoped sub-account cannot remove its own recipient: %v", err)
	}
}

func TestDeliveriesSeenBy_AScopedSubAccountSeesOnlyMailsWithinItsScope(t *testing.T) {
	f := newScopeFixture(t)
	f.alertBoth(t)
	f.digest(t)
	ds, err := f.st.DeliveriesSeenBy(f.ctx, f.account.ID, f.scoped.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || strings.Join(ds[0].Recipients, ",") != "mallory@outside.example" {
		t.Errorf("the scoped sub-account's delivery log: %+v", ds)
	}
	if all, _ := f.st.DeliveriesSeenBy(f.ctx, f.account.ID, f.allOf.ID); len(all) != 2 {
		t.Errorf("the all-products sub-account sees %d mails, want 2", len(all))
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func TestMigration00011_FindsTheAdderOfEarlierRecipientsInTheAuditLog(t *testing.T) {
	f := newScopeFixture(t)
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "Eve Named", Email: "eve@outside.example", Actor: f.scopedActor}); err != nil {
		t.Fatal(err)
	}
	// As before the migration: nobody recorded as adder.
	if _, err := f.st.DB().ExecContext(f.ctx, `UPDATE alert_recipients SET added_by = NULL`); err != nil {
		t.Fatal(err)
	}
	src, err := migrations.FS.ReadFile("00011_recipient_scope.sql")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(src), "UPDATE alert_recipients")
	end := strings.Index(string(src[start:]), ";\n")
	if _, err := f.st.DB().ExecContext(f.ctx, string(src[start:start+end])); err != nil {
		t.Fatal(err)
	}
	rs, err := f.st.Recipients(f.ctx, f.account.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.Email+"/"+r.AddedByEmail)
	}
	want := "owner@acme.example/,mallory@outside.example/scoped@acme.example,ops@acme.example/,boss@acme.example/owner@acme.example," +
		"team@acme.example/all@acme.example,eve@outside.example/scoped@acme.example"
	if strings.Join(got, ",") != want {
		t.Errorf("adders found: %s\nwant %s", strings.Join(got, ","), want)
	}
}

func TestRecipientScope_AnotherAccountsUserSeesAndReachesNothingHere(t *testing.T) {
	f := newScopeFixture(t)
	beta := f.newAccount(t, "enterprise", "eu-frankfurt", "owner@beta.example")
	var stranger int64
	if err := f.st.DB().GetContext(f.ctx, &stranger, `SELECT id FROM users WHERE account_id = $1 AND role = 'owner'`, beta.ID); err != nil {
		t.Fatal(err)
	}
	// Beta's owner as the adder of an Acme recipient (the console never writes this).
	if _, err := f.st.DB().ExecContext(f.ctx, `UPDATE alert_recipients SET added_by = $1 WHERE email = 'ops@acme.example'`, stranger); err != nil {
		t.Fatal(err)
	}
	f.alertBoth(t)
	for _, d := range f.digest(t) {
		if strings.Contains(strings.Join(d.Recipients, ","), "ops@") {
			t.Errorf("a recipient whose adder is of another account gets %q", alertsOf(d))
		}
	}
	if rs, _ := f.st.RecipientsSeenBy(f.ctx, f.account.ID, stranger); len(rs) != 2 || rs[1].Email != "ops@acme.example" {
		t.Errorf("Beta's owner sees in Acme: %+v", rs)
	}
	if ds, _ := f.st.DeliveriesSeenBy(f.ctx, f.account.ID, stranger); len(ds) != 0 {
		t.Errorf("Beta's owner sees %d of Acme's mails", len(ds))
	}
	if _, err := f.st.RemoveRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RemoveRecipientInput{ID: f.scopedReceiver.ID, Actor: store.Actor{UserID: stranger}}); !store.HasCode(err, store.CodeUnknownRecipient) {
		t.Errorf("Beta's owner removed an Acme recipient: %v", err)
	}
}
