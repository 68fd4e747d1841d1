package store_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"activation-console/store"
)

// Alert recipients (docs/pages.md, "7. Alert recipients").

var recipientActor = store.Actor{Name: "owner@acme.example"}

func recipientEmails(t *testing.T, f *fixture, accountID int64) []string {
	t.Helper()
	rs, err := f.st.Recipients(f.ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	for _, r := range rs {
		emails = append(emails, r.Email)
	}
	return emails
}

func TestRecipients_OwnerIsAlwaysFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rs, err := f.st.Recipients(f.ctx, f.account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || !rs[0].Owner || rs[0].Email != "owner@acme.example" || rs[0].ID != 0 {
		t.Fatalf("recipients = %+v, want the owner alone", rs)
	}
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "  Bob Ops ", Email: " bob@acme.example ", Actor: recipientActor}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(neDay)
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "", Email: "carol@acme.example", Actor: recipientActor}); err != nil {
		t.Fatal(err)
	}
	rs, err = f.st.Recipients(f.ctx, f.account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || !rs[0].Owner || rs[1].Name != "Bob Ops" || rs[1].Email != "bob@acme.example" || rs[1].Owner ||
		rs[2].Name != "" || rs[2].Email != "carol@acme.example" || !rs[2].CreatedAt.Equal(epoch.Add(neDay)) {
		t.Errorf("recipients = %+v, want owner, Bob (trimmed), Carol in the order added", rs)
	}
	// The owner is not a row of the list: there is nothing to remove.
	_, err = f.st.RemoveRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RemoveRecipientInput{ID: 0, Actor: recipientActor})
	wantCode(t, err, store.CodeUnknownRecipient)
	if got := recipientEmails(t, f, f.account.ID); got[0] != "owner@acme.example" {
		t.Errorf("recipients = %v, want the owner still first", got)
	}
}

func TestAddRecipient_RefusesWhatIsNotAnAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []struct {
		name, recipientName, email, field string
	}{
		{"no e-mail", "Bob", "  ", "email"},
		{"not an e-mail", "Bob", "bob at acme", "email"},
		{"no domain dot", "Bob", "bob@acme", "email"},
		{"display name form", "Bob", "Bob <bob@acme.example>", "email"},
		{"name too long", strings.Repeat("n", 101), "bob@acme.example", "name"},
		{"name with a line break", "Bob\r\nBcc: eve@evil.example", "bob@acme.example", "name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
				store.RecipientInput{Name: c.recipientName, Email: c.email, Actor: recipientActor})
			if e := wantCode(t, err, store.CodeInvalid); e.Field != c.field || e.Msg == "" {
				t.Errorf("error = %+v, want a message for %s", e, c.field)
			}
		})
	}
	if got := recipientEmails(t, f, f.account.ID); len(got) != 1 {
		t.Errorf("recipients = %v, want the owner only", got)
	}
	// A hundred characters is a name, whatever the script.
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: strings.Repeat("é", 100), Email: "bob@acme.example", Actor: recipientActor}); err != nil {
		t.Errorf("a 100-character name: %v", err)
	}
}

func TestAddRecipient_RefusesDuplicatesWhateverTheCase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "Bob", Email: "bob@acme.example", Actor: recipientActor}); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"bob@acme.example", "BOB@Acme.Example", "Owner@ACME.example"} {
		_, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
			store.RecipientInput{Name: "", Email: email, Actor: recipientActor})
		if e := wantCode(t, err, store.CodeExists); e.Field != "email" {
			t.Errorf("%s: field = %q, want email", email, e.Field)
		}
	}
	// Another account may list the same person.
	other := f.newAccount(t, "individual", "eu-frankfurt", "solo@example.com")
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: other.ID},
		store.RecipientInput{Name: "Bob", Email: "bob@acme.example", Actor: recipientActor}); err != nil {
		t.Errorf("another account: %v", err)
	}
	if got := recipientEmails(t, f, f.account.ID); len(got) != 2 {
		t.Errorf("recipients = %v, want owner and Bob", got)
	}
}

func TestAddRecipient_AtMost50BesidesTheOwner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := 0; i < store.MaxRecipients; i++ {
		if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
			store.RecipientInput{Name: "", Email: fmt.Sprintf("r%02d@acme.example", i), Actor: recipientActor}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "", Email: "one-more@acme.example", Actor: recipientActor})
	wantCode(t, err, store.CodeRecipientLimit)
	rs, err := f.st.Recipients(f.ctx, f.account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != store.MaxRecipients+1 {
		t.Fatalf("%d recipients, want the owner and 50", len(rs))
	}
	// Removing one makes room again.
	if _, err := f.st.RemoveRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RemoveRecipientInput{ID: rs[1].ID, Actor: recipientActor}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "", Email: "one-more@acme.example", Actor: recipientActor}); err != nil {
		t.Errorf("after a removal: %v", err)
	}
}

