package journeys_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"activation-console/store"
	"activation-console/views"
)

// TestRecipients_AddABadThenAGoodAddressAndRemoveIt keeps the alert list.
func TestRecipients_AddABadThenAGoodAddressAndRemoveIt(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.click(`nav.nav a[href="/eu-frankfurt/recipients"]`)
		j.waitPath("/eu-frankfurt/recipients")
		j.waitVisible("#recipient-email")
		if got := j.textsOf("#recipients tbody tr td:nth-child(2)"); strings.Join(got, ",") != ownerEmail {
			t.Errorf("a new account's recipients are %q, want only the owner", got)
		}
		j.axe("the alert recipients page")
		j.screenshot("18-recipients.png")

		j.typeInto("#recipient-name", "Night shift")
		j.typeInto("#recipient-email", "night-shift.acme.example")
		j.expectRefusal(422, "/eu-frankfurt/recipients")
		j.click(`.recipient-add button[type=submit]`)
		j.waitVisible("#recipient-email-error")
		if got := j.textOf("#recipient-email-error"); !strings.Contains(got, j.say("err.not_an_email", "Address", `"night-shift.acme.example"`)) {
			t.Errorf("a bad address is refused with %q", got)
		}
		if got := eval[string](j, `document.querySelector("#recipient-email").getAttribute("aria-describedby")`); got != "recipient-email-error" {
			t.Errorf("the e-mail field is described by %q, want its error", got)
		}
		if got := j.valueOf("#recipient-email"); got != "night-shift.acme.example" {
			t.Errorf("the refused address was not kept: %q", got)
		}
		if got := j.valueOf("#recipient-name"); got != "Night shift" {
			t.Errorf("the name was not kept: %q", got)
		}
		if n := j.count("#recipients tbody tr"); n != 1 {
			t.Errorf("a refused address added a row: %d rows", n)
		}
		j.axe("the alert recipients page with an error")
		j.screenshot("19-recipients-error.png")

		j.typeInto("#recipient-email", "night-shift@acme.example")
		j.click(`.recipient-add button[type=submit]`)
		j.waitCount("#recipients tbody tr", 2)
		row := j.textOf("#recipients tbody tr:nth-child(2)")
		if !strings.Contains(row, "Night shift") || !strings.Contains(row, "night-shift@acme.example") {
			t.Errorf("the new recipient's row reads %q", row)
		}
		if got := j.textOf("#recipients-count"); got != j.say("recipients.counter", "Shown", "1", "Max", views.Num(store.MaxRecipients)) {
			t.Errorf("the counter reads %q after adding one", got)
		}
		if got := j.valueOf("#recipient-email"); got != "" {
			t.Errorf("after adding, the form still holds %q", got)
		}
		list, err := j.st.Recipients(j.ctx, j.acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 {
			t.Errorf("the store has %d recipients, want the owner and the new one", len(list))
		}

		j.click(`#recipients tbody tr:nth-child(2) button[type=submit]`)
		j.waitCount("#recipients tbody tr", 1)
		if got := j.textsOf("#recipients tbody tr td:nth-child(2)"); strings.Join(got, ",") != ownerEmail {
			t.Errorf("after removing, the recipients are %q", got)
		}
	})
}

// TestRecipients_ASwapCopiesNoInlineStyle adds a recipient while the list
// carries a style set from script, as a browser extension, a password
// manager or the browser's own tools set one. htmx, while settling a swap,
// copies the old element's "settle" attributes onto its replacement; with
// "style" among them (its default) it writes a style attribute, which the
// Content-Security-Policy blocks and the browser reports as a violation.
// The console settles classes only (views/layout.go, htmxConfig).
func TestRecipients_ASwapCopiesNoInlineStyle(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.visit("/eu-frankfurt/recipients")
		j.waitVisible("#recipient-email")
		// CSSOM writes are allowed by the policy; only style attributes
		// written as markup or with setAttribute are not.
		eval[chromedp.Void](j, `document.getElementById("recipients").style.outline = "1px solid transparent"`)
		j.typeInto("#recipient-email", "night-shift@acme.example")
		j.click(`.recipient-add button[type=submit]`)
		j.waitCount("#recipients tbody tr", 2)
		j.flush()
		if got := eval[string](j, `document.getElementById("recipients").getAttribute("style") || ""`); got != "" {
			t.Errorf("the new list took over the old one's style %q", got)
		}
	})
}
