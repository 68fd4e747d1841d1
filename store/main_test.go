package store_test

import (
	"context"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// fixture is the shared storetest fixture (account "Acme" in eu-frankfurt,
// on a fresh database whose clock the test controls) with one product,
// PK-1 "Thermostat", and whatever opts add.
type fixture struct {
	base    *storetest.Fixture
	st      *store.Store
	clock   *storetest.Clock
	account store.Account
	product store.Product
	ctx     context.Context
}

var epoch = storetest.Epoch

func newFixture(t *testing.T, opts ...storetest.Option) *fixture {
	t.Helper()
	base := storetest.NewFixture(t, append([]storetest.Option{storetest.WithProduct("PK-1", "Thermostat", 0)}, opts...)...)
	return &fixture{base: base, st: base.Store, clock: base.Clock, account: base.Account, product: base.Product, ctx: base.Ctx}
}

// assign gives the fixture's product n codes of the default package from the free grant or purchases.
func (f *fixture) assign(t *testing.T, productID, n int64) {
	t.Helper()
	if _, err := f.st.Assign(f.ctx, f.scope(),
		store.AssignInput{ProductID: productID, PackageCode: "std-1y", Quantity: n, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
}

// buy records a purchase of n unassigned codes of pkg in eu-frankfurt.
func (f *fixture) buy(t *testing.T, order, pkg string, n int64) {
	t.Helper()
	if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: order, AccountID: f.account.ID, DataCenter: "eu-frankfurt",
		PackageCode: pkg, Quantity: n}); err != nil {
		t.Fatal(err)
	}
}

// verifyClean fails the test when the ledger invariants do not hold.
func verifyClean(t *testing.T, st *store.Store) {
	t.Helper()
	v, err := st.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range v {
		t.Error("ledger violation:", line)
	}
}

func (f *fixture) productNow(t *testing.T) store.Product {
	t.Helper()
	p, err := f.st.ProductByKey(f.ctx, f.product.ProductKey)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// wantCode fails the test unless err is a store error with the given code.
func wantCode(t *testing.T, err error, code string) *store.Error {
	t.Helper()
	e, ok := store.AsError(err)
	if !ok || e.Code != code {
		t.Fatalf("got error %v, want code %s", err, code)
	}
	return e
}

// connect connects device dk of the fixture's product through eu-frankfurt and fails on any error.
func (f *fixture) connect(t *testing.T, dk string) store.ConnectResult {
	t.Helper()
	r, err := f.st.Connect(f.ctx, f.product.ProductKey, dk, "eu-frankfurt")
	if err != nil {
		t.Fatalf("connect %s: %v", dk, err)
	}
	return r
}

// device reads device dk of the fixture's product.
func (f *fixture) device(t *testing.T, dk string) store.Device {
	t.Helper()
	d, err := f.st.DeviceByKey(f.ctx, f.product.ProductKey, dk)
	if err != nil {
		t.Fatalf("device %s: %v", dk, err)
	}
	return d
}

// licenses reads the fixture account's figures in dc.
func (f *fixture) licenses(t *testing.T, dc string) store.LicenseSummary {
	t.Helper()
	l, err := f.st.Licenses(f.ctx, store.Scope{AccountID: f.account.ID, DC: dc})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// pass runs one renewal pass.
func (f *fixture) pass(t *testing.T) store.RenewalStats {
	t.Helper()
	s, err := f.st.RenewalPass(f.ctx)
	if err != nil {
		t.Fatalf("renewal pass: %v", err)
	}
	return s
}

// newProduct creates another product of the fixture's account.
func (f *fixture) newProduct(t *testing.T, dc, pk string) store.Product {
	t.Helper()
	p, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: dc}, store.ProductInput{ProductKey: pk, Name: "Product " + pk})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newAccount creates another account on the fixture's database.
func (f *fixture) newAccount(t *testing.T, typ, dc, email string) store.Account {
	t.Helper()
	a, err := f.st.CreateAccount(f.ctx, store.NewAccount{Name: "Other " + email, Type: typ, DataCenter: dc,
		OwnerEmail: email, OwnerPassword: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// poolRow is one account's balance of a package in a DC, read from the pools table.
type poolRow struct {
	Purchased, Granted, Unassigned, Assigned int64
}

// poolOf reads a pool by raw SQL; a pool that does not exist reads as zeros.
func poolOf(t *testing.T, st *store.Store, accountID int64, dc, pkg string) poolRow {
	t.Helper()
	var p poolRow
	err := st.DB().QueryRowContext(context.Background(), `SELECT coalesce(sum(l.purchased), 0), coalesce(sum(l.granted), 0),
		coalesce(sum(l.unassigned), 0), coalesce(sum(l.assigned), 0)
		FROM pools l JOIN packages k ON k.id = l.package_id WHERE l.account_id = $1 AND l.dc = $2 AND k.code = $3`,
		accountID, dc, pkg).Scan(&p.Purchased, &p.Granted, &p.Unassigned, &p.Assigned)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// countRows runs a SELECT count(*) query.
func countRows(t *testing.T, st *store.Store, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := st.DB().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// year is the validity of the default package std-1y from t, as PostgreSQL adds '1 year'.
func year(t time.Time) time.Time { return t.AddDate(1, 0, 0) }

// days is n days as a duration.
func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
