package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store"
)

const recipientsPath = "/eu-frankfurt/recipients"

// recipientRows are the rows of the list as "name | e-mail | last cell".
func recipientRows(doc *goquery.Document) []string {
	var rows []string
	doc.Find("#recipients tbody tr").Each(func(_ int, tr *goquery.Selection) {
		td := tr.Find("td")
		rows = append(rows, text(td.Eq(0))+" | "+text(td.Eq(1))+" | "+text(td.Last()))
	})
	return rows
}

func storedRecipients(t *testing.T, f *consoleFixture) []string {
	t.Helper()
	rs, err := f.st.Recipients(f.ctx, f.account.ID)
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	for _, r := range rs {
		emails = append(emails, r.Email)
	}
	return emails
}

func TestRecipients_PageShowsTheOwnerAlways(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	rec, doc := b.get(recipientsPath, false)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if text(doc.Find("h1")) != "Alert recipients" || text(doc.Find(`nav a[aria-current="page"]`)) != "Alert recipients" {
		t.Errorf("h1 %q, nav %q", text(doc.Find("h1")), text(doc.Find(`nav a[aria-current="page"]`)))
	}
	if got, want := recipientRows(doc), []string{"– | owner@acme.example | Account owner — always notified"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
	if doc.Find("#recipients tbody tr").First().Find("button").Length() != 0 {
		t.Error("the owner's row has a button")
	}
	if got := text(doc.Find("#recipients-count")); got != "0 of 50 recipients besides the account owner" {
		t.Errorf("counter = %q", got)
	}
	if !strings.Contains(text(doc.Find("#recipients .empty")), "Only the account owner receives alerts") {
		t.Errorf("empty state = %q", text(doc.Find("#recipients .empty")))
	}
	for _, id := range []string{"recipient-name", "recipient-email"} {
		if doc.Find(`label[for="`+id+`"]`).Length() != 1 || doc.Find("#"+id).Length() != 1 {
			t.Errorf("%s has no label", id)
		}
	}
	// As an htmx fragment: the list and the form only.
	rec, part := b.get(recipientsPath, true)
	if rec.Code != http.StatusOK || !part.Find("body").Children().First().Is("section#recipients") || part.Find("h1").Length() != 0 {
		t.Errorf("partial: %d %s", rec.Code, rec.Body)
	}
}

func TestAddRecipient_WithHtmxReplacesTheList(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	b.get(recipientsPath, false)
	rec, doc := b.post(recipientsPath, url.Values{"name": {" Bob Ops "}, "email": {"bob@acme.example"}}, true)
	if rec.Code != http.StatusOK || !doc.Find("body").Children().First().Is("section#recipients") {
		t.Fatalf("add: %d %s", rec.Code, rec.Body)
	}
	if got, want := recipientRows(doc), []string{"– | owner@acme.example | Account owner — always notified", "Bob Ops | bob@acme.example | Remove bob@acme.example"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
	if got := text(doc.Find("#recipients-count")); got != "1 of 50 recipients besides the account owner" {
		t.Errorf("counter = %q", got)
	}
	if got := text(doc.Find("#recipients .flash")); got != "Bob Ops (bob@acme.example) will now receive alerts." {
		t.Errorf("status = %q", got)
	}
	if v, _ := doc.Find("#recipient-email").Attr("value"); v != "" {
		t.Errorf("the form kept %q after adding", v)
	}
	if _, ok := doc.Find("#recipient-name").Attr("autofocus"); !ok {
		t.Error("the focus does not go back to the form")
	}
	if got := storedRecipients(t, f); !reflect.DeepEqual(got, []string{"owner@acme.example", "bob@acme.example"}) {
		t.Errorf("stored = %v", got)
	}
	if n := countAudit(t, f, "recipient add"); n != 1 {
		t.Errorf("audit rows = %d", n)
	}
}

func countAudit(t *testing.T, f *consoleFixture, op string) int {
	t.Helper()
	var n int
	if err := f.st.DB().Get(&n, `SELECT count(*) FROM audit_log WHERE account_id = $1 AND operation = $2 AND actor = 'owner@acme.example'`,
		f.account.ID, op); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAddRecipient_WithoutJavaScriptRedirects(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	b.get(recipientsPath, false)
	rec, _ := b.post(recipientsPath, url.Values{"email": {"carol@acme.example"}}, false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != recipientsPath {
		t.Fatalf("add: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	_, doc := b.get(recipientsPath, false)
	if got := text(doc.Find("main > .flash")); got != "carol@acme.example will now receive alerts." {
		t.Errorf("flash = %q", got)
	}
	if got := recipientRows(doc); len(got) != 2 || got[1] != "– | carol@acme.example | Remove carol@acme.example" {
		t.Errorf("rows = %q", got)
	}
}

func TestAddRecipient_RefusalsShowNextToTheField(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "Bob", Email: "bob@acme.example", Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	b.get(recipientsPath, false)
	cases := []struct {
		name, recipientName, email, field, message string
	}{
		{"no e-mail", "Dan", "", "email", "Enter the e-mail address that should receive the alerts."},
		{"not an e-mail", "Dan", "dan at acme", "email", `"dan at acme" is not an e-mail address.`},
		{"duplicate, other case", "", "BOB@acme.example", "email", "BOB@acme.example is already a recipient."},
		{"the owner", "", "Owner@Acme.Example", "email", "Owner@Acme.Example is the account owner's address, which always receives the alerts."},
		{"name too long", strings.Repeat("x", 101), "dan@acme.example", "name", "The name may have at most 100 characters."},
	}
	for _, c := range cases {
		for _, htmx := range []bool{true, false} {
			rec, doc := b.post(recipientsPath, url.Values{"name": {c.recipientName}, "email": {c.email}}, htmx)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s (htmx %v): status %d", c.name, htmx, rec.Code)
				continue
			}
			if htmx && !doc.Find("body").Children().First().Is("section#recipients") {
				t.Errorf("%s: the answer is not the list and form", c.name)
			}
			if !htmx && text(doc.Find("h1")) != "Alert recipients" {
				t.Errorf("%s: without JavaScript the answer is not the page", c.name)
			}
			input := doc.Find("#recipient-" + c.field)
			if got := text(doc.Find("#recipient-" + c.field + "-error")); got != c.message {
				t.Errorf("%s: message = %q, want %q", c.name, got, c.message)
			}
			if inv, _ := input.Attr("aria-invalid"); inv != "true" {
				t.Errorf("%s: field not marked invalid", c.name)
			}
			if desc, _ := input.Attr("aria-describedby"); desc != "recipient-"+c.field+"-error" {
				t.Errorf("%s: describedby = %q", c.name, desc)
			}
			if v, _ := doc.Find("#recipient-email").Attr("value"); v != c.email {
				t.Errorf("%s: e-mail kept as %q", c.name, v)
			}
			if v, _ := doc.Find("#recipient-name").Attr("value"); v != c.recipientName {
				t.Errorf("%s: name kept as %q", c.name, v)
			}
		}
	}
	if got := storedRecipients(t, f); len(got) != 2 {
		t.Errorf("stored = %v, want nothing added", got)
	}
	// Without the anti-forgery token nothing is added either.
	rec := b.do(http.MethodPost, recipientsPath, url.Values{"email": {"eve@evil.example"}}, false)
	if rec.Code != http.StatusForbidden || len(storedRecipients(t, f)) != 2 {
		t.Errorf("without token: %d, stored %v", rec.Code, storedRecipients(t, f))
	}
}

func TestAddRecipient_AFullListOffersNoForm(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	for i := 0; i < store.MaxRecipients; i++ {
		if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
			store.RecipientInput{Name: "", Email: fmt.Sprintf("r%02d@acme.example", i), Actor: store.SystemActor("test")}); err != nil {
			t.Fatal(err)
		}
	}
	b := f.owner(t)
	_, doc := b.get(recipientsPath, false)
	if got := text(doc.Find("#recipients-count")); got != "50 of 50 recipients besides the account owner" {
		t.Errorf("counter = %q", got)
	}
	if doc.Find("#recipient-email").Length() != 0 || !strings.Contains(text(doc.Find("#recipients .notice")), "The list is full") {
		t.Errorf("a full list still offers the form: notice %q", text(doc.Find("#recipients .notice")))
	}
	// A form sent from an older page is refused with the reason.
	rec, doc := b.post(recipientsPath, url.Values{"email": {"late@acme.example"}}, true)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(text(doc.Find(".form-error")), "The list is full") {
		t.Errorf("add to a full list: %d %q", rec.Code, text(doc.Find(".form-error")))
	}
	if v, _ := doc.Find("#recipient-email").Attr("value"); v != "late@acme.example" {
		t.Errorf("e-mail kept as %q", v)
	}
}

func TestDeleteRecipient(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	bob, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "Bob", Email: "bob@acme.example", Actor: store.SystemActor("test")})
	if err != nil {
		t.Fatal(err)
	}
	carol, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "", Email: "carol@acme.example", Actor: store.SystemActor("test")})
	if err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	_, doc := b.get(recipientsPath, false)
	action, _ := doc.Find(`#recipients tbody tr`).Eq(1).Find("form").Attr("action")
	if action != fmt.Sprintf("%s/%d/delete", recipientsPath, bob.ID) {
		t.Fatalf("remove action = %q", action)
	}
	// With htmx the list comes back without the row.
	rec, part := b.post(action, nil, true)
	if rec.Code != http.StatusOK || !part.Find("body").Children().First().Is("section#recipients") {
		t.Fatalf("remove: %d %s", rec.Code, rec.Body)
	}
	if got := recipientRows(part); len(got) != 2 || !strings.Contains(got[1], "carol@acme.example") {
		t.Errorf("rows = %q", got)
	}
	if got := text(part.Find("#recipients .flash")); got != "Bob (bob@acme.example) no longer receives alerts." {
		t.Errorf("status = %q", got)
	}
	if got := text(part.Find("#recipients-count")); got != "1 of 50 recipients besides the account owner" {
		t.Errorf("counter = %q", got)
	}
	if n := countAudit(t, f, "recipient remove"); n != 1 {
		t.Errorf("audit rows = %d", n)
	}
	// Without JavaScript: back to the page with the message.
	rec, _ = b.post(fmt.Sprintf("%s/%d/delete", recipientsPath, carol.ID), nil, false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != recipientsPath {
		t.Fatalf("remove: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	_, doc = b.get(recipientsPath, false)
	if got := text(doc.Find("main > .flash")); got != "carol@acme.example no longer receives alerts." {
		t.Errorf("flash = %q", got)
	}
	// A recipient already gone, or another account's, is not found: 404 with
	// a message app.js shows (the two cannot be told apart).
	theirs := addOtherRecipient(t, f)
	for _, id := range []int64{bob.ID, theirs} {
		rec, part = b.post(fmt.Sprintf("%s/%d/delete", recipientsPath, id), nil, true)
		if rec.Code != http.StatusNotFound || text(part.Find("[data-error]")) != "This recipient is not on the list (any more)." {
			t.Errorf("remove %d: %d %q", id, rec.Code, text(part.Find("[data-error]")))
		}
	}
	if n := countRecipientRows(t, f); n != 1 {
		t.Errorf("%d recipient rows left, want the other account's", n)
	}
	if rec := b.do(http.MethodPost, recipientsPath+"/x/delete", url.Values{"csrf": {b.csrf}}, false); rec.Code != http.StatusNotFound {
		t.Errorf("remove x: %d", rec.Code)
	}
}

// addOtherRecipient creates another account with a recipient, and returns the recipient's id.
func addOtherRecipient(t *testing.T, f *consoleFixture) int64 {
	t.Helper()
	acc, err := f.st.CreateAccount(f.ctx, store.NewAccount{Name: "Other", Type: "individual", DataCenter: "eu-frankfurt",
		OwnerEmail: "other@example.com", OwnerPassword: ownerPassword})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: acc.ID},
		store.RecipientInput{Name: "", Email: "theirs@example.com", Actor: store.SystemActor("test")})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func countRecipientRows(t *testing.T, f *consoleFixture) int {
	t.Helper()
	var n int
	if err := f.st.DB().Get(&n, `SELECT count(*) FROM alert_recipients`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRecipients_SubAccountsMayKeepTheList(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	if _, err := f.st.CreateMember(f.ctx, store.Scope{AccountID: f.account.ID},
		store.MemberInput{Actor: store.SystemActor("test"), Name: "Viewer", Email: "viewer@acme.example",
			Password: ownerPassword, AllProducts: true}); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, "viewer@acme.example", ownerPassword)
	b.get(recipientsPath, false)
	rec, doc := b.post(recipientsPath, url.Values{"email": {"night-shift@acme.example"}}, true)
	if rec.Code != http.StatusOK || len(recipientRows(doc)) != 2 {
		t.Fatalf("add as a view-only sub-account: %d %s", rec.Code, rec.Body)
	}
	action, _ := doc.Find(`#recipients tbody tr`).Eq(1).Find("form").Attr("action")
	if rec, _ := b.post(action, nil, true); rec.Code != http.StatusOK || len(storedRecipients(t, f)) != 1 {
		t.Errorf("remove as a view-only sub-account: %d, stored %v", rec.Code, storedRecipients(t, f))
	}
}

// A recipient gets a language for their alert mails: the viewer's own
// unless chosen otherwise (docs/i18n.md, "Choosing").
func TestAddRecipient_ChoosesTheMailsLanguage_TheViewersByDefault(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	b.lang = "zh-CN"
	_, doc := b.get(recipientsPath, false)
	if got := doc.Find("title").Text(); got != "接警人 · 激活码管理" {
		t.Errorf("title = %q", got)
	}
	if got, _ := doc.Find("#recipient-language option[selected]").Attr("value"); got != "zh-CN" {
		t.Errorf("the form offers %q first, want the viewer's language", got)
	}
	rec, doc := b.post(recipientsPath, url.Values{"name": {"Li"}, "email": {"li@acme.example"}, "language": {"zh-CN"}}, true)
	if rec.Code != http.StatusOK || text(doc.Find("#recipients .flash")) != "Li（li@acme.example） 今后将接收告警。" {
		t.Fatalf("add: %d, status %q", rec.Code, text(doc.Find("#recipients .flash")))
	}
	b.post(recipientsPath, url.Values{"email": {"bob@acme.example"}, "language": {"en"}}, true)
	rs, err := f.st.Recipients(f.ctx, f.account.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.Email+" "+string(r.Language))
	}
	if want := "owner@acme.example en, li@acme.example zh-CN, bob@acme.example en"; strings.Join(got, ", ") != want {
		t.Errorf("stored = %v, want %s", got, want)
	}
	// The list names each recipient's language in its own words.
	_, doc = b.get(recipientsPath, false)
	var langs []string
	doc.Find("#recipients tbody tr").Each(func(_ int, tr *goquery.Selection) { langs = append(langs, text(tr.Find("td").Eq(2))) })
	if want := []string{"English", "简体中文", "English"}; !reflect.DeepEqual(langs, want) {
		t.Errorf("languages = %q, want %q", langs, want)
	}
	// A language not offered is refused next to its field.
	rec, doc = b.post(recipientsPath, url.Values{"email": {"jean@acme.example"}, "language": {"fr"}}, true)
	if inv, _ := doc.Find("#recipient-language").Attr("aria-invalid"); rec.Code != http.StatusUnprocessableEntity || inv != "true" || text(doc.Find("#recipient-language-error")) == "" {
		t.Errorf("language fr: %d, invalid %q, message %q", rec.Code, inv, text(doc.Find("#recipient-language-error")))
	}
	// The threshold's own refusal speaks Chinese too.
	_, doc = b.post(recipientsPath+"/threshold", url.Values{"threshold": {"-4"}}, true)
	if got := text(doc.Find("#alert-threshold-error")); got != "请输入 0 到 1,000,000 之间的整数。" {
		t.Errorf("threshold error = %q", got)
	}
}
