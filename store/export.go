package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// eachExported runs the query of a CSV export and hands every row to fn as
// a T, streaming: rows arrive as the download proceeds, so the statement
// lives as long as the download (a million rows take seconds) and runs
// without the store's statement timeout, in a transaction of its own.
func eachExported[T any](ctx context.Context, s *Store, query string, args []any, fn func(T) error) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		rows, err := tx.QueryxContext(ctx, query, args...)
		if err != nil {
			return err
		}
		return eachStructRow(rows, fn)
	})
}
