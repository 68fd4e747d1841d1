package store_test

import (
	"testing"

	"activation-console/store"
)

// Assigning codes, irrevocably (docs/codes.md, "Assigning codes").

func TestAssign_MovesCodesFromThePoolToTheProduct(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner, err := f.st.Authenticate(f.ctx, "owner@acme.example", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.st.Assign(f.ctx, f.scope(),
		store.AssignInput{ProductID: f.product.ID, PackageCode: "std-1y", Quantity: 4, Actor: store.Actor{UserID: owner.ID, Name: owner.Email}})
	if err != nil {
		t.Fatal(err)
	}
	if a.ProductKey != "PK-1" || a.ProductName != "Thermostat" || a.PackageCode != "std-1y" || a.Quantity != 4 ||
		a.Operator != "owner@acme.example" || !a.CreatedAt.Equal(epoch) {
		t.Errorf("assignment = %+v", a)
	}
	if p := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y"); p != (poolRow{Granted: 10, Unassigned: 6, Assigned: 4}) {
		t.Errorf("pool = %+v, want 6 unassigned and 4 assigned", p)
	}
	p := f.productNow(t)
	if p.PackageCode == nil || *p.PackageCode != "std-1y" || p.Assigned != 4 || p.Available != 4 || p.Total() != 4 {
		t.Errorf("product = %+v, want 4 available codes of std-1y", p)
	}
	if l := f.licenses(t, "eu-frankfurt"); l.Available != 4 || l.UnassignedTotal() != 6 || l.Total() != 10 {
		t.Errorf("licenses = %+v, want 4 available, 6 unassigned, total 10", l)
	}
	var row struct {
		Quantity int64  `db:"quantity"`
		Operator string `db:"operator"`
		UserID   *int64 `db:"user_id"`
		Package  string `db:"code"`
	}
	if err := f.st.DB().GetContext(f.ctx, &row, `SELECT a.quantity, a.operator, a.user_id, k.code
		FROM assignments a JOIN packages k ON k.id = a.package_id WHERE a.product_id = $1`, f.product.ID); err != nil {
		t.Fatalf("assignment row: %v", err)
	}
	if row.Quantity != 4 || row.Operator != "owner@acme.example" || row.UserID == nil || *row.UserID != owner.ID || row.Package != "std-1y" {
		t.Errorf("assignment row = %+v", row)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM audit_log WHERE account_id = $1 AND operation = 'assign' AND user_id = $2`, f.account.ID, owner.ID); n != 1 {
		t.Errorf("audit rows for the assignment = %d, want 1", n)
	}
	// The whole pool, exactly, is assignable too.
	f.assign(t, f.product.ID, 6)
	if p := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y"); p.Unassigned != 0 || p.Assigned != 10 {
		t.Errorf("pool = %+v, want all 10 assigned", p)
	}
	verifyClean(t, f.st)
}

func TestAssign_RefusesMoreThanPool(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 3)
	_, err := f.st.Assign(f.ctx, f.scope(),
		store.AssignInput{ProductID: f.product.ID, PackageCode: "std-1y", Quantity: 8, Actor: store.SystemActor("test")})
	if e := wantCode(t, err, store.CodeNotEnoughCodes); e.Field != "quantity" {
		t.Errorf("field = %q, want quantity", e.Field)
	}
	// A package of which the account holds nothing at all.
	other := f.newProduct(t, "eu-frankfurt", "PK-2")
	_, err = f.st.Assign(f.ctx, f.scope(),
		store.AssignInput{ProductID: other.ID, PackageCode: "std-5y", Quantity: 1, Actor: store.SystemActor("test")})
	wantCode(t, err, store.CodeNotEnoughCodes)
	if p := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y"); p != (poolRow{Granted: 10, Unassigned: 7, Assigned: 3}) {
		t.Errorf("pool = %+v, want unchanged", p)
	}
	if p := f.productNow(t); p.Assigned != 3 || p.Available != 3 {
		t.Errorf("product = %+v, want unchanged", p)
	}
	if p, _ := f.st.ProductByKey(f.ctx, "PK-2"); p.PackageCode != nil || p.Assigned != 0 {
		t.Errorf("PK-2 = %+v, want no package and no codes", p)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM assignments`); n != 1 {
		t.Errorf("assignments = %d, want 1", n)
	}
	verifyClean(t, f.st)
}

