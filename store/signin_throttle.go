package store

import (
	"context"
	"time"
)

// Sign-in throttling (SPEC section 7): after too many failures in a window,
// further attempts for that e-mail, or from that client address, are refused
// until the window moves on. Unknown e-mails are throttled like known ones,
// so the answer never tells which exist. Kept in the database so that every
// console instance behind a load balancer counts the same failures.
const (
	throttleWindow      = 15 * time.Minute
	maxFailuresPerEmail = 10
	maxFailuresPerIP    = 50
)

// SignInThrottled tells whether sign-ins for email or from ip must wait.
func (s *Store) SignInThrottled(ctx context.Context, email, ip string) (bool, error) {
	since := s.Now().Add(-throttleWindow)
	var byEmail, byIP int
	err := s.db.QueryRowxContext(ctx, `SELECT
		(SELECT count(*) FROM sign_in_failures WHERE lower(email) = lower($1) AND at > $3),
		(SELECT count(*) FROM sign_in_failures WHERE client_ip = $2 AND at > $3)`, email, ip, since).Scan(&byEmail, &byIP)
	return byEmail >= maxFailuresPerEmail || byIP >= maxFailuresPerIP, err
}

// RecordSignInFailure counts a failed sign-in and, when the e-mail belongs
// to an account's user, writes it to that account's audit log.
func (s *Store) RecordSignInFailure(ctx context.Context, email, ip string) error {
	now := s.Now()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO sign_in_failures (email, client_ip, at) VALUES ($1, $2, $3)`, email, ip, now); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (account_id, user_id, actor, type, operation, description, at)
		SELECT account_id, id, email, 'sign-in', 'sign-in failed', 'a sign-in with a wrong password from ' || $2, $3
		FROM users WHERE lower(email) = lower($1) AND account_id IS NOT NULL`, email, ip, now)
	return err
}

// RecordSignIn writes a successful sign-in to the user's account audit log.
func (s *Store) RecordSignIn(ctx context.Context, u User, ip string) error {
	if u.AccountID == nil {
		return nil // support staff sign-ins belong to no account
	}
	return s.audit(ctx, s.db, *u.AccountID, Actor{UserID: u.ID, Name: u.Email}, "sign-in", "signed in", "signed in from "+ip)
}
