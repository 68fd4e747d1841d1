package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
)

// ExportPageSize is how many rows a CSV export reads with one query, unless
// WithExportPageSize says otherwise. Each page is a statement planned and
// started afresh, and between pages the console waits for the next one's
// first row: 10,000 rows a page cost PostgreSQL 3.2 us of CPU a row in a
// product's export, 2,000 a page 3.8-5.0 us, and the million-row export of
// one product ran at 278,000-308,000 rows/s with 10,000 a page, 336,000-
// 356,000 with 50,000. A page of 50,000 reads in well under a second, far
// inside the statement timeout. The rows go on as they arrive
// (exportPage), never held as a page, so memory stays flat whatever the
// page's or the export's size.
const ExportPageSize = 50_000

// WithExportPageSize sets the rows a CSV export reads with one query (tests
// use a few, to cross pages).
func WithExportPageSize(n int) Option {
	return func(s *Store) { s.exportPage = n }
}

// exportQuery is a CSV export read in keyset pages (paging.go), each page a
// short query under the store's statement timeout, all in one read-only
// REPEATABLE READ transaction: the export is one snapshot, so a row whose
// sort key changes meanwhile (a device renewed) appears exactly once. The
// rows go to a spool, not to the client (handlers/csv.go), so the
// transaction and its connection last as long as the database takes to
// read them, never as long as a slow client takes to download them
// (docs/SECURITY.md, "Resource limits").
type exportQuery[T any] struct {
	query string // SELECT ... FROM ... WHERE ..., without ORDER BY
	args  []any
	keys  []string // the sort key's expressions, the last one unique (the id)
	casts []string // how each cursor value is cast, like keys; nil: none
	desc  bool
	keyOf func(T) []any // the sort key of a row, like keys
	// scan, when set, reads one row into a T without sqlx's reflection (a
	// million-row export spent half its CPU there); nil: sqlx's StructScan.
	scan func(rows *sql.Rows, r *T) error
}

// eachExported hands every row of q to fn in order, a page at a time.
func eachExported[T any](ctx context.Context, s *Store, q exportQuery[T], fn func(T) error) error {
	dir, cmp := " ASC", ">"
	if q.desc {
		dir, cmp = " DESC", "<"
	}
	size := ExportPageSize
	if s.exportPage > 0 {
		size = s.exportPage
	}
	order := " ORDER BY " + strings.Join(q.keys, dir+", ") + dir + " LIMIT " + itoa(size)
	tx, err := s.reads(ctx).BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback() // read-only: nothing to undo after the commit below
	var after []any
	for {
		stmt, args := q.query, slices.Clip(q.args)
		if after != nil {
			marks := make([]string, len(after))
			for i, v := range after {
				args = append(args, v)
				marks[i] = "$" + itoa(len(args))
				if q.casts != nil {
					marks[i] += q.casts[i]
				}
			}
			stmt += " AND (" + strings.Join(q.keys, ", ") + ") " + cmp + " (" + strings.Join(marks, ", ") + ")"
		}
		n, last, err := exportPage(ctx, tx, q, stmt+order, args, fn)
		if err != nil {
			return err
		}
		if n < size {
			return tx.Commit()
		}
		after = q.keyOf(last)
	}
}

// exportPage runs one page's query and hands its rows to fn as they
// arrive, without holding the page: it returns how many there were and
// the last one.
func exportPage[T any](ctx context.Context, tx *sqlx.Tx, q exportQuery[T], stmt string, args []any, fn func(T) error) (int, T, error) {
	var last T
	rows, err := tx.QueryxContext(ctx, stmt, args...)
	if err != nil {
		return 0, last, err
	}
	defer rows.Close()
	n := 0
	var r, zero T // one row reused: a new one each time was a million allocations
	for rows.Next() {
		r = zero
		if q.scan != nil {
			err = q.scan(rows.Rows, &r)
		} else {
			err = rows.StructScan(&r)
		}
		if err != nil {
			return n, last, err
		}
		if err := fn(r); err != nil {
			return n, last, err
		}
		last = r
		n++
	}
	return n, last, rows.Err()
}
