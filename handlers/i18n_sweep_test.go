package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"activation-console/store"
	"activation-console/store/demo"
	"activation-console/store/storetest"
	"activation-console/views"
)

// The sweeps render every page, dialog, partial and error of the demo data
// (docs/i18n.md, "Tests"): in the pseudo-locale, where every message is
// wrapped in ⟦ ⟧, any visible text outside the markers that is not data
// came from somewhere other than the message files; in Chinese, any English
// word that is not data is left untranslated.

// sweepFixture is the demo data set on a fresh database.
type sweepFixture struct {
	*consoleFixture
	people  demo.SignIns
	data    map[string]bool // every word of the data: names, keys, e-mails
	product int64           // a product of the home data center with devices
	device  int64           // one of its devices
	member  int64
	recip   int64
	webhook int64 // an endpoint of the demo account, with deliveries in every state
}

func newSweepFixture(t *testing.T) *sweepFixture {
	t.Helper()
	views.EnablePseudo()
	f := &sweepFixture{consoleFixture: newConsole(t, storetest.WithoutAccount())}
	people, err := demo.Load(f.ctx, f.st, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	f.people = people
	db := f.st.DB()
	for q, dst := range map[string]*int64{
		`SELECT id FROM products WHERE product_key = 'acme-parking-ps9'`:                                                  &f.product,
		`SELECT min(id) FROM devices WHERE product_id = (SELECT id FROM products WHERE product_key = 'acme-parking-ps9')`: &f.device,
		`SELECT min(id) FROM users WHERE role = 'member'`:                                                                 &f.member,
		`SELECT min(id) FROM alert_recipients`:                                                                            &f.recip,
	} {
		if err := db.GetContext(f.ctx, dst, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	f.webhook = f.addWebhook(t)
	// A mail written to the log for want of a mail server, so that the
	// delivery log's words for it are swept too (its subject is data).
	var acct int64
	if err := db.GetContext(f.ctx, &acct, `SELECT account_id FROM users WHERE role = 'owner' AND lower(email) = lower($1)`, f.people[0].Email); err != nil {
		t.Fatal(err)
	}
	mail, err := f.st.QueueMail(f.ctx, store.OutgoingMail{AccountID: acct, Kind: store.MailKindTest, DedupeKey: "sweep-logged",
		Recipients: []string{f.people[0].Email}, Mail: store.Mail{Subject: f.people[0].Email, Text: "t", HTML: "h"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ClaimMail(f.ctx, "sweep", 10); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.st.MarkMailSending(f.ctx, mail, "sweep"); !ok || err != nil {
		t.Fatalf("sending the sweep's mail: %v %v", ok, err)
	}
	if err := f.st.MarkMailLogged(f.ctx, mail, "sweep"); err != nil {
		t.Fatal(err)
	}
	// The data a page may show as it is, in any language.
	f.data = map[string]bool{}
	var values []string
	for _, q := range []string{
		`SELECT name FROM accounts UNION SELECT name FROM products UNION SELECT product_key FROM products`,
		`SELECT email FROM users UNION SELECT name FROM users UNION SELECT name FROM alert_recipients UNION SELECT email FROM alert_recipients`,
		`SELECT code FROM data_centers UNION SELECT name FROM data_centers UNION SELECT code FROM packages UNION SELECT name FROM packages`,
		`SELECT device_key FROM devices`,
		`SELECT actor FROM audit_log`,
		`SELECT url FROM webhook_endpoints UNION SELECT type FROM webhook_events UNION SELECT unnest(events) FROM webhook_endpoints`,
	} {
		var vs []string
		if err := db.SelectContext(f.ctx, &vs, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		values = append(values, vs...)
	}
	values = append(values, store.TimeZones...)
	for _, ev := range store.WebhookEvents { // the events' names are the protocol's, in every language
		values = append(values, string(ev))
	}
	for _, v := range values {
		f.data[v] = true
		for _, w := range strings.Fields(v) {
			f.data[trimPunct(w)] = true
		}
	}
	return f
}

func (f *sweepFixture) signInAs(t *testing.T, role store.Role, lang string) *browser {
	t.Helper()
	for _, p := range f.people {
		if p.Role == role {
			b := newBrowser(t, f.srv)
			b.lang = lang
			_, doc := b.get("/signin", false)
			token, _ := doc.Find(`input[name=csrf]`).Attr("value")
			rec := b.do(http.MethodPost, "/signin", url.Values{"csrf": {token}, "email": {p.Email}, "password": {p.Password}}, false)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("sign in as %s: %d", p.Email, rec.Code)
			}
			b.get("/", false)
			return b
		}
	}
	t.Fatalf("no demo person with role %s", role)
	return nil
}

// sweepPage is one thing a person sees: a path fetched (GET) or a form
// sent (POST), whole or as htmx asks for it.
type sweepPage struct {
	method, path string
	form         url.Values
	htmx         bool
}

// ownerPages is every GET route of the console with the demo's ids, the
// lists' filters, the dialogs, and forms sent wrong, to show their errors.
func (f *sweepFixture) ownerPages(t *testing.T) []sweepPage {
	var pages []sweepPage
	seen := map[string]bool{}
	for _, r := range f.srv.Routes() {
		if r.Method != http.MethodGet || publicRoute(r.Method, r.Path) || strings.HasSuffix(r.Path, "/*") || r.Path == "" ||
			strings.HasPrefix(r.Path, "/support") || r.Path == "/switch" || seen[r.Path] {
			continue
		}
		seen[r.Path] = true
		path := strings.NewReplacer(":dc", "eu-frankfurt", ":device", strconv.FormatInt(f.device, 10)).Replace(r.Path)
		switch {
		case strings.Contains(path, "/products/:id"):
			path = strings.Replace(path, ":id", strconv.FormatInt(f.product, 10), 1)
		case strings.Contains(path, "/members/:id"):
			path = strings.Replace(path, ":id", strconv.FormatInt(f.member, 10), 1)
		case strings.Contains(path, "/webhooks/:id"):
			path = strings.Replace(path, ":id", strconv.FormatInt(f.webhook, 10), 1)
		case strings.Contains(path, ":"):
			t.Fatalf("the sweep does not know how to fill %s", r.Path)
		}
		pages = append(pages, sweepPage{method: http.MethodGet, path: path})
		pages = append(pages, sweepPage{method: http.MethodGet, path: path, htmx: true})
	}
	pid := strconv.FormatInt(f.product, 10)
	more := []sweepPage{
		{method: http.MethodGet, path: "/eu-frankfurt/products/" + pid + "?status=lapsed"},
		{method: http.MethodGet, path: "/eu-frankfurt/products/" + pid + "?status=waiting"},
		{method: http.MethodGet, path: "/eu-frankfurt/products/" + pid + "?from=2020-13-01"},
		{method: http.MethodGet, path: "/eu-frankfurt/licenses?product=" + pid},    // the chart of one product
		{method: http.MethodGet, path: "/eu-frankfurt/licenses?product=999999999"}, // refused: the chart of all, a message
		{method: http.MethodGet, path: "/eu-frankfurt/near-expiry?outlook=at_risk"},
		{method: http.MethodGet, path: "/eu-frankfurt/near-expiry?from=nonsense"},
		{method: http.MethodGet, path: "/eu-frankfurt/licenses/history?from=2026-02-30"},
		{method: http.MethodGet, path: "/eu-frankfurt/audit?to=x"},
		{method: http.MethodGet, path: "/cn-shanghai"},
		{method: http.MethodGet, path: "/eu-frankfurt/products/999999999"}, // 404
		{method: http.MethodGet, path: "/eu-frankfurt/no-such-page"},       // 404
		{method: http.MethodPost, path: "/eu-frankfurt/assign", form: url.Values{"product": {pid}, "package": {"std-1y"}, "quantity": {"0"}}},
		{method: http.MethodPost, path: "/eu-frankfurt/assign", form: url.Values{"product": {pid}, "package": {"std-1y"}, "quantity": {"3"}}, htmx: true},
		{method: http.MethodPost, path: "/eu-frankfurt/recipients", form: url.Values{"name": {""}, "email": {"not an address"}}},
		{method: http.MethodPost, path: "/eu-frankfurt/recipients/threshold", form: url.Values{"threshold": {"-4"}}},
		{method: http.MethodPost, path: "/eu-frankfurt/settings", form: url.Values{"time_zone": {"Mars/Olympus"}}},
		{method: http.MethodPost, path: "/account/password", form: url.Values{"old_password": {"wrong"}, "new_password": {"short"}}},
		{method: http.MethodPost, path: "/eu-frankfurt/members", form: url.Values{"name": {""}, "email": {"x"}, "password": {"short"}}},
		{method: http.MethodPost, path: "/eu-frankfurt/products/" + pid + "/blacklist", form: url.Values{"device_keys": {"no such device"}}},
		{method: http.MethodPost, path: "/eu-frankfurt/webhooks", form: url.Values{"url": {"ftp://10.0.0.1/hook"}}},
		{method: http.MethodPost, path: "/eu-frankfurt/webhooks", form: url.Values{"url": {"http://192.168.1.1/hook"}, "events": {"device.lapsed"}}},
		{method: http.MethodPost, path: "/eu-frankfurt/webhooks/" + strconv.FormatInt(f.webhook, 10), form: url.Values{"url": {""}}},
		{method: http.MethodPost, path: "/eu-frankfurt/webhooks/" + strconv.FormatInt(f.webhook, 10) + "/rotate"}, // the secret, shown once
	}
	// What the forms send and the console keeps (a DeviceKey put on the
	// blacklist) is data on the pages that show it later, as the audit log.
	for _, p := range more {
		for w := range typedWords(p) {
			f.data[w] = true
		}
	}
	return append(pages, more...)
}

// supportSweep signs in as the demo's support person, in lang, and lists
// what they see: the account search (finding by a ProductKey, finding
// nothing), and the demo account, opened read-only, as its overview and
// audit log show it to them.
func (f *sweepFixture) supportSweep(t *testing.T, lang string) (*browser, []sweepPage) {
	t.Helper()
	b := f.signInAs(t, store.RoleSupport, lang)
	var account int64
	if err := f.st.DB().GetContext(f.ctx, &account, `SELECT account_id FROM products WHERE product_key = 'acme-parking-ps9'`); err != nil {
		t.Fatal(err)
	}
	if rec, _ := b.post("/support/accounts/"+strconv.FormatInt(account, 10), nil, false); rec.Code != http.StatusSeeOther {
		t.Fatalf("support opens the demo account: %d", rec.Code)
	}
	return b, []sweepPage{
		{method: http.MethodGet, path: "/support"},
		{method: http.MethodGet, path: "/support?q=acme-parking-ps9"},
		{method: http.MethodGet, path: "/support?q=eu-frankfurt"}, // data, but no account's name or key
		{method: http.MethodGet, path: "/eu-frankfurt/licenses"},
		{method: http.MethodGet, path: "/eu-frankfurt/audit"},
		{method: http.MethodGet, path: "/eu-frankfurt/webhooks"},
	}
}

// fetch shows the page p as a person would see it.
func (b *browser) fetch(p sweepPage) (int, *goquery.Document) {
	b.t.Helper()
	if p.method == http.MethodGet {
		rec, doc := b.get(p.path, p.htmx)
		return rec.Code, doc
	}
	rec, doc := b.post(p.path, p.form, p.htmx)
	return rec.Code, doc
}

// visibleTexts is every piece of text a person can read on the page: text
// nodes outside script and style, and the attributes read aloud or shown
// on hover.
func visibleTexts(doc *goquery.Document) []string {
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			if s := strings.TrimSpace(n.Data); s != "" {
				out = append(out, s)
			}
		case html.ElementNode:
			if n.Data == "script" || n.Data == "style" || n.Data == "template" {
				return
			}
			if n.Data == "noscript" && n.FirstChild != nil && n.FirstChild.Type == html.TextNode {
				// The parser keeps what a browser without JavaScript shows as raw
				// text; parsed inside the noscript again it would stay text.
				body := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
				if nodes, err := html.ParseFragment(strings.NewReader(n.FirstChild.Data), body); err == nil {
					for _, c := range nodes {
						walk(c)
					}
				}
				return
			}
			for _, a := range n.Attr {
				switch a.Key {
				case "title", "aria-label", "placeholder", "alt", "aria-description":
					if strings.TrimSpace(a.Val) != "" {
						out = append(out, a.Val)
					}
				case "value":
					if n.Data == "input" && (attr(n, "type") == "submit" || attr(n, "type") == "button") {
						out = append(out, a.Val)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range doc.Nodes {
		walk(n)
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// unmarked is s without its ⟦ ⟧ segments (which may nest: a message may
// carry another as a value).
func unmarked(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '⟦':
			depth++
		case r == '⟧':
			if depth > 0 {
				depth--
			}
			b.WriteRune(' ')
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func trimPunct(w string) string {
	return strings.TrimFunc(w, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) })
}

// wordBreak separates words: spaces, and the punctuation of Chinese text,
// which sets no spaces ("Europe/Berlin（UTC+01:00）" is two words).
func wordBreak(r rune) bool {
	return unicode.IsSpace(r) || r > unicode.MaxASCII && unicode.IsPunct(r)
}

// figureWord is a number, a date, a time or an offset from UTC
// ("UTC+08:00") as the console writes them.
var figureWord = regexp.MustCompile(`^(UTC)?[+\-−]?[0-9][0-9,.:\-/年月日]*[%]?$`)

// leftover lists the words of texts that are neither data nor figures.
func (f *sweepFixture) leftover(texts []string, allowed func(word string) bool) []string {
	var out []string
	for _, s := range texts {
		if f.data[s] {
			continue
		}
		for _, w := range strings.FieldsFunc(s, wordBreak) {
			w = trimPunct(w)
			if w == "" || f.data[w] || figureWord.MatchString(w) || allowed(w) {
				continue
			}
			if !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}

// TestPages_HaveNoTextOutsideTheMessageFiles renders every page in the
// pseudo-locale: every word outside ⟦ ⟧ must be data.
func TestPages_HaveNoTextOutsideTheMessageFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("renders every page of the demo data")
	}
	f := newSweepFixture(t)
	b := f.signInAs(t, store.RoleOwner, string(views.Pseudo))
	report := map[string][]string{}
	anon := newBrowser(t, f.srv)
	anon.lang = string(views.Pseudo)
	for _, p := range []sweepPage{{method: http.MethodGet, path: "/signin"},
		{method: http.MethodPost, path: "/signin", form: url.Values{"email": {"x@y.example"}, "password": {"wrong"}}}} {
		_, doc := anon.fetch(p)
		var outside []string
		for _, s := range visibleTexts(doc) {
			outside = append(outside, unmarked(s))
		}
		if words := f.leftover(outside, func(string) bool { return false }); len(words) > 0 {
			report[p.method+" "+p.path+" (signed out)"] = words
		}
	}
	owner := f.ownerPages(t)
	support, supportPages := f.supportSweep(t, string(views.Pseudo))
	for i, p := range append(owner, supportPages...) {
		b, who := b, ""
		if i >= len(owner) {
			b, who = support, " (support)"
		}
		_, doc := b.fetch(p)
		texts := visibleTexts(doc)
		var outside []string
		for _, s := range texts {
			outside = append(outside, unmarked(s))
		}
		if words := f.leftover(outside, func(string) bool { return false }); len(words) > 0 {
			report[p.method+" "+p.path+htmxNote(p)+who] = words
		}
	}
	fail(t, report, "text outside the message files (pseudo-locale)")
}

// TestPages_InChinese_HaveNoEnglishWords renders every page in Chinese:
// no English word may be left but data and the words kept as they are
// (docs/i18n.md, "Glossary").
func TestPages_InChinese_HaveNoEnglishWords(t *testing.T) {
	if testing.Short() {
		t.Skip("renders every page of the demo data")
	}
	f := newSweepFixture(t)
	b := f.signInAs(t, store.RoleOwner, "zh-CN,zh;q=0.9")
	report := map[string][]string{}
	kept := []string{"ProductKey", "DeviceKey", "CSV", "UTC", "English", "ID", "API", "OTA", "MB", "SMTP_URL",
		"Webhook", "Webhooks", "URL", "HTTP", "http", "https", "whsec", "https://hooks.example.com/activation"}
	anon := newBrowser(t, f.srv)
	anon.lang = "zh-CN"
	pages := append([]sweepPage{{method: http.MethodGet, path: "/signin"},
		{method: http.MethodPost, path: "/signin", form: url.Values{"email": {"x@y.example"}, "password": {"wrong"}}}}, f.ownerPages(t)...)
	support, supportPages := f.supportSweep(t, "zh-CN,zh;q=0.9")
	for i, p := range append(pages, supportPages...) {
		b, who := b, ""
		switch {
		case i < 2:
			b = anon
		case i >= len(pages):
			b, who = support, " (support)"
		}
		_, doc := b.fetch(p)
		typed := typedWords(p)
		words := f.leftover(visibleTexts(doc), func(w string) bool {
			return slices.Contains(kept, w) || typed[w] || !strings.ContainsFunc(w, func(r rune) bool { return r < unicode.MaxASCII && unicode.IsLetter(r) })
		})
		if len(words) > 0 {
			report[p.method+" "+p.path+htmxNote(p)+who] = words
		}
	}
	fail(t, report, "English words on a Chinese page")
}

// typedWords are the words of what a form sent wrong carried: a refusal
// may quote them ("Mars/Olympus" is no time zone), and they are data.
func typedWords(p sweepPage) map[string]bool {
	words := map[string]bool{}
	for _, vs := range p.form {
		for _, v := range vs {
			for _, w := range strings.FieldsFunc(v, wordBreak) {
				words[trimPunct(w)] = true
			}
		}
	}
	return words
}

func htmxNote(p sweepPage) string {
	if p.htmx {
		return " (htmx)"
	}
	return ""
}

func fail(t *testing.T, report map[string][]string, what string) {
	t.Helper()
	keys := make([]string, 0, len(report))
	for k := range report {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w := report[k]
		if len(w) > 30 {
			w = append(w[:30:30], "…")
		}
		t.Errorf("%s: %s: %s", k, what, strings.Join(w, " "))
	}
}

// addWebhook registers an endpoint for the demo account, as its owner,
// with one delivery in each state the page words.
func (f *sweepFixture) addWebhook(t *testing.T) int64 {
	t.Helper()
	var account int64
	if err := f.st.DB().GetContext(f.ctx, &account, `SELECT account_id FROM products WHERE product_key = 'acme-parking-ps9'`); err != nil {
		t.Fatal(err)
	}
	owner := store.SystemActor("owner")
	sc := store.Scope{AccountID: account}
	e, _, err := f.st.SaveWebhookEndpoint(f.ctx, sc, store.WebhookInput{URL: "https://93.184.215.14/hooks/activation",
		Events: []string{string(store.EventDeviceActivated), string(store.EventDeviceLapsed)}, Enabled: true, Actor: owner})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE webhook_events SET status = 'delivered', delivered_at = created_at, attempts = 1, last_status = 204, last_latency_ms = 87 WHERE id = $1`,
		`UPDATE webhook_events SET status = 'failed', attempts = 12, last_status = 500, last_latency_ms = 1204, last_error = 'status' WHERE id = $1`,
		`UPDATE webhook_events SET attempts = 2, last_error = 'timeout', last_latency_ms = 10000 WHERE id = $1`,
		`UPDATE webhook_events SET attempts = 1, last_error = 'forbidden' WHERE id = $1`,
		`UPDATE webhook_events SET attempts = 1, last_error = 'redirect', last_status = 302 WHERE id = $1`,
		`UPDATE webhook_events SET attempts = 1, last_error = 'connect' WHERE id = $1`,
		`UPDATE webhook_events SET status = 'delivering', attempts = 1, claim_token = 'x', claimed_at = created_at WHERE id = $1`,
		`SELECT $1::bigint`, // waiting
	} {
		id, err := f.st.SendTestWebhook(f.ctx, sc, store.WebhookRef{ID: e.ID, Actor: owner})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.DB().ExecContext(f.ctx, q, id); err != nil {
			t.Fatal(err)
		}
	}
	return e.ID
}
