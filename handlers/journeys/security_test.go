package journeys_test

import (
	"strings"
	"testing"

	"activation-console/store"
)

// A sub-account limited to one product sees, on the recipients page, the
// owner and the recipients it added itself, never the owner's others, and is
// told what its recipients will hear about (docs/SECURITY.md, "Tenant scope
// in alert mail").
func TestSecurity_AScopedSubAccountKeepsOnlyItsOwnRecipients(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		owner := store.SystemActor(ownerEmail)
		if _, err := j.st.AddRecipient(j.ctx, store.Scope{AccountID: j.acme.ID},
			store.RecipientInput{Name: "Finance", Email: "finance@acme.example", Actor: owner}); err != nil {
			t.Fatal(err)
		}
		const memberEmail, memberPassword = "meters@acme.example", "meters-only-password-1"
		if _, err := j.st.CreateMember(j.ctx, store.Scope{AccountID: j.acme.ID},
			store.MemberInput{Actor: owner, Name: "Meter team", Email: memberEmail,
				Password: memberPassword, ProductIDs: []int64{j.meter.ID}}); err != nil {
			t.Fatal(err)
		}
		j.signIn(memberEmail, memberPassword)
		j.visit("/eu-frankfurt/recipients")
		j.waitVisible("#recipient-email")
		if got := j.textsOf("#recipients tbody tr td:nth-child(2)"); strings.Join(got, ",") != ownerEmail {
			t.Errorf("the scoped sub-account sees the recipients %q, want only the owner", got)
		}
		if got := j.textOf("#recipients-scope"); got != j.say("recipients.scoped") {
			t.Errorf("the page does not say what its recipients hear about: %q", got)
		}
		j.typeInto("#recipient-name", "Meter night shift")
		j.typeInto("#recipient-email", "meter-night@acme.example")
		j.click(`.recipient-add button[type=submit]`)
		j.waitCount("#recipients tbody tr", 2)
		if got := j.textOf("#recipients tbody tr:nth-child(2)"); !strings.Contains(got, "meter-night@acme.example") {
			t.Errorf("its own recipient's row reads %q", got)
		}
		if strings.Contains(j.textOf("main"), "finance@acme.example") {
			t.Error("the owner's recipient shows on the scoped sub-account's page")
		}
		j.axe("the recipients page of a scoped sub-account")
		j.screenshot("40-recipients-scoped-sub-account.png")
	})
}

// Platform support staff, who belong to no account, change their own
// password from the support search.
func TestSecurity_SupportChangesItsOwnPassword(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		const email, oldPassword, newPassword = "helpdesk@iot-platform.example", "helpdesk-password-1", "helpdesk-password-2"
		if _, err := j.st.CreateUser(j.ctx, store.NewUser{Role: store.RoleSupport, Email: email, Password: oldPassword}); err != nil {
			t.Fatal(err)
		}
		j.visit("/signin")
		j.typeInto("#email", email)
		j.typeInto("#password", oldPassword)
		j.clickAndLoad(`form[action="/signin"] button[type=submit]`)
		j.waitPath("/support")
		j.clickAndLoad(`a[href="/account/password"]`)
		j.waitVisible("#old-password")
		j.axe("the password page of support staff")
		j.screenshot("41-support-password.png")
		j.typeInto("#old-password", oldPassword)
		j.typeInto("#new-password", newPassword)
		j.clickAndLoad(`form[action="/account/password"] button[type=submit]`)
		j.waitPath("/support")
		if _, err := j.st.Authenticate(j.ctx, email, newPassword); err != nil {
			t.Errorf("the new password does not sign in: %v", err)
		}
		j.screenshot("42-support-after-password-change.png")
	})
}
