package handlers_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"activation-console/cmd/console/mailer"
	"activation-console/cmd/console/mailer/mailtest"
	"activation-console/handlers"
	"activation-console/store"
	"activation-console/views/mail"
)

// The alert side of the recipients page (docs/pages.md, "7. Alert recipients"): the test
// alert goes through the outbox to a real SMTP server, the threshold, the
// delivery log.

// alertConsole is the console fixture as serve builds it with SMTP_URL set,
// and a sender to an SMTP server in the process.
func alertConsole(t *testing.T, mailServer string) (*consoleFixture, *mailtest.Server, *mailer.Sender) {
	t.Helper()
	f := newConsole(t)
	f.srv = newServer(t, handlers.Config{Store: f.st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		PublicURL: "https://console.example.com", MailServer: mailServer})
	srv := mailtest.Start(t, mailtest.Plain)
	s := &mailer.Sender{Store: f.st, Transport: mailer.SMTP{Settings: mailer.SMTPSettings{Host: srv.Host, Port: srv.Port, TLS: mailer.TLSOff}},
		Render: mail.NewRenderer("https://console.example.com", handlers.Reverse()).Alert, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return f, srv, s
}

// deliveryRows are the delivery log's rows as "recipients | subject | status".
func deliveryRows(doc *goquery.Document) []string {
	var rows []string
	doc.Find("#deliveries tbody tr").Each(func(_ int, tr *goquery.Selection) {
		td := tr.Find("td")
		rows = append(rows, text(td.Eq(1))+" | "+text(td.Eq(2))+" | "+text(td.Eq(3)))
	})
	return rows
}

func TestSendTestAlert_QueuesItAndTheSenderDeliversIt(t *testing.T) {
	t.Parallel()
	f, smtp, sender := alertConsole(t, "mail.example.com:587 (TLS: starttls)")
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "Bob", Email: "bob@acme.example", Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	_, doc := b.get(recipientsPath, false)
	if got := text(doc.Find(`form[action="/eu-frankfurt/recipients/test"] button`)); got != "Send test alert" {
		t.Fatalf("button %q", got)
	}
	if got := text(doc.Find("#deliveries .empty")); !strings.HasPrefix(got, "No alert mails yet.") {
		t.Errorf("empty delivery log says %q", got)
	}

	rec, part := b.post("/eu-frankfurt/recipients/test", nil, true)
	want := "Test alert queued for 2 recipients. It goes out within a few seconds; the delivery log below shows when."
	if rec.Code != http.StatusOK || text(part.Find(".flash")) != want {
		t.Fatalf("htmx: %d %s", rec.Code, rec.Body)
	}
	oob := part.Find(`#deliveries[hx-swap-oob="true"]`)
	if rows := deliveryRows(part); len(rows) != 1 || rows[0] != "owner@acme.example, bob@acme.example | Test alert: activation codes of Acme | Queued" {
		t.Errorf("delivery log after queueing: %q", rows)
	}
	if trig, _ := oob.Attr("hx-trigger"); trig != "every 3s" {
		t.Errorf("a queued mail's log does not refresh itself: hx-trigger %q", trig)
	}

	if st, err := sender.RunOnce(f.ctx); err != nil || st.Sent != 1 {
		t.Fatalf("sender %+v (%v)", st, err)
	}
	got := smtp.WaitFor(t, 1)
	if strings.Join(got[0].To, ",") != "owner@acme.example,bob@acme.example" || got[0].Subject != "Test alert: activation codes of Acme" {
		t.Errorf("received %+v", got[0])
	}
	for _, s := range []string{"Test alert for Acme", "fall to 10 or fewer", "  bob@acme.example", "Sent by owner@acme.example",
		"Recipients and threshold: https://console.example.com/eu-frankfurt/recipients"} {
		if !strings.Contains(got[0].Text(), s) {
			t.Errorf("the test mail does not say %q:\n%s", s, got[0].Text())
		}
	}

	// The log refreshes itself (HX-Target: deliveries) and stops once nothing is pending.
	rec = doHX(b, recipientsPath, "deliveries")
	frag, _ := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if rows := deliveryRows(frag); len(rows) != 1 || !strings.HasSuffix(rows[0], "| Sent "+text(frag.Find("td.delivery-status time"))) {
		t.Errorf("refreshed log: %q", rows)
	}
	if frag.Find("#recipients").Length() != 0 {
		t.Error("the refresh sent the whole page")
	}
	if _, ok := frag.Find("#deliveries").Attr("hx-trigger"); ok {
		t.Error("the log keeps refreshing with nothing pending")
	}
}

// doHX sends an htmx GET aimed at the element with the given id, as the
// delivery log's refresh does.
func doHX(b *browser, path, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", target)
	for _, c := range b.jar.Cookies(site.ResolveReference(&url.URL{Path: path})) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, req)
	return rec
}

