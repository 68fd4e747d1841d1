package handlers_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"activation-console/handlers"
	"activation-console/store"
	"activation-console/store/storetest"
)

const wrongCredentials = "The e-mail or the password is wrong."

// signinServer is the real router on a fresh database with the owner
// owner@acme.example, built with cfg and the store's opts.
func signinServer(t testing.TB, cfg handlers.Config, opts ...store.Option) *echo.Echo {
	t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return consoleOn(storetest.NewFixture(t, storetest.WithStoreOptions(opts...)), cfg).srv
}

// attempt is one sign-in from a fresh browser at the address peer (with
// X-Forwarded-For xff, unless empty): it reads the form, then posts it.
type attempt struct {
	peer, xff, email, password, next string
}

func (a attempt) send(t testing.TB, srv http.Handler) (*httptest.ResponseRecorder, *goquery.Document) {
	t.Helper()
	if a.peer == "" {
		a.peer = "192.0.2.1:1234"
	}
	get := httptest.NewRequest(http.MethodGet, "/signin", nil)
	get.RemoteAddr = a.peer
	form := httptest.NewRecorder()
	srv.ServeHTTP(form, get)
	doc, _ := goquery.NewDocumentFromReader(form.Body)
	token, _ := doc.Find(`input[name=csrf]`).Attr("value")
	body := url.Values{"csrf": {token}, "email": {a.email}, "password": {a.password}, "next": {a.next}}.Encode()
	post := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(body))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.RemoteAddr = a.peer
	if a.xff != "" {
		post.Header.Set("X-Forwarded-For", a.xff)
	}
	for _, c := range form.Result().Cookies() {
		post.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, post)
	doc, _ = goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	return rec, doc
}

// code sends the attempt and returns its status, checking that a 422 is the
// one answer for wrong credentials.
func (a attempt) code(t testing.TB, srv http.Handler) int {
	t.Helper()
	rec, doc := a.send(t, srv)
	if rec.Code == http.StatusUnprocessableEntity && text(doc.Find(".form-error")) != wrongCredentials {
		t.Fatalf("%q: 422 with %q", a.email, text(doc.Find(".form-error")))
	}
	return rec.Code
}

func TestSignIn_ThrottlesEverySpellingOfOneEmail(t *testing.T) {
	srv := signinServer(t, handlers.Config{})
	spellings := []string{"owner@acme.example", "Owner@Acme.Example", " owner@acme.example ", "OWNER@ACME.EXAMPLE",
		"\towner@acme.example\n", "ｏｗｎｅｒ@acme.example", "owner＠ａｃｍｅ.example", "owner@acme.example\u00a0",
		"oWnEr@aCmE.eXaMpLe", "ＯＷＮＥＲ＠ＡＣＭＥ．ＥＸＡＭＰＬＥ"}
	for _, s := range spellings {
		if code := (attempt{email: s, password: "a wrong guess"}).code(t, srv); code != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password as %q: %d", s, code)
		}
	}
	if code := (attempt{email: "owner@acme.example", password: ownerPassword}).code(t, srv); code != http.StatusTooManyRequests {
		t.Fatalf("the right password after ten failures under ten spellings: %d, want 429", code)
	}
	// And every spelling signs in, once the window has passed (another address here).
	if code := (attempt{peer: "203.0.113.9:1", email: "ＯＷＮＥＲ＠acme.example ", password: ownerPassword}).code(t, srv); code != http.StatusSeeOther {
		t.Fatalf("a full-width spelling with the right password: %d", code)
	}
}

func TestSignIn_CountsGarbageEmailsAndAnswersThemLikeAWrongPassword(t *testing.T) {
	srv := signinServer(t, handlers.Config{})
	garbage := []string{
		strings.Repeat("a", 10_000) + "@acme.example", // longer than PostgreSQL indexes
		"owner\x00@acme.example",                      // a NUL byte: PostgreSQL refuses the text
		"owner\xff@acme.example",                      // invalid UTF-8
		strings.Repeat("ö", 200) + "@acme.example",
		"owner@acme.example\x00",
	}
	for i := 0; i < 10; i++ {
		if code := (attempt{email: garbage[i%len(garbage)], password: "a wrong guess"}).code(t, srv); code != http.StatusUnprocessableEntity {
			t.Fatalf("garbage e-mail %d: %d, want 422", i, code)
		}
	}
	// Ten failures from this address, all counted: the next is refused.
	if code := (attempt{email: garbage[1], password: "a wrong guess"}).code(t, srv); code != http.StatusTooManyRequests {
		t.Fatalf("garbage after ten counted failures: %d, want 429", code)
	}
}

