package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"activation-console/store"
)

const settingsPath = "/eu-frankfurt/settings"

func TestSettings_ShowsTheZonesWithTheCurrentOneSelected(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	rec, doc := b.get(settingsPath, false)
	if rec.Code != http.StatusOK || text(doc.Find("h1")) != "Settings" || text(doc.Find(`nav a[aria-current="page"]`)) != "Settings" {
		t.Fatalf("status %d, h1 %q", rec.Code, text(doc.Find("h1")))
	}
	if doc.Find(`label[for="time-zone"]`).Length() != 1 {
		t.Error("the select has no label")
	}
	opts := doc.Find("#time-zone option")
	if opts.Length() < 40 {
		t.Errorf("%d zones offered, want about 40", opts.Length())
	}
	if got := text(doc.Find("#time-zone option[selected]")); got != "UTC, Coordinated Universal Time" {
		t.Errorf("selected = %q, want UTC", got)
	}
	// Offsets as they are at the clock's time (1 January: winter in the north).
	for _, want := range []string{"Europe/Berlin (UTC+01:00)", "Asia/Shanghai (UTC+08:00)", "America/New_York (UTC-05:00)", "Asia/Kolkata (UTC+05:30)"} {
		if doc.Find(`#time-zone option:contains("`+want+`")`).Length() != 1 {
			t.Errorf("no option %q", want)
		}
	}
	if got := text(doc.Find("#time-zone-hint")); !strings.Contains(got, "It is now 2026-01-01 12:00 in UTC.") {
		t.Errorf("hint = %q", got)
	}
}

