package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store"
)

func (f *productConsole) blacklisted(t *testing.T) []string {
	t.Helper()
	var keys []string
	if err := f.st.DB().SelectContext(f.ctx, &keys, `SELECT device_key FROM blacklist WHERE product_id = $1 ORDER BY device_key`, f.product.ID); err != nil {
		t.Fatal(err)
	}
	return keys
}

func cardFact(doc *goquery.Document, term string) string {
	return text(doc.Find("#renewal-card dt").FilterFunction(func(_ int, s *goquery.Selection) bool { return text(s) == term }).Next())
}

func TestSetAutoRenew_HtmxReplacesTheCard(t *testing.T) {
	f := newProductConsole(t, 1)
	f.connect(t, "dev-1")
	b := f.owner(t)
	b.get(f.path(""), false)
	rec, doc := b.post(f.path("/auto-renew"), url.Values{}, true) // the checkbox unchecked sends nothing
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if doc.Find("body > section#renewal-card").Length() != 1 || doc.Find("h1, #results").Length() != 0 {
		t.Fatalf("answer is not the card: %s", rec.Body)
	}
	if _, on := doc.Find("#product-auto-renew").Attr("checked"); on {
		t.Error("the switch still shows on")
	}
	if got := text(doc.Find("#product-auto-renew-hint")); !strings.Contains(got, "Off: devices whose codes expire lapse") {
		t.Errorf("hint %q", got)
	}
	if rec.Header().Get("HX-Trigger") != "renewalChanged" {
		t.Errorf("HX-Trigger %q", rec.Header().Get("HX-Trigger"))
	}
	if f.productNow(t).AutoRenew {
		t.Fatal("the switch is still on in the ledger")
	}
	// The device list reloads on that event and shows the new outlook.
	_, page := b.get(f.path(""), false)
	trigger := page.Find("#results [hx-trigger='renewalChanged from:body']")
	if u, _ := trigger.Attr("hx-get"); u != f.path("") {
		t.Errorf("refresh of the list: %q", u)
	}
	if got := text(row(page, "dev-1")); !strings.Contains(got, "Won't renew: switch off") || !strings.Contains(got, "Product switch is off") {
		t.Errorf("row %q", got)
	}
	if _, disabled := row(page, "dev-1").Find("input[type=checkbox]").Attr("disabled"); !disabled {
		t.Error("the device toggle is not disabled")
	}

	rec, doc = b.post(f.path("/auto-renew"), url.Values{"on": {"on"}}, true)
	if _, on := doc.Find("#product-auto-renew").Attr("checked"); rec.Code != http.StatusOK || !on || !f.productNow(t).AutoRenew {
		t.Fatalf("turning it on again: %d, checked %v", rec.Code, on)
	}
}

func TestSetAutoRenew_PlainFormRedirects(t *testing.T) {
	f := newProductConsole(t, 1)
	b := f.owner(t)
	b.get(f.path(""), false)
	rec, _ := b.post(f.path("/auto-renew"), url.Values{}, false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != f.path("") {
		t.Fatalf("status %d location %q", rec.Code, rec.Header().Get("Location"))
	}
	_, doc := b.get(f.path(""), false)
	if got := text(doc.Find(".flash")); got != "Automatic renewal is off for Thermostat." {
		t.Errorf("flash %q", got)
	}
	if _, on := doc.Find("#product-auto-renew").Attr("checked"); on {
		t.Error("the switch shows on")
	}
	if !strings.Contains(doc.Find("#renewal-card noscript").Text(), "Save</button>") {
		t.Error("no Save button for browsers without JavaScript")
	}
}

func TestSetAutoRenew_RefusedWithoutPermission(t *testing.T) {
	f := newProductConsole(t, 1)
	if _, err := f.st.CreateUser(f.ctx, store.NewUser{AccountID: f.account.ID, Role: store.RoleMember, Email: "viewer@acme.example",
		Password: ownerPassword}); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, "viewer@acme.example", ownerPassword)
	b.get(f.path(""), false)
	for _, p := range []string{"/auto-renew", "/blacklist", "/blacklist/remove"} {
		if rec, _ := b.post(f.path(p), url.Values{"device_keys": {"dev-1"}, "device_key": {"dev-1"}}, false); rec.Code != http.StatusForbidden {
			t.Errorf("POST %s: %d", p, rec.Code)
		}
	}
	if !f.productNow(t).AutoRenew || len(f.blacklisted(t)) != 0 {
		t.Error("something changed")
	}
	_, doc := b.get(f.path("/blacklist"), false)
	if doc.Find("main form[method=post]").Length() != 0 {
		t.Error("the blacklist offers changes")
	}
}

