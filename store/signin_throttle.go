package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sign-in throttling (docs/SECURITY.md, "Sign-in" and "Behind a load
// balancer"): failures are counted per e-mail in NormalizeEmail's form, so
// every spelling of one address shares one count, and refused in three ways
// once a window holds too many:
//   - per e-mail and client address, low: a guesser at one address stops
//     soon, and cannot lock the owner out at another address;
//   - per e-mail, higher: guessing spread over many addresses stays bounded
//     (the price: that many failures do lock the owner out for a window);
//   - per client address: one address cannot try many e-mails.
//
// Unknown e-mails are throttled like known ones, so the answer never tells
// which exist. Kept in the database so that every console instance behind a
// load balancer counts the same failures.
const (
	throttleWindow           = 15 * time.Minute
	maxFailuresPerEmailAndIP = 10
	maxFailuresPerEmail      = 100
	maxFailuresPerIP         = 50
)

// unusableEmail is the e-mail a failure is counted under when the input was
// not one NormalizeEmail accepts; it cannot be anyone's normal form.
const unusableEmail = "(not an e-mail address)"

// signInKey is the e-mail under which sign-ins of raw are counted, and
// whether it can be a user's.
func signInKey(raw string) (string, bool) {
	email, err := NormalizeEmail(raw)
	if err != nil {
		return unusableEmail, false
	}
	return email, true
}

// SignInThrottled tells whether sign-ins for email from ip must wait.
func (s *Store) SignInThrottled(ctx context.Context, email, ip string) (bool, error) {
	key, _ := signInKey(email)
	return s.signInThrottled(ctx, key, ip)
}

func (s *Store) signInThrottled(ctx context.Context, key, ip string) (bool, error) {
	since := s.Now().Add(-throttleWindow)
	var byPair, byEmail, byIP int
	err := s.db.QueryRowxContext(ctx, `SELECT
		(SELECT count(*) FILTER (WHERE client_ip = $2) FROM sign_in_failures WHERE lower(email) = lower($1) AND at > $3),
		(SELECT count(*) FROM sign_in_failures WHERE lower(email) = lower($1) AND at > $3),
		(SELECT count(*) FROM sign_in_failures WHERE client_ip = $2 AND at > $3)`, key, ip, since).Scan(&byPair, &byEmail, &byIP)
	if err != nil {
		return false, fmt.Errorf("store: sign-in throttle: %w", err)
	}
	return byPair >= maxFailuresPerEmailAndIP || byEmail >= maxFailuresPerEmail || byIP >= maxFailuresPerIP, nil
}

// RecordSignInFailure counts a failed sign-in and, when the e-mail belongs
// to an account's user, writes it to that account's audit log.
func (s *Store) RecordSignInFailure(ctx context.Context, email, ip string) error {
	key, usable := signInKey(email)
	return s.recordSignInFailure(ctx, key, usable, ip)
}

func (s *Store) recordSignInFailure(ctx context.Context, key string, usable bool, ip string) error {
	// Counted even when the client has gone away meanwhile: a guesser must
	// not escape the count by hanging up before the answer.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	now := s.Now()
	// The count is its own statement, first: whatever fails after it, the
	// failure has been counted.
	if _, err := s.db.ExecContext(ctx, `INSERT INTO sign_in_failures (email, client_ip, at) VALUES ($1, $2, $3)`, key, ip, now); err != nil {
		return fmt.Errorf("store: count a failed sign-in: %w", err)
	}
	if !usable {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (account_id, user_id, actor, type, operation, description, message, at)
		SELECT account_id, id, email, $4, $5, 'a sign-in with a wrong password from ' || $2, $6, $3
		FROM users WHERE lower(email) = lower($1) AND account_id IS NOT NULL`, key, ip, now, AuditSignIn, OpSignInFailed,
		AuditMessage{clause("audit.entry.sign_in_failed", "IP", ip)})
	if err != nil {
		return fmt.Errorf("store: audit a failed sign-in: %w", err)
	}
	return nil
}

// ErrThrottled refuses a sign-in while its e-mail or address has failed too often.
var ErrThrottled = errors.New("store: too many failed sign-ins")

// RecordSignIn writes a successful sign-in to the user's account audit log.
func (s *Store) RecordSignIn(ctx context.Context, u User, ip string) error {
	if u.AccountID == nil {
		return nil // support staff sign-ins belong to no account
	}
	return s.audit(ctx, s.db, *u.AccountID, Actor{UserID: u.ID, Name: u.Email}, AuditSignIn, OpSignIn, "signed in from "+ip,
		clause("audit.entry.signed_in", "IP", ip))
}