func TestSaveSettings_ChangesEveryDateShown(t *testing.T) {
	t.Parallel()
	f := newNearConsole(t)
	b := f.owner(t)
	b.get(settingsPath, false)
	rec, _ := b.post(settingsPath, url.Values{"time_zone": {"Asia/Shanghai"}}, false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != settingsPath {
		t.Fatalf("save: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	_, doc := b.get(settingsPath, false)
	if got := text(doc.Find("main > .flash")); got != "Time zone saved: dates are now shown in Asia/Shanghai time." {
		t.Errorf("flash = %q", got)
	}
	if got, _ := doc.Find("#time-zone option[selected]").Attr("value"); got != "Asia/Shanghai" {
		t.Errorf("selected = %q", got)
	}
	// thermo-001's code expires 2027-01-01 12:00 UTC: 20:00 in Shanghai, UTC on hover.
	_, doc = b.get(nearPath, false)
	if got := nearRow(doc, "thermo-001"); !strings.Contains(got, "2026-01-01 20:00 | 2027-01-01 20:00") {
		t.Errorf("row = %q, want the dates in Shanghai time", got)
	}
	if title, _ := doc.Find("#results tbody tr time").Eq(1).Attr("title"); title != "2027-01-01 12:00:00 UTC" {
		t.Errorf("title = %q", title)
	}
	// Day filters are days in the viewer's zone: the expiry is on 1 January there too.
	_, doc = b.get(nearPath+"?expires_from=2027-01-01&expires_to=2027-01-01", false)
	if got := nearRows(doc); len(got) != 2 {
		t.Errorf("expiring on 2027-01-01 in Shanghai = %v", got)
	}

	// With htmx, the new page replaces the content.
	rec, _ = b.post(settingsPath, url.Values{"time_zone": {"America/New_York"}}, true)
	var loc map[string]string
	if err := json.Unmarshal([]byte(rec.Header().Get("HX-Location")), &loc); err != nil || rec.Code != http.StatusOK || loc["path"] != settingsPath {
		t.Errorf("htmx save: %d, HX-Location %q", rec.Code, rec.Header().Get("HX-Location"))
	}
	_, doc = b.get(nearPath, false)
	if got := nearRow(doc, "thermo-001"); !strings.Contains(got, "2026-01-01 07:00 | 2027-01-01 07:00") {
		t.Errorf("row = %q, want the dates in New York time", got)
	}
}

func TestSaveSettings_RefusesAZoneThatDoesNotExist(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	b.get(settingsPath, false)
	for _, tz := range []string{"Mars/Olympus_Mons", "Local", ""} {
		rec, doc := b.post(settingsPath, url.Values{"time_zone": {tz}}, false)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%q: status %d, want 422", tz, rec.Code)
			continue
		}
		msg := text(doc.Find("#time-zone-error"))
		if msg == "" || !strings.HasPrefix(msg, strings.ToUpper(msg[:1])) {
			t.Errorf("%q: message = %q", tz, msg)
		}
		if inv, _ := doc.Find("#time-zone").Attr("aria-invalid"); inv != "true" {
			t.Errorf("%q: the select is not marked invalid", tz)
		}
		if desc, _ := doc.Find("#time-zone").Attr("aria-describedby"); !strings.Contains(desc, "time-zone-error") {
			t.Errorf("%q: describedby = %q", tz, desc)
		}
	}
	u, err := f.st.Authenticate(f.ctx, "owner@acme.example", ownerPassword)
	if err != nil || u.TimeZone != "UTC" {
		t.Errorf("zone = %q, %v: want UTC unchanged", u.TimeZone, err)
	}
}

// The settings page's language choice does what the header's switch does
// (docs/i18n.md, "Choosing"): kept for the person and in this browser.
func TestSaveLanguage_MakesTheNextPageChineseWhateverTheBrowserAsks(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	b.lang = "en-US,en;q=0.9"
	_, doc := b.get(settingsPath, false)
	if got, _ := doc.Find("#language option[selected]").Attr("value"); got != "en" {
		t.Errorf("selected = %q, want the page's language", got)
	}
	if got := text(doc.Find(`#language option[value="zh-CN"]`)); got != "简体中文" {
		t.Errorf("Chinese is offered as %q, want its own name", got)
	}
	action, _ := doc.Find("#language").Closest("form").Attr("action")
	rec, _ := b.post(action, url.Values{"language": {"zh-CN"}}, false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != settingsPath {
		t.Fatalf("save: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	_, doc = b.get(settingsPath, false)
	if l, _ := doc.Find("html").Attr("lang"); l != "zh-CN" || doc.Find("title").Text() != "设置 · 激活码管理" || text(doc.Find("h1")) != "设置" {
		t.Errorf("next page: lang %q, title %q, h1 %q", l, doc.Find("title").Text(), text(doc.Find("h1")))
	}
	if got := text(doc.Find("main > .flash")); got != "语言已保存：控制台现在使用简体中文。" {
		t.Errorf("flash = %q", got)
	}
	if got, _ := doc.Find("#language option[selected]").Attr("value"); got != "zh-CN" {
		t.Errorf("selected = %q after saving Chinese", got)
	}
	if got := ownerLanguage(t, f); got == nil || *got != store.Chinese {
		t.Errorf("users.language = %v", got)
	}
	// This browser remembers it before sign-in too, as the switch's cookie does.
	var cookie string
	for _, c := range rec.Result().Cookies() {
		if c.Name == "console_lang" {
			cookie = c.Value
		}
	}
	if cookie != "zh-CN" {
		t.Errorf("language cookie = %q", cookie)
	}
	// Time zones read well in Chinese.
	if got := text(doc.Find(`#time-zone option[value="UTC"]`)); got != "UTC（协调世界时）" {
		t.Errorf("UTC option = %q", got)
	}
	if doc.Find(`#time-zone option:contains("Asia/Shanghai（UTC+08:00）")`).Length() != 1 {
		t.Error("no option Asia/Shanghai（UTC+08:00）")
	}
}

func TestSaveLanguage_RefusesALanguageNotOffered(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	b.get(settingsPath, false)
	rec, doc := b.post(settingsPath+"/language", url.Values{"language": {"fr"}}, false)
	if rec.Code != http.StatusUnprocessableEntity || text(doc.Find("#language-error")) == "" {
		t.Errorf("status %d, message %q", rec.Code, text(doc.Find("#language-error")))
	}
	if inv, _ := doc.Find("#language").Attr("aria-invalid"); inv != "true" {
		t.Error("the select is not marked invalid")
	}
	if got := ownerLanguage(t, f); got != nil {
		t.Errorf("language changed to %v", *got)
	}
}
