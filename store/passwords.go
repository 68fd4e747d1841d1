package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// ChangePassword sets a user's new password after checking the old one. It
// ends every session of the user and returns a new one for the browser that
// made the change, so only that browser stays signed in.
func (s *Store) ChangePassword(ctx context.Context, userID int64, oldPassword, newPassword string) (string, error) {
	var u User
	if err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = $1 AND disabled_at IS NULL`, userID); err != nil {
		return "", notFound(err, notFoundErr(CodeUnknownUser, "err.no_user"))
	}
	ok, err := s.comparePassword(ctx, oldPassword, u.PasswordHash)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", invalid("old_password", "err.password_wrong")
	}
	if newPassword == oldPassword {
		return "", invalid("new_password", "err.password_unchanged")
	}
	hash, err := hashPassword(newPassword)
	if e, ok := err.(*Error); ok {
		return "", e.at("new_password")
	}
	if err != nil {
		return "", err
	}
	var sessionID string
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1`, userID, hash, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, userID, now); err != nil {
			return err
		}
		sessionID = randomToken()
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)`,
			hashID(sessionID), userID, randomToken(), now); err != nil {
			return err
		}
		if u.AccountID != nil {
			return s.audit(ctx, tx, *u.AccountID, Actor{UserID: u.ID, Name: u.Email}, AuditSecurity, OpPasswordChange, "changed the password; other sessions ended",
				clause("audit.entry.password_changed"))
		}
		return nil
	})
	return sessionID, err
}
