package mailer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"activation-console/store"
)

// The outbox's promises (store/outbox.go): retries after a refusal, never a
// row twice, several senders at once.

func TestSender_RetriesAfterTheServerRefusedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.queue(t, "retry")
	f.smtp.RefuseNext(1)
	s := f.sender()
	if st, err := s.RunOnce(f.ctx); err != nil || st.Retried != 1 || st.Sent != 0 {
		t.Fatalf("first round %+v (%v), want one retry", st, err)
	}
	row := f.row(t, id)
	if row.Status != store.MailQueued || row.Attempts != 1 || row.LastError == nil || !strings.Contains(*row.LastError, "451") {
		t.Fatalf("after the refusal: %s, %d attempts, error %v", row.Status, row.Attempts, row.LastError)
	}
	if want := epoch.Add(30 * time.Second); !row.NextAttemptAt.Equal(want) {
		t.Errorf("next attempt %s, want %s (backoff)", row.NextAttemptAt, want)
	}
	if st, _ := s.RunOnce(f.ctx); st.Sent != 0 {
		t.Fatalf("sent before the backoff was over: %+v", st)
	}
	f.clock.Advance(30 * time.Second)
	if st, err := s.RunOnce(f.ctx); err != nil || st.Sent != 1 {
		t.Fatalf("second round %+v (%v), want it sent", st, err)
	}
	got := f.smtp.WaitFor(t, 1)
	if len(got) != 1 || got[0].Subject != "Test retry" || got[0].Text() != "text retry" {
		t.Errorf("received %d: %+v", len(got), got)
	}
	row = f.row(t, id)
	if row.Status != store.MailSent || row.Attempts != 2 || row.SentAt == nil || row.LastError != nil {
		t.Errorf("after sending: %s, %d attempts, sent %v, error %v", row.Status, row.Attempts, row.SentAt, row.LastError)
	}
}

func TestSender_NoDuplicateAfterASenderKilledBetweenSendAndMark(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.queue(t, "crash")
	doomed := f.sender()
	doomed.afterSend = func() bool { return false } // dies with the message accepted, before marking it
	if _, err := doomed.RunOnce(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.smtp.WaitFor(t, 1)
	if row := f.row(t, id); row.Status != store.MailSending {
		t.Fatalf("status %s after the crash, want sending", row.Status)
	}

	// Another instance, before and after the dead sender's lease ran out.
	next := f.sender()
	if st, err := next.RunOnce(f.ctx); err != nil || st.Sent+st.Unknown != 0 {
		t.Fatalf("within the lease: %+v (%v)", st, err)
	}
	f.clock.Advance(6 * time.Minute)
	st, err := next.RunOnce(f.ctx)
	if err != nil || st.Unknown != 1 || st.Sent != 0 {
		t.Fatalf("after the lease: %+v (%v), want it marked unknown", st, err)
	}
	f.clock.Advance(time.Hour)
	next.RunOnce(f.ctx)
	time.Sleep(50 * time.Millisecond)
	if got := f.smtp.Received(); len(got) != 1 {
		t.Fatalf("the SMTP server received %d messages, want exactly 1", len(got))
	}
	row := f.row(t, id)
	if row.Status != store.MailUnknown || row.LastError == nil || !strings.Contains(*row.LastError, "may have been delivered") {
		t.Errorf("status %s, error %v", row.Status, row.LastError)
	}
	ds, err := f.st.Deliveries(f.ctx, f.account.ID)
	if err != nil || len(ds) != 1 || ds[0].Status != store.MailUnknown {
		t.Errorf("delivery log %+v (%v)", ds, err)
	}
}

func TestSender_AClaimWhoseSenderDiedBeforeSendingIsSentByAnother(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.queue(t, "claimed")
	if _, err := f.st.ClaimMail(f.ctx, "dead-sender", 10); err != nil { // claimed, then the sender died
		t.Fatal(err)
	}
	f.clock.Advance(6 * time.Minute)
	if st, err := f.sender().RunOnce(f.ctx); err != nil || st.Recovered != 1 || st.Sent != 1 {
		t.Fatalf("round %+v (%v)", st, err)
	}
	f.smtp.WaitFor(t, 1)
	if row := f.row(t, id); row.Status != store.MailSent {
		t.Errorf("status %s", row.Status)
	}
	// The dead sender waking up cannot mark or send it any more.
	if ok, err := f.st.MarkMailSending(f.ctx, id, "dead-sender"); ok || err != nil {
		t.Errorf("a lost claim marked sending: %v %v", ok, err)
	}
}

func TestSender_TwoSendersAtOnceSendEachMailOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const n = 40
	for i := range n {
		f.queue(t, fmt.Sprintf("m-%02d", i))
	}
	a, b := f.sender(), f.sender()
	a.Batch, b.Batch = 3, 3
	var wg sync.WaitGroup
	var sent [2]int
	for i, s := range []*Sender{a, b} {
		wg.Go(func() {
			st, err := s.RunOnce(f.ctx)
			if err != nil {
				t.Error(err)
			}
			sent[i] = st.Sent
		})
	}
	wg.Wait()
	got := f.smtp.WaitFor(t, n)
	seen := map[string]int{}
	for _, r := range got {
		seen[r.MessageID]++
	}
	if len(got) != n || len(seen) != n {
		t.Fatalf("received %d messages with %d Message-IDs, want %d of each", len(got), len(seen), n)
	}
	if sent[0]+sent[1] != n {
		t.Errorf("senders report %d + %d sent", sent[0], sent[1])
	}
	if c := countStatus(t, f, store.MailSent); c != n {
		t.Errorf("%d rows sent, want %d", c, n)
	}
	t.Logf("sender A sent %d, sender B %d", sent[0], sent[1])
}

