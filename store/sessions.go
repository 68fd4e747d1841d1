package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// Session is a signed-in user's session, kept on the server; the browser
// holds only its random id.
type Session struct {
	User      User
	CSRFToken string
	Flash     string // shown once, then cleared
	// SupportAccountID is the account a support user reads in this session.
	SupportAccountID *int64
	CreatedAt        time.Time
	LastSeenAt       time.Time
	// WroteLSN is the primary's WAL position after the session's latest
	// change (NoteWrite), 0 before any: its reads wait for a standby that
	// has replayed that far (StandbyReads).
	WroteLSN uint64
	// Account is the account the session reads, read with it: the user's
	// own, or the one a support user opened; nil when there is none, or
	// when it was not found (Account then says why).
	Account *Account
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashID(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}

// CreateSession starts a session for a user and returns its secret id.
func (s *Store) CreateSession(ctx context.Context, userID int64) (string, error) {
	id := randomToken()
	now := s.Now()
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)`,
		hashID(id), userID, randomToken(), now)
	return id, err
}

// sessionSQL reads a live session, its user and the account it reads
// (SessionByID).
const sessionSQL = `SELECT u.id, u.account_id, u.role, u.email, u.name, u.password_hash, u.manage_licenses, u.all_products,
		u.disabled_at, u.created_at, u.time_zone, u.language, s.csrf_token, s.flash, s.support_account_id, s.created_at AS session_created_at, s.last_seen_at,
		coalesce(s.wrote_lsn - '0/0', 0)::bigint AS wrote_lsn,
		a.id AS acc_id, a.name AS acc_name, a.type AS acc_type, a.home_dc AS acc_home_dc, a.alert_threshold AS acc_alert_threshold,
		a.created_at AS acc_created_at,
		CASE WHEN a.id IS NOT NULL THEN coalesce((SELECT o.email FROM users o WHERE o.account_id = a.id AND o.role = 'owner'), '') END AS acc_owner_email
	FROM sessions s JOIN users u ON u.id = s.user_id
		LEFT JOIN accounts a ON a.id = CASE WHEN u.role = 'support' THEN s.support_account_id ELSE u.account_id END
	WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND u.disabled_at IS NULL
		AND s.last_seen_at > $2 AND s.created_at > $3`

// SessionByID returns the live session with this id: not revoked, its user
// enabled, idle for less than idle and younger than lifetime. It records the
// visit at most once a minute, to spare writes.
func (s *Store) SessionByID(ctx context.Context, id string, idle, lifetime time.Duration) (Session, error) {
	now := s.Now()
	var row struct {
		User
		CSRFToken  string    `db:"csrf_token"`
		Flash      *string   `db:"flash"`
		SupportAcc *int64    `db:"support_account_id"`
		CreatedAt2 time.Time `db:"session_created_at"`
		LastSeenAt time.Time `db:"last_seen_at"`
		WroteLSN   uint64    `db:"wrote_lsn"`
		// The account's columns (accountColumns), NULL when there is none.
		AccID        *int64     `db:"acc_id"`
		AccName      *string    `db:"acc_name"`
		AccType      *string    `db:"acc_type"`
		AccHomeDC    *string    `db:"acc_home_dc"`
		AccThreshold *int       `db:"acc_alert_threshold"`
		AccCreatedAt *time.Time `db:"acc_created_at"`
		AccOwner     *string    `db:"acc_owner_email"`
	}
	// One statement for the session, its user and the account it reads:
	// every page starts with it, so it is prepared (prepared.go).
	st, err := s.prepared(ctx, sessionSQL)
	if err != nil {
		return Session{}, err
	}
	err = st.GetContext(ctx, &row, hashID(id), now.Add(-idle), now.Add(-lifetime))
	if err != nil {
		return Session{}, notFound(err, notFoundErr(CodeNoSession, "err.session_ended"))
	}
	if now.Sub(row.LastSeenAt) > time.Minute || row.Flash != nil {
		if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2, flash = NULL WHERE id_hash = $1`, hashID(id), now); err != nil {
			return Session{}, err
		}
	}
	sess := Session{User: row.User, CSRFToken: row.CSRFToken, CreatedAt: row.CreatedAt2, LastSeenAt: row.LastSeenAt,
		SupportAccountID: row.SupportAcc, WroteLSN: row.WroteLSN}
	if row.Flash != nil {
		sess.Flash = *row.Flash
	}
	if row.AccID != nil {
		sess.Account = &Account{ID: *row.AccID, Name: *row.AccName, Type: *row.AccType, HomeDC: *row.AccHomeDC,
			AlertThreshold: *row.AccThreshold, CreatedAt: *row.AccCreatedAt, OwnerEmail: *row.AccOwner}
	}
	return sess, nil
}

// EndSession revokes one session (sign-out).
func (s *Store) EndSession(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE id_hash = $1 AND revoked_at IS NULL`, hashID(id), s.Now())
	return err
}

// EndUserSessions revokes every session of a user (password change, disabled user).
func (s *Store) EndUserSessions(ctx context.Context, userID int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, userID, s.Now())
	return err
}

// SetFlash leaves a message for the session's next page.
func (s *Store) SetFlash(ctx context.Context, id, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET flash = $2 WHERE id_hash = $1`, hashID(id), message)
	return err
}
