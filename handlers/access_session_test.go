package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// signedIn tells whether the browser's session still opens a page.
func signedIn(b *browser) bool {
	return b.do(http.MethodGet, "/eu-frankfurt/licenses", nil, false).Code == http.StatusOK
}

func sessionCookie(b *browser) string {
	for _, c := range b.jar.Cookies(site) {
		if c.Name == "console_session" {
			return c.Value
		}
	}
	return ""
}

func TestSessions_SignInRotatesTheSession(t *testing.T) {
	f := newAccessFixture(t)
	b := f.as(t, "viewer")
	first := sessionCookie(b)
	stolen := newBrowser(t, f.srv)
	stolen.jar.SetCookies(site, b.jar.Cookies(site))
	// Signing in again in the same browser gives a new session and ends the old one.
	_, doc := b.get("/signin", false)
	token, _ := doc.Find(`input[name=csrf]`).Attr("value")
	if rec := b.do(http.MethodPost, "/signin", url.Values{"csrf": {token}, "email": {"viewer@acme.example"}, "password": {memberPassword}}, false); rec.Code != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d", rec.Code)
	}
	if sessionCookie(b) == first || !signedIn(b) {
		t.Fatal("signing in again kept the old session")
	}
	if signedIn(stolen) {
		t.Fatal("the session from before the sign-in still works")
	}
}

func TestSessions_PasswordChangeEndsOtherSessions(t *testing.T) {
	f := newAccessFixture(t)
	here, there := f.as(t, "viewer"), f.as(t, "viewer")
	rec, doc := here.post("/account/password", url.Values{"old_password": {"wrong one"}, "new_password": {"a brand new password"}}, false)
	if rec.Code != http.StatusUnprocessableEntity || text(doc.Find("#old-password-error")) != "The current password is wrong." {
		t.Fatalf("wrong current password: %d %q", rec.Code, text(doc.Find("#old-password-error")))
	}
	rec, _ = here.post("/account/password", url.Values{"old_password": {memberPassword}, "new_password": {"short"}}, false)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("short new password: %d", rec.Code)
	}
	rec, _ = here.post("/account/password", url.Values{"old_password": {memberPassword}, "new_password": {"a brand new password"}}, false)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("change: %d %s", rec.Code, rec.Body.String())
	}
	if !signedIn(here) {
		t.Fatal("the browser that changed the password was signed out")
	}
	if signedIn(there) {
		t.Fatal("another session survived the password change")
	}
	f.signIn(t, "viewer@acme.example", "a brand new password")
}

func TestSessions_SupportChangesOwnPasswordWithoutOpeningAnAccount(t *testing.T) {
	f := newAccessFixture(t)
	here := f.signIn(t, "help@platform.example", memberPassword) // no account opened
	there := f.as(t, "support")
	supportSignedIn := func(b *browser) bool { return b.do(http.MethodGet, "/support", nil, false).Code == http.StatusOK }

	// The link on the support search leads to a page support may use.
	_, doc := here.get("/support", false)
	link, _ := doc.Find(`a:contains("Change password")`).Attr("href")
	rec, doc := here.get(link, false)
	if link == "" || rec.Code != http.StatusOK || doc.Find(`input[name=new_password]`).Length() != 1 {
		t.Fatalf("support's change-password link %q: %d", link, rec.Code)
	}

	rec, _ = here.post(link, url.Values{"old_password": {memberPassword}, "new_password": {"support's new password"}}, false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/support" {
		t.Fatalf("change: %d to %q; want 303 back to the support search", rec.Code, rec.Header().Get("Location"))
	}
	if _, doc := here.get("/support", false); !supportSignedIn(here) || !strings.Contains(doc.Find(".flash").Text(), "password is changed") {
		t.Fatal("the support browser that changed the password was signed out, or not told")
	}
	if supportSignedIn(there) {
		t.Fatal("another support session survived the password change")
	}
	f.signIn(t, "help@platform.example", "support's new password")
}

func TestSessions_DisabledSubAccountIsSignedOutAtOnce(t *testing.T) {
	f := newAccessFixture(t)
	viewer := f.as(t, "viewer")
	owner := f.as(t, "owner")
	ms, _ := f.st.Members(f.ctx, f.account.ID)
	var viewerID int64
	for _, m := range ms {
		if m.Email == "viewer@acme.example" {
			viewerID = m.ID
		}
	}
	if rec, _ := owner.post("/eu-frankfurt/members/"+id(viewerID)+"/disable", nil, false); rec.Code != http.StatusSeeOther {
		t.Fatalf("disable: %d", rec.Code)
	}
	if signedIn(viewer) {
		t.Fatal("a disabled sub-account's session still works")
	}
	b := newBrowser(t, f.srv)
	_, doc := b.get("/signin", false)
	token, _ := doc.Find(`input[name=csrf]`).Attr("value")
	if rec := b.do(http.MethodPost, "/signin", url.Values{"csrf": {token}, "email": {"viewer@acme.example"}, "password": {memberPassword}}, false); rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("a disabled sub-account signed in: %d", rec.Code)
	}
}

func TestSessions_IdleAndAbsoluteTimeouts(t *testing.T) {
	f := newAccessFixture(t)
	b := f.as(t, "owner")
	f.clock.Advance(29 * time.Minute)
	if !signedIn(b) {
		t.Fatal("signed out before the idle timeout")
	}
	f.clock.Advance(31 * time.Minute)
	if signedIn(b) {
		t.Fatal("still signed in after 31 idle minutes")
	}
	b = f.as(t, "owner")
	for elapsed := 25 * time.Minute; elapsed < 12*time.Hour; elapsed += 25 * time.Minute {
		f.clock.Advance(25 * time.Minute)
		if !signedIn(b) {
			t.Fatalf("an active session ended after %v", elapsed)
		}
	}
	f.clock.Advance(25 * time.Minute)
	if signedIn(b) {
		t.Fatal("still signed in after more than 12 hours")
	}
}

func TestSignIn_ThrottledAfterTenFailures(t *testing.T) {
	f := newAccessFixture(t)
	b := newBrowser(t, f.srv)
	try := func(password string) int {
		_, doc := b.get("/signin", false)
		token, _ := doc.Find(`input[name=csrf]`).Attr("value")
		return b.do(http.MethodPost, "/signin", url.Values{"csrf": {token}, "email": {"owner@acme.example"}, "password": {password}}, false).Code
	}
	for i := 0; i < 10; i++ {
		if code := try("guess"); code != http.StatusUnprocessableEntity {
			t.Fatalf("failure %d: %d", i+1, code)
		}
	}
	if code := try(ownerPassword); code != http.StatusTooManyRequests {
		t.Fatalf("the right password after ten failures: %d, want 429", code)
	}
	f.clock.Advance(16 * time.Minute)
	if code := try(ownerPassword); code != http.StatusSeeOther {
		t.Fatalf("after the window: %d", code)
	}
}
