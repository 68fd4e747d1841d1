package store

// The audit log (docs/pages.md, "8. Audit log"): every change and sign-in of an account,
// newest first. Rows are append-only (the database refuses changes).

import (
	"context"
	"strings"
	"time"
)

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID          int64     `db:"id"`
	At          time.Time `db:"at"`
	Actor       string    `db:"actor"`
	Type        AuditType `db:"type"`
	Operation   string    `db:"operation"`
	Description string    `db:"description"`
}

// AuditFilter narrows the log: User matches the actor (e-mail, substring),
// Type is one of AuditTypes, the DateRange bounds the entry's time.
type AuditFilter struct {
	User string
	Type AuditType
	DateRange
}

// AuditType is the family of an audit entry, as stored in audit_log.type and
// offered by the log's type filter; views.AuditTypeText words it.
type AuditType string

// The audit types.
const (
	AuditLicense    AuditType = "license"
	AuditRenewal    AuditType = "renewal"
	AuditAlerts     AuditType = "alerts"
	AuditSubAccount AuditType = "sub-account"
	AuditSecurity   AuditType = "security"
	AuditSignIn     AuditType = "sign-in"
	AuditSupport    AuditType = "support"
)

// AuditTypes are the audit types in the type filter's order.
var AuditTypes = []AuditType{AuditLicense, AuditRenewal, AuditAlerts, AuditSubAccount, AuditSecurity, AuditSignIn, AuditSupport}

func (f AuditFilter) where(accountID int64) (string, []any) {
	args := []any{accountID}
	clause := `account_id = $1`
	if u := strings.TrimSpace(f.User); u != "" {
		args = append(args, escapeLike(u))
		clause += ` AND actor ILIKE '%' || $` + itoa(len(args)) + ` || '%'`
	}
	if f.Type != "" {
		args = append(args, f.Type)
		clause += ` AND type = $` + itoa(len(args))
	}
	dates, args := f.DateRange.where("at", args)
	return clause + dates, args
}

const auditColumns = `id, at, actor, type, operation, description`

// AuditLog reads one page of an account's audit log, newest first.
func (s *Store) AuditLog(ctx context.Context, accountID int64, f AuditFilter, page PageRequest) (Page[AuditEntry], error) {
	where, args := f.where(accountID)
	var at time.Time
	var id int64
	ks := keyset{columns: "at, id", desc: true, page: page}
	cond, order, args, err := ks.clause(args, &at, &id)
	if err != nil {
		return Page[AuditEntry]{}, err
	}
	var rows []AuditEntry
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+auditColumns+` FROM audit_log WHERE `+where+cond+order+
		` LIMIT `+itoa(PageSize+1), args...); err != nil {
		return Page[AuditEntry]{}, err
	}
	return pageOf(rows, page, func(e AuditEntry) string { return encodeCursor(e.At, e.ID) }), nil
}

// EachAuditEntry hands fn every entry the filter matches, newest first, a
// page at a time (the CSV export).
func (s *Store) EachAuditEntry(ctx context.Context, accountID int64, f AuditFilter, fn func(AuditEntry) error) error {
	where, args := f.where(accountID)
	return eachExported(ctx, s, exportQuery[AuditEntry]{query: `SELECT ` + auditColumns + ` FROM audit_log WHERE ` + where, args: args,
		keys: []string{"at", "id"}, desc: true, keyOf: func(e AuditEntry) []any { return []any{e.At, e.ID} }}, fn)
}
