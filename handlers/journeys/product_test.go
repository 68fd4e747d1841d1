package journeys_test

import (
	"strings"
	"testing"
)

// TestProductPage_BlacklistTwoDevicesThenRemoveOne pastes two DKs into the
// blacklist dialog, takes one off again, and reads the devices' outlooks.
func TestProductPage_BlacklistTwoDevicesThenRemoveOne(t *testing.T) {
	j := start(t)
	j.signInOwner()
	j.visit(productPath(j.thermo))
	if got := j.outlookOf("T3-000003"); got != "Will renew" {
		t.Fatalf("before: T3-000003's outlook reads %q", got)
	}
	j.openDialog(`#renewal-card a[href$="/blacklist"]`, "blacklist-dialog")
	j.axe("the blacklist dialog")
	j.typeMore("#blacklist-keys", "T3-000002\nT3-000003")
	j.screenshot("11-blacklist-dialog.png")
	j.click(`#blacklist-add button[type=submit]`)
	j.dialogClosed()
	j.waitText("main .flash", "Added 2 devices to the renewal blacklist of Smart Thermostat T3.")
	if got := j.blacklistedFigure(); got != "3" {
		t.Errorf("the renewal card counts %q blacklisted devices, want 3 (T3-000013 was already)", got)
	}
	for _, dk := range []string{"T3-000002", "T3-000003"} {
		if got := j.outlookOf(dk); got != "Won't renew: blacklisted" {
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
	j.waitText("main .flash", "Removed 1 device from the renewal blacklist")
	if got := j.outlookOf("T3-000002"); got != "Will renew" {
		t.Errorf("after removing, T3-000002's outlook reads %q", got)
	}
	if got := j.outlookOf("T3-000003"); got != "Won't renew: blacklisted" {
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
}

// TestProductPage_ActivationHistoryListsEveryCodeInOrder opens the history
// of a device that renewed once.
func TestProductPage_ActivationHistoryListsEveryCodeInOrder(t *testing.T) {
	j := start(t)
	j.signInOwner()
	j.visit(productPath(j.thermo))
	p := j.product(t, j.thermo)
	got := j.figures()
	if got["Total"] != num(p.Total()) || got["Consumed"] != num(p.Consumed) || got["Available"] != num(p.Available) {
		t.Errorf("the product's figures read %v, want total %d, consumed %d, available %d", got, p.Total(), p.Consumed, p.Available)
	}
	j.axe("the product details page")
	j.screenshot("09-product-details.png")

	j.openDialog(j.rowOf("T3-000001")+` a[href$="/history"]`, "history-dialog")
	if got := j.textOf("#history-dialog-title"); got != "Activation history of T3-000001" {
		t.Errorf("the dialog is titled %q", got)
	}
	rows := j.textsOf("#history-dialog tbody tr")
	wantRows := []string{
		"1\tFirst activation\t2024-06-30 09:00\t2025-06-30 09:00",
		"2\tAutomatic renewal\t2025-06-30 09:00\t2026-06-30 09:00",
	}
	if strings.Join(rows, "\n") != strings.Join(wantRows, "\n") {
		t.Errorf("the history lists\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(wantRows, "\n"))
	}
	j.axe("the activation history dialog")
	j.screenshot("13-activation-history-dialog.png")
	j.press("\u001b")
	j.dialogClosed()
}
