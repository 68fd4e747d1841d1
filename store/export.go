package store

import (
	"context"
	"slices"
	"strings"
)

// ExportPageSize is how many rows a CSV export reads with one query, unless
// WithExportPageSize says otherwise.
const ExportPageSize = 2000

// WithExportPageSize sets the rows a CSV export reads with one query (tests
// use a few, to cross pages).
func WithExportPageSize(n int) Option {
	return func(s *Store) { s.exportPage = n }
}

// exportQuery is a CSV export read in keyset pages (paging.go): each page is
// a short query of its own under the store's statement timeout, and the
// connection goes back to the pool before the page's rows are written to a
// client who may read them slowly (docs/SECURITY.md, "Resource limits"). A
// row whose sort key changes during the export may be missed or appear
// twice; every other row appears once, in order.
type exportQuery[T any] struct {
	query string // SELECT ... FROM ... WHERE ..., without ORDER BY
	args  []any
	keys  []string // the sort key's expressions, the last one unique (the id)
	casts []string // how each cursor value is cast, like keys; nil: none
	desc  bool
	keyOf func(T) []any // the sort key of a row, like keys
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
	var after []any
	for {
		sql, args := q.query, slices.Clip(q.args)
		if after != nil {
			marks := make([]string, len(after))
			for i, v := range after {
				args = append(args, v)
				marks[i] = "$" + itoa(len(args))
				if q.casts != nil {
					marks[i] += q.casts[i]
				}
			}
			sql += " AND (" + strings.Join(q.keys, ", ") + ") " + cmp + " (" + strings.Join(marks, ", ") + ")"
		}
		var rows []T
		if err := s.db.SelectContext(ctx, &rows, sql+order, args...); err != nil {
			return err
		}
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(rows) < size {
			return nil
		}
		after = q.keyOf(rows[len(rows)-1])
	}
}
