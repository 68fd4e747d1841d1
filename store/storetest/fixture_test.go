package storetest_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestFixture_TheAccountOnAFreshDatabase(t *testing.T) {
	f := storetest.NewFixture(t)
	if f.Account.Name != "Acme" || f.Account.Type != "enterprise" || f.Account.HomeDC != storetest.HomeDC {
		t.Errorf("account %+v", f.Account)
	}
	if got := f.Clock.Now(); !got.Equal(storetest.Epoch) {
		t.Errorf("clock at %v, want %v", got, storetest.Epoch)
	}
	u, err := f.Store.Authenticate(f.Ctx, storetest.OwnerEmail, storetest.OwnerPassword)
	if err != nil || u.Role != store.RoleOwner || u.AccountID == nil || *u.AccountID != f.Account.ID {
		t.Errorf("the owner signs in: %+v %v", u, err)
	}
	l, err := f.Store.Licenses(f.Ctx, store.Scope{AccountID: f.Account.ID, DC: storetest.HomeDC})
	if err != nil {
		t.Fatal(err)
	}
	if l.UnassignedTotal() != 10 || l.Consumed != 0 {
		t.Errorf("figures %+v, want the free grant of 10 unassigned codes", l)
	}
	if f.Product.ID != 0 || len(f.Products) != 0 || len(f.Members) != 0 || f.Token != "" {
		t.Errorf("nothing asked, something made: %+v", f)
	}
	var accounts int
	if err := f.Store.DB().GetContext(f.Ctx, &accounts, `SELECT count(*) FROM accounts`); err != nil || accounts != 1 {
		t.Errorf("%d accounts on the fresh database (%v), want 1", accounts, err)
	}
}

func TestFixture_EachFixtureHasItsOwnDatabase(t *testing.T) {
	a := storetest.NewFixture(t, storetest.WithProduct("PK-1", "Thermostat", 0))
	b := storetest.NewFixture(t)
	if a.URL == b.URL {
		t.Fatalf("one database for two fixtures: %s", a.URL)
	}
	if _, err := b.Store.ProductByKey(b.Ctx, "PK-1"); err == nil {
		t.Error("b sees a's product")
	}
	// URL reaches the same database as the store, for a second connection.
	db, err := sql.Open("postgres", a.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM products WHERE product_key = 'PK-1'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the second connection sees %d products (%v), want 1", n, err)
	}
}

func TestFixture_ProductsAndTheirCodes(t *testing.T) {
	f := storetest.NewFixture(t,
		storetest.WithProduct("PK-1", "Thermostat", 0),
		storetest.WithProduct("PK-2", "Doorbell", 5))
	if f.Product.ProductKey != "PK-1" || f.Products["PK-1"].ID != f.Product.ID || f.Products["PK-2"].Name != "Doorbell" {
		t.Errorf("products %+v, first %+v", f.Products, f.Product)
	}
	for key, want := range map[string]int64{"PK-1": 0, "PK-2": 5} {
		p, err := f.Store.ProductByKey(f.Ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if p.AccountID != f.Account.ID || p.DC != storetest.HomeDC || p.Assigned != want {
			t.Errorf("%s: account %d, dc %s, %d codes assigned; want %d", key, p.AccountID, p.DC, p.Assigned, want)
		}
	}
	// The purchase for PK-2 leaves the free grant unassigned.
	l, err := f.Store.Licenses(f.Ctx, store.Scope{AccountID: f.Account.ID, DC: storetest.HomeDC})
	if err != nil {
		t.Fatal(err)
	}
	if l.UnassignedTotal() != 10 {
		t.Errorf("%d unassigned, want the free grant of 10", l.UnassignedTotal())
	}
}

func TestFixture_SubAccountsSupportAndToken(t *testing.T) {
	f := storetest.NewFixture(t,
		storetest.WithProduct("PK-1", "Thermostat", 0),
		storetest.WithProduct("PK-2", "Doorbell", 0),
		storetest.WithSubAccount("manager@acme.example", true),
		storetest.WithSubAccount("chosen@acme.example", false, "PK-2"),
		storetest.WithSupport("help@platform.example"),
		storetest.WithToken("access layer"))
	manager, chosen := f.Members["manager@acme.example"], f.Members["chosen@acme.example"]
	if manager.Name != "manager" || !manager.ManageLicenses || !manager.AllProducts {
		t.Errorf("manager %+v", manager)
	}
	got, err := f.Store.Member(f.Ctx, f.Account.ID, chosen.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ManageLicenses || got.AllProducts || len(got.ProductIDs) != 1 || got.ProductIDs[0] != f.Products["PK-2"].ID {
		t.Errorf("chosen %+v, want PK-2 (%d) alone, no licenses", got, f.Products["PK-2"].ID)
	}
	for email, role := range map[string]store.Role{"manager@acme.example": store.RoleMember,
		"chosen@acme.example": store.RoleMember, "help@platform.example": store.RoleSupport} {
		u, err := f.Store.Authenticate(f.Ctx, email, storetest.MemberPassword)
		if err != nil || u.Role != role {
			t.Errorf("%s signs in: %+v %v; want role %s", email, u, err, role)
		}
	}
	if ok, err := f.Store.CheckToken(f.Ctx, f.Token); err != nil || !ok {
		t.Errorf("the token %q is not accepted: %v", f.Token, err)
	}
}

func TestFixture_ClockStoreOptionsAndAnotherAccount(t *testing.T) {
	start := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	f := storetest.NewFixture(t, storetest.WithClockAt(start), storetest.WithStoreOptions(store.WithPoolSize(3)))
	if !f.Clock.Now().Equal(start) {
		t.Errorf("clock at %v, want %v", f.Clock.Now(), start)
	}
	if got := f.Store.DB().Stats().MaxOpenConnections; got != 3 {
		t.Errorf("pool of %d, want 3", got)
	}
	beta := f.AddAccount(t, "Beta", "owner@beta.example")
	p := f.AddProduct(t, beta.ID, "PK-B1", "Beta sensor", 5)
	m := f.AddSubAccount(t, beta.ID, "staff@beta.example", true)
	if p.AccountID != beta.ID || f.Product.ID != 0 {
		t.Errorf("beta's product %+v; the fixture's first product %+v (want none)", p, f.Product)
	}
	if _, err := f.Store.Member(f.Ctx, beta.ID, m.ID); err != nil {
		t.Errorf("beta's sub-account: %v", err)
	}
	// The store reads the fixture's clock.
	if _, err := f.Store.Connect(f.Ctx, "PK-B1", "dev-1", storetest.HomeDC); err != nil {
		t.Fatal(err)
	}
	d, err := f.Store.DeviceByKey(f.Ctx, "PK-B1", "dev-1")
	if err != nil {
		t.Fatal(err)
	}
	if d.ActivatedAt == nil || !d.ActivatedAt.Equal(start) {
		t.Errorf("activated at %v, want the fixture's clock %v", d.ActivatedAt, start)
	}
}

func TestFixture_WithoutAccount(t *testing.T) {
	f := storetest.NewFixture(t, storetest.WithoutAccount(), storetest.WithToken("t"))
	var n int
	if err := f.Store.DB().QueryRowContext(context.Background(), `SELECT count(*) FROM accounts`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d accounts (%v), want none", n, err)
	}
	if f.Token == "" {
		t.Error("no token")
	}
}
