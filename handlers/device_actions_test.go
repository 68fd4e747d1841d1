package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store"
)

func TestActivationHistory(t *testing.T) {
	f := newProductConsole(t, 3)
	d := f.connect(t, "dev-1")
	f.clock.Set(d.ExpiresAt.Add(time.Hour))
	if _, err := f.st.RenewalPass(f.ctx); err != nil { // a renewal from the old expiry
		t.Fatal(err)
	}
	f.lapse(t, "dev-1")
	f.clock.Advance(24 * time.Hour)
	if _, err := f.st.RenewNow(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
		store.RenewNowInput{DeviceID: d.ID, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	_, page := b.get(f.path(""), false)
	link := row(page, "dev-1").Find("a:contains('History')")
	if h, _ := link.Attr("href"); h != f.devicePath(d, "history") {
		t.Fatalf("History links to %q", h)
	}
	if tgt, _ := link.Attr("hx-target"); tgt != "#dialog" {
		t.Errorf("History targets %q", tgt)
	}
	want := []string{
		"1 First activation 2026-01-01 12:00 2027-01-01 12:00",
		"2 Automatic renewal 2027-01-01 12:00 2028-01-01 12:00",
		"3 Renewed by hand 2028-01-02 13:00 2029-01-02 13:00",
	}
	check := func(t *testing.T, htmx bool) {
		rec, doc := b.get(f.devicePath(d, "history"), htmx)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		if htmx && (doc.Find("body > dialog#history-dialog").Length() != 1 || doc.Find("h1").Length() != 0) {
			t.Fatalf("partial is not the dialog: %s", rec.Body)
		}
		if !htmx && text(doc.Find(".dialog-page h1")) != "Activation history of dev-1" {
			t.Fatalf("page h1 %q", text(doc.Find("h1")))
		}
		var got []string
		for i := range doc.Find("tbody tr").Length() {
			got = append(got, cells(doc.Find("tbody tr").Eq(i)))
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("history\n got %q\nwant %q", got, want)
		}
		facts := map[string]string{}
		doc.Find("dl.facts dt").Each(func(_ int, dt *goquery.Selection) { facts[text(dt)] = text(dt.Next()) })
		if facts["Status"] != "Active" || facts["Codes consumed"] != "3" || facts["DeviceKey"] != "dev-1" {
			t.Errorf("facts %q", facts)
		}
	}
	t.Run("Page", func(t *testing.T) { check(t, false) })
	t.Run("Dialog", func(t *testing.T) { check(t, true) })
}

func TestDeviceActions_NotFound(t *testing.T) {
	f := newProductConsole(t, 1)
	d := f.connect(t, "dev-1")
	other, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-2", Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	b.get(f.path(""), false)
	otherPath := fmt.Sprintf("/eu-frankfurt/products/%d/devices/%d/", other.ID, d.ID)
	for _, p := range []string{otherPath + "history", f.path("/devices/x/history"), f.path("/devices/999999/history")} {
		if rec, _ := b.get(p, false); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, rec.Code)
		}
	}
	for _, p := range []string{otherPath + "renew", otherPath + "auto-renew"} {
		if rec, _ := b.post(p, url.Values{"confirm": {"yes"}}, false); rec.Code != http.StatusNotFound {
			t.Errorf("POST %s: %d", p, rec.Code)
		}
	}
	if len(f.blacklisted(t)) != 0 {
		t.Error("the blacklist changed")
	}
}

