package store

// The outbox (docs/alerts.md, "How they travel"): mails are rows, written in the transaction
// that decides to send them, and a sender (package mailer) delivers them.
//
// "Never sends one row twice", also with several console instances and a
// crash at any point, rests on four committed steps:
//
//  1. ClaimMail: queued -> claimed, FOR UPDATE SKIP LOCKED, with a fresh
//     claim token and a lease (claimed_at). Two senders never claim one row.
//  2. MarkMailSending: claimed -> sending, committed before the first SMTP
//     command of the message, and only by the holder of the token.
//  3. The SMTP transaction, with a Message-ID derived from the dedupe key.
//  4. MarkMailSent (MarkMailLogged when there is no mail server and the
//     mail was only written to the log), or RetryMail when the server's answer proves it did not
//     take the message (then it is safe to send again), or MarkMailUnknown
//     when the answer was lost (the connection broke after the message's
//     final dot).
//
// RecoverMail handles senders that died: an expired lease in claimed goes
// back to the queue (no SMTP command had been sent); an expired lease in
// sending becomes unknown and is never re-sent by the console: the server
// may have delivered it, and at-most-once is the promise. The delivery log
// shows it, with its Message-ID, for a person to check. Exactly once is not
// possible over SMTP in general (the server's "250" can be lost); this is
// at most once per row, and at most one row per dedupe key.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Statuses of an outbox mail.
const (
	MailQueued  = "queued"
	MailClaimed = "claimed"
	MailSending = "sending"
	MailSent    = "sent"
	MailLogged  = "logged" // written to the console's log: no mail server is configured
	MailFailed  = "failed"
	MailUnknown = "unknown"
)

// Kinds of outbox mail.
const (
	MailKindAlert = "alert"
	MailKindTest  = "test"
)

// MailMaxAttempts is how many times a mail is tried before it is failed:
// with the backoff below, about three hours of retries.
const MailMaxAttempts = 10

// mailBackoff is the wait after the n-th failed attempt: 30 s doubling, at most an hour.
func mailBackoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Mail is the content of one e-mail, rendered by the views.
type Mail struct {
	Subject string
	Text    string // the text/plain part
	HTML    string // the text/html part
}

// OutgoingMail is a mail to write to the outbox.
type OutgoingMail struct {
	AccountID  int64
	Kind       string
	DedupeKey  string // one outbox row per key, ever
	Recipients []string
	ProductIDs []int64 // the products an alert names (the delivery log's scope); nil for a test
	SentBy     int64   // the user who asked for a test alert; 0 for alerts
	Mail
}

// OutboxMail is a row of the outbox.
type OutboxMail struct {
	ID            int64          `db:"id"`
	AccountID     int64          `db:"account_id"`
	Kind          string         `db:"kind"`
	DedupeKey     string         `db:"dedupe_key"`
	Recipients    pq.StringArray `db:"recipients"`
	Subject       string         `db:"subject"`
	TextBody      string         `db:"text_body"`
	HTMLBody      string         `db:"html_body"`
	Status        string         `db:"status"`
	Attempts      int            `db:"attempts"`
	NextAttemptAt time.Time      `db:"next_attempt_at"`
	LastError     *string        `db:"last_error"`
	CreatedAt     time.Time      `db:"created_at"`
	SentAt        *time.Time     `db:"sent_at"`
}

const outboxColumns = `id, account_id, kind, dedupe_key, recipients, subject, text_body, html_body, status, attempts,
	next_attempt_at, last_error, created_at, sent_at`

// mailboxPattern is one bare address: no display name, no second address, no
// space or control character that could end a header. The outbox table's
// CHECK (mail_addresses_ok) holds the same rule.
var mailboxPattern = regexp.MustCompile(`^[^[:space:][:cntrl:]<>(),;:"\\\[\]@]+@[^[:space:][:cntrl:]<>(),;:"\\\[\]@.]+(\.[^[:space:][:cntrl:]<>(),;:"\\\[\]@.]+)+$`)

// ValidMailbox tells whether addr may be a recipient of an outbox mail: an
// address the recipients page accepts, and one bare mailbox.
func ValidMailbox(addr string) bool {
	_, err := CheckEmail("email", addr)
	return err == nil && len(addr) <= 254 && mailboxPattern.MatchString(addr)
}

// QueueMail writes a mail to the outbox, refusing it whole when one
// recipient is not a valid address. It returns the row's id, or that of
// the row already written under the same dedupe key.
func (s *Store) QueueMail(ctx context.Context, m OutgoingMail) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, err = queueMail(ctx, tx, m, s.Now())
		return err
	})
	return id, err
}

