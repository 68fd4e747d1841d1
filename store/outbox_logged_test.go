package store_test

import (
	"strings"
	"testing"

	"activation-console/store"
)

// TestMarkMailLogged_RecordsAMailWrittenToTheLogAsNotSent: without a mail
// server the sender writes a mail to the log; the row says so (logged, with
// the time), and the table holds the rule that a logged or sent mail has a
// time and no other has.
func TestMarkMailLogged_RecordsAMailWrittenToTheLogAsNotSent(t *testing.T) {
	f := newFixture(t)
	id, err := f.st.QueueMail(f.ctx, store.OutgoingMail{AccountID: f.account.ID, Kind: store.MailKindTest, DedupeKey: "logged",
		Recipients: []string{"owner@acme.example"}, Mail: store.Mail{Subject: "s", Text: "t", HTML: "h"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ClaimMail(f.ctx, "tok", 1); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.st.MarkMailSending(f.ctx, id, "tok"); !ok || err != nil {
		t.Fatalf("sending: %v %v", ok, err)
	}
	if err := f.st.MarkMailLogged(f.ctx, id, "tok"); err != nil {
		t.Fatal(err)
	}
	m, err := f.st.OutboxMailByID(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != store.MailLogged || m.SentAt == nil || !m.SentAt.Equal(f.st.Now()) {
		t.Errorf("after MarkMailLogged: status %s, written at %v; want logged, now", m.Status, m.SentAt)
	}
	ds, err := f.st.Deliveries(f.ctx, f.account.ID)
	if err != nil || len(ds) != 1 || ds[0].Status != store.MailLogged || ds[0].Pending() {
		t.Errorf("the delivery log has %+v (%v), want the mail logged and no longer pending", ds, err)
	}
	for _, sql := range []string{
		`UPDATE outbox SET status = 'logged', sent_at = NULL WHERE id = $1`,
		`UPDATE outbox SET status = 'failed' WHERE id = $1`, // keeps sent_at
		`UPDATE outbox SET status = 'delivered' WHERE id = $1`,
	} {
		if _, err := f.st.DB().ExecContext(f.ctx, sql, id); err == nil || !strings.Contains(err.Error(), "check constraint") {
			t.Errorf("%s: %v, want a check violation", sql, err)
		}
	}
}
