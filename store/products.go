package store

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Product is a product with its code counters (docs/codes.md, "Words").
type Product struct {
	ID          int64      `db:"id"`
	AccountID   int64      `db:"account_id"`
	DC          string     `db:"dc"`
	ProductKey  string     `db:"product_key"`
	Name        string     `db:"name"`
	PackageID   *int64     `db:"package_id"`
	PackageCode *string    `db:"package_code"`
	PackageName *string    `db:"package_name"`
	AutoRenew   bool       `db:"auto_renew"`
	Assigned    int64      `db:"assigned"`
	Available   int64      `db:"available"`
	Consumed    int64      `db:"consumed"`
	Forfeited   int64      `db:"forfeited"`
	CreatedAt   time.Time  `db:"created_at"`
	DeletedAt   *time.Time `db:"deleted_at"`
}

// Total is every code the product was given that it still counts: consumed and available.
func (p Product) Total() int64 { return p.Consumed + p.Available }

const productColumns = `p.id, p.account_id, p.dc, p.product_key, p.name, p.package_id, k.code AS package_code, k.name AS package_name,
	p.auto_renew, p.assigned, p.available, p.consumed, p.forfeited, p.created_at, p.deleted_at`

const productFrom = ` FROM products p LEFT JOIN packages k ON k.id = p.package_id `

// ScopedProduct reads a live product of the scope; any other product
// (another account's, another DC's, a deleted one) is unknown.
func (s *Store) ScopedProduct(ctx context.Context, sc Scope, id int64) (Product, error) {
	var p Product
	err := s.reads(ctx).GetContext(ctx, &p, `SELECT `+productColumns+productFrom+`WHERE p.id = $4 AND p.deleted_at IS NULL AND `+
		sc.productFilter(1), append(sc.args(), id)...)
	return p, notFound(err, notFoundErr(CodeUnknownProduct, "err.no_product"))
}

// ProductInput names a product the platform created: its key and name.
type ProductInput struct {
	ProductKey string
	Name       string
}

// CreateProduct registers a product the platform created in the scope's
// account and data center (docs/api.md, "Calls").
func (s *Store) CreateProduct(ctx context.Context, sc Scope, in ProductInput) (Product, error) {
	if err := checkKey("product_key", in.ProductKey); err != nil {
		return Product{}, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return Product{}, invalid("name", "err.product_name", "Max", 200)
	}
	if err := checkDC(ctx, s.db, sc.DC); err != nil {
		return Product{}, err
	}
	var id int64
	err := s.db.GetContext(ctx, &id, `INSERT INTO products (account_id, dc, product_key, name) VALUES ($1, $2, $3, $4) RETURNING id`,
		sc.AccountID, sc.DC, in.ProductKey, name)
	if isUniqueViolation(err, "products_key") {
		return Product{}, conflict(CodeProductExists, "err.product_exists", "Product", Quoted(in.ProductKey))
	}
	if err != nil {
		return Product{}, err
	}
	return s.productByID(ctx, id)
}

func (s *Store) productByID(ctx context.Context, id int64) (Product, error) {
	var p Product
	err := s.db.GetContext(ctx, &p, `SELECT `+productColumns+productFrom+`WHERE p.id = $1`, id)
	return p, notFound(err, notFoundErr(CodeUnknownProduct, "err.no_product_id", "ID", strconv.FormatInt(id, 10)))
}

// ProductByKey finds a live product by its ProductKey, platform-wide (for the API).
func (s *Store) ProductByKey(ctx context.Context, productKey string) (Product, error) {
	if err := checkKey("product_key", productKey); err != nil {
		return Product{}, err
	}
	var p Product
	err := s.db.GetContext(ctx, &p, `SELECT `+productColumns+productFrom+`WHERE p.product_key = $1 AND p.deleted_at IS NULL`, productKey)
	return p, notFound(err, notFoundErr(CodeUnknownProduct, "err.no_product_key", "Product", Quoted(productKey)))
}

// AccountProduct reads a live product of one account and DC; any other
// product is unknown to that account.
func (s *Store) AccountProduct(ctx context.Context, accountID int64, dc string, productID int64) (Product, error) {
	var p Product
	err := s.db.GetContext(ctx, &p, `SELECT `+productColumns+productFrom+`
		WHERE p.id = $1 AND p.account_id = $2 AND p.dc = $3 AND p.deleted_at IS NULL`, productID, accountID, dc)
	return p, notFound(err, notFoundErr(CodeUnknownProduct, "err.no_product"))
}