func queueMail(ctx context.Context, tx *sqlx.Tx, m OutgoingMail, now time.Time) (int64, error) {
	if len(m.Recipients) == 0 {
		return 0, invalid("recipients", "err.mail_no_recipient")
	}
	for _, r := range m.Recipients {
		if !ValidMailbox(r) {
			return 0, invalid("recipients", "err.mail_bad_recipient", "Address", Quoted(r))
		}
	}
	if m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") {
		return 0, invalid("subject", "err.mail_subject")
	}
	var productIDs any // NULL: a mail that names no product
	if m.ProductIDs != nil {
		productIDs = pq.Array(m.ProductIDs)
	}
	var id int64
	err := tx.GetContext(ctx, &id, `WITH ins AS (
			INSERT INTO outbox (account_id, kind, dedupe_key, recipients, subject, text_body, html_body, next_attempt_at, created_at, product_ids, sent_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)
			ON CONFLICT (dedupe_key) DO NOTHING RETURNING id
		)
		SELECT id FROM ins UNION ALL SELECT id FROM outbox WHERE dedupe_key = $3 LIMIT 1`,
		m.AccountID, m.Kind, m.DedupeKey, pq.Array(m.Recipients), m.Subject, m.Text, m.HTML, now, productIDs, sql.NullInt64{Int64: m.SentBy, Valid: m.SentBy != 0})
	return id, err
}

// NewClaimToken returns a random token that names one sender's claims.
func NewClaimToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ClaimMail takes up to limit mails due now for the sender holding token.
// Rows another sender is claiming at this moment are skipped, not waited for.
func (s *Store) ClaimMail(ctx context.Context, token string, limit int) ([]OutboxMail, error) {
	var ms []OutboxMail
	now := s.Now()
	err := s.db.SelectContext(ctx, &ms, `UPDATE outbox SET status = 'claimed', claim_token = $1, claimed_at = $2
		WHERE id IN (SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= $2
			ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+outboxColumns, token, now, limit)
	return ms, err
}

// MarkMailSending records that the SMTP transaction of a claimed mail is
// about to start. false: the claim was lost (its lease expired and another
// sender took the row): the mail must not be sent.
func (s *Store) MarkMailSending(ctx context.Context, id int64, token string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE outbox SET status = 'sending', claimed_at = $3, attempts = attempts + 1
		WHERE id = $1 AND claim_token = $2 AND status = 'claimed'`, id, token, s.Now())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// MarkMailSent records that the server accepted the mail. It holds also for
// a row RecoverMail had given up as unknown: the sender's word is better.
func (s *Store) MarkMailSent(ctx context.Context, id int64, token string) error {
	return s.markMailDone(ctx, id, token, MailSent)
}

// MarkMailLogged records that the mail was written to the console's log
// instead of being sent, because no mail server is configured: nobody
// received it, and the delivery log says so.
func (s *Store) MarkMailLogged(ctx context.Context, id int64, token string) error {
	return s.markMailDone(ctx, id, token, MailLogged)
}

// markMailDone ends a mail's delivery in status sent or logged.
func (s *Store) markMailDone(ctx context.Context, id int64, token, status string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE outbox SET status = $4, sent_at = $3, last_error = NULL
		WHERE id = $1 AND claim_token = $2 AND status IN ('sending', 'unknown')`, id, token, s.Now(), status)
	return err
}

// RetryMail records an attempt that certainly did not deliver the mail (the
// server refused it, or could not be reached): it is queued again after a
// backoff, or failed when it has had MailMaxAttempts. It returns the status.
func (s *Store) RetryMail(ctx context.Context, id int64, token, reason string) (string, error) {
	var st struct {
		Status   string `db:"status"`
		Attempts int    `db:"attempts"`
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// A failure before MarkMailSending (the server could not be reached) is an attempt too.
		err := tx.GetContext(ctx, &st, `UPDATE outbox SET attempts = attempts + CASE WHEN status = 'claimed' THEN 1 ELSE 0 END
			WHERE id = $1 AND claim_token = $2 AND status IN ('claimed', 'sending') RETURNING status, attempts`, id, token)
		if err != nil {
			return notFound(err, nil)
		}
		status, next := MailQueued, s.Now().Add(mailBackoff(st.Attempts))
		if st.Attempts >= MailMaxAttempts {
			status = MailFailed
		}
		st.Status = status
		_, err = tx.ExecContext(ctx, `UPDATE outbox SET status = $2, next_attempt_at = $3, last_error = $4, claim_token = NULL, claimed_at = NULL
			WHERE id = $1`, id, status, next, truncate(reason, 1000))
		return err
	})
	return st.Status, err
}

// MarkMailUnknown records that the server's answer to the mail was lost: it
// may have been delivered, so it is not sent again.
func (s *Store) MarkMailUnknown(ctx context.Context, id int64, token, reason string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE outbox SET status = 'unknown', last_error = $3
		WHERE id = $1 AND claim_token = $2 AND status = 'sending'`, id, token, truncate(reason, 1000))
	return err
}

