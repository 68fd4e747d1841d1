package store_test

import (
	"context"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// fixture is an account in eu-frankfurt with one product, on a fresh
// database whose clock the test controls.
type fixture struct {
	st      *store.Store
	clock   *storetest.Clock
	account store.Account
	product store.Product
	ctx     context.Context
}

var epoch = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clock := storetest.NewClock(epoch)
	st := storetest.New(t, store.WithClock(clock.Now))
	ctx := context.Background()
	acc, err := st.CreateAccount(ctx, store.NewAccount{Name: "Acme", Type: "enterprise", DataCenter: "eu-frankfurt",
		OwnerEmail: "owner@acme.example", OwnerPassword: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateProduct(ctx, acc.ID, "eu-frankfurt", "PK-1", "Thermostat")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, clock: clock, account: acc, product: p, ctx: ctx}
}

// assign gives the fixture's product n codes of the default package from the free grant or purchases.
func (f *fixture) assign(t *testing.T, productID, n int64) {
	t.Helper()
	if _, err := f.st.Assign(f.ctx, store.AssignInput{AccountID: f.account.ID, DataCenter: "eu-frankfurt", ProductID: productID,
		PackageCode: "std-1y", Quantity: n, Actor: store.SystemActor("test")}); err != nil {
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
