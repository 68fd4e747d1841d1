package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSignIn_OwnerReachesTheOverviewOfTheHomeDataCenter(t *testing.T) {
	f := newConsole(t)
	b := f.owner(t)
	rec := b.do(http.MethodGet, "/", nil, false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/eu-frankfurt/licenses" {
		t.Fatalf("home: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if b.csrf == "" {
		t.Fatal("the page carries no anti-forgery token for htmx")
	}
}

func TestSignIn_WrongPasswordAndUnknownEmailGetTheSameAnswer(t *testing.T) {
	f := newConsole(t)
	answer := func(email, password string) (int, string) {
		b := newBrowser(t, f.srv)
		_, doc := b.get("/signin", false)
		token, _ := doc.Find(`input[name=csrf]`).Attr("value")
		rec, doc := b.post("/signin", url.Values{"csrf": {token}, "email": {email}, "password": {password}}, false)
		return rec.Code, text(doc.Find(".form-error"))
	}
	code1, msg1 := answer("owner@acme.example", "not the password")
	code2, msg2 := answer("nobody@acme.example", "not the password")
	if code1 != http.StatusUnprocessableEntity || code1 != code2 || msg1 != msg2 || msg1 != "The e-mail or the password is wrong." {
		t.Fatalf("wrong password: %d %q; unknown e-mail: %d %q", code1, msg1, code2, msg2)
	}
}

func TestSignIn_PagesSendStrangersToSignInAndBack(t *testing.T) {
	f := newConsole(t)
	b := newBrowser(t, f.srv)
	rec := b.do(http.MethodGet, "/eu-frankfurt/near-expiry?dk=x", nil, false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/signin?next="+url.QueryEscape("/eu-frankfurt/near-expiry?dk=x") {
		t.Fatalf("stranger: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	rec = b.do(http.MethodGet, "/eu-frankfurt/licenses", nil, true)
	if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("HX-Redirect"), "/signin") {
		t.Fatalf("stranger with htmx: %d %v", rec.Code, rec.Header())
	}
}

func TestSignOut_EndsTheSessionForGood(t *testing.T) {
	f := newConsole(t)
	b := f.owner(t)
	cookies := b.jar.Cookies(site)
	rec, _ := b.post("/signout", nil, false)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", rec.Code)
	}
	// Replaying the old cookie does not bring the session back.
	replay := newBrowser(t, f.srv)
	replay.jar.SetCookies(site, cookies)
	if rec := replay.do(http.MethodGet, "/eu-frankfurt/licenses", nil, false); rec.Code != http.StatusSeeOther {
		t.Fatalf("replayed cookie after sign-out: %d", rec.Code)
	}
}

func TestCSRF_FormsWithoutTheTokenAreRefused(t *testing.T) {
	f := newConsole(t)
	b := f.owner(t)
	rec := b.do(http.MethodPost, "/signout", url.Values{"csrf": {"forged"}}, false)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("forged token: %d", rec.Code)
	}
	rec = b.do(http.MethodPost, "/signout", url.Values{}, false)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("no token: %d", rec.Code)
	}
}

func TestDataCenter_UnknownOneIsNotFound(t *testing.T) {
	f := newConsole(t)
	b := f.owner(t)
	if rec := b.do(http.MethodGet, "/mars-base/licenses", nil, false); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown DC: %d", rec.Code)
	}
	rec := b.do(http.MethodGet, "/switch?dc=cn-shanghai&page=near-expiry", nil, false)
	if rec.Header().Get("Location") != "/cn-shanghai/near-expiry" {
		t.Fatalf("switch: %s", rec.Header().Get("Location"))
	}
}
