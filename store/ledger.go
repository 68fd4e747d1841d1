package store

// The ledger: where codes come from and where they go (docs/codes.md and
// docs/renewal.md). Every operation is one transaction; the counters of
// products and pools move in the same statement as the rows that justify
// them, and the schema's CHECKs and triggers refuse anything that would break
// the invariants (docs/codes.md, "Invariants").
//
//   ledger.go          where codes come from (purchase, free grant) and assigning codes
//   ledger_connect.go  consuming codes (connect, delete device, delete product) and renew now
//   ledger_renewal.go  automatic renewal (switch, blacklist, the worker's pass)
//
// Lock order, everywhere: device rows, then product rows (by id), then pools.

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Free codes of the default package for a new account (docs/codes.md, "Where codes come from").
const (
	freeCodesEnterprise = 10
	freeCodesIndividual = 5
)

func grantFreeCodes(ctx context.Context, tx *sqlx.Tx, accountID int64, accountType, dc string) error {
	n := freeCodesIndividual
	if accountType == "enterprise" {
		n = freeCodesEnterprise
	}
	var pkg int64
	if err := tx.GetContext(ctx, &pkg, `SELECT id FROM packages WHERE is_default`); err != nil {
		return fmt.Errorf("store: no default package: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO credits (kind, account_id, dc, package_id, quantity) VALUES ('grant', $1, $2, $3, $4)`,
		accountID, dc, pkg, n); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO pools (account_id, dc, package_id, granted, unassigned) VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (account_id, dc, package_id) DO UPDATE SET granted = pools.granted + $4, unassigned = pools.unassigned + $4`,
		accountID, dc, pkg, n)
	return err
}

// PurchaseOrder is a purchase as sales or billing records it
// (docs/codes.md, "Where codes come from").
type PurchaseOrder struct {
	OrderNo     string
	AccountID   int64
	DataCenter  string
	PackageCode string
	Quantity    int64
	ProductKey  string // optional: the codes go straight to this product
	CreatedAt   time.Time
}

func (o PurchaseOrder) sameContent(p PurchaseOrder) bool {
	return o.OrderNo == p.OrderNo && o.AccountID == p.AccountID && o.DataCenter == p.DataCenter &&
		o.PackageCode == p.PackageCode && o.Quantity == p.Quantity && o.ProductKey == p.ProductKey
}

// Purchase records an order and credits its codes. The same order again
// credits nothing and returns the recorded order with replayed=true; the
// same order number with other content is an order_conflict.
func (s *Store) Purchase(ctx context.Context, in PurchaseOrder) (order PurchaseOrder, replayed bool, err error) {
	if err := CheckOrderNo(in.OrderNo); err != nil {
		return in, false, err
	}
	if err := checkQuantity(in.Quantity); err != nil {
		return in, false, err
	}
	if in.ProductKey != "" {
		if err := checkKey("product_key", in.ProductKey); err != nil {
			return in, false, err
		}
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		prior, err := orderByNo(ctx, tx, in.OrderNo)
		if err == nil {
			order, replayed = prior, true
			if !prior.sameContent(in) {
				return conflict(CodeOrderConflict, "err.order_conflict", "Order", in.OrderNo)
			}
			return nil
		}
		if err != sql.ErrNoRows {
			return err
		}
		if err := checkDC(ctx, tx, in.DataCenter); err != nil {
			return err
		}
		var pkg int64
		if err := tx.GetContext(ctx, &pkg, `SELECT id FROM packages WHERE code = $1`, in.PackageCode); err != nil {
			return notFound(err, notFoundErr(CodeUnknownPackage, "err.no_package", "Package", Quoted(in.PackageCode)))
		}
		var product *lockedProduct
		if in.ProductKey != "" {
			p, err := lockProductByKey(ctx, tx, Scope{AccountID: in.AccountID, DC: in.DataCenter}, in.ProductKey)
			if err != nil {
				return err
			}
			if p.PackageID != nil && *p.PackageID != pkg {
				return conflict(CodePackageMismatch, "err.product_package_fixed", "Product", p.ProductKey, "Package", *p.PackageCode)
			}
			product = &p
		}
		var productID sql.NullInt64
		if product != nil {
			productID = sql.NullInt64{Int64: product.ID, Valid: true}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO credits (kind, order_no, account_id, dc, package_id, quantity, product_id, created_at)
			VALUES ('purchase', $1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_no) DO NOTHING`,
			in.OrderNo, in.AccountID, in.DataCenter, pkg, in.Quantity, productID, s.Now())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// The same order number committed meanwhile: answer as a replay would.
			return errOrderRaced
		}
		assigned := int64(0)
		if product != nil {
			assigned = in.Quantity
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pools (account_id, dc, package_id, purchased, unassigned, assigned) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (account_id, dc, package_id) DO UPDATE SET purchased = pools.purchased + $4,
				unassigned = pools.unassigned + $5, assigned = pools.assigned + $6`,
			in.AccountID, in.DataCenter, pkg, in.Quantity, in.Quantity-assigned, assigned); err != nil {
			return err
		}
		var creditedID *int64
		if product != nil {
			actor := SystemActor("order " + in.OrderNo)
			if err := creditProduct(ctx, tx, *product, pkg, in.Quantity, actor, s.Now()); err != nil {
				return err
			}
			creditedID = &product.ID
		}
		if err := emitPurchased(ctx, tx, in, creditedID, s.Now()); err != nil {
			return err
		}
		order, err = orderByNo(ctx, tx, in.OrderNo)
		return err
	})
	if err == errOrderRaced {
		return s.Purchase(ctx, in)
	}
	return order, replayed, err
}

var errOrderRaced = fmt.Errorf("store: order recorded concurrently")

func orderByNo(ctx context.Context, q sqlx.QueryerContext, orderNo string) (PurchaseOrder, error) {
	var o PurchaseOrder
	err := q.QueryRowxContext(ctx, `SELECT c.order_no, c.account_id, c.dc, k.code, c.quantity, coalesce(p.product_key, ''), c.created_at
		FROM credits c JOIN packages k ON k.id = c.package_id LEFT JOIN products p ON p.id = c.product_id
		WHERE c.order_no = $1`, orderNo).Scan(&o.OrderNo, &o.AccountID, &o.DataCenter, &o.PackageCode, &o.Quantity, &o.ProductKey, &o.CreatedAt)
	return o, err
}

// lockedProduct is a live product row held FOR UPDATE by the transaction.
type lockedProduct struct {
	ID          int64   `db:"id"`
	AccountID   int64   `db:"account_id"`
	DC          string  `db:"dc"`
	ProductKey  string  `db:"product_key"`
	Name        string  `db:"name"`
	PackageID   *int64  `db:"package_id"`
	PackageCode *string `db:"package_code"`
}

// lockProductSQL selects a live product of a scope (its filter on $2, $3 and
// $4) for update; the caller adds the condition on $1.
var lockProductSQL = `SELECT p.id, p.account_id, p.dc, p.product_key, p.name, p.package_id,
	(SELECT code FROM packages WHERE id = p.package_id) AS package_code
	FROM products p WHERE p.deleted_at IS NULL AND ` + Scope{}.productFilter(2) + ` AND `

func lockProductByKey(ctx context.Context, tx *sqlx.Tx, sc Scope, productKey string) (lockedProduct, error) {
	var p lockedProduct
	err := tx.GetContext(ctx, &p, lockProductSQL+`p.product_key = $1 FOR UPDATE`, append([]any{productKey}, sc.args()...)...)
	return p, notFound(err, notFoundErr(CodeUnknownProduct, "err.no_product_key_here", "Product", Quoted(productKey)))
}

// lockProductByID locks a product of the scope for a write. A product
// outside the scope is not found, exactly like one of another account
// (docs/SECURITY.md, "Product scope on writes").
func lockProductByID(ctx context.Context, tx *sqlx.Tx, sc Scope, productID int64) (lockedProduct, error) {
	var p lockedProduct
	err := tx.GetContext(ctx, &p, lockProductSQL+`p.id = $1 FOR UPDATE`, append([]any{productID}, sc.args()...)...)
	return p, notFound(err, notFoundErr(CodeUnknownProduct, "err.no_product_here"))
}

// creditProduct makes quantity codes of package pkg available to a locked
// product, fixing its package on the first assignment, and records it.
func creditProduct(ctx context.Context, tx *sqlx.Tx, p lockedProduct, pkg, quantity int64, actor Actor, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE products SET package_id = $2, assigned = assigned + $3, available = available + $3 WHERE id = $1`,
		p.ID, pkg, quantity); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO assignments (account_id, dc, product_id, package_id, quantity, user_id, operator, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, p.AccountID, p.DC, p.ID, pkg, quantity, actor.userID(), actor.Name, now); err != nil {
		return err
	}
	return emitAssigned(ctx, tx, p, pkg, quantity, actor.Name, now)
}

