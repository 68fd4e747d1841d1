package journeys_test

import (
	"context"
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
	problems []string // uncaught exceptions, console errors, CSP violations: failed at the end
	console  []string // everything else the page logged, shown when the test fails
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
		cancel() // closes the tab and disposes of its browser context
		<-tabs
		j.mu.Lock()
		defer j.mu.Unlock()
		for _, p := range j.problems {
			t.Errorf("in the browser: %s", p)
		}
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
	return j
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
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			// htmx reports its errors (a failed request, a missing target) this way.
			j.problems = append(j.problems, line)
		}
		j.console = append(j.console, line)
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		line := fmt.Sprintf("%s %s: %s %s", e.Level, e.Source, e.Text, e.URL)
		if strings.Contains(e.Text, "Content Security Policy") || strings.Contains(e.Text, "Content-Security-Policy") {
			j.problems = append(j.problems, "CSP violation: "+line)
		}
		j.console = append(j.console, line)
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
