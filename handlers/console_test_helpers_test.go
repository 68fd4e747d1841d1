package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"activation-console/handlers"
	"activation-console/store"
	"activation-console/store/storetest"
)

// ownerPassword is the password of every fixture's owner.
const ownerPassword = storetest.OwnerPassword

// consoleFixture is the real router on the shared storetest fixture: a fresh
// database with an enterprise account "Acme" (owner@acme.example, home
// eu-frankfurt, 10 free std-1y codes), a clock the test controls, and
// whatever opts add.
type consoleFixture struct {
	base    *storetest.Fixture
	st      *store.Store
	clock   *storetest.Clock
	srv     *echo.Echo
	account store.Account
	ctx     context.Context
}

func newConsole(t testing.TB, opts ...storetest.Option) *consoleFixture {
	t.Helper()
	return consoleOn(storetest.NewFixture(t, opts...), handlers.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// consoleOn is the real router, built with cfg, on the fixture base.
func consoleOn(base *storetest.Fixture, cfg handlers.Config) *consoleFixture {
	cfg.Store = base.Store
	return &consoleFixture{base: base, st: base.Store, clock: base.Clock, account: base.Account, ctx: base.Ctx,
		srv: handlers.NewServer(handlers.New(cfg))}
}

// browser is one person's cookie jar against the router, like a browser tab.
type browser struct {
	t    testing.TB
	srv  http.Handler
	jar  *cookiejar.Jar
	csrf string // the session's anti-forgery token, read from the last full page
	lang string // the Accept-Language it sends, when set
}

var site, _ = url.Parse("http://console.test/")

func newBrowser(t testing.TB, srv http.Handler) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, srv: srv, jar: jar}
}

// signIn signs in through the real sign-in form and fails the test if that does not work.
func (f *consoleFixture) signIn(t testing.TB, email, password string) *browser {
	t.Helper()
	b := newBrowser(t, f.srv)
	_, doc := b.get("/signin", false)
	token, _ := doc.Find(`input[name=csrf]`).Attr("value")
	rec := b.do(http.MethodPost, "/signin", url.Values{"csrf": {token}, "email": {email}, "password": {password}}, false)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d: %s", email, rec.Code, rec.Body.String())
	}
	b.get("/", false) // follows to the overview and reads the session's token
	return b
}

// owner signs in as the fixture's account owner.
func (f *consoleFixture) owner(t testing.TB) *browser {
	return f.signIn(t, "owner@acme.example", ownerPassword)
}

// do sends one request with the jar's cookies and keeps the cookies it sets.
func (b *browser) do(method, path string, form url.Values, htmx bool) *httptest.ResponseRecorder {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	if htmx {
		req.Header.Set("HX-Request", "true")
		if b.csrf != "" {
			req.Header.Set("X-CSRF-Token", b.csrf)
		}
	}
	u := site.ResolveReference(&url.URL{Path: req.URL.Path})
	for _, c := range b.jar.Cookies(u) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, req)
	b.jar.SetCookies(u, rec.Result().Cookies())
	return rec
}

// get fetches a page, following redirects like a browser, and parses it.
func (b *browser) get(path string, htmx bool) (*httptest.ResponseRecorder, *goquery.Document) {
	b.t.Helper()
	rec := b.do(http.MethodGet, path, nil, htmx)
	for i := 0; i < 5 && (rec.Code == http.StatusSeeOther || rec.Code == http.StatusFound); i++ {
		path = rec.Header().Get("Location")
		rec = b.do(http.MethodGet, path, nil, htmx)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if err != nil {
		b.t.Fatal(err)
	}
	if v, ok := doc.Find("body").Attr("hx-headers"); ok {
		if i := strings.Index(v, `"X-CSRF-Token":"`); i >= 0 {
			rest := v[i+len(`"X-CSRF-Token":"`):]
			b.csrf = rest[:strings.Index(rest, `"`)]
		}
	} else if v, ok := doc.Find(`form[action="/signout"] input[name=csrf]`).Attr("value"); ok {
		b.csrf = v // a signed-in page without htmx (the support search)
	}
	return rec, doc
}

// post sends a form with the session's anti-forgery token, as a plain form
// or (htmx true) as htmx would, and parses the answer.
func (b *browser) post(path string, form url.Values, htmx bool) (*httptest.ResponseRecorder, *goquery.Document) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !htmx && form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	rec := b.do(http.MethodPost, path, form, htmx)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if err != nil {
		b.t.Fatal(err)
	}
	return rec, doc
}

// text is the whitespace-normalised text of the selection, for assertions
// on what a person reads.
func text(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

// in is the same browser (cookies, token) reporting to another test, such
// as a fuzz target's.
func (b *browser) in(t testing.TB) *browser {
	c := *b
	c.t = t
	return &c
}