func TestAssign_FirstAssignmentFixesTheProductsPackage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.buy(t, "SO-5Y", "std-5y", 5)
	assign := func(productID int64, pkg string, n int64) error {
		_, err := f.st.Assign(f.ctx, f.scope(),
			store.AssignInput{ProductID: productID, PackageCode: pkg, Quantity: n, Actor: store.SystemActor("test")})
		return err
	}
	if err := assign(f.product.ID, "", 1); store.HasCode(err, store.CodeInvalid) == false {
		t.Errorf("no package for a product without one: got %v, want invalid_request", err)
	}
	if err := assign(f.product.ID, "std-1y", 2); err != nil {
		t.Fatal(err)
	}
	e := wantCode(t, assign(f.product.ID, "std-5y", 1), store.CodePackageMismatch)
	if e.Field != "package" {
		t.Errorf("field = %q, want package", e.Field)
	}
	if err := assign(f.product.ID, "", 3); err != nil { // the product's package is implied
		t.Fatalf("assign without naming the package: %v", err)
	}
	if p := f.productNow(t); *p.PackageCode != "std-1y" || p.Assigned != 5 {
		t.Errorf("product = %+v, want 5 codes of std-1y", p)
	}
	if p := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-5y"); p != (poolRow{Purchased: 5, Unassigned: 5}) {
		t.Errorf("std-5y pool = %+v, want untouched", p)
	}

	// A purchase with a PK fixes the package as well.
	p2 := f.newProduct(t, "eu-frankfurt", "PK-2")
	if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-PK2", AccountID: f.account.ID, DataCenter: "eu-frankfurt",
		PackageCode: "std-5y", Quantity: 2, ProductKey: "PK-2"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, assign(p2.ID, "std-1y", 1), store.CodePackageMismatch)
	if err := assign(p2.ID, "std-5y", 5); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.st.ProductByKey(f.ctx, "PK-2"); *p.PackageCode != "std-5y" || p.Available != 7 {
		t.Errorf("PK-2 = %+v, want 7 codes of std-5y", p)
	}
	// The database itself refuses to change a fixed package.
	_, err := f.st.DB().ExecContext(f.ctx, `UPDATE products SET package_id = (SELECT id FROM packages WHERE code = 'std-1y') WHERE id = $1`, p2.ID)
	if err == nil {
		t.Error("the database let a product's package change")
	}
	verifyClean(t, f.st)
}

func TestAssign_RefusesProductsOfOtherAccountsAndDCs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.newAccount(t, "enterprise", "eu-frankfurt", "other@example.com")
	theirs, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-THEIRS", Name: "Theirs"})
	if err != nil {
		t.Fatal(err)
	}
	shanghai := f.newProduct(t, "cn-shanghai", "PK-CN")
	gone := f.newProduct(t, "eu-frankfurt", "PK-GONE")
	if err := f.st.DeleteProduct(f.ctx, "PK-GONE"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		account int64
		product int64
	}{
		{"product of another account", f.account.ID, theirs.ID},
		{"another account's pool for my product", other.ID, f.product.ID},
		{"product in another DC", f.account.ID, shanghai.ID},
		{"deleted product", f.account.ID, gone.ID},
		{"no such product", f.account.ID, 987654},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.st.Assign(f.ctx, store.Scope{AccountID: c.account, DC: "eu-frankfurt"},
				store.AssignInput{ProductID: c.product, PackageCode: "std-1y", Quantity: 1, Actor: store.SystemActor("test")})
			wantCode(t, err, store.CodeUnknownProduct)
		})
	}
	for _, a := range []int64{f.account.ID, other.ID} {
		if p := poolOf(t, f.st, a, "eu-frankfurt", "std-1y"); p != (poolRow{Granted: 10, Unassigned: 10}) {
			t.Errorf("account %d pool = %+v, want untouched", a, p)
		}
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM assignments`); n != 0 {
		t.Errorf("assignments = %d, want 0", n)
	}
	verifyClean(t, f.st)
}

func TestAssign_RefusesBadQuantity(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, q := range []int64{0, -3, store.MaxQuantity + 1} {
		_, err := f.st.Assign(f.ctx, f.scope(),
			store.AssignInput{ProductID: f.product.ID, PackageCode: "std-1y", Quantity: q, Actor: store.SystemActor("test")})
		if e := wantCode(t, err, store.CodeInvalid); e.Field != "quantity" {
			t.Errorf("quantity %d: field = %q", q, e.Field)
		}
	}
	if p := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y"); p.Unassigned != 10 {
		t.Errorf("pool = %+v, want untouched", p)
	}
}
