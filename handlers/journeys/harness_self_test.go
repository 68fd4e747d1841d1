package journeys_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"activation-console/store/storetest"
)

// TestHarness_CatchesUncaughtErrorsAndCSPViolations makes sure that the
// journeys would notice a broken script: it breaks one on purpose.
func TestHarness_CatchesUncaughtErrorsAndCSPViolations(t *testing.T) {
	t.Parallel()
	browser(t)
	j := open(t, &world{st: storetest.New(t), ctx: context.Background()}) // no data: the sign-in page is enough
	j.visit("/signin")
	eval[chromedp.Void](j, `(() => {
		setTimeout(() => { throw new Error("deliberate journey failure"); }, 0);
		const s = document.createElement("script");
		s.textContent = "window.inlineRan = true";
		document.body.appendChild(s);
	})()`)
	deadline := time.Now().Add(wait)
	for {
		j.mu.Lock()
		got := strings.Join(j.problems, "\n")
		j.mu.Unlock()
		if strings.Contains(got, "deliberate journey failure") && strings.Contains(got, "CSP violation") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the harness saw only:\n%s", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if eval[bool](j, `window.inlineRan === true`) {
		t.Errorf("an inline script ran: the Content-Security-Policy is missing")
	}
	j.mu.Lock()
	j.problems = nil // seen: they must not fail this test
	j.mu.Unlock()
}
