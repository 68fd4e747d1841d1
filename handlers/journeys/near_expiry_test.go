package journeys_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"activation-console/store"
)

// nearExpiryKeys lists the DeviceKeys of the near-expiry list's rows, in order.
func (j *journey) nearExpiryKeys() []string {
	j.t.Helper()
	return j.textsOf("#results tbody tr td:nth-child(3)")
}

// TestNearExpiry_SearchByDeviceKeyAndExpiryRangeSurvivesReloadAndBack
// filters the list as a person does and checks that the address bar keeps
// the view: a reload shows it again, and Back returns to the one before.
func TestNearExpiry_SearchByDeviceKeyAndExpiryRangeSurvivesReloadAndBack(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.visit("/eu-frankfurt/near-expiry")
		all := []string{"T3-000002", "T3-000003", "T3-000004", "T3-000005", "T3-000001", "T3-000006", "T3-000007", "T3-000008"}
		if got := j.nearExpiryKeys(); strings.Join(got, " ") != strings.Join(all, " ") {
			t.Fatalf("the list shows %q, want the Frankfurt devices soonest first %q", got, all)
		}
		if got := j.textOf("#near-expiry-count .value"); got != "8" {
			t.Errorf("the page counts %q devices, want 8", got)
		}
		j.axe("the near-expiry list")
		j.screenshot("15-near-expiry.png")

		j.typeInto("#near-dk", "T3-000003")
		j.waitQuery("dk=T3-000003")
		j.waitCount("#results tbody tr", 1)
		if got := j.nearExpiryKeys(); len(got) != 1 || got[0] != "T3-000003" {
			t.Errorf("searching T3-000003 shows %q", got)
		}
		j.do(chromedp.Reload())
		j.waitCount("#results tbody tr", 1)
		if got := j.valueOf("#near-dk"); got != "T3-000003" {
			t.Errorf("after a reload the DeviceKey field reads %q", got)
		}

		// The same devices' expiry range: from 20 to 30 June, both days included.
		j.visit("/eu-frankfurt/near-expiry")
		j.setField("#near-ef", "2026-06-20")
		j.waitQuery("expires_from=2026-06-20")
		j.waitCount("#results tbody tr", 7)
		j.setField("#near-et", "2026-06-30")
		j.waitQuery("expires_from=2026-06-20", "expires_to=2026-06-30")
		j.waitCount("#results tbody tr", 4)
		want := []string{"T3-000003", "T3-000004", "T3-000005", "T3-000001"}
		if got := j.nearExpiryKeys(); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("expiring 2026-06-20 to 2026-06-30 shows %q, want %q", got, want)
		}
		j.axe("the near-expiry list, filtered")
		j.screenshot("16-near-expiry-filtered.png")

		// Back and Forward: htmx restores each view of the list's history.
		j.do(chromedp.NavigateBack())
		j.waitCount("#results tbody tr", 7)
		j.checkRange("after Back", "2026-06-20", "")
		j.do(chromedp.NavigateForward())
		j.waitCount("#results tbody tr", 4)
		j.checkRange("after Forward", "2026-06-20", "2026-06-30")
		j.do(chromedp.NavigateBack())
		j.waitCount("#results tbody tr", 7)
		j.checkRange("after Back again", "2026-06-20", "")

		// A reload shows the same view from the address alone.
		j.do(chromedp.Reload())
		j.waitCount("#results tbody tr", 7)
		j.checkRange("after a reload", "2026-06-20", "")
	})
}

// checkRange checks the expiry range as the fields and the address show it.
func (j *journey) checkRange(when, from, to string) {
	j.t.Helper()
	if got := j.valueOf("#near-ef"); got != from {
		j.t.Errorf("%s the range starts at %q, want %q", when, got, from)
	}
	if got := j.valueOf("#near-et"); got != to {
		j.t.Errorf("%s the range ends at %q, want %q", when, got, to)
	}
	p := j.path()
	// Empty filters stay out of the address (app.js drops them).
	if !strings.Contains(p, "expires_from="+from) || (to != "") != strings.Contains(p, "expires_to="+to) {
		j.t.Errorf("%s the address is %s, want the range %s to %s", when, p, from, to)
	}
}
