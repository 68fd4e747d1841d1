package journeys_test

import (
	"fmt"
	"strings"
	"testing"

	"activation-console/store"
)

// TestPages_EveryOtherPageAndDialogIsAccessible visits the pages and
// dialogs that no other journey photographs, each as a person reaches it,
// runs axe on each and takes its picture.
func TestPages_EveryOtherPageAndDialogIsAccessible(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()

		// The overview's second tab.
		j.click(`nav.tabs a[href="/eu-frankfurt/licenses/history"]`)
		j.waitPath("/eu-frankfurt/licenses/history")
		j.waitVisible(`nav.tabs a[aria-current="page"][href="/eu-frankfurt/licenses/history"]`)
		rows := j.textsOf("#results tbody tr")
		if len(rows) != 2 || !strings.Contains(strings.Join(rows, "\n"), "Smart Thermostat T3") || !strings.Contains(strings.Join(rows, "\n"), "Water Meter WM-200") {
			t.Errorf("the Frankfurt assignment history lists %q, want the Thermostat's and the Water Meter's", rows)
		}
		j.axe("the assignment history tab")
		j.screenshot("02-overview-history.png")

		// The Unassigned figure's View.
		j.visit("/eu-frankfurt/licenses")
		j.openDialog(`a[href="/eu-frankfurt/licenses/unassigned"]`, "unassigned-dialog")
		text := j.textOf("#unassigned-dialog")
		for _, want := range []string{"std-1y", "150", "std-5y", "20"} {
			if !strings.Contains(text, want) {
				t.Errorf("the unassigned codes dialog does not show %q:\n%s", want, text)
			}
		}
		j.axe("the unassigned codes dialog")
		j.screenshot("03-unassigned-dialog.png")
		j.closeDialogByButton()

		// Settings.
		j.click(`nav.nav a[href="/eu-frankfurt/settings"]`)
		j.waitPath("/eu-frankfurt/settings")
		j.waitVisible("#time-zone")
		j.axe("the settings page")
		j.screenshot("20-settings.png")

		// The pages the owner also has in the navigation.
		j.click(`nav.nav a[href="/eu-frankfurt/audit"]`)
		j.waitPath("/eu-frankfurt/audit")
		j.waitVisible("h1")
		j.axe("the audit log")
		j.screenshot("22-audit-log.png")
		j.click(`nav.nav a[href="/eu-frankfurt/members"]`)
		j.waitPath("/eu-frankfurt/members")
		j.waitVisible("h1")
		j.axe("the sub-accounts page")
		j.screenshot("23-members.png")
	})
}

// TestPages_DialogsAreFullPagesAtTheirOwnURL opens the dialogs' URLs
// directly, as a deep link or a browser without JavaScript does.
func TestPages_DialogsAreFullPagesAtTheirOwnURL(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		d := j.device(t, j.thermo, "T3-000001")
		for _, c := range []struct{ path, h1, shot string }{
			{fmt.Sprintf("/eu-frankfurt/assign?product=%d", j.meter.ID), j.say("assign.title"), "24-assign-page.png"},
			{productPath(j.thermo) + "/blacklist", j.say("renewal.blacklist.title", "Product", "Smart Thermostat T3"), "25-blacklist-page.png"},
			{fmt.Sprintf("%s/devices/%d/history", productPath(j.thermo), d.ID), j.say("device.history.title", "DeviceKey", "T3-000001"), "26-history-page.png"},
			{"/eu-frankfurt/licenses/unassigned", j.say("overview.unassigned_codes.title"), "27-unassigned-page.png"},
		} {
			j.visit(c.path)
			if got := j.textOf("main h1"); got != c.h1 {
				t.Errorf("%s is headed %q, want %q", c.path, got, c.h1)
			}
			if j.count("nav.nav") != 1 {
				t.Errorf("%s is not a page of the console (no navigation)", c.path)
			}
			if j.count("dialog[open]") != 0 {
				t.Errorf("%s opened a dialog instead of showing a page", c.path)
			}
			j.axe(c.path)
			j.screenshot(c.shot)
		}
	})
}
