// Package mailer delivers the outbox (docs/alerts.md, "How they travel"): it digests raised
// alerts into mails, claims due mails, and hands each to an SMTP server (or
// the log) exactly as store/outbox.go describes, so that no row is ever sent
// twice, whatever crashes and however many console instances run.
package mailer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"activation-console/store"
)

// Message is one mail as a transport sends it.
type Message struct {
	MessageID string // without angle brackets
	From      string
	To        []string
	Subject   string
	Text      string
	HTML      string
	Date      time.Time
}

// Transport is where mail goes: an SMTP server, or the log.
type Transport interface {
	// Open connects; an error means nothing was sent.
	Open(ctx context.Context) (Conn, error)
}

// Conn sends messages one at a time over one connection.
type Conn interface {
	// Send hands over one message: nil when the server accepted it; a
	// *Refused when it certainly did not; any other error when it is not
	// known whether it did.
	Send(ctx context.Context, m Message) error
	Close() error
}

// Refused is a failure after which the server certainly does not have the
// message, so it is safe to try again.
type Refused struct{ Err error }

func (r *Refused) Error() string { return r.Err.Error() }
func (r *Refused) Unwrap() error { return r.Err }

// DefaultFrom is the sender address when SMTP_FROM is not set.
const DefaultFrom = "Activation codes <alerts@localhost>"

// Sender digests alerts and delivers the outbox.
type Sender struct {
	Store     *store.Store
	Transport Transport
	From      string             // the From header; DefaultFrom when empty
	Render    store.MailRenderer // writes alert digests; nil: alerts are not digested by this sender
	Log       *slog.Logger
	Batch     int           // mails claimed at once; default 20
	Lease     time.Duration // how long a claim may stay unfinished before it is taken for dead; default 5 min
	Poll      time.Duration // how often Run looks for work; default 2 s

	token string
	// afterSend, in tests, runs right after the server accepted a message;
	// false makes the sender stop there, as if it had crashed before marking it.
	afterSend func() bool
}

// Stats counts what one round did.
type Stats struct {
	Digests, Sent, Logged, Retried, Failed, Unknown, Recovered int
}

