package journeys_test

import (
	"strings"
	"testing"

	"activation-console/store"
)

// TestWebhooks_RegisterAnEndpointAndSendATestEvent is the webhooks page
// (docs/webhooks.md): a URL refused next to its field, an endpoint
// registered with its secret shown once, and a test event in its
// deliveries.
func TestWebhooks_RegisterAnEndpointAndSendATestEvent(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.clickAndLoad(`nav.nav a[href="/eu-frankfurt/webhooks"]`)
		j.waitPath("/eu-frankfurt/webhooks")
		j.waitVisible("#webhook-url")
		if got := j.textOf("#webhooks-empty"); got != j.say("webhooks.empty") {
			t.Errorf("a new account's page says %q", got)
		}
		j.axe("the webhooks page")
		j.screenshot("40-webhooks.png")

		j.typeInto("#webhook-url", "http://169.254.169.254/latest/meta-data")
		j.expectRefusal(422, "/eu-frankfurt/webhooks")
		j.clickAndLoad(`#webhook-form button[type=submit]`)
		j.waitVisible("#webhook-url-error")
		if got := j.textOf("#webhook-url-error"); !strings.Contains(got, "169.254.169.254") {
			t.Errorf("a link-local address is refused with %q", got)
		}
		if got := j.textOf("#webhook-events-error"); got == "" {
			t.Error("no event chosen, and nothing says so")
		}
		if got := j.valueOf("#webhook-url"); got != "http://169.254.169.254/latest/meta-data" {
			t.Errorf("the refused URL was not kept: %q", got)
		}
		j.axe("the webhooks page with refusals")
		j.screenshot("41-webhooks-error.png")

		j.typeInto("#webhook-url", "https://93.184.215.14/hooks/activation")
		j.click(`input[name=events][value="device.activated"]`)
		j.click(`input[name=events][value="device.lapsed"]`)
		j.clickAndLoad(`#webhook-form button[type=submit]`)
		j.waitVisible("#webhook-secret-value")
		secret := j.valueOf("#webhook-secret-value")
		if !strings.HasPrefix(secret, "whsec_") {
			t.Errorf("the secret reads %q", secret)
		}
		if got := j.textOf(".webhook .webhook-url"); got != "https://93.184.215.14/hooks/activation" {
			t.Errorf("the endpoint reads %q", got)
		}
		j.axe("the webhooks page with a new secret")
		j.screenshot("42-webhooks-secret.png")

		j.clickAndLoad(`.webhook-actions form[action$="/test"] button[type=submit]`)
		j.waitVisible(".webhook-deliveries")
		if got := j.textOf(".webhook-deliveries tbody td code"); got != "webhook.test" {
			t.Errorf("the deliveries read %q", got)
		}
		if n := j.count("#webhook-secret-value"); n != 0 {
			t.Error("the secret shows again after the next change")
		}
		if got := j.textOf("main > .flash"); got != j.say("webhooks.test_queued") {
			t.Errorf("the flash reads %q", got)
		}
		j.axe("the webhooks page with a delivery")
		j.screenshot("43-webhooks-deliveries.png")
	})
}
