package store_test

import (
	"strings"
	"testing"
	"time"

	"activation-console/store"
)

// Where codes come from (docs/codes.md, "Where codes come from").

func TestCreateAccount_GrantsFreeCodesInTheHomeDC(t *testing.T) {
	t.Parallel()
	f := newFixture(t) // enterprise, eu-frankfurt
	ind := f.newAccount(t, "individual", "cn-shanghai", "solo@example.com")
	for _, c := range []struct {
		name     string
		account  int64
		home     string
		other    string
		expected int64
	}{
		{"enterprise", f.account.ID, "eu-frankfurt", "cn-shanghai", 10},
		{"individual", ind.ID, "cn-shanghai", "eu-frankfurt", 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			home, err := f.st.Licenses(f.ctx, store.Scope{AccountID: c.account, DC: c.home})
			if err != nil {
				t.Fatal(err)
			}
			if len(home.Unassigned) != 1 || home.Unassigned[0].Code != "std-1y" || home.Unassigned[0].Quantity != c.expected {
				t.Errorf("home DC unassigned = %+v, want %d of std-1y", home.Unassigned, c.expected)
			}
			if home.Total() != c.expected || home.Available != 0 || home.Consumed != 0 {
				t.Errorf("home DC figures = %+v, want total %d, nothing available or consumed", home, c.expected)
			}
			if p := poolOf(t, f.st, c.account, c.home, "std-1y"); p != (poolRow{Granted: c.expected, Unassigned: c.expected}) {
				t.Errorf("pool = %+v", p)
			}
			other, err := f.st.Licenses(f.ctx, store.Scope{AccountID: c.account, DC: c.other})
			if err != nil {
				t.Fatal(err)
			}
			if other.Total() != 0 {
				t.Errorf("other DC total = %d, want 0", other.Total())
			}
			if n := countRows(t, f.st, `SELECT count(*) FROM credits WHERE account_id = $1 AND kind = 'grant' AND quantity = $2`, c.account, c.expected); n != 1 {
				t.Errorf("grant credits = %d, want 1", n)
			}
		})
	}
	verifyClean(t, f.st)
}

func TestPurchase_WithoutProductKeyCreditsThePool(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	order, replayed, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-1", AccountID: f.account.ID,
		DataCenter: "eu-frankfurt", PackageCode: "std-5y", Quantity: 25})
	if err != nil || replayed {
		t.Fatalf("purchase: replayed=%v err=%v", replayed, err)
	}
	if order.OrderNo != "SO-1" || order.PackageCode != "std-5y" || order.Quantity != 25 || order.ProductKey != "" || order.CreatedAt.IsZero() {
		t.Errorf("order = %+v", order)
	}
	if p := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-5y"); p != (poolRow{Purchased: 25, Unassigned: 25}) {
		t.Errorf("std-5y pool = %+v, want 25 purchased and unassigned", p)
	}
	if p := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y"); p != (poolRow{Granted: 10, Unassigned: 10}) {
		t.Errorf("std-1y pool = %+v, want the free grant untouched", p)
	}
	if l := f.licenses(t, "eu-frankfurt"); l.UnassignedTotal() != 35 || l.Available != 0 {
		t.Errorf("licenses = %+v, want 35 unassigned", l)
	}
	if p := f.productNow(t); p.Assigned != 0 || p.PackageCode != nil {
		t.Errorf("product = %+v, want untouched", p)
	}
	verifyClean(t, f.st)
}

func TestPurchase_WithProductKeyGoesStraightToTheProduct(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	order, replayed, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-7", AccountID: f.account.ID,
		DataCenter: "eu-frankfurt", PackageCode: "std-5y", Quantity: 12, ProductKey: "PK-1"})
	if err != nil || replayed {
		t.Fatalf("purchase: replayed=%v err=%v", replayed, err)
	}
	if order.ProductKey != "PK-1" || order.Quantity != 12 {
		t.Errorf("order = %+v", order)
	}
	p := f.productNow(t)
	if p.PackageCode == nil || *p.PackageCode != "std-5y" || p.Assigned != 12 || p.Available != 12 || p.Consumed != 0 {
		t.Errorf("product = %+v, want 12 available codes of std-5y", p)
	}
	if got := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-5y"); got != (poolRow{Purchased: 12, Assigned: 12}) {
		t.Errorf("pool = %+v, want 12 purchased and assigned, none unassigned", got)
	}
	var a struct {
		Quantity int64  `db:"quantity"`
		Operator string `db:"operator"`
		Package  string `db:"code"`
	}
	if err := f.st.DB().GetContext(f.ctx, &a, `SELECT a.quantity, a.operator, k.code FROM assignments a JOIN packages k ON k.id = a.package_id
		WHERE a.product_id = $1`, p.ID); err != nil {
		t.Fatalf("the purchase left no single assignment row: %v", err)
	}
	if a.Quantity != 12 || a.Operator != "order SO-7" || a.Package != "std-5y" {
		t.Errorf("assignment = %+v, want 12 of std-5y by \"order SO-7\"", a)
	}
	if l := f.licenses(t, "eu-frankfurt"); l.Available != 12 || l.UnassignedTotal() != 10 {
		t.Errorf("licenses = %+v, want 12 available and the 10 free codes unassigned", l)
	}
	verifyClean(t, f.st)
}

