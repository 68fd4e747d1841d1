package journeys_test

import (
	"context"
	"strings"
	"testing"

	"activation-console/store"
	"activation-console/views"
)

// TestAlerts_SetTheThresholdAndSendATestAlert is the alert side of the
// recipients page (docs/pages.md, "7. Alert recipients"): a threshold refused then saved, and a
// test alert that appears in the delivery log.
func TestAlerts_SetTheThresholdAndSendATestAlert(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.visit("/eu-frankfurt/recipients")
		j.waitVisible("#alert-threshold-input")

		j.setField("#alert-threshold-input", "-5")
		j.expectRefusal(422, "/eu-frankfurt/recipients/threshold")
		j.click(`#alert-threshold button[type=submit]`)
		j.waitVisible("#alert-threshold-error")
		if got := j.textOf("#alert-threshold-error"); got != j.say("alerts.threshold_range") {
			t.Errorf("a negative threshold is refused with %q", got)
		}
		if got := j.valueOf("#alert-threshold-input"); got != "-5" {
			t.Errorf("the refused value was not kept: %q", got)
		}
		j.axe("the recipients page with a refused threshold")

		j.setField("#alert-threshold-input", "25")
		j.click(`#alert-threshold button[type=submit]`)
		j.waitText("main > .flash", sayN(j, "alerts.threshold_saved", 25))
		if got := j.valueOf("#alert-threshold-input"); got != "25" {
			t.Errorf("after saving, the field shows %q", got)
		}

		j.click(`form[action="/eu-frankfurt/recipients/test"] button[type=submit]`)
		j.waitVisible("#test-alert-status .flash")
		if got := j.textOf("#test-alert-status .flash"); got != sayN(j, "alerts.test_queued_to_log", 1) {
			t.Errorf("the test alert says %q", got)
		}
		j.waitCount("#deliveries tbody tr", 1)
		// The mail speaks its recipient's language, not the viewer's: the
		// owner has chosen none, so English.
		subject := views.T(views.WithLanguage(context.Background(), store.English), "mail.test.subject", "Account", j.acme.Name)
		if row := j.textOf("#deliveries tbody tr"); !strings.Contains(row, subject) || !strings.Contains(row, j.say("alerts.queued")) {
			t.Errorf("the delivery log's row reads %q", row)
		}
		j.axe("the recipients page with a delivery log")
		j.screenshot("30-alerts.png")
	})
}
