package journeys_test

import (
	"testing"

	"activation-console/store"
)

// TestSignIn_OverviewShowsTheAccountsFigures is a person opening a deep
// link in a fresh browser: the console asks them to sign in, takes them
// where they were going, and shows the figures the ledger holds. The
// browser fetches /favicon.ico and the like by itself meanwhile, and none
// of that may spoil the form (a redirect of the favicon to /signin once
// replaced the form's anti-forgery cookie, so the first try "expired").
func TestSignIn_OverviewShowsTheAccountsFigures(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.visit("/eu-frankfurt/licenses")
		j.waitPath("/signin?next=")
		j.typeInto("#email", ownerEmail)
		j.typeInto("#password", ownerPassword)
		j.clickAndLoad(`form[action="/signin"] button[type=submit]`)
		if j.count(".form-error") > 0 {
			t.Fatalf("the first sign-in with the right password was refused: %q", j.textOf(".form-error"))
		}
		j.waitPath("/eu-frankfurt/licenses")
		j.waitVisible(".figures")

		want := j.licenses(t, frankfurt)
		got := j.figures()
		for label, n := range map[string]int64{
			j.say("overview.total"):       want.Total(),
			j.say("overview.consumed"):    want.Consumed,
			j.say("overview.available"):   want.Available,
			j.say("overview.unassigned"):  want.UnassignedTotal(),
			j.say("overview.near_expiry"): want.NearExpiryDevices,
			j.say("overview.waiting"):     want.WaitingDevices,
		} {
			if got[label] != num(n) {
				t.Errorf("figure %q shows %q, want %s", label, got[label], num(n))
			}
		}
		// The fixture's story, so that a broken fixture cannot make this pass.
		if want.Total() != 250 || want.NearExpiryDevices != int64(len(nearExpiryKeys)) || want.WaitingDevices != 1 {
			t.Errorf("the fixture's Frankfurt figures are off: %+v", want)
		}
		rows := j.textsOf("#results tbody tr td:first-child")
		if len(rows) != 3 || rows[0] != "Door Lock DL-5" || rows[1] != "Smart Thermostat T3" || rows[2] != "Water Meter WM-200" {
			t.Errorf("the product list shows %q, want the three Frankfurt products", rows)
		}
		if got := j.count(`nav.tabs a[aria-current="page"][href="/eu-frankfurt/licenses"]`); got != 1 {
			t.Errorf("the first tab is not marked as the current one")
		}
		j.axe("the license overview")
		j.screenshot("01-overview.png")
	})
}

// TestSignIn_WrongPasswordIsRefusedWithAMessage keeps the e-mail and says
// what went wrong, without telling which of the two was wrong.
func TestSignIn_WrongPasswordIsRefusedWithAMessage(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.visit("/signin")
		j.axe("the sign-in page")
		j.screenshot("00-signin.png")

		j.typeInto("#email", ownerEmail)
		j.typeInto("#password", "not the password")
		j.expectRefusal(422, "/signin")
		j.clickAndLoad(`form[action="/signin"] button[type=submit]`)
		if got := j.textOf(".form-error"); got != j.say("signin.bad_credentials") {
			t.Errorf("after a wrong password the page says %q", got)
		}
		if got := j.valueOf("#email"); got != ownerEmail {
			t.Errorf("the e-mail field lost what was typed: %q", got)
		}
		if j.count("nav.nav") != 0 {
			t.Errorf("a wrong password shows the console")
		}
		j.axe("the sign-in page with an error")
		j.screenshot("00-signin-error.png")
	})
}