func TestPurchase_ReplayCreditsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, pk := range []string{"", "PK-1"} {
		in := store.PurchaseOrder{OrderNo: "SO-R" + pk, AccountID: f.account.ID, DataCenter: "eu-frankfurt",
			PackageCode: "std-1y", Quantity: 5, ProductKey: pk}
		first, replayed, err := f.st.Purchase(f.ctx, in)
		if err != nil || replayed {
			t.Fatalf("first purchase %q: replayed=%v err=%v", pk, replayed, err)
		}
		f.clock.Advance(time.Hour)
		for i := 0; i < 3; i++ {
			again, replayed, err := f.st.Purchase(f.ctx, in)
			if err != nil || !replayed {
				t.Fatalf("replay %q: replayed=%v err=%v", pk, replayed, err)
			}
			if again.OrderNo != first.OrderNo || again.Quantity != first.Quantity || again.ProductKey != first.ProductKey ||
				again.PackageCode != first.PackageCode || !again.CreatedAt.Equal(first.CreatedAt) {
				t.Errorf("replay answered %+v, want the recorded order %+v", again, first)
			}
		}
	}
	if p := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y"); p != (poolRow{Purchased: 10, Granted: 10, Unassigned: 15, Assigned: 5}) {
		t.Errorf("pool = %+v, want each order credited once", p)
	}
	if p := f.productNow(t); p.Assigned != 5 || p.Available != 5 {
		t.Errorf("product = %+v, want 5 codes", p)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM credits WHERE kind = 'purchase'`); n != 2 {
		t.Errorf("purchase credits = %d, want 2", n)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM assignments`); n != 1 {
		t.Errorf("assignments = %d, want 1", n)
	}
	verifyClean(t, f.st)
}

func TestPurchase_SameOrderNoWithOtherContentIsOrderConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.newAccount(t, "enterprise", "eu-frankfurt", "other@example.com")
	f.newProduct(t, "eu-frankfurt", "PK-2")
	base := store.PurchaseOrder{OrderNo: "SO-C", AccountID: f.account.ID, DataCenter: "eu-frankfurt", PackageCode: "std-1y", Quantity: 4}
	if _, _, err := f.st.Purchase(f.ctx, base); err != nil {
		t.Fatal(err)
	}
	changes := map[string]func(o *store.PurchaseOrder){
		"quantity":     func(o *store.PurchaseOrder) { o.Quantity = 5 },
		"package":      func(o *store.PurchaseOrder) { o.PackageCode = "std-5y" },
		"data center":  func(o *store.PurchaseOrder) { o.DataCenter = "cn-shanghai" },
		"account":      func(o *store.PurchaseOrder) { o.AccountID = other.ID },
		"product key":  func(o *store.PurchaseOrder) { o.ProductKey = "PK-2" },
		"unknown pkg":  func(o *store.PurchaseOrder) { o.PackageCode = "nope" },
		"quantity max": func(o *store.PurchaseOrder) { o.Quantity = store.MaxQuantity },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			in := base
			change(&in)
			_, _, err := f.st.Purchase(f.ctx, in)
			wantCode(t, err, store.CodeOrderConflict)
		})
	}
	if p := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y"); p != (poolRow{Purchased: 4, Granted: 10, Unassigned: 14}) {
		t.Errorf("pool = %+v, want only the first order credited", p)
	}
	for _, q := range []struct{ account int64 }{{f.account.ID}, {other.ID}} {
		for _, dc := range []string{"eu-frankfurt", "cn-shanghai"} {
			if p := poolOf(t, f.st, q.account, dc, "std-5y"); p != (poolRow{}) {
				t.Errorf("account %d %s std-5y pool = %+v, want nothing", q.account, dc, p)
			}
		}
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM credits WHERE kind = 'purchase'`); n != 1 {
		t.Errorf("purchase credits = %d, want 1", n)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM assignments`); n != 0 {
		t.Errorf("assignments = %d, want 0", n)
	}
	verifyClean(t, f.st)
}