// ReleaseMail gives claimed mails back to the queue untried, when a sender
// stops before it reached them.
func (s *Store) ReleaseMail(ctx context.Context, ids []int64, token string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE outbox SET status = 'queued', claim_token = NULL, claimed_at = NULL
		WHERE id = ANY($1) AND claim_token = $2 AND status = 'claimed'`, pq.Array(ids), token)
	return err
}

// RecoverMail ends the leases of senders that died: older than lease, a
// claimed mail is queued again, a mail in sending becomes unknown.
func (s *Store) RecoverMail(ctx context.Context, lease time.Duration) (requeued, unknown int64, err error) {
	before := s.Now().Add(-lease)
	res, err := s.db.ExecContext(ctx, `UPDATE outbox SET status = 'queued', claim_token = NULL, claimed_at = NULL
		WHERE status = 'claimed' AND claimed_at < $1`, before)
	if err != nil {
		return 0, 0, err
	}
	requeued, _ = res.RowsAffected()
	res, err = s.db.ExecContext(ctx, `UPDATE outbox SET status = 'unknown',
			last_error = 'the console stopped while handing this mail to the mail server; it may have been delivered'
		WHERE status = 'sending' AND claimed_at < $1`, before)
	if err != nil {
		return requeued, 0, err
	}
	unknown, _ = res.RowsAffected()
	return requeued, unknown, nil
}

// Delivery is one row of the delivery log.
type Delivery struct {
	ID         int64          `db:"id"`
	Kind       string         `db:"kind"`
	Recipients pq.StringArray `db:"recipients"`
	Subject    string         `db:"subject"`
	Status     string         `db:"status"`
	Attempts   int            `db:"attempts"`
	LastError  *string        `db:"last_error"`
	CreatedAt  time.Time      `db:"created_at"`
	SentAt     *time.Time     `db:"sent_at"`
	NextTry    time.Time      `db:"next_attempt_at"`
}

// Retrying tells whether a queued mail has failed before and waits for its next try.
func (d Delivery) Retrying() bool { return d.Status == MailQueued && d.Attempts > 0 }

// Pending tells whether the mail has yet to leave.
func (d Delivery) Pending() bool {
	return d.Status == MailQueued || d.Status == MailClaimed || d.Status == MailSending
}

// DeliveryLogSize is how many of the latest mails the delivery log shows.
const DeliveryLogSize = 50

// Deliveries lists an account's latest mails, newest first.
func (s *Store) Deliveries(ctx context.Context, accountID int64) ([]Delivery, error) {
	return s.DeliveriesSeenBy(ctx, accountID, 0)
}

// DeliveriesSeenBy lists the latest mails the user may see, newest first:
// all of the account's for the owner and a sub-account with every product;
// for a sub-account with chosen products, its own test alerts and the alert
// mails that name only products of its scope, with only the recipients it
// sees on its list (docs/SECURITY.md, "Tenant scope in alert mail").
// userID 0: all.
func (s *Store) DeliveriesSeenBy(ctx context.Context, accountID, userID int64) ([]Delivery, error) {
	var ds []Delivery
	err := s.db.SelectContext(ctx, &ds, `SELECT o.id, o.kind,
			CASE WHEN `+limitedSQL+` THEN array(SELECT a FROM unnest(o.recipients) a WHERE lower(a) IN (
				SELECT lower(u.email) FROM users u WHERE u.id = $2 OR (u.account_id = $1 AND u.role = 'owner')
				UNION ALL SELECT lower(r.email) FROM alert_recipients r WHERE r.account_id = $1 AND r.added_by = $2))
			ELSE o.recipients END AS recipients,
			o.subject, o.status, o.attempts, o.last_error, o.created_at, o.sent_at, o.next_attempt_at
		FROM outbox o WHERE o.account_id = $1 AND (NOT `+limitedSQL+`
			OR (o.kind = 'test' AND o.sent_by = $2)
			OR (o.kind = 'alert' AND o.product_ids <@ array(SELECT up.product_id FROM user_products up WHERE up.user_id = $2)))
		ORDER BY o.created_at DESC, o.id DESC LIMIT $3`, accountID, userID, DeliveryLogSize)
	return ds, err
}

// OutboxMailByID reads one outbox row (for tests and the command line).
func (s *Store) OutboxMailByID(ctx context.Context, id int64) (OutboxMail, error) {
	var m OutboxMail
	err := s.db.GetContext(ctx, &m, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id)
	return m, notFound(err, notFoundErr(CodeUnknownMail, "err.no_mail", "ID", strconv.FormatInt(id, 10)))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s…", strings.ToValidUTF8(s[:n], ""))
}
