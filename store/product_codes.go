package store

// The product activation code list (docs/pages.md, "2. Product activation
// codes"): each product of the scope with its counters and how long its
// available codes will last.

import (
	"context"
	"strings"
	"time"
)

// RunwayWindow is the past period whose consumption predicts a product's runway.
const RunwayWindow = 30 * 24 * time.Hour

// ProductCodes is one row of the product activation code list.
type ProductCodes struct {
	ID          int64   `db:"id"`
	ProductKey  string  `db:"product_key"`
	Name        string  `db:"name"`
	PackageCode *string `db:"package_code"`
	PackageName *string `db:"package_name"`
	AutoRenew   bool    `db:"auto_renew"`
	Consumed    int64   `db:"consumed"`
	Available   int64   `db:"available"`
	Recent      int64   `db:"recent"` // codes consumed in the last RunwayWindow
}

// Total is consumed + available (docs/pages.md, "2. Product activation codes").
func (p ProductCodes) Total() int64 { return p.Consumed + p.Available }

// RunwayDays is how many whole days the available codes last at the last
// 30 days' consumption rate; ok is false when nothing was consumed then.
func (p ProductCodes) RunwayDays() (days int64, ok bool) {
	if p.Recent == 0 {
		return 0, false
	}
	window := int64(RunwayWindow / (24 * time.Hour))
	return p.Available * window / p.Recent, true
}

// ProductCodesFilter narrows the list: Search matches a product's name
// (case-insensitive substring) or the start of its ProductKey.
type ProductCodesFilter struct {
	Search string
}

const productCodesColumns = `p.id, p.product_key, p.name, k.code AS package_code, k.name AS package_name,
	p.auto_renew, p.consumed, p.available`

// where is the WHERE clause shared by the page and the export, with its arguments.
func (f ProductCodesFilter) where(sc Scope) (string, []any) {
	args := sc.args()
	cond, args := productSearch(f.Search, args)
	return sc.productFilter(1) + ` AND p.deleted_at IS NULL` + cond, args
}

// productSearch is the condition of a product search on products aliased p:
// the name contains q or the ProductKey starts with it, ignoring case;
// nothing when q is blank.
func productSearch(q string, args []any) (string, []any) {
	q = strings.TrimSpace(q)
	if q == "" {
		return "", args
	}
	args = append(args, escapeLike(q))
	n := itoa(len(args))
	return ` AND (p.name ILIKE '%' || $` + n + ` || '%' OR p.product_key ILIKE $` + n + ` || '%')`, args
}

// escapeLike makes s match itself literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ProductCodes reads one page of the scope's products ordered by name, then
// id. The last 30 days' consumption is counted for the products of the page
// only, on the activations_product_recent index.
func (s *Store) ProductCodes(ctx context.Context, sc Scope, f ProductCodesFilter, page PageRequest) (Page[ProductCodes], error) {
	where, args := f.where(sc)
	var name string
	var id int64
	cond, order, args, err := keyset{columns: "p.name, p.id", page: page}.clause(args, &name, &id)
	if err != nil {
		return Page[ProductCodes]{}, err
	}
	var rows []ProductCodes
	if err := s.reads(ctx).SelectContext(ctx, &rows, `SELECT `+productCodesColumns+`, 0 AS recent`+productFrom+
		`WHERE `+where+cond+order+` LIMIT `+itoa(PageSize+1), args...); err != nil {
		return Page[ProductCodes]{}, err
	}
	out := pageOf(rows, page, func(r ProductCodes) string { return encodeCursor(r.Name, r.ID) })
	return out, s.recentConsumption(ctx, out.Rows)
}

// recentConsumption fills Recent for the given rows.
func (s *Store) recentConsumption(ctx context.Context, rows []ProductCodes) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	// From the maintained consumption counts (expiry_counts.go), not the activations one by one.
	byID, err := recentCodes(ctx, s.reads(ctx), ids, s.Now())
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].Recent = byID[rows[i].ID]
	}
	return nil
}

// EachProductCodes calls fn for every product the filter matches, in list
// order, a page at a time (the CSV export).
func (s *Store) EachProductCodes(ctx context.Context, sc Scope, f ProductCodesFilter, fn func(ProductCodes) error) error {
	where, args := f.where(sc)
	args = append(args, s.Now().Add(-RunwayWindow))
	since := `$` + itoa(len(args))
	return eachExported(ctx, s, exportQuery[ProductCodes]{query: `SELECT ` + productCodesColumns + `,
		(SELECT count(*) FROM activations a WHERE a.product_id = p.id AND a.created_at >= ` + since + `) AS recent` +
		productFrom + `WHERE ` + where, args: args,
		keys: []string{"p.name", "p.id"}, keyOf: func(r ProductCodes) []any { return []any{r.Name, r.ID} }}, fn)
}
