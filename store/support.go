package store

import (
	"context"
	"strings"
)

// AccountMatch is an account found by the support search.
type AccountMatch struct {
	ID         int64  `db:"id"`
	Name       string `db:"name"`
	Type       string `db:"type"`
	HomeDC     string `db:"home_dc"`
	OwnerEmail string `db:"owner_email"`
	MatchedBy  string `db:"matched_by"` // name, owner e-mail, PK or DK
}

// findAccountsSQL finds accounts by $1 exactly (owner e-mail, ProductKey,
// DeviceKey: each an index lookup, devices_device_key for the DeviceKey) or
// by $2 (escaped for LIKE) in their name.
const findAccountsSQL = `SELECT DISTINCT ON (a.id) a.id, a.name, a.type, a.home_dc,
		coalesce(o.email, '') AS owner_email, m.matched_by
	FROM (
		SELECT id AS account_id, 'name' AS matched_by, 1 AS rank FROM accounts WHERE name ILIKE '%' || $2 || '%'
		UNION ALL SELECT account_id, 'owner e-mail', 0 FROM users WHERE role = 'owner' AND lower(email) = lower($1)
		UNION ALL SELECT account_id, 'ProductKey', 0 FROM products WHERE product_key = $1 AND deleted_at IS NULL
		UNION ALL SELECT d.account_id, 'DeviceKey', 0 FROM devices d WHERE d.device_key = $1
	) m
	JOIN accounts a ON a.id = m.account_id
	LEFT JOIN users o ON o.account_id = a.id AND o.role = 'owner'
	ORDER BY a.id, m.rank
	LIMIT 50`

// FindAccounts is the support staff's search (docs/access.md, "Roles"): accounts by
// name (substring), owner e-mail, ProductKey or DeviceKey (exact).
func (s *Store) FindAccounts(ctx context.Context, query string) ([]AccountMatch, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		return nil, nil
	}
	var ms []AccountMatch
	err := s.reads(ctx).SelectContext(ctx, &ms, findAccountsSQL, q, escapeLike(q))
	return ms, err
}

// OpenSupportView records that a support user opens an account (written to
// that account's audit log) and makes it the account of their session.
func (s *Store) OpenSupportView(ctx context.Context, sessionID string, support User, accountID int64) error {
	if support.Role != RoleSupport {
		return newError(KindForbidden, CodeForbidden, "err.support_only")
	}
	acc, err := s.Account(ctx, accountID)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET support_account_id = $2 WHERE id_hash = $1`, hashID(sessionID), acc.ID); err != nil {
		return err
	}
	// The actor is the e-mail alone: the entry's type says support, in the reader's language.
	return s.audit(ctx, s.db, acc.ID, Actor{UserID: support.ID, Name: support.Email}, AuditSupport, OpSupportView,
		"platform support opened the account read-only", clause("audit.entry.support_opened"))
}