func TestRenewalCard_AtRisk(t *testing.T) {
	f := newProductConsole(t, 2)
	f.connect(t, "dev-1")
	f.connect(t, "dev-2")
	f.clock.Set(f.device(t, "dev-2").ExpiresAt.AddDate(0, 0, -10)) // both due within 30 days, no code left
	b := f.owner(t)
	_, doc := b.get(f.path(""), false)
	if got := cardFact(doc, "Due to renew in 30 days"); got != "2 devices" {
		t.Errorf("due %q", got)
	}
	if got := text(doc.Find("#renewal-card .risk")); got != "At risk: 2 devices are due to renew in the next 30 days but only 0 codes are available. Assign codes to keep them connected." {
		t.Errorf("warning %q", got)
	}
	if got := text(row(doc, "dev-1")); !strings.Contains(got, "At risk: too few codes") || !strings.Contains(got, "Expiring") {
		t.Errorf("row %q", got)
	}
	f.addCodes(t, 2)
	_, doc = b.get(f.path(""), false)
	if doc.Find("#renewal-card .risk").Length() != 0 || !strings.Contains(text(row(doc, "dev-1")), "Will renew") {
		t.Errorf("still at risk with enough codes: %q", text(doc.Find("#renewal-card")))
	}
}

func TestRenewalCard_AtRisk_InChinese(t *testing.T) {
	f := newProductConsole(t, 2)
	f.connect(t, "dev-1")
	f.connect(t, "dev-2")
	f.clock.Set(f.device(t, "dev-2").ExpiresAt.AddDate(0, 0, -10))
	b := f.owner(t)
	b.lang = "zh-CN"
	_, doc := b.get(f.path(""), false)
	if got := cardFact(doc, "30 天内待续费"); got != "2 台设备" {
		t.Errorf("due %q", got)
	}
	if got := text(doc.Find("#renewal-card .risk")); got != "有风险：未来 30 天内有 2 台设备待续费，但只有 0 个激活码可用。请分配激活码，以保持这些设备在线。" {
		t.Errorf("warning %q", got)
	}
	if got := figure(doc, "可用"); got != "0" {
		t.Errorf("available figure %q", got)
	}
}

func TestBlacklistDialog_PageAndPartial(t *testing.T) {
	f := newProductConsole(t, 1)
	f.connect(t, "dev-1")
	f.blacklist(t, true, "dev-1", "later-1")
	b := f.owner(t)
	rec, doc := b.get(f.path("/blacklist"), false)
	if rec.Code != http.StatusOK || text(doc.Find(".dialog-page h1")) != "Renewal blacklist of Thermostat" {
		t.Fatalf("page: %d %q", rec.Code, text(doc.Find("h1")))
	}
	if got := text(doc.Find("#blacklist-list h2")); got != "On the blacklist: 2" {
		t.Errorf("count %q", got)
	}
	rows := doc.Find("#blacklist-list tbody tr")
	if rows.Length() != 2 || cells(rows.Eq(0)) != "Select dev-1 dev-1 Connected before Remove dev-1" || cells(rows.Eq(1)) != "Select later-1 later-1 Not connected yet Remove later-1" {
		t.Errorf("rows %q | %q", cells(rows.Eq(0)), cells(rows.Eq(1)))
	}
	if l := doc.Find("label[for=blacklist-keys]"); text(l) != "Add devices" {
		t.Errorf("textarea label %q", text(l))
	}
	rec, doc = b.get(f.path("/blacklist"), true)
	if rec.Code != http.StatusOK || doc.Find("body > dialog#blacklist-dialog").Length() != 1 || doc.Find("h1").Length() != 0 {
		t.Fatalf("partial: %d %s", rec.Code, rec.Body)
	}
	if got := text(doc.Find("#blacklist-dialog-title")); got != "Renewal blacklist of Thermostat" {
		t.Errorf("dialog title %q", got)
	}
	// The card's Set button opens it.
	_, page := b.get(f.path(""), false)
	set := page.Find("#renewal-card a:contains('Set')")
	if h, _ := set.Attr("href"); h != f.path("/blacklist") {
		t.Errorf("Set links to %q", h)
	}
	if tgt, _ := set.Attr("hx-target"); tgt != "#dialog" {
		t.Errorf("Set targets %q", tgt)
	}
	if got := cardFact(page, "Blacklisted devices"); !strings.HasPrefix(got, "2 ") {
		t.Errorf("card count %q", got)
	}
}

