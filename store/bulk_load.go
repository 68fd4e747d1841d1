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
	"github.com/lib/pq"
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

// IndexesDeferred drops, for the rest of a loader's transaction, the
// indexes of devices and activations that no foreign key needs (every one
// but the primary keys), among them the constraints they serve (a device's
// DeviceKey unique in its product, a device's activations never
// overlapping), when both tables are empty: a load into empty tables then
// builds each index once, by sorting, instead of inserting row by row into
// eleven B-trees and a GiST (most of a large load's time). It locks both
// tables against every other transaction until the loader's commits, and
// returns what it dropped; a loader that got them owes the indexes:
// RestoreIndexes, before it commits. Tables that hold rows keep their
// indexes, and the tables stay unlocked: nil.
func IndexesDeferred(ctx context.Context, tx *sqlx.Tx) (*DeferredIndexes, error) {
	// The lock in a savepoint, given back at once when the tables hold rows:
	// a load beside a live console must not stop it.
	if _, err := tx.ExecContext(ctx, `SAVEPOINT defer_indexes; LOCK TABLE devices, activations IN ACCESS EXCLUSIVE MODE`); err != nil {
		return nil, err
	}
	var empty bool
	if err := tx.GetContext(ctx, &empty, `SELECT NOT EXISTS (SELECT 1 FROM devices) AND NOT EXISTS (SELECT 1 FROM activations)`); err != nil {
		return nil, err
	}
	if !empty {
		_, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT defer_indexes`)
		return nil, err
	}
	// The definitions as the catalog prints them, so that what comes back is
	// what the migrations made, names included.
	var d DeferredIndexes
	if err := tx.SelectContext(ctx, &d.defs, `SELECT c.relname AS tbl, coalesce(k.conname, i.relname) AS name, k.conname IS NOT NULL AS constraint,
			coalesce(pg_get_constraintdef(k.oid), pg_get_indexdef(x.indexrelid)) AS def
		FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
		LEFT JOIN pg_constraint k ON k.conindid = x.indexrelid AND k.conrelid = x.indrelid
		WHERE c.oid IN ('devices'::regclass, 'activations'::regclass) AND NOT x.indisprimary
		ORDER BY 1, 2`); err != nil {
		return nil, err
	}
	for _, ix := range d.defs {
		q := `DROP INDEX ` + pq.QuoteIdentifier(ix.Name)
		if ix.Constraint {
			q = `ALTER TABLE ` + pq.QuoteIdentifier(ix.Table) + ` DROP CONSTRAINT ` + pq.QuoteIdentifier(ix.Name)
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, err
		}
	}
	return &d, nil
}

// DeferredIndexes are the indexes IndexesDeferred dropped.
type DeferredIndexes struct {
	defs []struct {
		Table      string `db:"tbl"`
		Name       string `db:"name"`
		Constraint bool   `db:"constraint"`
		Def        string `db:"def"`
	}
}

// RestoreIndexes builds again, each in one pass over the loaded rows, the
// indexes and constraints IndexesDeferred dropped, as they were: a row
// that breaks a constraint (two overlapping activations of a device) fails
// the load.
func RestoreIndexes(ctx context.Context, tx *sqlx.Tx, d *DeferredIndexes) error {
	if _, err := tx.ExecContext(ctx, `SET LOCAL maintenance_work_mem = '512MB'`); err != nil {
		return err
	}
	for _, ix := range d.defs {
		q := ix.Def
		if ix.Constraint {
			q = `ALTER TABLE ` + pq.QuoteIdentifier(ix.Table) + ` ADD CONSTRAINT ` + pq.QuoteIdentifier(ix.Name) + ` ` + ix.Def
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
