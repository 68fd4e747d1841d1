package journeys_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"activation-console/handlers"
	"activation-console/store"
	"activation-console/views"
)

// wait bounds every single step of a journey: a page that takes longer than
// this on a two-core machine is a failure, not a reason to wait on.
const wait = 10 * time.Second

// journey is one person at one browser tab, against a console of their own
// (a fresh database with the data of fixture_test.go).
type journey struct {
	*world
	t    *testing.T
	ctx  context.Context // the tab
	base string          // the console's URL, without a trailing slash
	lang store.Language  // the language the tab asks for; the words the journey expects are in it

	mu       sync.Mutex
	problems []string   // uncaught exceptions, console errors, CSP violations: failed at the end
	console  []string   // everything else the page logged, shown when the test fails
	refusals []*refusal // the failed loads the journey provokes on purpose
}

// refusal is an HTTP error status a journey provokes on purpose, and so
// expects the browser to log as a failed load.
type refusal struct {
	status int
	path   string
	seen   bool
}

// journeyLanguages are the languages every journey runs in (issue 13): a
// person reading either must be able to do the same things.
var journeyLanguages = []store.Language{store.English, store.Chinese}

// eachLanguage runs the journey once per language, each run in parallel
// with the other journeys.
func eachLanguage(t *testing.T, journey func(t *testing.T, lang store.Language)) {
	for _, lang := range journeyLanguages {
		t.Run(string(lang), func(t *testing.T) { journey(t, lang) })
	}
}

// start opens a console on a fresh database with the data of
// fixture_test.go, and a tab in a browser context of its own that asks for
// lang. The test runs in parallel with the other journeys.
func start(t *testing.T, lang store.Language) *journey {
	t.Helper()
	t.Parallel()
	browser(t) // skips or fails before any data is built
	j := open(t, newWorld(t))
	j.acceptLanguage(lang)
	return j
}

// open serves the console on w's store and opens a tab on it.
func open(t *testing.T, w *world) *journey {
	t.Helper()
	bctx := browser(t)
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := httptest.NewServer(handlers.NewServer(handlers.New(handlers.Config{Store: w.st, Logger: logger})))
	t.Cleanup(srv.Close)

	tabs <- struct{}{}
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	j := &journey{world: w, t: t, ctx: ctx, base: srv.URL, lang: store.English}
	t.Cleanup(func() {
		j.flush()
		cancel() // closes the tab and disposes of its browser context
		<-tabs
		for _, p := range j.takeProblems() {
			t.Errorf("in the browser: %s", p)
		}
		for _, r := range j.unseenRefusals() {
			t.Errorf("the journey expected %s; the browser reported none", r)
		}
		j.mu.Lock()
		defer j.mu.Unlock()
		if t.Failed() && len(j.console) > 0 {
			t.Logf("browser console:\n  %s", strings.Join(j.console, "\n  "))
		}
	})
	// The first Do opens the tab; it must not carry a timeout, which would
	// end the tab with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	if err := chromedp.Listen(ctx, j.observe); err != nil {
		t.Fatalf("listening to the tab: %v", err)
	}
	j.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, runtime.AddBinding, runtime.AddBindingParams{Name: violationBinding}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: violationListener})
		return err
	}))
	return j
}

// violationBinding is the function through which violationListener tells
// the test about a Content-Security-Policy violation.
const violationBinding = "journeyCSPViolation"

// violationListener runs in every document the tab opens, before the page's
// own scripts (DevTools injects it; the page's policy does not apply to it).
// It hears every securitypolicyviolation event, the one the browser fires
// for each blocked inline style, inline script or foreign source, and
// hands it to the test with where it came from.
const violationListener = `document.addEventListener("securitypolicyviolation", function (e) {
	const t = e.target && e.target.nodeType === 1 ? e.target.outerHTML.slice(0, 160) : "";
	window.` + violationBinding + `(JSON.stringify({directive: e.violatedDirective, blocked: e.blockedURI,
		source: e.sourceFile, line: e.lineNumber, column: e.columnNumber, sample: e.sample, element: t}));
}, true);`