func (s *Sender) init() {
	if s.token == "" {
		s.token = store.NewClaimToken()
	}
	if s.From == "" {
		s.From = DefaultFrom
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.Batch <= 0 {
		s.Batch = 20
	}
	if s.Lease <= 0 {
		s.Lease = 5 * time.Minute
	}
	if s.Poll <= 0 {
		s.Poll = 2 * time.Second
	}
}

// Run works rounds every Poll until ctx is cancelled. A message being handed
// over when ctx ends is finished and marked first: the sender stops between
// messages, and mails it claimed but did not start go back to the queue.
func (s *Sender) Run(ctx context.Context) {
	s.init()
	ticker := time.NewTicker(s.Poll)
	defer ticker.Stop()
	for {
		st, err := s.RunOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.Log.Error("mail sender round failed; trying again shortly", "err", err)
		case st != Stats{}:
			s.Log.Info("mail sender", "digests", st.Digests, "sent", st.Sent, "logged", st.Logged, "retrying", st.Retried, "failed", st.Failed,
				"unknown", st.Unknown, "recovered", st.Recovered)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// RunOnce ends the leases of dead senders, digests due alerts, and delivers
// every mail due now.
func (s *Sender) RunOnce(ctx context.Context) (Stats, error) {
	s.init()
	var st Stats
	requeued, unknown, err := s.Store.RecoverMail(ctx, s.Lease)
	st.Recovered, st.Unknown = int(requeued), int(unknown)
	if err != nil {
		return st, err
	}
	if unknown > 0 {
		s.Log.Warn("mails left in sending by a sender that stopped are marked unknown, not sent again", "count", unknown)
	}
	if s.Render != nil {
		if st.Digests, err = s.Store.DigestAlerts(ctx, s.Render); err != nil {
			return st, err
		}
	}
	for ctx.Err() == nil {
		mails, err := s.Store.ClaimMail(ctx, s.token, s.Batch)
		if err != nil || len(mails) == 0 {
			return st, err
		}
		crashed, err := s.deliver(ctx, mails, &st)
		if err != nil || crashed {
			return st, err
		}
	}
	return st, nil
}

// deliver hands claimed mails over, one connection for the batch.
func (s *Sender) deliver(ctx context.Context, mails []store.OutboxMail, st *Stats) (crashed bool, err error) {
	// Marks must be written even while stopping: they run without ctx's cancellation.
	mark := context.WithoutCancel(ctx)
	var conn Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for i, m := range mails {
		if ctx.Err() != nil {
			return false, s.release(mark, mails[i:])
		}
		if conn == nil {
			if conn, err = s.Transport.Open(ctx); err != nil {
				// Nothing of this batch was sent: every mail waits for its retry.
				for _, m := range mails[i:] {
					if err := s.retry(mark, m, err, st); err != nil {
						return false, err
					}
				}
				return false, nil
			}
		}
		ok, err := s.Store.MarkMailSending(mark, m.ID, s.token)
		if err != nil {
			return false, errors.Join(err, s.release(mark, mails[i:]))
		}
		if !ok {
			continue // the lease ran out and another sender has it
		}
		sendErr := conn.Send(mark, s.message(m))
		if sendErr == nil && s.afterSend != nil && !s.afterSend() {
			return true, nil
		}
		var refused *Refused
		switch {
		case sendErr == nil && writesToLog(s.Transport):
			// Nobody received it: the delivery log must not say "Sent".
			if err := s.Store.MarkMailLogged(mark, m.ID, s.token); err != nil {
				return false, err
			}
			st.Logged++
		case sendErr == nil:
			if err := s.Store.MarkMailSent(mark, m.ID, s.token); err != nil {
				return false, err
			}
			st.Sent++
		case errors.As(sendErr, &refused):
			if err := s.retry(mark, m, sendErr, st); err != nil {
				return false, err
			}
			conn.Close() // the conversation may be out of step: the next mail gets a fresh one
			conn = nil
		default:
			s.Log.Error("mail may or may not have been delivered: the server's answer was lost; it is not sent again",
				"mail", m.ID, "message_id", s.messageID(m), "err", sendErr)
			if err := s.Store.MarkMailUnknown(mark, m.ID, s.token, "the mail server's answer was lost: "+sendErr.Error()); err != nil {
				return false, err
			}
			st.Unknown++
			conn.Close()
			conn = nil
		}
	}
	return false, nil
}

func (s *Sender) retry(ctx context.Context, m store.OutboxMail, cause error, st *Stats) error {
	status, err := s.Store.RetryMail(ctx, m.ID, s.token, cause.Error())
	if err != nil {
		return err
	}
	if status == store.MailFailed {
		st.Failed++
		s.Log.Error("mail failed for good after its last attempt", "mail", m.ID, "err", cause)
	} else {
		st.Retried++
		s.Log.Warn("mail not delivered; it will be retried", "mail", m.ID, "err", cause)
	}
	return nil
}

func (s *Sender) release(ctx context.Context, mails []store.OutboxMail) error {
	ids := make([]int64, len(mails))
	for i, m := range mails {
		ids[i] = m.ID
	}
	return s.Store.ReleaseMail(ctx, ids, s.token)
}

func (s *Sender) message(m store.OutboxMail) Message {
	return Message{MessageID: s.messageID(m), From: s.From, To: m.Recipients, Subject: m.Subject,
		Text: m.TextBody, HTML: m.HTMLBody, Date: m.CreatedAt}
}

func (s *Sender) messageID(m store.OutboxMail) string { return MessageID(m.DedupeKey, s.From) }

func messageIDLocal(dedupeKey string) string {
	sum := sha256.Sum256([]byte(dedupeKey))
	return "outbox." + hex.EncodeToString(sum[:16])
}

// Log writes mails to the log instead of sending them, as the console does
// without SMTP settings (docs/alerts.md, "How they travel"). The whole text part
// goes to the log.
type Log struct{ Logger *slog.Logger }

// Open never fails.
func (l Log) Open(context.Context) (Conn, error) { return logConn(l), nil }

// writesToLog marks Log: a mail it takes is recorded as logged, not sent.
func (Log) writesToLog() {}

// writesToLog tells whether t only writes mails to the log.
func writesToLog(t Transport) bool {
	_, ok := t.(interface{ writesToLog() })
	return ok
}

type logConn Log

func (l logConn) Send(ctx context.Context, m Message) error {
	lg := l.Logger
	if lg == nil {
		lg = slog.Default()
	}
	lg.InfoContext(ctx, "mail (no SMTP_URL: written to the log, not sent)", "message_id", m.MessageID,
		"to", fmt.Sprint(m.To), "subject", m.Subject, "text", m.Text)
	return nil
}

func (logConn) Close() error { return nil }
