package store_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"activation-console/store"
)

// The test alert's limits (docs/SECURITY.md, "Resource limits").

func (f *scopeFixture) testAlert(userID int64, key string) error {
	_, err := f.st.QueueTestAlert(f.ctx, store.OutgoingMail{AccountID: f.account.ID, DedupeKey: key, SentBy: userID,
		Recipients: []string{"owner@acme.example"}, Mail: store.Mail{Subject: "Test", Text: "t", HTML: "<p>t</p>"}})
	return err
}

func TestTestAlertRecipients_AScopedSubAccountReachesOnlyItsOwnAndItself(t *testing.T) {
	f := newScopeFixture(t)
	for _, c := range []struct {
		user int64
		want string
	}{
		{f.scoped.ID, "scoped@acme.example,mallory@outside.example"},
		{f.allOf.ID, "owner@acme.example,mallory@outside.example,ops@acme.example,boss@acme.example,team@acme.example"},
	} {
		rs, err := f.st.TestAlertRecipients(f.ctx, f.account.ID, c.user)
		var to []string
		for _, r := range rs {
			to = append(to, r.Email)
		}
		if err != nil || strings.Join(to, ",") != c.want {
			t.Errorf("user %d: %q (%v), want %q", c.user, to, err, c.want)
		}
	}
}

// A test alert goes once per language of its recipients (the owner's own
// choice, each recipient's), and its mails count as one test alert.
func TestQueueTestAlert_OneMailPerLanguageCountsAsOne(t *testing.T) {
	f := newScopeFixture(t)
	var owner int64
	if err := f.st.DB().GetContext(f.ctx, &owner, `SELECT id FROM users WHERE account_id = $1 AND role = 'owner'`, f.account.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetLanguage(f.ctx, owner, string(store.Chinese)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.DB().ExecContext(f.ctx, `UPDATE alert_recipients SET language = 'zh-CN' WHERE email = 'boss@acme.example'`); err != nil {
		t.Fatal(err)
	}
	rs, err := f.st.TestAlertRecipients(f.ctx, f.account.ID, f.allOf.ID)
	if err != nil {
		t.Fatal(err)
	}
	groups := store.ByLanguage(rs)
	want := []store.LanguageGroup{
		{Language: store.Chinese, Emails: []string{"owner@acme.example", "boss@acme.example"}},
		{Language: store.English, Emails: []string{"mallory@outside.example", "ops@acme.example", "team@acme.example"}},
	}
	if fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Fatalf("by language %v, want %v", groups, want)
	}
	for i := range store.TestAlertsPerUser {
		var ms []store.OutgoingMail
		for _, g := range groups {
			ms = append(ms, store.OutgoingMail{AccountID: f.account.ID, DedupeKey: "click-" + itoa64(int64(i)), SentBy: f.allOf.ID,
				Recipients: g.Emails, Mail: store.Mail{Subject: "Test " + string(g.Language), Text: "t", HTML: "<p>t</p>"}})
		}
		if ids, err := f.st.QueueTestAlert(f.ctx, ms...); err != nil || len(ids) != 2 {
			t.Fatalf("click %d: %v (%v)", i+1, ids, err)
		}
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM outbox WHERE kind = 'test'`); n != 2*store.TestAlertsPerUser {
		t.Errorf("%d mails, want two per click", n)
	}
	if err := f.testAlert(f.allOf.ID, "over"); !store.HasCode(err, store.CodeTestAlertLimit) {
		t.Errorf("the click over the limit: %v", err)
	}
}

func TestQueueTestAlert_LimitedPerUserAndPerAccountEachHour(t *testing.T) {
	f := newScopeFixture(t)
	for i := range store.TestAlertsPerUser {
		if err := f.testAlert(f.scoped.ID, "scoped-"+itoa64(int64(i))); err != nil {
			t.Fatalf("test alert %d: %v", i+1, err)
		}
	}
	err := f.testAlert(f.scoped.ID, "scoped-over")
	if !store.HasCode(err, store.CodeTestAlertLimit) || !strings.Contains(err.Error(), "err.test_alert_user_limit") {
		t.Fatalf("one more than the user's limit: %v", err)
	}
	// Another user of the account still may, up to the account's limit.
	users := []int64{f.allOf.ID}
	for i := range 3 {
		users = append(users, f.base.AddSubAccount(t, f.account.ID, "m"+itoa64(int64(i))+"@acme.example", false).ID)
	}
	sent := store.TestAlertsPerUser
	for _, u := range users {
		for j := 0; j < store.TestAlertsPerUser && sent < store.TestAlertsPerAccount; j++ {
			if err := f.testAlert(u, "u"+itoa64(u)+"-"+itoa64(int64(j))); err != nil {
				t.Fatalf("test alert %d of the account: %v", sent+1, err)
			}
			sent++
		}
	}
	fresh := f.base.AddSubAccount(t, f.account.ID, "fresh@acme.example", false)
	if err := f.testAlert(fresh.ID, "fresh"); !store.HasCode(err, store.CodeTestAlertLimit) || !strings.Contains(err.Error(), "err.test_alert_account_limit") {
		t.Fatalf("one more than the account's limit: %v", err)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM outbox WHERE kind = 'test'`); n != store.TestAlertsPerAccount {
		t.Errorf("%d test alerts queued, want %d", n, store.TestAlertsPerAccount)
	}
	f.clock.Advance(store.TestAlertWindow + time.Second)
	if err := f.testAlert(f.scoped.ID, "next-hour"); err != nil {
		t.Errorf("an hour later: %v", err)
	}
}

func TestQueueTestAlert_ClicksAtOnceNeverPassTheLimit(t *testing.T) {
	f := newScopeFixture(t)
	var wg sync.WaitGroup
	errs := make([]error, 3*store.TestAlertsPerUser)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.testAlert(f.scoped.ID, "race-"+itoa64(int64(i)))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !store.HasCode(err, store.CodeTestAlertLimit):
			t.Errorf("unexpected: %v", err)
		}
	}
	if ok != store.TestAlertsPerUser {
		t.Errorf("%d test alerts at once went through, want %d", ok, store.TestAlertsPerUser)
	}
}
