package journeys_test

import (
	"strings"
	"testing"
)

// TestAlerts_SetTheThresholdAndSendATestAlert is the alert side of the
// recipients page (docs/pages.md, "7. Alert recipients"): a threshold refused then saved, and a
// test alert that appears in the delivery log.
func TestAlerts_SetTheThresholdAndSendATestAlert(t *testing.T) {
	j := start(t)
	j.signInOwner()
	j.visit("/eu-frankfurt/recipients")
	j.waitVisible("#alert-threshold-input")

	j.setField("#alert-threshold-input", "-5")
	j.click(`#alert-threshold button[type=submit]`)
	j.waitVisible("#alert-threshold-error")
	if got := j.textOf("#alert-threshold-error"); got != "Enter a whole number from 0 to 1,000,000." {
		t.Errorf("a negative threshold is refused with %q", got)
	}
	if got := j.valueOf("#alert-threshold-input"); got != "-5" {
		t.Errorf("the refused value was not kept: %q", got)
	}
	j.axe("the recipients page with a refused threshold")

	j.setField("#alert-threshold-input", "25")
	j.click(`#alert-threshold button[type=submit]`)
	j.waitText("main > .flash", "Products now alert when they have 25 available codes or fewer.")
	if got := j.valueOf("#alert-threshold-input"); got != "25" {
		t.Errorf("after saving, the field shows %q", got)
	}

	j.click(`form[action="/eu-frankfurt/recipients/test"] button[type=submit]`)
	j.waitVisible("#test-alert-status .flash")
	if got := j.textOf("#test-alert-status .flash"); !strings.HasPrefix(got, "Test alert queued for") {
		t.Errorf("the test alert says %q", got)
	}
	j.waitCount("#deliveries tbody tr", 1)
	if row := j.textOf("#deliveries tbody tr"); !strings.Contains(row, "Test alert: activation codes of") || !strings.Contains(row, "Queued") {
		t.Errorf("the delivery log's row reads %q", row)
	}
	j.axe("the recipients page with a delivery log")
	j.screenshot("30-alerts.png")
}