func countStatus(t *testing.T, f *fixture, status string) int {
	t.Helper()
	var n int
	if err := f.st.DB().GetContext(f.ctx, &n, `SELECT count(*) FROM outbox WHERE status = $1`, status); err != nil {
		t.Fatal(err)
	}
	return n
}

// script is a transport whose sends answer from a list.
type script struct {
	mu      sync.Mutex
	answers []error
	sent    []Message
	onSend  func()
}

func (s *script) Open(context.Context) (Conn, error) { return s, nil }
func (s *script) Close() error                       { return nil }
func (s *script) Send(_ context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.onSend != nil {
		s.onSend()
	}
	var err error
	if len(s.answers) > 0 {
		err, s.answers = s.answers[0], s.answers[1:]
	}
	if err == nil {
		s.sent = append(s.sent, m)
	}
	return err
}

func TestSender_ALostAnswerIsUnknownAndNotSentAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.queue(t, "lost")
	tr := &script{answers: []error{errors.New("read tcp: connection reset by peer")}}
	s := f.sender()
	s.Transport = tr
	if st, err := s.RunOnce(f.ctx); err != nil || st.Unknown != 1 {
		t.Fatalf("round %+v (%v)", st, err)
	}
	f.clock.Advance(24 * time.Hour)
	s.RunOnce(f.ctx)
	if row := f.row(t, id); row.Status != store.MailUnknown || !strings.Contains(*row.LastError, "answer was lost") {
		t.Errorf("status %s, error %v", row.Status, row.LastError)
	}
}

func TestSender_FailsAfterTheLastAttempt(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.queue(t, "doomed")
	tr := &script{}
	for range store.MailMaxAttempts {
		tr.answers = append(tr.answers, &Refused{Err: errors.New("550 5.1.1 mailbox unavailable")})
	}
	s := f.sender()
	s.Transport = tr
	for range store.MailMaxAttempts {
		if _, err := s.RunOnce(f.ctx); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
	}
	row := f.row(t, id)
	if row.Status != store.MailFailed || row.Attempts != store.MailMaxAttempts || !strings.Contains(*row.LastError, "550") {
		t.Errorf("status %s after %d attempts, error %v", row.Status, row.Attempts, row.LastError)
	}
}

func TestSender_StopsBetweenMailsAndGivesTheRestBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 5 {
		f.queue(t, fmt.Sprintf("stop-%d", i))
	}
	ctx, cancel := context.WithCancel(f.ctx)
	tr := &script{onSend: cancel} // the console is told to stop while the first mail is handed over
	s := f.sender()
	s.Transport = tr
	s.RunOnce(ctx)
	if len(tr.sent) != 1 {
		t.Fatalf("sent %d, want the one under way finished", len(tr.sent))
	}
	if n := countStatus(t, f, store.MailSent); n != 1 {
		t.Errorf("%d marked sent, want 1", n)
	}
	if n := countStatus(t, f, store.MailQueued); n != 4 {
		t.Errorf("%d back in the queue, want 4", n)
	}
}

// TestSender_WithoutSMTPWritesTheTextToTheLogAndSaysSo: a mail only written
// to the log was received by nobody, so it is recorded as logged, not sent
// (the delivery log shows which).
func TestSender_WithoutSMTPWritesTheTextToTheLogAndSaysSo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.queue(t, "log")
	var buf bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&buf, nil))
	s := f.sender()
	s.Transport, s.Log = Log{Logger: lg}, lg
	if st, err := s.RunOnce(f.ctx); err != nil || st.Logged != 1 || st.Sent != 0 {
		t.Fatalf("round %+v (%v), want one mail logged and none sent", st, err)
	}
	if out := buf.String(); !strings.Contains(out, `text="text log"`) || !strings.Contains(out, "no SMTP_URL") {
		t.Errorf("log: %s", out)
	}
	if row := f.row(t, id); row.Status != store.MailLogged || row.SentAt == nil || row.LastError != nil {
		t.Errorf("after writing it to the log: status %s, written at %v, error %v; want logged", row.Status, row.SentAt, row.LastError)
	}
}

// TestSender_WithSMTPRecordsTheMailSent is the other path: the mail server
// accepted the mail.
func TestSender_WithSMTPRecordsTheMailSent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.queue(t, "smtp")
	if st, err := f.sender().RunOnce(f.ctx); err != nil || st.Sent != 1 || st.Logged != 0 {
		t.Fatalf("round %+v (%v), want one mail sent and none logged", st, err)
	}
	if got := f.smtp.WaitFor(t, 1); len(got) != 1 || got[0].Subject != "Test smtp" {
		t.Errorf("the server received %+v", got)
	}
	if row := f.row(t, id); row.Status != store.MailSent || row.SentAt == nil {
		t.Errorf("after the server took it: status %s, sent at %v; want sent", row.Status, row.SentAt)
	}
}