func TestRenewNow(t *testing.T) {
	f := newProductConsole(t, 2)
	d := f.connect(t, "dev-1")
	f.clock.Advance(24 * time.Hour)
	f.connect(t, "dev-2") // expires a day after dev-1
	f.lapse(t, "dev-1")
	b := f.owner(t)
	_, page := b.get(f.path("?dk=dev"), false)
	form := row(page, "dev-1").Find("form[action$='/renew']")
	if a, _ := form.Attr("action"); a != f.devicePath(d, "renew") {
		t.Fatalf("Renew now posts to %q", a)
	}
	if q, _ := form.Attr("hx-confirm"); q != "Renew device dev-1 now? This uses one code, valid from now." {
		t.Errorf("hx-confirm %q", q)
	}
	if ret, _ := form.Find("input[name=return]").Attr("value"); ret != f.path("?dk=dev") {
		t.Errorf("return %q", ret)
	}
	if row(page, "dev-2").Find("button:contains('Renew now')").Length() != 0 {
		t.Error("a device that has not lapsed offers Renew now")
	}

	t.Run("PlainFormAsksFirst", func(t *testing.T) {
		rec, doc := b.post(f.devicePath(d, "renew"), url.Values{"return": {f.path("?dk=dev")}}, false)
		if rec.Code != http.StatusOK || !strings.Contains(text(doc.Find(".dialog-page")), "Renew device dev-1 now? This uses one code, valid from now.") {
			t.Fatalf("status %d: %q", rec.Code, text(doc.Find("main")))
		}
		if v, _ := doc.Find(".dialog-page form input[name=confirm]").Attr("value"); v != "yes" {
			t.Error("no confirming form")
		}
		rec, doc = b.post(f.devicePath(d, "renew"), url.Values{}, true)
		if rec.Code != http.StatusOK || doc.Find("body > dialog#renew-dialog form input[name=confirm][value=yes]").Length() != 1 {
			t.Errorf("htmx without confirmation: %d %s", rec.Code, rec.Body)
		}
		if f.productNow(t).Consumed != 2 {
			t.Error("asking spent a code")
		}
	})
	t.Run("NoCodeLeft", func(t *testing.T) {
		for _, htmx := range []bool{false, true} {
			rec, doc := b.post(f.devicePath(d, "renew"), url.Values{"confirm": {"yes"}}, htmx)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", rec.Code)
			}
			if got := text(doc.Find(".form-error")); got != "No codes available for this product: assign codes first." {
				t.Errorf("message %q", got)
			}
			if htmx && doc.Find("body > dialog#renew-dialog a:contains('Assign codes')").Length() != 1 {
				t.Errorf("the dialog does not offer to assign codes: %s", rec.Body)
			}
		}
		if f.device(t, "dev-1").LapsedAt == nil || f.productNow(t).Consumed != 2 {
			t.Error("something changed")
		}
	})
	t.Run("Renewed", func(t *testing.T) {
		f.addCodes(t, 1)
		rec, _ := b.post(f.devicePath(d, "renew"), url.Values{"confirm": {"yes"}, "return": {f.path("?dk=dev")}}, false)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != f.path("?dk=dev") {
			t.Fatalf("status %d location %q", rec.Code, rec.Header().Get("Location"))
		}
		_, doc := b.get(f.path("?dk=dev"), false)
		now := f.clock.Now()
		if got := text(doc.Find(".flash")); got != "Device dev-1 renewed until "+now.AddDate(1, 0, 0).Format("2006-01-02 15:04")+". One code used." {
			t.Errorf("flash %q", got)
		}
		if got := text(row(doc, "dev-1")); !strings.Contains(got, "Active") || !strings.Contains(got, "Renewed by hand") {
			t.Errorf("row %q", got)
		}
		if got := figure(doc, "Consumed"); got != "3" {
			t.Errorf("consumed %q", got)
		}
		if got := figure(doc, "Available"); got != "0" {
			t.Errorf("available %q", got)
		}
	})
	t.Run("NotLapsed", func(t *testing.T) {
		rec, doc := b.post(f.devicePath(d, "renew"), url.Values{"confirm": {"yes"}}, true)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(text(doc.Find(".form-error")), "Device dev-1 has not lapsed") {
			t.Fatalf("status %d %q", rec.Code, text(doc.Find(".form-error")))
		}
	})
	t.Run("ReturnElsewhereIsIgnored", func(t *testing.T) {
		f.addCodes(t, 1)
		d2 := f.device(t, "dev-2")
		f.lapse(t, "dev-2")
		b := f.owner(t)
		b.get(f.path(""), false)
		rec, _ := b.post(f.devicePath(d2, "renew"), url.Values{"confirm": {"yes"}, "return": {"//evil.example/"}}, true)
		if loc := rec.Header().Get("HX-Location"); rec.Code != http.StatusOK || !strings.Contains(loc, `"path":"`+f.path("")+`"`) {
			t.Fatalf("status %d HX-Location %q", rec.Code, loc)
		}
	})
}