func TestSendTestAlert_WithoutJavaScriptAndWithoutAMailServer(t *testing.T) {
	t.Parallel()
	f, _, _ := alertConsole(t, "")
	b := f.owner(t)
	_, doc := b.get(recipientsPath, false)
	if got := text(doc.Find("#deliveries .notice")); !strings.HasPrefix(got, "No mail server is configured (SMTP_URL)") {
		t.Errorf("notice %q", got)
	}
	rec, _ := b.post("/eu-frankfurt/recipients/test", nil, false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != recipientsPath {
		t.Fatalf("plain: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	_, doc = b.get(recipientsPath, false)
	want := "Test alert queued for 1 recipient. No mail server is configured (SMTP_URL), so it is written to the console's log instead of being sent."
	if got := text(doc.Find("main > .flash")); got != want {
		t.Errorf("flash %q", got)
	}
	if rows := deliveryRows(doc); len(rows) != 1 || !strings.HasSuffix(rows[0], "| Queued") {
		t.Errorf("delivery log %q", rows)
	}
}

func TestSendTestAlert_BadAddressesNeverReachTheOutbox(t *testing.T) {
	t.Parallel()
	f, smtp, sender := alertConsole(t, "relay")
	// An address written past the page's validation (an old row, a hand edit).
	if _, err := f.st.DB().ExecContext(f.ctx, `INSERT INTO alert_recipients (account_id, email) VALUES ($1, $2)`,
		f.account.ID, "evil@acme.example\r\nBcc: spam@else.example"); err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	b.get(recipientsPath, false)
	if _, part := b.post("/eu-frankfurt/recipients/test", nil, true); !strings.HasPrefix(text(part.Find(".flash")), "Test alert queued for 1 recipient.") {
		t.Errorf("flash %q", text(part.Find(".flash")))
	}
	var to string
	if err := f.st.DB().GetContext(f.ctx, &to, `SELECT array_to_string(recipients, ',') FROM outbox`); err != nil || to != "owner@acme.example" {
		t.Errorf("outbox recipients %q (%v)", to, err)
	}
	sender.RunOnce(f.ctx)
	if r := smtp.WaitFor(t, 1); strings.Join(r[0].To, ",") != "owner@acme.example" || strings.Contains(string(r[0].Data), "spam@") {
		t.Errorf("received %+v", r[0])
	}
}

func TestSetAlertThreshold_SavesAndIsAudited(t *testing.T) {
	t.Parallel()
	f, _, _ := alertConsole(t, "relay")
	b := f.owner(t)
	_, doc := b.get(recipientsPath, false)
	if v, _ := doc.Find("#alert-threshold-input").Attr("value"); v != "10" || text(doc.Find(`label[for="alert-threshold-input"]`)) == "" {
		t.Fatalf("threshold field shows %q", v)
	}
	rec, _ := b.post("/eu-frankfurt/recipients/threshold", url.Values{"threshold": {"25"}}, true)
	if rec.Code != http.StatusOK || rec.Header().Get("HX-Location") == "" {
		t.Fatalf("htmx save: %d %q", rec.Code, rec.Header())
	}
	_, doc = b.get(recipientsPath, false)
	if got := text(doc.Find("main > .flash")); got != "Products now alert when they have 25 available codes or fewer." {
		t.Errorf("flash %q", got)
	}
	if v, _ := doc.Find("#alert-threshold-input").Attr("value"); v != "25" {
		t.Errorf("field shows %q after saving 25", v)
	}
	if n := countAudit(t, f, "alert threshold"); n != 1 {
		t.Errorf("%d audit rows", n)
	}
	// Without JavaScript: 303 back to the page.
	rec, _ = b.post("/eu-frankfurt/recipients/threshold", url.Values{"threshold": {"1,000"}}, false)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("plain save: %d", rec.Code)
	}
	if acc, _ := f.st.Account(f.ctx, f.account.ID); acc.AlertThreshold != 1000 {
		t.Errorf("threshold %d, want 1000", acc.AlertThreshold)
	}
}

func TestSetAlertThreshold_RefusalsShowNextToTheField(t *testing.T) {
	t.Parallel()
	f, _, _ := alertConsole(t, "relay")
	b := f.owner(t)
	b.get(recipientsPath, false)
	for _, c := range []struct{ value, msg string }{
		{"", "Enter the number of available codes at or below which a product alerts, for example 10."},
		{"-1", "Enter a whole number from 0 to 1,000,000."},
		{"2.5", "Enter a whole number from 0 to 1,000,000."},
		{"ten", "Enter a whole number from 0 to 1,000,000."},
		{"1000001", "Enter a whole number from 0 to 1,000,000."},
	} {
		for _, htmx := range []bool{true, false} {
			rec, doc := b.post("/eu-frankfurt/recipients/threshold", url.Values{"threshold": {c.value}}, htmx)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("%q (htmx %v): status %d", c.value, htmx, rec.Code)
			}
			in := doc.Find("#alert-threshold-input")
			v, _ := in.Attr("value")
			inv, _ := in.Attr("aria-invalid")
			desc, _ := in.Attr("aria-describedby")
			if got := text(doc.Find("#alert-threshold-error")); got != c.msg || v != c.value || inv != "true" || !strings.Contains(desc, "alert-threshold-error") {
				t.Errorf("%q (htmx %v): message %q, value %q, aria-invalid %q, described by %q", c.value, htmx, got, v, inv, desc)
			}
			if htmx && doc.Find("#recipients").Length() != 0 {
				t.Errorf("%q: htmx got the whole page, want the threshold card", c.value)
			}
		}
	}
	if acc, _ := f.st.Account(f.ctx, f.account.ID); acc.AlertThreshold != 10 {
		t.Errorf("threshold changed to %d", acc.AlertThreshold)
	}
	if n := countAudit(t, f, "alert threshold"); n != 0 {
		t.Errorf("%d audit rows", n)
	}
}

func TestDeliveryLog_SaysWhatBecameOfEachMail(t *testing.T) {
	t.Parallel()
	f, _, _ := alertConsole(t, "relay")
	queue := func(key string) int64 {
		id, err := f.st.QueueMail(f.ctx, store.OutgoingMail{AccountID: f.account.ID, Kind: store.MailKindAlert, DedupeKey: key,
			Recipients: []string{"owner@acme.example"}, Mail: store.Mail{Subject: "Alert " + key, Text: "t", HTML: "h"}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	sent, logged, retrying, unknown := queue("sent"), queue("logged"), queue("retrying"), queue("unknown")
	queued := queue("queued")
	if _, err := f.st.ClaimMail(f.ctx, "tok", 10); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{sent, logged, unknown} {
		f.st.MarkMailSending(f.ctx, id, "tok")
	}
	f.st.MarkMailSent(f.ctx, sent, "tok")
	f.st.MarkMailLogged(f.ctx, logged, "tok")
	f.st.RetryMail(f.ctx, retrying, "tok", "451 4.3.0 try again later")
	f.st.MarkMailUnknown(f.ctx, unknown, "tok", "the mail server's answer was lost: EOF")
	f.st.ReleaseMail(f.ctx, []int64{queued}, "tok")

	b := f.owner(t)
	_, doc := b.get(recipientsPath, false)
	got := map[string]string{}
	doc.Find("#deliveries tbody tr").Each(func(_ int, tr *goquery.Selection) {
		got[text(tr.Find("td").Eq(2))] = text(tr.Find("td").Eq(3))
	})
	for subject, prefix := range map[string]string{
		"Alert sent":     "Sent ",
		"Alert logged":   "Written to the log ",
		"Alert retrying": "Retrying Attempt 1 failed: 451 4.3.0 try again later. Next try",
		"Alert unknown":  "Not confirmed The mail server's answer was lost, so it may or may not have arrived.",
		"Alert queued":   "Queued",
	} {
		if !strings.HasPrefix(got[subject], prefix) {
			t.Errorf("%s: status %q, want %q…", subject, got[subject], prefix)
		}
	}
	if got := got["Alert logged"]; !strings.Contains(got, "nobody received it") || strings.Contains(got, "Sent") {
		t.Errorf("a mail only written to the log reads %q; it must say that nobody received it", got)
	}
	if n := doc.Find("#deliveries th[scope=col]").Length(); n != 4 {
		t.Errorf("%d column headers", n)
	}
}

func TestSendTestAlert_LimitedPerUserWith429AndAMessageOnThePage(t *testing.T) {
	t.Parallel()
	f, _, _ := alertConsole(t, "relay")
	b := f.owner(t)
	b.get(recipientsPath, false)
	for i := range store.TestAlertsPerUser {
		if rec, _ := b.post("/eu-frankfurt/recipients/test", nil, true); rec.Code != http.StatusOK {
			t.Fatalf("test alert %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	want := "You have sent 5 test alerts in the last hour, the most one person may. Wait a while, then send another."
	rec, part := b.post("/eu-frankfurt/recipients/test", nil, true)
	if rec.Code != http.StatusTooManyRequests || text(part.Find("[data-error]")) != want || rec.Header().Get("Retry-After") != "3600" {
		t.Errorf("htmx over the limit: %d %q, Retry-After %q", rec.Code, text(part.Find("[data-error]")), rec.Header().Get("Retry-After"))
	}
	rec, doc := b.post("/eu-frankfurt/recipients/test", nil, false)
	if rec.Code != http.StatusTooManyRequests || text(doc.Find("#test-alert-status")) != want || doc.Find("#recipients").Length() != 1 {
		t.Errorf("plain form over the limit: %d, status %q", rec.Code, text(doc.Find("#test-alert-status")))
	}
	var n int
	if err := f.st.DB().Get(&n, `SELECT count(*) FROM outbox WHERE kind = 'test'`); err != nil || n != store.TestAlertsPerUser {
		t.Errorf("%d test alerts queued, want %d", n, store.TestAlertsPerUser)
	}
	f.clock.Advance(store.TestAlertWindow)
	b = f.owner(t) // the session has expired meanwhile
	b.get(recipientsPath, false)
	if rec, _ := b.post("/eu-frankfurt/recipients/test", nil, true); rec.Code != http.StatusOK {
		t.Errorf("an hour later: %d", rec.Code)
	}
}

func TestRecipients_AScopedSubAccountSeesRemovesAndTestsOnlyItsOwn(t *testing.T) {
	t.Parallel()
	f, _, _ := alertConsole(t, "relay")
	p, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-1", Name: "Thermostat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateMember(f.ctx, store.Scope{AccountID: f.account.ID},
		store.MemberInput{Actor: store.SystemActor("test"), Name: "Chosen", Email: "chosen@acme.example",
			Password: ownerPassword, ProductIDs: []int64{p.ID}}); err != nil {
		t.Fatal(err)
	}
	ops, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "Ops", Email: "ops@acme.example", Actor: store.SystemActor("test")})
	if err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, "chosen@acme.example", ownerPassword)
	b.get(recipientsPath, false)
	if rec, _ := b.post("/eu-frankfurt/recipients", url.Values{"email": {"mine@outside.example"}}, true); rec.Code != http.StatusOK {
		t.Fatalf("add: %d %s", rec.Code, rec.Body)
	}
	_, doc := b.get(recipientsPath, false)
	if got := recipientRows(doc); strings.Join(got, "; ") != "– | owner@acme.example | Account owner — always notified; – | mine@outside.example | Remove mine@outside.example" {
		t.Errorf("the scoped sub-account's list: %q", got)
	}
	if got := text(doc.Find("#recipients-scope")); !strings.HasPrefix(got, "You see the recipients you added.") {
		t.Errorf("the scoped sub-account is told %q", got)
	}
	if rec, _ := b.post("/eu-frankfurt/recipients/"+strconv.FormatInt(ops.ID, 10)+"/delete", nil, false); rec.Code != http.StatusNotFound {
		t.Errorf("removing the owner's recipient: %d, want 404", rec.Code)
	}
	if rec, _ := b.post("/eu-frankfurt/recipients/test", nil, true); rec.Code != http.StatusOK {
		t.Fatalf("test alert: %d %s", rec.Code, rec.Body)
	}
	var to string
	if err := f.st.DB().GetContext(f.ctx, &to, `SELECT array_to_string(recipients, ',') FROM outbox WHERE kind = 'test'`); err != nil ||
		to != "chosen@acme.example,mine@outside.example" {
		t.Errorf("the test alert went to %q (%v), want the sub-account and its own recipient", to, err)
	}
	// The owner sees who added it and what its mails may be about.
	_, doc = f.owner(t).get(recipientsPath, false)
	if got := text(doc.Find("#recipients .reach")); got != "by chosen@acme.example: alerts about their products only" {
		t.Errorf("the owner reads %q", got)
	}
}
