package store

// The few doors the loaders of whole data sets (store/demo: the demo and the
// benchmark seed) go through. They write with set-based SQL that has no
// operation here; everything else writes through the store's operations.

import (
	"context"
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
