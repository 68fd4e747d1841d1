package store_test

import (
	"testing"

	"activation-console/store"
)

// The store, not only the handler, holds a sub-account to its product scope
// on every write (docs/SECURITY.md, "Product scope on writes").
func TestConsoleWrites_RefuseProductsOutsideTheScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.product, f.newProduct(t, "eu-frankfurt", "PK-B")
	// One device on each product, lapsed for want of a code; then b gets a
	// code, so that renewing its device by hand would succeed if allowed.
	f.assign(t, a.ID, 1)
	f.assign(t, b.ID, 1)
	f.connect(t, "dev-a")
	if _, err := f.st.Connect(f.ctx, b.ProductKey, "dev-b", "eu-frankfurt"); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(year(epoch).Add(days(1)))
	if s := f.pass(t); s != (store.RenewalStats{Lapsed: 2}) {
		t.Fatalf("pass = %+v, want both devices lapsed", s)
	}
	f.assign(t, b.ID, 1)
	devB, err := f.st.DeviceByKey(f.ctx, b.ProductKey, "dev-b")
	if err != nil {
		t.Fatal(err)
	}

	onlyA := store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt", ProductIDs: []int64{a.ID}}
	actor := store.Actor{Name: "a-team@acme.example"}
	audited := countRows(t, f.st, `SELECT count(*) FROM audit_log`)
	before, err := f.st.ProductByKey(f.ctx, b.ProductKey)
	if err != nil {
		t.Fatal(err)
	}

	wantCode(t, f.st.SetAutoRenew(f.ctx, onlyA, store.AutoRenewInput{ProductID: b.ID, On: false, Actor: actor}), store.CodeUnknownProduct)
	_, err = f.st.SetBlacklisted(f.ctx, onlyA, store.BlacklistInput{ProductID: b.ID, DeviceKeys: []string{"dev-b"}, Blacklisted: true, Actor: actor})
	wantCode(t, err, store.CodeUnknownProduct)
	_, err = f.st.RenewNow(f.ctx, onlyA, store.RenewNowInput{DeviceID: devB.ID, Actor: actor})
	wantCode(t, err, store.CodeUnknownDevice)
	_, err = f.st.Assign(f.ctx, onlyA, store.AssignInput{ProductID: b.ID, PackageCode: "std-1y", Quantity: 1, Actor: actor})
	wantCode(t, err, store.CodeUnknownProduct)
	_, err = f.st.CreateMember(f.ctx, onlyA, store.MemberInput{Name: "B team", Email: "b-team@acme.example",
		Password: "a long enough password", ProductIDs: []int64{b.ID}, Actor: actor})
	wantCode(t, err, store.CodeInvalid)

	// Nothing was written.
	after, err := f.st.ProductByKey(f.ctx, b.ProductKey)
	if err != nil {
		t.Fatal(err)
	}
	if after.AutoRenew != before.AutoRenew || after.Assigned != before.Assigned || after.Available != before.Available || after.Consumed != before.Consumed {
		t.Errorf("product b = %+v, want unchanged %+v", after, before)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM blacklist`); n != 0 {
		t.Errorf("blacklist entries = %d, want 0", n)
	}
	if d, err := f.st.DeviceByKey(f.ctx, b.ProductKey, "dev-b"); err != nil || d.Status != store.StatusLapsed {
		t.Errorf("device b = %+v, %v, want still lapsed", d, err)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM users WHERE email = 'b-team@acme.example'`); n != 0 {
		t.Errorf("sub-accounts created = %d, want 0", n)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM audit_log`); n != audited {
		t.Errorf("audit rows = %d, want %d (none added)", n, audited)
	}

	// The same scope changes its own product.
	if _, err := f.st.Assign(f.ctx, onlyA, store.AssignInput{ProductID: a.ID, PackageCode: "std-1y", Quantity: 1, Actor: actor}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.RenewNow(f.ctx, onlyA, store.RenewNowInput{DeviceID: f.device(t, "dev-a").ID, Actor: actor}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetBlacklisted(f.ctx, onlyA, store.BlacklistInput{ProductID: a.ID, DeviceKeys: []string{"dev-a"}, Blacklisted: true, Actor: actor}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetAutoRenew(f.ctx, onlyA, store.AutoRenewInput{ProductID: a.ID, On: false, Actor: actor}); err != nil {
		t.Fatal(err)
	}
	verifyClean(t, f.st)
}
