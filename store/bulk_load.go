package store

// The few doors the loaders of whole data sets (store/demo: the demo and the
// benchmark seed) go through. They write with set-based SQL that has no
// operation here; everything else writes through the store's operations.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"github.com/jmoiron/sqlx"
)

// BulkLoad runs fn in one transaction, committed when fn returns nil, for a
// loader of a whole data set.
func (s *Store) BulkLoad(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return s.inTx(ctx, fn)
}

// InsertUser creates a user in a loader's transaction, its password hashed
// as CreateUser hashes it, and returns the user's id.
func InsertUser(ctx context.Context, tx *sqlx.Tx, in NewUser) (int64, error) {
	hash, err := hashPassword(in.Password)
	if err != nil {
		return 0, err
	}
	in.passwordHash = hash
	return insertUser(ctx, tx, in)
}

// GrantFreeCodes grants a new account its free codes in a loader's
// transaction (docs/codes.md, "Where codes come from").
func GrantFreeCodes(ctx context.Context, tx *sqlx.Tx, accountID int64, accountType, dc string) error {
	return grantFreeCodes(ctx, tx, accountID, accountType, dc)
}

// CompactExpiryCounts folds the maintained counts as the renewal worker does,
// so that a bulk load is measured in steady state.
func (s *Store) CompactExpiryCounts(ctx context.Context) error { return s.compactExpiryCounts(ctx) }

// Vacuum runs VACUUM (ANALYZE) on tables, on a connection of its own without
// the statement timeout, which is then closed.
func (s *Store) Vacuum(ctx context.Context, tables string) error {
	if s.connector == nil {
		return errors.New("store: a store made by OpenDB cannot run VACUUM")
	}
	conn, err := s.connector.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	exec, ok := conn.(driver.ExecerContext)
	if !ok {
		return errors.New("store: the driver cannot run VACUUM")
	}
	_, err = exec.ExecContext(ctx, `VACUUM (ANALYZE) `+tables, nil)
	return err
}

// ForeignKeysOff turns off, for the rest of a loader's transaction, the
// foreign-key checks of every table it writes, when the connection may (a
// superuser: session_replication_role = replica), and reports whether it
// did. A check is a query per row and key (seven for a device and its first
// activation), most of a bulk load's time. The ledger's own triggers (the
// maintained counts, the guards of its history) fire ALWAYS (migration
// 00017), so they still do. A loader that got true owes the checks:
// CheckForeignKeys, before it commits.
func ForeignKeysOff(ctx context.Context, tx *sqlx.Tx) (bool, error) {
	var super bool
	if err := tx.GetContext(ctx, &super, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`); err != nil || !super {
		return false, err
	}
	_, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`)
	return err == nil, err
}

// CheckForeignKeys checks, set-based and once, every foreign key of the
// devices whose ids deviceIDs (a query) returns and of their activations (an
// error names the first row that refers to nothing), takes the locks the
// per-row checks would have taken on the rows they refer to, and turns the
// checks back on.
func CheckForeignKeys(ctx context.Context, tx *sqlx.Tx, deviceIDs string) error {
	var orphan string
	err := tx.GetContext(ctx, &orphan, `SELECT format('device %s refers to a missing account, data center or product', d.id)
		FROM devices d WHERE d.id IN (`+deviceIDs+`) AND (NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = d.account_id)
			OR NOT EXISTS (SELECT 1 FROM data_centers c WHERE c.code = d.dc)
			OR NOT EXISTS (SELECT 1 FROM products p WHERE p.id = d.product_id)
			OR (d.last_connect_dc IS NOT NULL AND NOT EXISTS (SELECT 1 FROM data_centers c WHERE c.code = d.last_connect_dc)))
		UNION ALL
		SELECT format('activation %s refers to a missing account, product or device', a.id)
		FROM activations a WHERE a.device_id IN (`+deviceIDs+`) AND (NOT EXISTS (SELECT 1 FROM accounts x WHERE x.id = a.account_id)
			OR NOT EXISTS (SELECT 1 FROM products p WHERE p.id = a.product_id))
		LIMIT 1`)
	switch {
	case err == nil:
		return errors.New("store: bulk load: " + orphan)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	// The locks the checks take (FOR KEY SHARE), on the rows that already
	// existed: the products and devices are the loader's own, still uncommitted.
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM accounts WHERE id IN (SELECT account_id FROM devices WHERE id IN (`+deviceIDs+`))
			ORDER BY id FOR KEY SHARE`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM data_centers ORDER BY code FOR KEY SHARE`); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `SET LOCAL session_replication_role = origin`)
	return err
}
