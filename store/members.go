package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Member is a sub-account of an enterprise account (docs/access.md, "Roles").
type Member struct {
	ID             int64      `db:"id"`
	Name           string     `db:"name"`
	Email          string     `db:"email"`
	ManageLicenses bool       `db:"manage_licenses"`
	AllProducts    bool       `db:"all_products"`
	DisabledAt     *time.Time `db:"disabled_at"`
	CreatedAt      time.Time  `db:"created_at"`
	ProductIDs     []int64    `db:"-"` // the chosen products when !AllProducts
}

// MemberInput is what the owner enters for a sub-account, and who enters it.
type MemberInput struct {
	ID             int64 // the sub-account to change; 0 when creating one
	Name           string
	Email          string
	Password       string // required on create; empty on edit keeps the password
	ManageLicenses bool
	AllProducts    bool
	ProductIDs     []int64
	Actor          Actor
}

func (in MemberInput) check() error {
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > 100 {
		return invalid("name", "err.member_name", "Max", 100)
	}
	if !in.AllProducts && len(in.ProductIDs) == 0 {
		return invalid("products", "err.member_products_missing")
	}
	return nil
}

// Members lists an account's sub-accounts.
func (s *Store) Members(ctx context.Context, accountID int64) ([]Member, error) {
	var ms []Member
	if err := s.reads(ctx).SelectContext(ctx, &ms, `SELECT id, name, email, manage_licenses, all_products, disabled_at, created_at
		FROM users WHERE account_id = $1 AND role = 'member' ORDER BY lower(name), id`, accountID); err != nil {
		return nil, err
	}
	for i := range ms {
		ids, err := memberProducts(ctx, s.reads(ctx), ms[i].ID)
		if err != nil {
			return nil, err
		}
		ms[i].ProductIDs = ids
	}
	return ms, nil
}

// Member reads one sub-account of the account.
func (s *Store) Member(ctx context.Context, accountID, id int64) (Member, error) {
	var m Member
	err := s.reads(ctx).GetContext(ctx, &m, `SELECT id, name, email, manage_licenses, all_products, disabled_at, created_at
		FROM users WHERE account_id = $1 AND role = 'member' AND id = $2`, accountID, id)
	if err != nil {
		return m, notFound(err, notFoundErr(CodeUnknownUser, "err.no_member"))
	}
	m.ProductIDs, err = memberProducts(ctx, s.reads(ctx), id)
	return m, err
}

func memberProducts(ctx context.Context, q sqlx.QueryerContext, userID int64) ([]int64, error) {
	ids := []int64{}
	err := sqlx.SelectContext(ctx, q, &ids, `SELECT product_id FROM user_products WHERE user_id = $1 ORDER BY product_id`, userID)
	return ids, err
}

// ScopeProducts is the product scope of a user: nil for everything of the
// account (owners, and sub-accounts with all products), else the chosen ids.
func (s *Store) ScopeProducts(ctx context.Context, u User) ([]int64, error) {
	if u.Role != RoleMember || u.AllProducts {
		return nil, nil
	}
	return memberProducts(ctx, s.db, u.ID)
}

// setMemberProducts replaces a sub-account's chosen products, keeping only
// live products of the account within the writer's product scope, in any
// data center (any other id is refused).
func setMemberProducts(ctx context.Context, tx *sqlx.Tx, sc Scope, userID int64, all bool, ids []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_products WHERE user_id = $1`, userID); err != nil {
		return err
	}
	if all {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO user_products (user_id, product_id, account_id)
		SELECT $1, p.id, p.account_id FROM products p WHERE p.account_id = $2 AND p.deleted_at IS NULL AND p.id = ANY($3)
			AND ($4::bigint[] IS NULL OR p.id = ANY($4))`,
		userID, sc.AccountID, pq.Array(ids), sc.args()[2])
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); int(n) != len(uniqueIDs(ids)) {
		return invalid("products", "err.member_products_foreign")
	}
	return nil
}

