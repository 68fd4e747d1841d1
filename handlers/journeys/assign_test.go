package journeys_test

import (
	"strings"
	"testing"

	"activation-console/store"
)

// TestAssign_FromTheOverviewThroughTheDialog picks a product by searching,
// enters a quantity, confirms, and sees the figures move.
func TestAssign_FromTheOverviewThroughTheDialog(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		before := j.licenses(t, frankfurt)

		j.openDialog(`.page-head a.btn`, "assign-dialog")
		if f := j.focused(); !strings.HasPrefix(f, "input#assign-q") {
			t.Errorf("the dialog opened with the focus on %q, want the product search", f)
		}
		j.axe("the assign dialog, step 1")
		j.typeInto("#assign-q", "water")
		j.waitCount("#assign-products button.pick", 1)
		if got := j.textOf("#assign-products button.pick"); !strings.Contains(got, "Water Meter WM-200") {
			t.Fatalf("searching \"water\" offers %q", got)
		}
		j.screenshot("04-assign-pick.png")
		j.click("#assign-products button.pick")
		j.waitVisible("#assign-quantity")
		if got := j.textOf("#assign-quantity-hint"); got != sayN(j, "assign.up_to", 20) {
			t.Errorf("the quantity hint says %q; 20 std-5y codes are unassigned", got)
		}
		j.axe("the assign dialog, step 2")
		j.screenshot("05-assign-quantity.png")
		j.typeInto("#assign-quantity", "5")
		j.click(`#assign-form button[type=submit]`)
		j.waitVisible(".assign-question")
		if got, want := j.textOf(".assign-question"), sayN(j, "assign.question", 5, "Package", "Standard, 5 years", "Product", "Water Meter WM-200", "ProductKey", "acme-wm200"); got != want {
			t.Errorf("the confirmation asks %q, want %q", got, want)
		}
		if got := j.textOf("#assign-form .notice"); got != j.say("assign.irrevocable") {
			t.Errorf("the confirmation does not say that assigning is irrevocable: %q", got)
		}
		j.axe("the assign dialog, step 3")
		j.screenshot("06-assign-confirm.png")
		j.click(`#assign-form button[name=confirm]`)
		j.dialogClosed()
		j.waitText("main .flash", sayN(j, "assign.done", 5, "Product", "Water Meter WM-200"))

		after := j.licenses(t, frankfurt)
		if after.Available != before.Available+5 || after.UnassignedTotal() != before.UnassignedTotal()-5 {
			t.Errorf("the ledger moved from available %d / unassigned %d to %d / %d, want 5 codes moved",
				before.Available, before.UnassignedTotal(), after.Available, after.UnassignedTotal())
		}
		got := j.figures()
		if got[j.say("overview.available")] != num(after.Available) || got[j.say("overview.unassigned")] != num(after.UnassignedTotal()) {
			t.Errorf("after assigning the page shows Available %s, Unassigned %s; want %s and %s",
				got[j.say("overview.available")], got[j.say("overview.unassigned")], num(after.Available), num(after.UnassignedTotal()))
		}
		if row := j.textOf(`#results tbody tr:nth-child(3)`); !strings.Contains(row, "Water Meter WM-200") || !strings.Contains(row, "\t25\t") {
			t.Errorf("the Water Meter's row reads %q, want a total of 25", row)
		}
		j.screenshot("08-overview-after-assign.png")
	})
}

// TestAssign_FromAProductPageHasTheProductPreselected starts on the product's
// own page and lands back there with its figures updated.
func TestAssign_FromAProductPageHasTheProductPreselected(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.visit(productPath(j.thermo))
		j.openDialog(`.page-head a.btn`, "assign-dialog")
		if got := j.textOf("#assign-form .assign-facts"); !strings.Contains(got, "Smart Thermostat T3") || !strings.Contains(got, "std-1y") {
			t.Errorf("the dialog opened from the Thermostat's page shows %q", got)
		}
		if f := j.focused(); !strings.HasPrefix(f, "input#assign-quantity") {
			t.Errorf("the dialog opened with the focus on %q, want the quantity", f)
		}
		j.axe("the assign dialog from a product")
		j.screenshot("10-product-assign-dialog.png")
		j.typeInto("#assign-quantity", "12")
		j.click(`#assign-form button[type=submit]`)
		j.waitVisible(`#assign-form button[name=confirm]`)
		j.click(`#assign-form button[name=confirm]`)
		j.dialogClosed()
		j.waitText("main .flash", sayN(j, "assign.done", 12, "Product", "Smart Thermostat T3"))
		j.waitPath(productPath(j.thermo))
		p := j.product(t, j.thermo)
		if p.Available != 46+12 {
			t.Errorf("the Thermostat has %d available codes, want 58", p.Available)
		}
		if got := j.figures()[j.say("product.figure.available")]; got != num(p.Available) {
			t.Errorf("the product page shows %s available codes, want %s", got, num(p.Available))
		}
	})
}

// TestAssign_TooManyShowsTheErrorAtTheQuantityAndAssignsNothing asks for one
// code more than the pool holds.
func TestAssign_TooManyShowsTheErrorAtTheQuantityAndAssignsNothing(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		before := j.licenses(t, frankfurt)
		j.openDialog(`.page-head a.btn`, "assign-dialog")
		j.typeInto("#assign-q", "acme-thermo")
		j.waitCount("#assign-products button.pick", 1)
		j.click("#assign-products button.pick")
		j.waitVisible("#assign-quantity")
		j.typeInto("#assign-quantity", "151")
		j.expectRefusal(422, "/eu-frankfurt/assign")
		j.click(`#assign-form button[type=submit]`)
		j.waitVisible("#assign-quantity-error")
		if got := j.textOf("#assign-quantity-error"); !strings.Contains(got, "150") {
			t.Errorf("asking for 151 of 150 codes says %q; it should name the 150 that are left", got)
		}
		if got := eval[string](j, `document.querySelector("#assign-quantity").getAttribute("aria-describedby")`); !strings.Contains(got, "assign-quantity-error") {
			t.Errorf("the quantity field is not described by its error (aria-describedby=%q)", got)
		}
		if got := eval[string](j, `document.querySelector("#assign-quantity").getAttribute("aria-invalid")`); got != "true" {
			t.Errorf("the quantity field is not marked invalid")
		}
		if got := j.valueOf("#assign-quantity"); got != "151" {
			t.Errorf("the quantity field lost what was typed: %q", got)
		}
		if j.count("dialog#assign-dialog[open]") != 1 {
			t.Errorf("the dialog closed on an error")
		}
		j.axe("the assign dialog with an error")
		j.screenshot("07-assign-too-many.png")
		after := j.licenses(t, frankfurt)
		if after.Available != before.Available || after.UnassignedTotal() != before.UnassignedTotal() {
			t.Errorf("a refused assignment changed the ledger: available %d -> %d, unassigned %d -> %d",
				before.Available, after.Available, before.UnassignedTotal(), after.UnassignedTotal())
		}
		j.press("\u001b")
		j.dialogClosed()
		if got := j.figures()[j.say("overview.unassigned")]; got != num(before.UnassignedTotal()) {
			t.Errorf("the overview shows %s unassigned codes, want %s", got, num(before.UnassignedTotal()))
		}
	})
}