func TestSetDeviceAutoRenew(t *testing.T) {
	f := newProductConsole(t, 2)
	d := f.connect(t, "dev-1")
	b := f.owner(t)
	_, page := b.get(f.path(""), false)
	toggle := row(page, "dev-1").Find("form.renew-toggle")
	if a, _ := toggle.Attr("hx-post"); a != f.devicePath(d, "auto-renew") {
		t.Fatalf("toggle posts to %q", a)
	}
	if l := text(toggle.Find("label")); l != "Auto-renew device dev-1" {
		t.Errorf("label %q", l)
	}
	if _, on := toggle.Find("input[type=checkbox]").Attr("checked"); !on {
		t.Error("the toggle shows off")
	}

	t.Run("OffWithHtmx", func(t *testing.T) {
		rec, doc := b.post(f.devicePath(d, "auto-renew"), url.Values{"return": {f.path("")}}, true)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if _, on := doc.Find("body > form.renew-toggle input[type=checkbox]").Attr("checked"); on {
			t.Error("the toggle still shows on")
		}
		oob := doc.Find(fmt.Sprintf("body > span#outlook-%d[hx-swap-oob=true]", d.ID))
		if text(oob) != "Won't renew: blacklisted" {
			t.Errorf("outlook %q", text(oob))
		}
		card := doc.Find("body > #renewal-card[hx-swap-oob=true]")
		if got := cardFact(doc, "Blacklisted devices"); card.Length() != 1 || !strings.HasPrefix(got, "1 ") {
			t.Errorf("card %q", text(card))
		}
		if got := strings.Join(f.blacklisted(t), ","); got != "dev-1" {
			t.Fatalf("blacklist %s", got)
		}
	})
	t.Run("OnWithHtmxFromAnotherList", func(t *testing.T) {
		rec, doc := b.post(f.devicePath(d, "auto-renew"), url.Values{"auto_renew": {"on"}, "return": {"/eu-frankfurt/near-expiry"}}, true)
		if rec.Code != http.StatusOK || len(f.blacklisted(t)) != 0 {
			t.Fatalf("status %d, blacklist %v", rec.Code, f.blacklisted(t))
		}
		if _, on := doc.Find("form.renew-toggle input[type=checkbox]").Attr("checked"); !on {
			t.Error("the toggle shows off")
		}
		if text(doc.Find(fmt.Sprintf("#outlook-%d", d.ID))) != "Will renew" {
			t.Errorf("outlook %q", text(doc.Find(fmt.Sprintf("#outlook-%d", d.ID))))
		}
		if doc.Find("#renewal-card").Length() != 0 {
			t.Error("the card is swapped on a page without it")
		}
		if v, _ := doc.Find("input[name=return]").Attr("value"); v != "/eu-frankfurt/near-expiry" {
			t.Errorf("return %q", v)
		}
	})
	t.Run("PlainForm", func(t *testing.T) {
		rec, _ := b.post(f.devicePath(d, "auto-renew"), url.Values{"return": {f.path("?dk=dev")}}, false)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != f.path("?dk=dev") {
			t.Fatalf("status %d location %q", rec.Code, rec.Header().Get("Location"))
		}
		_, doc := b.get(f.path("?dk=dev"), false)
		if got := text(doc.Find(".flash")); got != "Device dev-1 will not renew automatically: it is on the renewal blacklist." {
			t.Errorf("flash %q", got)
		}
		if got := text(row(doc, "dev-1")); !strings.Contains(got, "Won't renew: blacklisted") {
			t.Errorf("row %q", got)
		}
		if !strings.Contains(doc.Find("form.renew-toggle noscript").Text(), "Save</button>") {
			t.Error("no Save button without JavaScript")
		}
	})
	t.Run("RefusedWhileTheSwitchIsOff", func(t *testing.T) {
		if err := f.st.SetAutoRenew(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
			store.AutoRenewInput{ProductID: f.product.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
			t.Fatal(err)
		}
		rec, doc := b.post(f.devicePath(d, "auto-renew"), url.Values{"auto_renew": {"on"}, "return": {f.path("")}}, true)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", rec.Code)
		}
		in := doc.Find("form.renew-toggle input[type=checkbox]")
		if _, disabled := in.Attr("disabled"); !disabled {
			t.Error("the toggle is not disabled")
		}
		why, _ := in.Attr("aria-describedby")
		if got := text(doc.Find("#" + why)); got != "Product switch is off" {
			t.Errorf("reason %q", got)
		}
		if got := text(doc.Find(fmt.Sprintf("#outlook-%d", d.ID))); got != "Won't renew: switch off" {
			t.Errorf("outlook %q", got)
		}
		if got := strings.Join(f.blacklisted(t), ","); got != "dev-1" {
			t.Errorf("blacklist %s", got)
		}
		rec, _ = b.post(f.devicePath(d, "auto-renew"), url.Values{"auto_renew": {"on"}}, false)
		_, page := b.get(rec.Header().Get("Location"), false)
		if got := text(page.Find(".flash")); got != "Product switch is off: turn automatic renewal on to change this." {
			t.Errorf("flash %q", got)
		}
	})
}

func TestRenewNow_InChinese(t *testing.T) {
	f := newProductConsole(t, 2)
	d := f.connect(t, "dev-1")
	f.lapse(t, "dev-1")
	b := f.owner(t)
	b.lang = "zh-CN"
	rec, doc := b.post(f.devicePath(d, "renew"), url.Values{}, true)
	if got := text(doc.Find("#renew-dialog-title")); rec.Code != http.StatusOK || got != "续费设备 dev-1" {
		t.Errorf("title %q (%d)", got, rec.Code)
	}
	if got := text(doc.Find("#renew-dialog .dialog-foot button[type=submit]")); got != "立即续费" {
		t.Errorf("button %q", got)
	}
	rec, _ = b.post(f.devicePath(d, "renew"), url.Values{"confirm": {"yes"}}, false)
	_, page := b.get(rec.Header().Get("Location"), false)
	until := f.clock.Now().AddDate(1, 0, 0).Format("2006年1月2日 15:04")
	if got := text(page.Find(".flash")); got != "设备 dev-1 已续费至 "+until+"，消耗了一个激活码。" {
		t.Errorf("flash %q", got)
	}
}