func TestBlacklistDialog_Pages(t *testing.T) {
	f := newProductConsole(t, 0)
	var keys []string
	for i := range 53 {
		keys = append(keys, "k-"+string(rune('a'+i/26))+string(rune('a'+i%26)))
	}
	f.blacklist(t, true, keys...)
	b := f.owner(t)
	_, doc := b.get(f.path("/blacklist"), true)
	if n := doc.Find("#blacklist-list tbody tr").Length(); n != 50 {
		t.Fatalf("first page %d rows", n)
	}
	next := doc.Find("#blacklist-list a:contains('Next')")
	u, _ := next.Attr("hx-get")
	if sel, _ := next.Attr("hx-select"); sel != "#blacklist-list" {
		t.Errorf("hx-select %q", sel)
	}
	req := b.do(http.MethodGet, u, nil, true)
	doc, _ = goquery.NewDocumentFromReader(strings.NewReader(req.Body.String()))
	if got := text(doc.Find("#blacklist-list tbody")); !strings.Contains(got, "k-ca") || doc.Find("#blacklist-list tbody tr").Length() != 3 {
		t.Fatalf("second page %q", got)
	}
	prev, _ := doc.Find("#blacklist-list a:contains('Previous')").Attr("href")
	_, doc = b.get(prev, false)
	if got := text(doc.Find("#blacklist-list tbody tr").First().Find("td.mono")); got != "k-aa" {
		t.Fatalf("back to %q", got)
	}
}

func TestBlacklistAdd(t *testing.T) {
	f := newProductConsole(t, 1)
	f.connect(t, "dev-1")
	b := f.owner(t)
	b.get(f.path(""), false)

	t.Run("SeveralAtOnce", func(t *testing.T) {
		rec, _ := b.post(f.path("/blacklist"), url.Values{"device_keys": {"dev-1\r\nnew-1\n\nnew-2\n"}}, false)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != f.path("") {
			t.Fatalf("status %d %q", rec.Code, rec.Header().Get("Location"))
		}
		if got := strings.Join(f.blacklisted(t), ","); got != "dev-1,new-1,new-2" {
			t.Fatalf("blacklist %s", got)
		}
		_, doc := b.get(f.path(""), false)
		if got := text(doc.Find(".flash")); got != "Added 3 devices to the renewal blacklist of Thermostat." {
			t.Errorf("flash %q", got)
		}
		if got := cardFact(doc, "Blacklisted devices"); !strings.HasPrefix(got, "3 ") {
			t.Errorf("card %q", got)
		}
		if got := text(row(doc, "dev-1")); !strings.Contains(got, "Won't renew: blacklisted") {
			t.Errorf("row %q", got)
		}
	})
	t.Run("HtmxGoesBackToThePage", func(t *testing.T) {
		rec, _ := b.post(f.path("/blacklist"), url.Values{"device_keys": {"new-2, new-3"}}, true)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("HX-Location"), `"path":"`+f.path("")+`"`) {
			t.Fatalf("status %d HX-Location %q", rec.Code, rec.Header().Get("HX-Location"))
		}
		_, doc := b.get(f.path(""), false)
		if got := text(doc.Find(".flash")); got != "Added 1 device to the renewal blacklist of Thermostat. 1 was on it already." {
			t.Errorf("flash %q", got)
		}
	})
	for name, tc := range map[string]struct{ keys, message string }{
		"NotADeviceKey": {"good-1\nbad key!", `"key!" is not a DeviceKey: use 1-64 letters, digits, '-', '_' or '.'`},
		"Nothing":       {"  \n ", "Enter at least one DeviceKey, one per line."},
	} {
		t.Run(name, func(t *testing.T) {
			before := f.blacklisted(t)
			for _, htmx := range []bool{false, true} {
				rec, doc := b.post(f.path("/blacklist"), url.Values{"device_keys": {tc.keys}}, htmx)
				if rec.Code != http.StatusUnprocessableEntity {
					t.Fatalf("htmx %v: status %d", htmx, rec.Code)
				}
				if htmx && doc.Find("body > form#blacklist-add").Length() != 1 {
					t.Fatalf("htmx answer is not the form: %s", rec.Body)
				}
				if !htmx && doc.Find(".dialog-page h1").Length() != 1 {
					t.Fatalf("plain answer is not the dialog page")
				}
				if got := text(doc.Find("#blacklist-keys-error")); got != tc.message {
					t.Errorf("message %q, want %q", got, tc.message)
				}
				area := doc.Find("#blacklist-keys")
				if inv, _ := area.Attr("aria-invalid"); inv != "true" {
					t.Error("textarea not marked invalid")
				}
				if d, _ := area.Attr("aria-describedby"); !strings.Contains(d, "blacklist-keys-error") {
					t.Errorf("described by %q", d)
				}
				if area.Text() != tc.keys {
					t.Errorf("textarea keeps %q", area.Text())
				}
			}
			if after := f.blacklisted(t); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Errorf("blacklist changed: %v", after)
			}
		})
	}
}

