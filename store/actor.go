package store

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"
)

// Actor is who made a change: a signed-in user, or a system such as the
// platform API or the renewal worker (UserID 0).
type Actor struct {
	UserID int64
	Name   string // shown as the operator in histories: an e-mail, "platform API"
}

// SystemActor names a change made by the console or the platform itself.
func SystemActor(name string) Actor { return Actor{Name: name} }

func (a Actor) userID() sql.NullInt64 {
	return sql.NullInt64{Int64: a.UserID, Valid: a.UserID != 0}
}

// audit writes one audit-log row inside the caller's transaction, so a change
// and its record commit together. It is stamped by the store's clock, like
// the change itself. desc is the description in English, kept for any reader
// of the table; msg says the same as messages, for the log's pages.
func (s *Store) audit(ctx context.Context, q sqlx.ExtContext, accountID int64, a Actor, typ AuditType, op AuditOperation, desc string, msg ...AuditClause) error {
	_, err := q.ExecContext(ctx,
		`INSERT INTO audit_log (account_id, user_id, actor, type, operation, description, message, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		accountID, a.userID(), a.Name, typ, op, desc, AuditMessage(msg), s.Now())
	return err
}
