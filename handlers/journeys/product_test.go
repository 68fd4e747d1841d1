package journeys_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/views"
)

// TestProductPage_BlacklistTwoDevicesThenRemoveOne pastes two DKs into the
// blacklist dialog, takes one off again, and reads the devices' outlooks.
func TestProductPage_BlacklistTwoDevicesThenRemoveOne(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.visit(productPath(j.thermo))
		if got := j.outlookOf("T3-000003"); got != j.say("outlook.will_renew") {
			t.Fatalf("before: T3-000003's outlook reads %q", got)
		}
		j.openDialog(`#renewal-card a[href$="/blacklist"]`, "blacklist-dialog")
		j.axe("the blacklist dialog")
		j.typeMore("#blacklist-keys", "T3-000002\nT3-000003")
		j.screenshot("11-blacklist-dialog.png")
		j.click(`#blacklist-add button[type=submit]`)
		j.dialogClosed()
		j.waitText("main .flash", sayN(j, "renewal.blacklist.added", 2, "Product", "Smart Thermostat T3"))
		if got := j.blacklistedFigure(); got != "3" {
			t.Errorf("the renewal card counts %q blacklisted devices, want 3 (T3-000013 was already)", got)
		}
		for _, dk := range []string{"T3-000002", "T3-000003"} {
			if got := j.outlookOf(dk); got != j.say("outlook.blacklisted") {
				t.Errorf("after adding, %s's outlook reads %q", dk, got)
			}
			if j.toggleOf(dk).Checked {
				t.Errorf("after adding, %s's auto-renew toggle is still on", dk)
			}
		}

		j.openDialog(`#renewal-card a[href$="/blacklist"]`, "blacklist-dialog")
		if got := j.textsOf("#blacklist-list tbody td.mono"); strings.Join(got, ",") != "T3-000002,T3-000003,T3-000013" {
			t.Errorf("the blacklist lists %q", got)
		}
		j.screenshot("12-blacklist-dialog-listed.png")
		j.click(`#blacklist-list button[name=one][value="T3-000002"]`)
		j.dialogClosed()
		j.waitText("main .flash", sayN(j, "renewal.blacklist.removed", 1, "Product", "Smart Thermostat T3"))
		if got := j.outlookOf("T3-000002"); got != j.say("outlook.will_renew") {
			t.Errorf("after removing, T3-000002's outlook reads %q", got)
		}
		if got := j.outlookOf("T3-000003"); got != j.say("outlook.blacklisted") {
			t.Errorf("the device left on the blacklist, T3-000003, reads %q", got)
		}
		if got := j.blacklistedFigure(); got != "2" {
			t.Errorf("the renewal card counts %q blacklisted devices, want 2", got)
		}
		if d := j.device(t, j.thermo, "T3-000003"); !d.Blacklisted {
			t.Errorf("the store does not have T3-000003 on the blacklist")
		}
		if d := j.device(t, j.thermo, "T3-000002"); d.Blacklisted {
			t.Errorf("the store still has T3-000002 on the blacklist")
		}
	})
}

// TestProductPage_ActivationHistoryListsEveryCodeInOrder opens the history
// of a device that renewed once.
func TestProductPage_ActivationHistoryListsEveryCodeInOrder(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.visit(productPath(j.thermo))
		p := j.product(t, j.thermo)
		got := j.figures()
		if got[j.say("product.figure.total")] != num(p.Total()) || got[j.say("product.figure.consumed")] != num(p.Consumed) || got[j.say("product.figure.available")] != num(p.Available) {
			t.Errorf("the product's figures read %v, want total %d, consumed %d, available %d", got, p.Total(), p.Consumed, p.Available)
		}
		j.axe("the product details page")
		j.screenshot("09-product-details.png")

		j.openDialog(j.rowOf("T3-000001")+` a[href$="/history"]`, "history-dialog")
		if got := j.textOf("#history-dialog-title"); got != j.say("device.history.title", "DeviceKey", "T3-000001") {
			t.Errorf("the dialog is titled %q", got)
		}
		rows := j.textsOf("#history-dialog tbody tr")
		// The fixture's codes start and end at 09:00 UTC on June 30th.
		at := func(year int) string {
			return views.DateTime(views.WithLanguage(context.Background(), lang), time.Date(year, time.June, 30, 9, 0, 0, 0, time.UTC), time.UTC)
		}
		wantRows := []string{
			"1\t" + j.say("activation.first") + "\t" + at(2024) + "\t" + at(2025),
			"2\t" + j.say("activation.renewal") + "\t" + at(2025) + "\t" + at(2026),
		}
		if strings.Join(rows, "\n") != strings.Join(wantRows, "\n") {
			t.Errorf("the history lists\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(wantRows, "\n"))
		}
		j.axe("the activation history dialog")
		j.screenshot("13-activation-history-dialog.png")
		j.press("\u001b")
		j.dialogClosed()
	})
}