func TestSignIn_ThrottlesPerAddressAndEmailPerEmailAndPerAddress(t *testing.T) {
	srv := signinServer(t, handlers.Config{})
	owner := func(peer string) int {
		return attempt{peer: peer, email: "owner@acme.example", password: ownerPassword}.code(t, srv)
	}
	// An attacker at one address fails ten times for the owner's e-mail...
	for i := 0; i < 10; i++ {
		attempt{peer: "198.51.100.1:1", email: "owner@acme.example", password: "guess"}.code(t, srv)
	}
	if code := owner("198.51.100.1:1"); code != http.StatusTooManyRequests {
		t.Fatalf("the attacker's address after ten failures: %d, want 429", code)
	}
	// ...and the owner, elsewhere, still signs in.
	if code := owner("203.0.113.9:1"); code != http.StatusSeeOther {
		t.Fatalf("the owner at another address: %d, want 303", code)
	}
	// Guessing spread over many addresses is bounded: 100 failures for one
	// e-mail lock it everywhere for the window.
	for a := 2; a <= 10; a++ {
		for i := 0; i < 10; i++ {
			attempt{peer: fmt.Sprintf("198.51.100.%d:1", a), email: "owner@acme.example", password: "guess"}.code(t, srv)
		}
	}
	if code := owner("203.0.113.10:1"); code != http.StatusTooManyRequests {
		t.Fatalf("after 100 failures from ten addresses: %d, want 429", code)
	}
	// One address trying many e-mails stops at 50 failures.
	for i := 0; i < 50; i++ {
		attempt{peer: "192.0.2.77:1", email: fmt.Sprintf("user%d@acme.example", i), password: "guess"}.code(t, srv)
	}
	if code := (attempt{peer: "192.0.2.77:1", email: "someone@else.example", password: "guess"}).code(t, srv); code != http.StatusTooManyRequests {
		t.Fatalf("a 51st e-mail from one address: %d, want 429", code)
	}
}

func TestClientIP_XForwardedForOnlyFromTrustedProxies(t *testing.T) {
	proxies, err := handlers.ParseTrustedProxies("10.0.0.0/8, 2001:db8::1")
	if err != nil || len(proxies) != 2 {
		t.Fatal(proxies, err)
	}
	guesses := func(srv http.Handler, peer string, clients func(i int) string) {
		for i := 0; i < 10; i++ {
			attempt{peer: peer, xff: clients(i), email: "owner@acme.example", password: "guess"}.code(t, srv)
		}
	}
	t.Run("untrusted peers", func(t *testing.T) {
		// Not configured: no peer is trusted, a private address neither.
		srv := signinServer(t, handlers.Config{})
		guesses(srv, "192.168.1.5:1", func(i int) string { return fmt.Sprintf("203.0.113.%d", i+1) })
		if code := (attempt{peer: "192.168.1.5:1", xff: "198.51.100.200", email: "owner@acme.example", password: ownerPassword}).code(t, srv); code != http.StatusTooManyRequests {
			t.Fatalf("X-Forwarded-For from an untrusted peer counted as another client: %d", code)
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		srv := signinServer(t, handlers.Config{TrustedProxies: proxies})
		guesses(srv, "10.1.2.3:1", func(int) string { return "198.51.100.7" })
		if code := (attempt{peer: "10.9.9.9:1", xff: "198.51.100.7", email: "owner@acme.example", password: ownerPassword}).code(t, srv); code != http.StatusTooManyRequests {
			t.Fatalf("the guesser through another proxy: %d, want 429", code)
		}
		// The owner behind the same proxy is another client...
		if code := (attempt{peer: "10.1.2.3:1", xff: "203.0.113.9", email: "owner@acme.example", password: ownerPassword}).code(t, srv); code != http.StatusSeeOther {
			t.Fatalf("the owner behind the proxy: %d, want 303", code)
		}
		// ...but a client cannot pose as another by prepending to the header:
		// the nearest address the proxy did not vouch for is the client.
		if code := (attempt{peer: "[2001:db8::1]:1", xff: "203.0.113.9, 198.51.100.7", email: "owner@acme.example", password: ownerPassword}).code(t, srv); code != http.StatusTooManyRequests {
			t.Fatalf("a forged first X-Forwarded-For entry: %d, want 429", code)
		}
	})
	if _, err := handlers.ParseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Fatal("an invalid range accepted")
	}
}

