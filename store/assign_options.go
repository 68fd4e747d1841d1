package store

// What the assign dialog offers (docs/codes.md, "Assigning codes"): the products to pick from,
// and for the picked product the packages whose codes it can take and how many.

import (
	"context"
	"strings"
)

// AssignProductLimit is how many products the dialog's search shows at once.
const AssignProductLimit = 50

// AssignProduct is a product as the assign dialog lists it.
type AssignProduct struct {
	ID          int64   `db:"id"`
	ProductKey  string  `db:"product_key"`
	Name        string  `db:"name"`
	PackageCode *string `db:"package_code"`
	PackageName *string `db:"package_name"`
}

// UnassignedPackage is a package of the catalog with the account's unassigned
// codes of it in one DC.
type UnassignedPackage struct {
	Package
	Quantity int64 `db:"quantity"`
}

// AssignTarget is a picked product and the packages it can take codes of:
// its own package when it has one (Quantity may be 0), else every package
// with unassigned codes.
type AssignTarget struct {
	Product  AssignProduct
	Packages []UnassignedPackage
}

// Fixed tells whether the product's package is fixed by an earlier assignment.
func (t AssignTarget) Fixed() bool { return t.Product.PackageCode != nil }

// Package finds one of the target's packages by code.
func (t AssignTarget) Package(code string) (UnassignedPackage, bool) {
	for _, p := range t.Packages {
		if p.Code == code {
			return p, true
		}
	}
	return UnassignedPackage{}, false
}

// AssignProducts lists up to AssignProductLimit+1 live products of the scope
// whose name contains search or whose ProductKey starts with it (every
// product when search is empty), by name; the extra row tells the dialog
// there are more.
func (s *Store) AssignProducts(ctx context.Context, sc Scope, search string) ([]AssignProduct, error) {
	where, args := ProductCodesFilter{Search: search}.where(sc)
	var ps []AssignProduct
	err := s.reads(ctx).SelectContext(ctx, &ps, `SELECT p.id, p.product_key, p.name, k.code AS package_code, k.name AS package_name`+
		productFrom+`WHERE `+where+` ORDER BY p.name, p.id LIMIT `+itoa(AssignProductLimit+1), args...)
	return ps, err
}

// AssignTargetOf reads a live product of the scope and the packages it can
// take codes of, with the account's unassigned codes of each.
func (s *Store) AssignTargetOf(ctx context.Context, sc Scope, productID int64) (AssignTarget, error) {
	args := append(sc.args(), productID)
	var t AssignTarget
	err := s.reads(ctx).GetContext(ctx, &t.Product, `SELECT p.id, p.product_key, p.name, k.code AS package_code, k.name AS package_name`+
		productFrom+`WHERE `+sc.productFilter(1)+` AND p.deleted_at IS NULL AND p.id = $4`, args...)
	if err != nil {
		return t, notFound(err, notFoundErr(CodeUnknownProduct, "err.no_product_here").at("product"))
	}
	if t.Product.PackageCode == nil {
		t.Packages, err = s.UnassignedPackages(ctx, sc)
		return t, err
	}
	var p UnassignedPackage
	err = s.reads(ctx).GetContext(ctx, &p, `SELECT `+prefixed("k.", packageColumns)+`, coalesce(l.unassigned, 0) AS quantity
		FROM packages k LEFT JOIN pools l ON l.package_id = k.id AND l.account_id = $1 AND l.dc = $2
		WHERE k.code = $3`, sc.AccountID, sc.DC, *t.Product.PackageCode)
	t.Packages = []UnassignedPackage{p}
	return t, err
}

// UnassignedPackages lists the packages of which the account has unassigned
// codes in the scope's DC, with their quantities and allowances, in catalog order.
func (s *Store) UnassignedPackages(ctx context.Context, sc Scope) ([]UnassignedPackage, error) {
	var ps []UnassignedPackage
	err := s.reads(ctx).SelectContext(ctx, &ps, `SELECT `+prefixed("k.", packageColumns)+`, l.unassigned AS quantity
		FROM pools l JOIN packages k ON k.id = l.package_id
		WHERE l.account_id = $1 AND l.dc = $2 AND l.unassigned > 0 ORDER BY k.id`, sc.AccountID, sc.DC)
	return ps, err
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