func TestBlacklist_RefusedWhileTheSwitchIsOff(t *testing.T) {
	f := newProductConsole(t, 1)
	f.blacklist(t, true, "dev-1")
	if err := f.st.SetAutoRenew(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
		store.AutoRenewInput{ProductID: f.product.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	_, doc := b.get(f.path("/blacklist"), true)
	if got := text(doc.Find(".notice")); !strings.Contains(got, "Automatic renewal is off for this product") {
		t.Errorf("notice %q", got)
	}
	if doc.Find("form").Length() != 0 {
		t.Error("the dialog offers changes while the switch is off")
	}
	b.get(f.path(""), false)
	rec, doc := b.post(f.path("/blacklist"), url.Values{"device_keys": {"dev-2"}}, true)
	if rec.Code != http.StatusUnprocessableEntity || text(doc.Find("#blacklist-keys-error")) != "Automatic renewal is off for this product: turn it on to change the blacklist." {
		t.Fatalf("add: %d %q", rec.Code, text(doc.Find("#blacklist-keys-error")))
	}
	rec, doc = b.post(f.path("/blacklist/remove"), url.Values{"device_key": {"dev-1"}}, true)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(text(doc.Find("#blacklist-list .form-error")), "Automatic renewal is off") {
		t.Fatalf("remove: %d %s", rec.Code, rec.Body)
	}
	if got := strings.Join(f.blacklisted(t), ","); got != "dev-1" {
		t.Errorf("blacklist %s", got)
	}
}

func TestBlacklistRemove(t *testing.T) {
	f := newProductConsole(t, 0)
	f.blacklist(t, true, "a-1", "a-2", "a-3", "a-4")
	b := f.owner(t)
	_, doc := b.get(f.path("/blacklist"), false)
	if doc.Find(`#blacklist-list input[type=checkbox][name=device_key][value="a-2"]`).Length() != 1 ||
		doc.Find(`#blacklist-list button[name=one][value="a-4"]`).Length() != 1 {
		t.Fatal("no checkbox or Remove button")
	}
	t.Run("Selected", func(t *testing.T) {
		rec, _ := b.post(f.path("/blacklist/remove"), url.Values{"device_key": {"a-1", "a-2"}}, false)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("status %d", rec.Code)
		}
		if got := strings.Join(f.blacklisted(t), ","); got != "a-3,a-4" {
			t.Fatalf("blacklist %s", got)
		}
		_, doc := b.get(f.path(""), false)
		if got := text(doc.Find(".flash")); got != "Removed 2 devices from the renewal blacklist of Thermostat: they renew automatically again." {
			t.Errorf("flash %q", got)
		}
	})
	t.Run("OneRowsButton", func(t *testing.T) {
		rec, _ := b.post(f.path("/blacklist/remove"), url.Values{"device_key": {"a-3"}, "one": {"a-4"}}, true)
		if rec.Code != http.StatusOK || rec.Header().Get("HX-Location") == "" {
			t.Fatalf("status %d", rec.Code)
		}
		if got := strings.Join(f.blacklisted(t), ","); got != "a-3" {
			t.Fatalf("blacklist %s", got)
		}
	})
	t.Run("NoneSelected", func(t *testing.T) {
		rec, doc := b.post(f.path("/blacklist/remove"), url.Values{}, true)
		if rec.Code != http.StatusUnprocessableEntity || doc.Find("body > #blacklist-list").Length() != 1 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if got := text(doc.Find("#blacklist-list .form-error")); got != "Select the devices to remove, or press the Remove button of one." {
			t.Errorf("message %q", got)
		}
		if got := strings.Join(f.blacklisted(t), ","); got != "a-3" {
			t.Errorf("blacklist %s", got)
		}
	})
}

func TestBlacklist_InChinese(t *testing.T) {
	f := newProductConsole(t, 1)
	f.connect(t, "dev-1")
	b := f.owner(t)
	b.lang = "zh-CN"
	_, doc := b.get(f.path("/blacklist"), true)
	if got := text(doc.Find("#blacklist-dialog-title")); got != "Thermostat 的续费黑名单" {
		t.Errorf("title %q", got)
	}
	rec, _ := b.post(f.path("/blacklist"), url.Values{"device_keys": {"dev-1\nnew-1"}}, false)
	b.post(f.path("/blacklist"), url.Values{"device_keys": {"new-1\nnew-2"}}, false)
	_, page := b.get(rec.Header().Get("Location"), false)
	if got := text(page.Find(".flash")); got != "已将 1 台设备加入 Thermostat 的续费黑名单。另有 1 台已在黑名单中。" {
		t.Errorf("flash %q", got)
	}
	rec, doc = b.post(f.path("/blacklist/remove"), url.Values{}, true)
	if got := text(doc.Find(".form-error")); rec.Code != http.StatusUnprocessableEntity || got != "请选择要移除的设备，或点击某个设备的“移除”按钮。" {
		t.Errorf("refusal %q (%d)", got, rec.Code)
	}
}