func TestSignIn_AntiForgeryCookieLikeTheSessionCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		srv := signinServer(t, handlers.Config{SecureCookies: secure})
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/signin", nil))
		cookies := rec.Result().Cookies()
		if len(cookies) != 1 {
			t.Fatalf("secure %v: cookies %v", secure, cookies)
		}
		c := cookies[0]
		wantName := "console_signin"
		if secure {
			wantName = "__Host-console_signin"
		}
		if c.Name != wantName || c.Secure != secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" {
			t.Fatalf("secure %v: %s", secure, rec.Header().Get("Set-Cookie"))
		}
		// The form works with it, and signing in clears it the same way.
		rec, _ = attempt{email: "owner@acme.example", password: ownerPassword}.send(t, srv)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("secure %v: sign-in %d", secure, rec.Code)
		}
		cleared := false
		for _, c := range rec.Result().Cookies() {
			cleared = cleared || (c.Name == wantName && c.MaxAge < 0 && c.Path == "/" && c.Secure == secure)
		}
		if !cleared {
			t.Fatalf("secure %v: sign-in does not clear the form's cookie: %v", secure, rec.Header().Values("Set-Cookie"))
		}
	}
}

func TestSignIn_RefusesAnOversizedFormCleanly(t *testing.T) {
	srv := signinServer(t, handlers.Config{})
	rec, doc := attempt{email: "owner@acme.example", password: strings.Repeat("x", 64<<10)}.send(t, srv)
	if rec.Code != http.StatusRequestEntityTooLarge || doc.Find(`form[action="/signin"]`).Length() != 1 {
		t.Fatalf("a 64 kB password: %d: %s", rec.Code, rec.Body.String())
	}
	// A long password that fits is simply wrong, without hashing 30 kB.
	if code := (attempt{email: "owner@acme.example", password: strings.Repeat("x", 30<<10)}).code(t, srv); code != http.StatusUnprocessableEntity {
		t.Fatalf("a 30 kB password: %d", code)
	}
}

func TestSignIn_BusyPasswordCheckingAnswers503AndLosesNothing(t *testing.T) {
	slots := make(chan struct{}, 1)
	srv := signinServer(t, handlers.Config{}, store.WithPasswordSlots(slots, 20*time.Millisecond))
	slots <- struct{}{} // the only slot is taken
	rec, doc := attempt{email: "owner@acme.example", password: ownerPassword, next: "/eu-frankfurt/near-expiry"}.send(t, srv)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" ||
		!strings.Contains(text(doc.Find(".form-error")), "busy") {
		t.Fatalf("busy: %d %v %q", rec.Code, rec.Header(), text(doc.Find(".form-error")))
	}
	if v, _ := doc.Find(`input[name=email]`).Attr("value"); v != "owner@acme.example" {
		t.Fatalf("the e-mail was not kept: %q", v)
	}
	if v, _ := doc.Find(`input[name=next]`).Attr("value"); v != "/eu-frankfurt/near-expiry" {
		t.Fatalf("the page to return to was not kept: %q", v)
	}
	// Busy answers are not failures: eleven of them throttle nothing.
	for i := 0; i < 10; i++ {
		attempt{email: "owner@acme.example", password: "guess"}.send(t, srv)
	}
	<-slots
	rec, _ = attempt{email: "owner@acme.example", password: ownerPassword, next: "/eu-frankfurt/near-expiry"}.send(t, srv)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/eu-frankfurt/near-expiry" {
		t.Fatalf("once a slot is free: %d %s", rec.Code, rec.Header().Get("Location"))
	}
}

func TestSignIn_NextStaysOnTheSite(t *testing.T) {
	srv := signinServer(t, handlers.Config{})
	for next, want := range map[string]string{
		"/\\evil.example":                "/",
		"/%5Cevil.example":               "/",
		"/\t/evil.example":               "/",
		"//evil.example":                 "/",
		"https://evil.example/":          "/",
		"/eu-frankfurt/near-expiry?dk=x": "/eu-frankfurt/near-expiry?dk=x",
	} {
		rec, _ := attempt{email: "owner@acme.example", password: ownerPassword, next: next}.send(t, srv)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != want {
			t.Errorf("next %q: %d %q, want %q", next, rec.Code, rec.Header().Get("Location"), want)
		}
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/signin?next="+url.QueryEscape("/\\evil.example"), nil))
	doc, _ := goquery.NewDocumentFromReader(rec.Body)
	if v, _ := doc.Find(`input[name=next]`).Attr("value"); v != "" {
		t.Fatalf("the form carries next %q", v)
	}
}