func uniqueIDs(ids []int64) map[int64]bool {
	m := map[int64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// CreateMember creates a sub-account of the scope's enterprise account.
func (s *Store) CreateMember(ctx context.Context, sc Scope, in MemberInput) (Member, error) {
	accountID := sc.AccountID
	if err := in.check(); err != nil {
		return Member{}, err
	}
	hash, err := hashPassword(in.Password)
	if err != nil {
		return Member{}, err
	}
	var id int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var typ string
		if err := tx.GetContext(ctx, &typ, `SELECT type FROM accounts WHERE id = $1 FOR UPDATE`, accountID); err != nil {
			return err
		}
		if typ != "enterprise" {
			return conflict(CodeNotEnterprise, "err.not_enterprise")
		}
		id, err = insertUser(ctx, tx, NewUser{AccountID: accountID, Role: RoleMember, Email: in.Email, Name: strings.TrimSpace(in.Name),
			ManageLicenses: in.ManageLicenses, passwordHash: hash})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET all_products = $2 WHERE id = $1`, id, in.AllProducts); err != nil {
			return err
		}
		if err := setMemberProducts(ctx, tx, sc, id, in.AllProducts, in.ProductIDs); err != nil {
			return err
		}
		return s.audit(ctx, tx, accountID, in.Actor, AuditSubAccount, OpMemberCreate, fmt.Sprintf("created sub-account %s (%s)%s", in.Name, in.Email, describeScope(in)),
			append([]AuditClause{clause("audit.entry.member_created", "Name", in.Name, "Email", in.Email)}, scopeClauses(in)...)...)
	})
	if err != nil {
		return Member{}, err
	}
	return s.Member(ctx, accountID, id)
}

func describeScope(in MemberInput) string {
	scope := "all products"
	if !in.AllProducts {
		scope = fmt.Sprintf("%d chosen products", len(uniqueIDs(in.ProductIDs)))
	}
	perm := "view only"
	if in.ManageLicenses {
		perm = "manage licenses"
	}
	return "; " + scope + ", " + perm
}

// scopeClauses are describeScope's words as messages.
func scopeClauses(in MemberInput) []AuditClause {
	scope, perm := clause("audit.entry.all_products"), clause("audit.entry.view_only")
	if !in.AllProducts {
		scope = clause("audit.entry.chosen_products").counting(int64(len(uniqueIDs(in.ProductIDs))))
	}
	if in.ManageLicenses {
		perm = clause("audit.entry.manage_licenses")
	}
	return []AuditClause{scope, perm}
}

// UpdateMember changes a sub-account's name, scope and permission (and its
// password, when one is given, which ends its sessions): the sub-account
// in.ID of the scope's account.
func (s *Store) UpdateMember(ctx context.Context, sc Scope, in MemberInput) (Member, error) {
	accountID, id := sc.AccountID, in.ID
	if err := in.check(); err != nil {
		return Member{}, err
	}
	var hash string
	if in.Password != "" {
		var err error
		if hash, err = hashPassword(in.Password); err != nil {
			return Member{}, err
		}
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET name = $3, manage_licenses = $4, all_products = $5
			WHERE id = $2 AND account_id = $1 AND role = 'member'`, accountID, id, strings.TrimSpace(in.Name), in.ManageLicenses, in.AllProducts)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFoundErr(CodeUnknownUser, "err.no_member")
		}
		if hash != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1`, id, hash, s.Now()); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, id, s.Now()); err != nil {
				return err
			}
		}
		if err := setMemberProducts(ctx, tx, sc, id, in.AllProducts, in.ProductIDs); err != nil {
			return err
		}
		desc := fmt.Sprintf("changed sub-account %s%s", in.Name, describeScope(in))
		msg := append([]AuditClause{clause("audit.entry.member_changed", "Name", in.Name)}, scopeClauses(in)...)
		if hash != "" {
			desc += "; set a new password"
			msg = append(msg, clause("audit.entry.password_set"))
		}
		return s.audit(ctx, tx, accountID, in.Actor, AuditSubAccount, OpMemberUpdate, desc, msg...)
	})
	if err != nil {
		return Member{}, err
	}
	return s.Member(ctx, accountID, id)
}

// MemberStatusInput names the sub-account to disable or enable.
type MemberStatusInput struct {
	ID    int64
	Actor Actor
}

// DisableMember disables a sub-account of the scope's account, ending its
// sessions at once.
func (s *Store) DisableMember(ctx context.Context, sc Scope, in MemberStatusInput) error {
	return s.setMemberDisabled(ctx, sc, in, true)
}

// EnableMember enables a disabled sub-account of the scope's account again.
func (s *Store) EnableMember(ctx context.Context, sc Scope, in MemberStatusInput) error {
	return s.setMemberDisabled(ctx, sc, in, false)
}

func (s *Store) setMemberDisabled(ctx context.Context, sc Scope, in MemberStatusInput, disabled bool) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var email string
		err := tx.GetContext(ctx, &email, `UPDATE users SET disabled_at = CASE WHEN $3 THEN coalesce(disabled_at, $4) ELSE NULL END
			WHERE id = $2 AND account_id = $1 AND role = 'member' RETURNING email`, sc.AccountID, in.ID, disabled, s.Now())
		if err != nil {
			return notFound(err, notFoundErr(CodeUnknownUser, "err.no_member"))
		}
		op, msg := OpEnable, clause("audit.entry.member_enabled", "Email", email)
		if disabled {
			op, msg = OpDisable, clause("audit.entry.member_disabled", "Email", email)
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, in.ID, s.Now()); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, sc.AccountID, in.Actor, AuditSubAccount, op, string(op)+"d sub-account "+email, msg)
	})
}

// ProductChoice is a product offered in a sub-account's scope form.
type ProductChoice struct {
	ID         int64  `db:"id"`
	Name       string `db:"name"`
	ProductKey string `db:"product_key"`
	DC         string `db:"dc"`
}

// ProductChoices lists every live product of the account, in every data center.
func (s *Store) ProductChoices(ctx context.Context, accountID int64) ([]ProductChoice, error) {
	var ps []ProductChoice
	err := s.reads(ctx).SelectContext(ctx, &ps, `SELECT id, name, product_key, dc FROM products
		WHERE account_id = $1 AND deleted_at IS NULL ORDER BY dc, lower(name), id`, accountID)
	return ps, err
}