func TestPurchase_ProductKeyWithAnotherPackageIsPackageMismatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 3) // fixes std-1y
	_, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-M", AccountID: f.account.ID,
		DataCenter: "eu-frankfurt", PackageCode: "std-5y", Quantity: 8, ProductKey: "PK-1"})
	wantCode(t, err, store.CodePackageMismatch)
	if p := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-5y"); p != (poolRow{}) {
		t.Errorf("std-5y pool = %+v, want nothing credited", p)
	}
	if p := f.productNow(t); p.Assigned != 3 || *p.PackageCode != "std-1y" {
		t.Errorf("product = %+v, want 3 codes of std-1y", p)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM credits WHERE order_no = 'SO-M'`); n != 0 {
		t.Errorf("the refused order was recorded")
	}
	// The refused order number is free: the right content records it.
	if _, replayed, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-M", AccountID: f.account.ID,
		DataCenter: "eu-frankfurt", PackageCode: "std-1y", Quantity: 8, ProductKey: "PK-1"}); err != nil || replayed {
		t.Fatalf("purchase with the product's package: replayed=%v err=%v", replayed, err)
	}
	if p := f.productNow(t); p.Assigned != 11 || p.Available != 11 {
		t.Errorf("product = %+v, want 11 codes", p)
	}
	verifyClean(t, f.st)
}

func TestPurchase_RefusesUnknownNames(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.newAccount(t, "enterprise", "eu-frankfurt", "other@example.com")
	if _, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-OTHER", Name: "Theirs"}); err != nil {
		t.Fatal(err)
	}
	f.newProduct(t, "cn-shanghai", "PK-CN")
	f.newProduct(t, "eu-frankfurt", "PK-GONE")
	if err := f.st.DeleteProduct(f.ctx, "PK-GONE"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, pkg, pk, dc, code string
	}{
		{"unknown package", "gold-99y", "", "eu-frankfurt", store.CodeUnknownPackage},
		{"unknown product", "std-1y", "PK-NOPE", "eu-frankfurt", store.CodeUnknownProduct},
		{"product of another account", "std-1y", "PK-OTHER", "eu-frankfurt", store.CodeUnknownProduct},
		{"product in another DC", "std-1y", "PK-CN", "eu-frankfurt", store.CodeUnknownProduct},
		{"deleted product", "std-1y", "PK-GONE", "eu-frankfurt", store.CodeUnknownProduct},
		{"unknown data center", "std-1y", "", "us-nowhere", store.CodeInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-" + strings.ReplaceAll(c.name, " ", "-"),
				AccountID: f.account.ID, DataCenter: c.dc, PackageCode: c.pkg, Quantity: 3, ProductKey: c.pk})
			wantCode(t, err, c.code)
		})
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM credits WHERE kind = 'purchase'`); n != 0 {
		t.Errorf("purchase credits = %d, want 0", n)
	}
	if n := countRows(t, f.st, `SELECT coalesce(sum(purchased + assigned), 0) FROM pools`); n != 0 {
		t.Errorf("pools moved by %d, want nothing credited", n)
	}
	if n := countRows(t, f.st, `SELECT coalesce(sum(assigned), 0) FROM products`); n != 0 {
		t.Errorf("products hold %d codes, want 0", n)
	}
	verifyClean(t, f.st)
}

func TestPurchase_RefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ok := store.PurchaseOrder{OrderNo: "SO-OK", AccountID: f.account.ID, DataCenter: "eu-frankfurt", PackageCode: "std-1y", Quantity: 1}
	for _, c := range []struct {
		name, field string
		change      func(o *store.PurchaseOrder)
	}{
		{"quantity 0", "quantity", func(o *store.PurchaseOrder) { o.Quantity = 0 }},
		{"quantity -1", "quantity", func(o *store.PurchaseOrder) { o.Quantity = -1 }},
		{"quantity 1,000,001", "quantity", func(o *store.PurchaseOrder) { o.Quantity = 1_000_001 }},
		{"empty order_no", "order_no", func(o *store.PurchaseOrder) { o.OrderNo = "" }},
		{"order_no with a space", "order_no", func(o *store.PurchaseOrder) { o.OrderNo = "SO 1" }},
		{"order_no of 65 characters", "order_no", func(o *store.PurchaseOrder) { o.OrderNo = strings.Repeat("9", 65) }},
		{"order_no with a non-ASCII letter", "order_no", func(o *store.PurchaseOrder) { o.OrderNo = "SO-é" }},
		{"malformed product key", "product_key", func(o *store.PurchaseOrder) { o.ProductKey = "PK 1" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := ok
			c.change(&in)
			_, _, err := f.st.Purchase(f.ctx, in)
			if e := wantCode(t, err, store.CodeInvalid); e.Field != c.field {
				t.Errorf("field = %q, want %q", e.Field, c.field)
			}
		})
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM credits WHERE kind = 'purchase'`); n != 0 {
		t.Errorf("purchase credits = %d, want 0", n)
	}
	// The limits themselves are accepted.
	for _, c := range []struct {
		order    string
		quantity int64
	}{{"a/b_c.d-E", 1}, {strings.Repeat("9", 64), store.MaxQuantity}} {
		in := ok
		in.OrderNo, in.Quantity = c.order, c.quantity
		if _, _, err := f.st.Purchase(f.ctx, in); err != nil {
			t.Errorf("order %q of %d: %v", c.order, c.quantity, err)
		}
	}
	if p := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y"); p.Purchased != store.MaxQuantity+1 {
		t.Errorf("pool = %+v", p)
	}
	verifyClean(t, f.st)
}
