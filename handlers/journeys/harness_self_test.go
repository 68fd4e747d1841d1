package journeys_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"activation-console/store/storetest"
)

// TestHarness_FailsAJourneyOnEveryKindOfBrowserError makes sure that the
// journeys would notice what a person's browser reports: each case does one
// wrong thing on purpose in a page of the console, under its real
// Content-Security-Policy, and the harness's check must name it.
func TestHarness_FailsAJourneyOnEveryKindOfBrowserError(t *testing.T) {
	for _, c := range []struct {
		name   string
		script string   // run in the sign-in page
		want   []string // every one must be among the problems found
	}{
		{
			// An element with a style attribute, as markup or a library
			// writes it: the policy blocks it, the browser logs it and fires
			// securitypolicyviolation; both must be caught.
			name:   "InlineStyle",
			script: `document.body.insertAdjacentHTML("beforeend", '<p id="styled" style="color: red">styled</p>')`,
			want:   []string{"CSP violation of style-src-attr", "browser log: error security"},
		},
		{
			name:   "InlineScript",
			script: `(() => { const s = document.createElement("script"); s.textContent = "window.inlineRan = true"; document.body.appendChild(s); })()`,
			want:   []string{"CSP violation of script-src-elem", "browser log: error security"},
		},
		{
			name:   "ConsoleError",
			script: `console.error("deliberate console error")`,
			want:   []string{"console.error \"deliberate console error\""},
		},
		{
			name:   "UncaughtException",
			script: `setTimeout(() => { throw new Error("deliberate uncaught error"); }, 0)`,
			want:   []string{"uncaught JavaScript error", "deliberate uncaught error"},
		},
		{
			name:   "UnhandledRejection",
			script: `Promise.reject(new Error("deliberate rejected promise"))`,
			want:   []string{"uncaught JavaScript error", "deliberate rejected promise"},
		},
		{
			name:   "FailedRequest",
			script: `fetch("/static/no-such-file.js")`,
			want:   []string{"browser log: error network", "404"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			browser(t)
			j := open(t, &world{st: storetest.New(t), ctx: context.Background()}) // no data: the sign-in page is enough
			j.visit("/signin")
			if got := j.takeProblems(); len(got) > 0 {
				t.Fatalf("the sign-in page itself has problems: %q", got)
			}
			eval[chromedp.Void](j, c.script+";undefined")
			var seen []string
			for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
				j.flush()
				seen = append(seen, j.takeProblems()...) // taken: they must not fail this test
				if containsAll(strings.Join(seen, "\n"), c.want) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the harness's check found only:\n%s\nwant every one of %q", strings.Join(seen, "\n"), c.want)
				}
			}
			if eval[bool](j, `window.inlineRan === true || (document.getElementById("styled") || document.body).style.color === "red"`) {
				t.Errorf("an inline script or style took effect: the Content-Security-Policy is missing")
			}
		})
	}
}

// TestHarness_LetsOffOnlyTheRefusalsAJourneyExpects checks the one way
// past the rule: a refusal the journey announced (expectRefusal) is not a
// problem, once; the same refusal again, or one never announced, is; and
// an announced one that never comes is reported too.
func TestHarness_LetsOffOnlyTheRefusalsAJourneyExpects(t *testing.T) {
	t.Parallel()
	browser(t)
	j := open(t, &world{st: storetest.New(t), ctx: context.Background()})
	j.visit("/signin")
	j.expectRefusal(404, "/static/no-such-file.js")
	j.expectRefusal(404, "/static/never-asked-for.js")
	eval[chromedp.Void](j, `fetch("/static/no-such-file.js").then(() => fetch("/static/no-such-file.js"));undefined`)
	var seen []string
	for deadline := time.Now().Add(wait); len(seen) == 0; time.Sleep(20 * time.Millisecond) {
		j.flush()
		seen = append(seen, j.takeProblems()...)
		if time.Now().After(deadline) {
			t.Fatalf("the second, unannounced 404 was not reported")
		}
	}
	if len(seen) != 1 || !strings.Contains(seen[0], "404") || !strings.Contains(seen[0], "/static/no-such-file.js") {
		t.Errorf("the problems are %q, want only the second 404", seen)
	}
	got := j.unseenRefusals()
	if len(got) != 1 || !strings.Contains(got[0], "never-asked-for") {
		t.Errorf("the refusals expected but not seen are %q, want the one never asked for", got)
	}
	j.mu.Lock()
	j.refusals = nil // seen: it must not fail this test
	j.mu.Unlock()
}

// containsAll tells whether s contains every one of subs.
func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