func TestAddRecipient_ConcurrentAddsNeverPassTheLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := 0; i < store.MaxRecipients-5; i++ {
		if _, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
			store.RecipientInput{Name: "", Email: fmt.Sprintf("r%02d@acme.example", i), Actor: recipientActor}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	added, full, dup := 0, 0, 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Half of them race for the same address, too.
			email := fmt.Sprintf("new%02d@acme.example", i)
			if i%2 == 0 {
				email = "same@acme.example"
			}
			_, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
				store.RecipientInput{Name: "", Email: email, Actor: recipientActor})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				added++
			case store.HasCode(err, store.CodeRecipientLimit):
				full++
			case store.HasCode(err, store.CodeExists):
				dup++
			default:
				t.Errorf("add %s: %v", email, err)
			}
		}(i)
	}
	wg.Wait()
	if n := countRows(t, f.st, `SELECT count(*) FROM alert_recipients WHERE account_id = $1`, f.account.ID); n != store.MaxRecipients || added != 5 {
		t.Errorf("%d recipients after %d adds (%d refused as full, %d as duplicates), want exactly 50", n, added, full, dup)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM alert_recipients WHERE email = 'same@acme.example'`); n > 1 {
		t.Errorf("same@acme.example listed %d times", n)
	}
}

func TestRemoveRecipient_OnlyFromItsOwnAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bob, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "Bob", Email: "bob@acme.example", Actor: recipientActor})
	if err != nil {
		t.Fatal(err)
	}
	other := f.newAccount(t, "enterprise", "eu-frankfurt", "mallory@example.com")
	_, err = f.st.RemoveRecipient(f.ctx, store.Scope{AccountID: other.ID},
		store.RemoveRecipientInput{ID: bob.ID, Actor: store.Actor{Name: "mallory@example.com"}})
	wantCode(t, err, store.CodeUnknownRecipient)
	if got := recipientEmails(t, f, f.account.ID); len(got) != 2 {
		t.Fatalf("recipients = %v, want Bob still listed", got)
	}
	removed, err := f.st.RemoveRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RemoveRecipientInput{ID: bob.ID, Actor: recipientActor})
	if err != nil || removed.Email != "bob@acme.example" {
		t.Fatalf("remove = %+v, %v", removed, err)
	}
	_, err = f.st.RemoveRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RemoveRecipientInput{ID: bob.ID, Actor: recipientActor})
	wantCode(t, err, store.CodeUnknownRecipient)
}

func TestRecipients_ChangesAreAudited(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bob, err := f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "Bob", Email: "bob@acme.example", Actor: recipientActor})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.RemoveRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RemoveRecipientInput{ID: bob.ID, Actor: recipientActor}); err != nil {
		t.Fatal(err)
	}
	// A refused change leaves no record.
	f.st.AddRecipient(f.ctx, store.Scope{AccountID: f.account.ID},
		store.RecipientInput{Name: "", Email: "not an address", Actor: recipientActor})
	if n := countRows(t, f.st, `SELECT count(*) FROM audit_log WHERE account_id = $1 AND actor = 'owner@acme.example' AND type = 'alerts'
		AND ((operation = 'recipient add' AND description = 'added Bob <bob@acme.example> to the alert recipients')
		  OR (operation = 'recipient remove' AND description = 'removed Bob <bob@acme.example> from the alert recipients'))`, f.account.ID); n != 2 {
		t.Errorf("audit rows = %d, want one for the addition and one for the removal", n)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM audit_log WHERE account_id = $1 AND type = 'alerts'`, f.account.ID); n != 2 {
		t.Errorf("audit rows = %d, want 2", n)
	}
}

// A recipient's mail speaks the language chosen for them; the owner's is
// the owner's own choice (docs/i18n.md, "Choosing").
func TestAddRecipient_KeepsTheRecipientsLanguage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sc := store.Scope{AccountID: f.account.ID}
	if r, err := f.st.AddRecipient(f.ctx, sc, store.RecipientInput{Email: "li@acme.example", Language: store.Chinese, Actor: recipientActor}); err != nil || r.Language != store.Chinese {
		t.Fatalf("add in Chinese: %+v %v", r, err)
	}
	if r, err := f.st.AddRecipient(f.ctx, sc, store.RecipientInput{Email: "bob@acme.example", Actor: recipientActor}); err != nil || r.Language != store.English {
		t.Fatalf("add without a language: %+v %v, want English", r, err)
	}
	_, err := f.st.AddRecipient(f.ctx, sc, store.RecipientInput{Email: "jean@acme.example", Language: "fr", Actor: recipientActor})
	if e := wantCode(t, err, store.CodeInvalid); e.Field != "language" {
		t.Errorf("error = %+v, want one about the language", e)
	}
	var owner int64
	if err := f.st.DB().GetContext(f.ctx, &owner, `SELECT id FROM users WHERE account_id = $1 AND role = 'owner'`, f.account.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetLanguage(f.ctx, owner, string(store.Chinese)); err != nil {
		t.Fatal(err)
	}
	rs, err := f.st.Recipients(f.ctx, f.account.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.Email+" "+string(r.Language))
	}
	if want := []string{"owner@acme.example zh-CN", "li@acme.example zh-CN", "bob@acme.example en"}; strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("recipients = %v, want %v", got, want)
	}
	// Removing answers with the recipient as it was, language included.
	r, err := f.st.RemoveRecipient(f.ctx, sc, store.RemoveRecipientInput{ID: rs[1].ID, Actor: recipientActor})
	if err != nil || r.Language != store.Chinese {
		t.Errorf("removed %+v %v", r, err)
	}
}
