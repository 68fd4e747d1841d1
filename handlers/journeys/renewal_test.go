package journeys_test

import (
	"testing"

	"activation-console/store"
)

// TestRenewal_SwitchingAProductOffDisablesItsDeviceToggles turns the
// Thermostat's automatic renewal off on its page, finds its devices' toggles
// on the near-expiry list disabled with the reason, and turns it on again.
func TestRenewal_SwitchingAProductOffDisablesItsDeviceToggles(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.visit("/eu-frankfurt/near-expiry")
		if tg := j.toggleOf("T3-000002"); tg.Disabled || !tg.Checked {
			t.Fatalf("before: T3-000002's toggle is %+v, want on and enabled", tg)
		}

		j.visit(productPath(j.thermo))
		j.click("#product-auto-renew")
		j.waitText("#renewal-card", j.say("renewal.card.hint_off"))
		if j.product(t, j.thermo).AutoRenew {
			t.Fatalf("the switch shows off but the store still renews the Thermostat")
		}
		// The device list of the same page follows the switch.
		j.waitOutlook("T3-000004", j.say("outlook.switch_off"))
		j.screenshot("14-product-renewal-off.png")

		j.visit("/eu-frankfurt/near-expiry")
		for _, dk := range []string{"T3-000002", "T3-000005"} {
			tg := j.toggleOf(dk)
			if !tg.Disabled || tg.Why != j.say("device.toggle.switch_off") {
				t.Errorf("with the switch off, %s's toggle is %+v; want disabled, saying the product switch is off", dk, tg)
			}
			if got := j.outlookOf(dk); got != j.say("outlook.switch_off") {
				t.Errorf("with the switch off, %s's outlook reads %q", dk, got)
			}
		}
		j.axe("the near-expiry list with a product switched off")
		j.screenshot("17-near-expiry-switch-off.png")

		j.visit(productPath(j.thermo))
		j.click("#product-auto-renew")
		j.waitText("#renewal-card", j.say("renewal.card.hint_on"))
		j.visit("/eu-frankfurt/near-expiry")
		for _, dk := range []string{"T3-000002", "T3-000005"} {
			if tg := j.toggleOf(dk); tg.Disabled || !tg.Checked || tg.Why != "" {
				t.Errorf("with the switch on again, %s's toggle is %+v; want on and enabled", dk, tg)
			}
			if got := j.outlookOf(dk); got != j.say("outlook.will_renew") {
				t.Errorf("with the switch on again, %s's outlook reads %q", dk, got)
			}
		}

		// A device's own toggle, on the near-expiry list, is the blacklist.
		j.click(j.rowOf("T3-000006") + ` input[role=switch]`)
		j.waitOutlook("T3-000006", j.say("outlook.blacklisted"))
		if d := j.device(t, j.thermo, "T3-000006"); !d.Blacklisted {
			t.Errorf("switching T3-000006's toggle off did not blacklist it")
		}
	})
}