// Assignment is one assignment of codes to a product (docs/codes.md, "Assigning codes").
type Assignment struct {
	ProductID   int64
	ProductKey  string
	ProductName string
	PackageCode string
	Quantity    int64
	Operator    string
	CreatedAt   time.Time
}

// AssignInput names what to assign: quantity unassigned codes of a package
// of the scope's pool (its account and data center), to one of the scope's
// products.
type AssignInput struct {
	ProductID   int64
	PackageCode string // may be empty when the product has a package already
	Quantity    int64
	Actor       Actor
}

// Assign moves unassigned codes to a product, irrevocably (docs/codes.md, "Assigning codes").
// The pool's conditional decrement makes concurrent assignments unable to
// take more than the pool holds. A product outside the scope is not found.
func (s *Store) Assign(ctx context.Context, sc Scope, in AssignInput) (Assignment, error) {
	if err := checkQuantity(in.Quantity); err != nil {
		return Assignment{}, err
	}
	var out Assignment
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		p, err := lockProductByID(ctx, tx, sc, in.ProductID)
		if err != nil {
			return err
		}
		code := in.PackageCode
		if p.PackageCode != nil {
			if code != "" && code != *p.PackageCode {
				return conflict(CodePackageMismatch, "err.package_mismatch", "Product", p.Name, "Package", *p.PackageCode).at("package")
			}
			code = *p.PackageCode
		}
		if code == "" {
			return invalid("package", "err.package_choice")
		}
		var pkg int64
		if err := tx.GetContext(ctx, &pkg, `SELECT id FROM packages WHERE code = $1`, code); err != nil {
			return notFound(err, notFoundErr(CodeUnknownPackage, "err.no_package", "Package", Quoted(code)).at("package"))
		}
		var left int64
		err = tx.GetContext(ctx, &left, `UPDATE pools SET unassigned = unassigned - $4, assigned = assigned + $4
			WHERE account_id = $1 AND dc = $2 AND package_id = $3 AND unassigned >= $4 RETURNING unassigned`,
			sc.AccountID, sc.DC, pkg, in.Quantity)
		if err == sql.ErrNoRows {
			var have int64
			if err := tx.GetContext(ctx, &have, `SELECT coalesce(max(unassigned), 0) FROM pools WHERE account_id = $1 AND dc = $2 AND package_id = $3`,
				sc.AccountID, sc.DC, pkg); err != nil {
				return err
			}
			return conflict(CodeNotEnoughCodes, "err.not_enough_codes", "Count", have, "Package", code).at("quantity")
		}
		if err != nil {
			return err
		}
		now := s.Now()
		if err := creditProduct(ctx, tx, p, pkg, in.Quantity, in.Actor, now); err != nil {
			return err
		}
		out = Assignment{ProductID: p.ID, ProductKey: p.ProductKey, ProductName: p.Name, PackageCode: code,
			Quantity: in.Quantity, Operator: in.Actor.Name, CreatedAt: now}
		return s.audit(ctx, tx, sc.AccountID, in.Actor, AuditLicense, OpAssign,
			fmt.Sprintf("assigned %d codes of package %s to %s (%s)", in.Quantity, code, p.Name, p.ProductKey),
			clause("audit.entry.assigned", "Package", code, "Product", p.Name, "ProductKey", p.ProductKey).counting(int64(in.Quantity)))
	})
	return out, err
}
