package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"activation-console/store"
)

// lang is the language a page says it is in, and its title.
func lang(t *testing.T, b *browser, path string) (string, string) {
	t.Helper()
	_, doc := b.get(path, false)
	l, _ := doc.Find("html").Attr("lang")
	return l, doc.Find("head title").Text()
}

func TestLanguage_AcceptLanguageDecidesUntilAPersonChooses(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	anon := newBrowser(t, f.srv)
	anon.lang = "zh-CN,zh;q=0.9,en;q=0.5"
	if l, title := lang(t, anon, "/signin"); l != "zh-CN" || !strings.Contains(title, "登录") {
		t.Errorf("sign-in for a Chinese browser: lang %q, title %q", l, title)
	}
	anon.lang = "fr-FR"
	if l, title := lang(t, anon, "/signin"); l != "en" || !strings.Contains(title, "Sign in") {
		t.Errorf("sign-in for a French browser: lang %q, title %q", l, title)
	}

	b := f.owner(t)
	b.lang = "zh-CN"
	if l, _ := lang(t, b, "/eu-frankfurt/settings"); l != "zh-CN" {
		t.Errorf("a person who has not chosen gets their browser's language: %q", l)
	}
}

func TestLanguage_SwitchInTheHeader_IsKeptForThePerson_AndReturnsToThePage(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	b.lang = "en"
	rec, _ := b.post("/language", url.Values{"language": {"zh-CN"}, "return_to": {"/eu-frankfurt/settings?x=1"}}, false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/eu-frankfurt/settings?x=1" {
		t.Fatalf("switch: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	if l, title := lang(t, b, "/eu-frankfurt/settings"); l != "zh-CN" || !strings.Contains(title, "激活码管理") {
		t.Errorf("after the switch: lang %q, title %q", l, title)
	}
	// Kept with the person: another browser, asking for English, gets Chinese after sign-in.
	other := f.owner(t)
	other.lang = "en"
	if l, _ := lang(t, other, "/eu-frankfurt/settings"); l != "zh-CN" {
		t.Errorf("the choice is not kept for the person: %q", l)
	}
	if got := ownerLanguage(t, f); got == nil || *got != store.Chinese {
		t.Errorf("users.language = %v", got)
	}
}

func TestLanguage_Switch_RefusesOtherSitesAndUnknownLanguages(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	// Without the session's anti-forgery token, nothing changes.
	if rec := b.do(http.MethodPost, "/language", url.Values{"language": {"zh-CN"}}, false); rec.Code != http.StatusForbidden {
		t.Errorf("switch without the token: %d", rec.Code)
	}
	if got := ownerLanguage(t, f); got != nil {
		t.Errorf("language changed to %v", *got)
	}
	for _, target := range []string{"https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"} {
		rec, _ := b.post("/language", url.Values{"language": {"en"}, "return_to": {target}}, false)
		if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.Contains(loc, "evil") {
			t.Errorf("return_to %q: %d to %q", target, rec.Code, loc)
		}
	}
	rec, _ := b.post("/language", url.Values{"language": {"fr"}, "return_to": {"/"}}, false)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("an unknown language: %d", rec.Code)
	}
}

func TestLanguage_SigninSwitch_NeedsTheFormsToken_AndLeavesACookie(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := newBrowser(t, f.srv)
	_, doc := b.get("/signin?next=/eu-frankfurt/audit", false)
	token, _ := doc.Find(`form.lang-switch input[name=csrf]`).Attr("value")
	if token == "" {
		t.Fatal("no language switch on the sign-in page")
	}
	if rec := b.do(http.MethodPost, "/signin/language", url.Values{"language": {"zh-CN"}, "csrf": {"forged"}}, false); rec.Code != http.StatusForbidden {
		t.Errorf("forged token: %d", rec.Code)
	}
	rec := b.do(http.MethodPost, "/signin/language", url.Values{"language": {"zh-CN"}, "csrf": {token}, "next": {"/eu-frankfurt/audit"}}, false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/signin?next=%2Feu-frankfurt%2Faudit" {
		t.Fatalf("switch: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	if l, _ := lang(t, b, "/signin"); l != "zh-CN" {
		t.Errorf("the cookie is not kept: %q", l)
	}
}

func ownerLanguage(t *testing.T, f *consoleFixture) *store.Language {
	t.Helper()
	var l *store.Language
	if err := f.st.DB().GetContext(f.ctx, &l, `SELECT language FROM users WHERE email = 'owner@acme.example'`); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLanguage_TheHandlersOwnRefusalsSpeakThePersonsLanguage: a 403 the
// handlers raise themselves (an expired form) is worded in Chinese too.
func TestLanguage_TheHandlersOwnRefusalsSpeakThePersonsLanguage(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	b.lang = "zh-CN"
	rec := b.do(http.MethodPost, "/eu-frankfurt/settings", url.Values{"time_zone": {"UTC"}}, false)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "表单已过期，请刷新页面后重试。") {
		t.Errorf("an expired form in Chinese: %d %s", rec.Code, rec.Body.String())
	}
}