// violation is what violationListener reports.
type violation struct {
	Directive string `json:"directive"`
	Blocked   string `json:"blocked"`
	Source    string `json:"source"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	Sample    string `json:"sample"`
	Element   string `json:"element"`
}

// acceptLanguage makes the tab ask for lang on every request, as a browser
// set to that language does (the people of the fixture have chosen none).
func (j *journey) acceptLanguage(lang store.Language) {
	j.t.Helper()
	j.lang = lang
	j.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Accept-Language": string(lang)},
		})
		return err
	}))
}

// say is message id as the console shows it in the journey's language.
func (j *journey) say(id string, args ...any) string {
	return views.T(views.WithLanguage(context.Background(), j.lang), id, args...)
}

// sayN is the message id about n things in the journey's language.
func sayN[N ~int | ~int64](j *journey, id string, n N, args ...any) string {
	return views.Tn(views.WithLanguage(context.Background(), j.lang), id, n, args...)
}

// takeProblems returns what the page did wrong so far and forgets it: every
// uncaught exception, console.error or failed console.assert, entry of level
// error in the browser's log (a blocked resource, a failed request, a
// policy violation) and Content-Security-Policy violation. Each fails the
// journey when it ends; none is let off, whatever its source.
func (j *journey) takeProblems() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	p := j.problems
	j.problems = nil
	return p
}

// expectRefusal says that the journey's next request to path is answered
// with status on purpose: a form sent with a mistake comes back with its
// errors as 422 (which htmx swaps in, views/layout.go), a page that does
// not exist is a 404. The
// browser logs every such answer as an error ("Failed to load resource"),
// which fails a journey unless the journey said it would happen; and an
// expected refusal that never comes fails the journey too. Each expectation
// covers one answer.
func (j *journey) expectRefusal(status int, path string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.refusals = append(j.refusals, &refusal{status: status, path: path})
}

// unseenRefusals are the refusals the journey expected and the browser has not reported.
func (j *journey) unseenRefusals() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var unseen []string
	for _, r := range j.refusals {
		if !r.seen {
			unseen = append(unseen, fmt.Sprintf("a %d for %s", r.status, r.path))
		}
	}
	return unseen
}

// expected tells whether a log entry is a refusal the journey said would
// come, and marks it seen. j.mu is held.
func (j *journey) expected(e *cdplog.Entry) bool {
	if e.Source != cdplog.EntrySourceNetwork {
		return false
	}
	for _, r := range j.refusals {
		if !r.seen && strings.TrimPrefix(e.URL, j.base) == r.path &&
			strings.Contains(e.Text, fmt.Sprintf("status of %d ", r.status)) {
			r.seen = true
			return true
		}
	}
	return false
}

// flush lets the page finish what it is doing (htmx settling, events the
// browser fires in a task of their own, such as securitypolicyviolation)
// before the tab closes, so that nothing it reports is lost. A tab that is
// already broken is left as it is: the test has failed already.
func (j *journey) flush() {
	ctx, cancel := context.WithTimeout(j.ctx, wait)
	defer cancel()
	chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(done => {
		const idle = () => !document.querySelector(".htmx-request, .htmx-settling, .htmx-swapping");
		const check = () => idle() ? requestAnimationFrame(() => setTimeout(() => done(true), 0)) : setTimeout(check, 20);
		check();
	})`, chromedp.EvalAwaitPromise))
}

// observe records what the page reports. It runs in the tab's event loop:
// it must return fast and send no command.
func (j *journey) observe(ev any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		j.problems = append(j.problems, fmt.Sprintf("uncaught JavaScript error at %s:%d: %s", d.URL, d.LineNumber+1, text))
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			if a.Value != nil {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		line := fmt.Sprintf("console.%s %s", ev.Type, strings.Join(parts, " "))
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			// htmx reports its errors (a failed request, a missing target) this way.
			j.problems = append(j.problems, line)
		}
		j.console = append(j.console, line)
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		line := fmt.Sprintf("%s %s: %s %s", e.Level, e.Source, e.Text, e.URL)
		if e.Level == cdplog.EntryLevelError && !j.expected(e) {
			j.problems = append(j.problems, "browser log: "+line)
		} else if strings.Contains(e.Text, "Content Security Policy") || strings.Contains(e.Text, "Content-Security-Policy") {
			j.problems = append(j.problems, "CSP: "+line) // a report-only policy warns
		}
		j.console = append(j.console, line)
	case *runtime.EventBindingCalled:
		if ev.Name != violationBinding {
			return
		}
		var v violation
		if err := json.Unmarshal([]byte(ev.Payload), &v); err != nil {
			j.problems = append(j.problems, "CSP violation (unreadable report): "+ev.Payload)
			return
		}
		j.problems = append(j.problems, fmt.Sprintf("CSP violation of %s at %s:%d:%d (blocked %q, sample %q) on %s",
			v.Directive, v.Source, v.Line, v.Column, v.Blocked, v.Sample, v.Element))
	}
}

// do runs steps in the tab, each journey step bounded by wait.
func (j *journey) do(steps ...chromedp.Action[chromedp.Void]) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, wait)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		j.t.Fatalf("in the browser at %s: %v", j.location(), err)
	}
}

// run runs one action that returns a value.
func run[T any](j *journey, a chromedp.Action[T]) T {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, wait)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		j.t.Fatalf("in the browser at %s: %v", j.location(), err)
	}
	return v
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](j *journey, expr string) T {
	j.t.Helper()
	return run(j, chromedp.Evaluate[T](expr))
}

// location is the tab's current URL, "" when it cannot be read.
func (j *journey) location() string {
	ctx, cancel := context.WithTimeout(j.ctx, time.Second)
	defer cancel()
	u, _ := chromedp.Run(ctx, chromedp.Location())
	return u
}

// path is the tab's current path and query, as a person reads the address bar.
func (j *journey) path() string {
	return strings.TrimPrefix(j.location(), j.base)
}
