package store

// The assignment history (docs/pages.md, "3. Assignment history"): every assignment to a product
// of the scope, newest first, read along the assignments_history index.

import (
	"context"
	"time"
)

// AssignmentRecord is one row of the assignment history.
type AssignmentRecord struct {
	ID          int64     `db:"id"`
	CreatedAt   time.Time `db:"created_at"`
	ProductID   int64     `db:"product_id"`
	ProductName string    `db:"product_name"`
	ProductKey  string    `db:"product_key"`
	PackageCode string    `db:"package_code"`
	PackageName string    `db:"package_name"`
	Quantity    int64     `db:"quantity"`
	Operator    string    `db:"operator"`
}

// AssignmentFilter narrows the history: Search matches a product's name
// (case-insensitive substring) or the start of its ProductKey; the
// DateRange bounds the assignment's time.
type AssignmentFilter struct {
	Search string
	DateRange
}

const assignmentColumns = `a.id, a.created_at, a.product_id, p.name AS product_name, p.product_key,
	k.code AS package_code, k.name AS package_name, a.quantity, a.operator`

const assignmentFrom = ` FROM assignments a JOIN products p ON p.id = a.product_id JOIN packages k ON k.id = a.package_id `

// where is the WHERE clause shared by the page and the export, with its
// arguments. Deleted products keep their history.
func (f AssignmentFilter) where(sc Scope) (string, []any) {
	args := sc.args()
	search, args := productSearch(f.Search, args)
	dates, args := f.DateRange.where("a.created_at", args)
	return `a.account_id = $1 AND a.dc = $2 AND ` + sc.productFilter(1) + search + dates, args
}

// AssignmentHistory reads one page of the scope's assignments, newest first
// (by time, then id).
func (s *Store) AssignmentHistory(ctx context.Context, sc Scope, f AssignmentFilter, page PageRequest) (Page[AssignmentRecord], error) {
	where, args := f.where(sc)
	var at time.Time
	var id int64
	cond, order, args, err := keyset{columns: "a.created_at, a.id", desc: true, page: page}.clause(args, &at, &id)
	if err != nil {
		return Page[AssignmentRecord]{}, err
	}
	var rows []AssignmentRecord
	if err := s.reads(ctx).SelectContext(ctx, &rows, `SELECT `+assignmentColumns+assignmentFrom+
		`WHERE `+where+cond+order+` LIMIT `+itoa(PageSize+1), args...); err != nil {
		return Page[AssignmentRecord]{}, err
	}
	return pageOf(rows, page, func(r AssignmentRecord) string { return encodeCursor(r.CreatedAt, r.ID) }), nil
}

// EachAssignment calls fn for every assignment the filter matches, newest
// first, a page at a time (the CSV export).
func (s *Store) EachAssignment(ctx context.Context, sc Scope, f AssignmentFilter, fn func(AssignmentRecord) error) error {
	where, args := f.where(sc)
	return eachExported(ctx, s, exportQuery[AssignmentRecord]{query: `SELECT ` + assignmentColumns + assignmentFrom + `WHERE ` + where, args: args,
		keys: []string{"a.created_at", "a.id"}, desc: true, keyOf: func(r AssignmentRecord) []any { return []any{r.CreatedAt, r.ID} }}, fn)
}
