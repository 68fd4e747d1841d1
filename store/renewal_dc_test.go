package store_test

import (
	"testing"
	"time"

	"activation-console/store"
)

// An instance that serves some data centers (--dc) renews their devices
// only; another instance renews the rest.
func TestRenewalPassIn_RenewsOnlyTheGivenDataCenters(t *testing.T) {
	f := newFixture(t)
	f.buy(t, "O-F", "std-1y", 2)
	f.assign(t, f.product.ID, 2)
	f.connect(t, "dev-fra")
	sh, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "cn-shanghai"}, store.ProductInput{ProductKey: "PK-SH", Name: "Lock"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "O-S", AccountID: f.account.ID, DataCenter: "cn-shanghai",
		PackageCode: "std-1y", Quantity: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Assign(f.ctx, store.Scope{AccountID: f.account.ID, DC: "cn-shanghai"},
		store.AssignInput{ProductID: sh.ID, PackageCode: "std-1y", Quantity: 2, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Connect(f.ctx, "PK-SH", "dev-sha", "cn-shanghai"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(367 * 24 * time.Hour)

	stats, err := f.st.RenewalPassIn(f.ctx, []string{"eu-frankfurt"})
	if err != nil || stats.Renewed != 1 {
		t.Fatalf("Frankfurt's pass: %+v, %v; want 1 renewed", stats, err)
	}
	if d := f.device(t, "dev-fra"); !d.ExpiresAt.After(f.clock.Now()) {
		t.Errorf("the Frankfurt device was not renewed: expires %v", d.ExpiresAt)
	}
	sha, err := f.st.DeviceByKey(f.ctx, "PK-SH", "dev-sha")
	if err != nil {
		t.Fatal(err)
	}
	if sha.ExpiresAt.After(f.clock.Now()) || sha.LapsedAt != nil {
		t.Errorf("the Shanghai device was handled by Frankfurt's pass: %+v", sha)
	}
	if stats, err := f.st.RenewalPassIn(f.ctx, []string{"cn-shanghai"}); err != nil || stats.Renewed != 1 {
		t.Fatalf("Shanghai's pass: %+v, %v; want 1 renewed", stats, err)
	}
	verifyClean(t, f.st)
}
