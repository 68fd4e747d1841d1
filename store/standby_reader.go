package store

import (
	"context"
	"database/sql"
	"errors"
	"reflect"

	"github.com/jmoiron/sqlx"
)

// A reader offers the read calls of *sqlx.DB (and sqlx.QueryerContext, for
// the helpers that take one). On a standby, a read that fails is run again
// on the primary, so a standby stopping, restarting or being promoted
// under load costs time, not errors: whole for GetContext and
// SelectContext, up to the first row for the others (whose rows the
// caller reads).

// retry tells whether a read that failed on a standby should run again on
// the primary: any failure but "no rows" and the caller giving up.
func (r *reader) retry(ctx context.Context, err error) bool {
	if r.sb == nil || err == nil || errors.Is(err, sql.ErrNoRows) || ctx.Err() != nil {
		return false
	}
	r.s.standbys.failed(r.sb, err)
	return true
}

// GetContext is sqlx's GetContext on the chosen server.
func (r *reader) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	if r.sb != nil {
		err := r.sb.db.GetContext(ctx, dest, query, args...)
		if !r.retry(ctx, err) {
			return err
		}
	}
	return r.s.db.GetContext(ctx, dest, query, args...)
}

// SelectContext is sqlx's SelectContext on the chosen server.
func (r *reader) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	if r.sb != nil {
		err := r.sb.db.SelectContext(ctx, dest, query, args...)
		if !r.retry(ctx, err) {
			return err
		}
		// SelectContext appends: start the slice again.
		if v := reflect.ValueOf(dest); v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Slice {
			v.Elem().Set(reflect.Zero(v.Elem().Type()))
		}
	}
	return r.s.db.SelectContext(ctx, dest, query, args...)
}

// QueryContext is database/sql's QueryContext on the chosen server.
func (r *reader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if r.sb != nil {
		rows, err := r.sb.db.QueryContext(ctx, query, args...)
		if !r.retry(ctx, err) {
			return rows, err
		}
	}
	return r.s.db.QueryContext(ctx, query, args...)
}

// QueryxContext is sqlx's QueryxContext on the chosen server.
func (r *reader) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	if r.sb != nil {
		rows, err := r.sb.db.QueryxContext(ctx, query, args...)
		if !r.retry(ctx, err) {
			return rows, err
		}
	}
	return r.s.db.QueryxContext(ctx, query, args...)
}

// QueryRowxContext is sqlx's QueryRowxContext on the chosen server.
func (r *reader) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	if r.sb != nil {
		row := r.sb.db.QueryRowxContext(ctx, query, args...)
		if !r.retry(ctx, row.Err()) {
			return row
		}
	}
	return r.s.db.QueryRowxContext(ctx, query, args...)
}

// BeginTxx begins a (read-only) transaction on the chosen server, on the
// primary when the standby cannot begin one. A transaction's later
// statements cannot move: an export whose standby goes away mid-way fails.
func (r *reader) BeginTxx(ctx context.Context, opts *sql.TxOptions) (*sqlx.Tx, error) {
	if r.sb != nil {
		tx, err := r.sb.db.BeginTxx(ctx, opts) // lib/pq sends BEGIN here: a standby that is down fails now
		if !r.retry(ctx, err) {
			return tx, err
		}
	}
	return r.s.db.BeginTxx(ctx, opts)
}

var _ sqlx.QueryerContext = (*reader)(nil)
