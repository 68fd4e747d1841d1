package journeys_test

import (
	"strings"
	"testing"

	"activation-console/store"
)

// TestHeader_DataCenterSwitcherShowsTheOtherDataCentersFigures switches to
// Shanghai with the header's select, as a person does.
func TestHeader_DataCenterSwitcherShowsTheOtherDataCentersFigures(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.waitPath("/eu-frankfurt/licenses")
		j.setField("#dc-select", shanghai)
		j.waitPath("/cn-shanghai/licenses")
		j.waitVisible(".figures")
		want := j.licenses(t, shanghai)
		got := j.figures()
		for label, n := range map[string]int64{
			j.say("overview.total"):       want.Total(),
			j.say("overview.consumed"):    want.Consumed,
			j.say("overview.available"):   want.Available,
			j.say("overview.unassigned"):  want.UnassignedTotal(),
			j.say("overview.near_expiry"): want.NearExpiryDevices,
		} {
			if got[label] != num(n) {
				t.Errorf("in Shanghai, figure %q shows %q, want %s", label, got[label], num(n))
			}
		}
		if want.Total() != 25 || want.NearExpiryDevices != 3 {
			t.Errorf("the fixture's Shanghai figures are off: %+v", want)
		}
		if rows := j.textsOf("#results tbody tr td:first-child"); strings.Join(rows, ",") != "Smart Thermostat T3 (China)" {
			t.Errorf("the Shanghai product list shows %q", rows)
		}
		if got := eval[string](j, `document.querySelector("#dc-select").selectedOptions[0].innerText`); got != "China (Shanghai)" {
			t.Errorf("the switcher shows %q after switching", got)
		}
		if got := j.textOf(".page-head p"); !strings.Contains(got, "China (Shanghai)") {
			t.Errorf("the page does not say which data center it shows: %q", got)
		}
		j.axe("the overview in Shanghai")
		j.screenshot("21-overview-shanghai.png")

		// The switcher keeps the page: from the near-expiry list to the other DC's.
		j.visit("/cn-shanghai/near-expiry")
		j.setField("#dc-select", frankfurt)
		j.waitPath("/eu-frankfurt/near-expiry")
		j.waitCount("#results tbody tr", len(nearExpiryKeys))
	})
}

// TestKeyboard_AssignDialogOpensWithEnterAndEscapeReturnsFocus uses the
// overview with the keyboard alone.
func TestKeyboard_AssignDialogOpensWithEnterAndEscapeReturnsFocus(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.waitPath("/eu-frankfurt/licenses")
		opener := "a " + j.say("overview.assign")
		presses := 0
		for ; presses < 40 && j.focused() != opener; presses++ {
			j.press("\t")
		}
		if j.focused() != opener {
			t.Fatalf("Tab never reached the assign button (%d presses, focus on %q)", presses, j.focused())
		}
		if presses > 15 {
			t.Errorf("the assign button takes %d Tab presses to reach", presses)
		}
		j.press("\r")
		j.waitVisible("dialog#assign-dialog[open]")
		j.settle()
		if f := j.focused(); !strings.HasPrefix(f, "input#assign-q") {
			t.Errorf("the dialog opened with the focus on %q, want the product search", f)
		}
		// The focus stays in the modal dialog while tabbing (past its last
		// control it goes to the browser itself, shown as the body, as in
		// every modal <dialog>).
		for range 8 {
			j.press("\t")
			if in := eval[bool](j, `document.activeElement === document.body || !!document.activeElement.closest("dialog")`); !in {
				t.Fatalf("Tab left the open dialog for %q", j.focused())
			}
		}
		j.press("\u001b")
		j.dialogClosed()
		if f := j.focused(); f != opener {
			t.Errorf("after Escape the focus is on %q, want back on the assign button", f)
		}
	})
}
