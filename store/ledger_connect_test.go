package store_test

import (
	"testing"
	"time"

	"activation-console/store"
)

// Consuming codes (docs/codes.md, "Consuming codes").

func TestConnect_NewDeviceConsumesOneCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 3)
	r := f.connect(t, "dev-1")
	if r.Result != store.ResultActivated || !r.ActivatedAt.Equal(epoch) || !r.ExpiresAt.Equal(year(epoch)) {
		t.Errorf("connect = %+v, want activated from now for one year", r)
	}
	if p := f.productNow(t); p.Available != 2 || p.Consumed != 1 || p.Assigned != 3 {
		t.Errorf("product = %+v, want 2 available and 1 consumed", p)
	}
	d := f.device(t, "dev-1")
	if d.Activations != 1 || d.LastKind == nil || *d.LastKind != store.ActivationFirst || d.Status != store.StatusActive || d.WaitingSince != nil {
		t.Errorf("device = %+v, want one first activation, active", d)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM activations WHERE device_id = $1 AND kind = 'first' AND activated_at = $2 AND expires_at = $3`,
		d.ID, epoch, year(epoch)); n != 1 {
		t.Errorf("activation rows = %d, want 1", n)
	}
	if l := f.licenses(t, "eu-frankfurt"); l.Consumed != 1 || l.Available != 2 || l.Total() != 10 {
		t.Errorf("licenses = %+v", l)
	}
	verifyClean(t, f.st)
}

func TestConnect_ValidDeviceConsumesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 3)
	first := f.connect(t, "dev-1")
	for _, advance := range []time.Duration{0, time.Hour, days(200), days(364)} {
		f.clock.Set(epoch.Add(advance))
		r := f.connect(t, "dev-1")
		if r.Result != store.ResultValid || !r.ActivatedAt.Equal(first.ActivatedAt) || !r.ExpiresAt.Equal(first.ExpiresAt) {
			t.Errorf("after %v: connect = %+v, want valid with the first code's times", advance, r)
		}
	}
	if p := f.productNow(t); p.Consumed != 1 || p.Available != 2 {
		t.Errorf("product = %+v, want 1 consumed", p)
	}
	verifyClean(t, f.st)
}

func TestConnect_WithoutCodeWaitsUntilOneIsAssigned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := 0; i < 2; i++ { // a retry stays one waiting device
		_, err := f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
		wantCode(t, err, store.CodeNoActivationCode)
	}
	if l := f.licenses(t, "eu-frankfurt"); l.WaitingDevices != 1 || l.Consumed != 0 {
		t.Errorf("licenses = %+v, want one waiting device", l)
	}
	if d := f.device(t, "dev-1"); d.Status != store.StatusWaiting || d.Activations != 0 || !d.WaitingSince.Equal(epoch) {
		t.Errorf("device = %+v, want waiting since the first refusal", d)
	}
	f.clock.Advance(days(3))
	f.assign(t, f.product.ID, 1)
	r := f.connect(t, "dev-1")
	if r.Result != store.ResultActivated || !r.ActivatedAt.Equal(epoch.Add(days(3))) {
		t.Errorf("connect = %+v, want activated from now", r)
	}
	if l := f.licenses(t, "eu-frankfurt"); l.WaitingDevices != 0 || l.Consumed != 1 || l.Available != 0 {
		t.Errorf("licenses = %+v, want no waiting device and one consumed", l)
	}
	if d := f.device(t, "dev-1"); d.WaitingSince != nil || d.Status != store.StatusActive {
		t.Errorf("device = %+v, want active and no longer waiting", d)
	}
	verifyClean(t, f.st)
}

func TestConnect_DeletedDeviceWithinValidityIsRestored(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 2)
	first := f.connect(t, "dev-1")
	if err := f.st.DeleteDevice(f.ctx, "PK-1", "dev-1"); err != nil {
		t.Fatal(err)
	}
	if d := f.device(t, "dev-1"); d.Status != store.StatusDeleted {
		t.Errorf("status = %s, want deleted", d.Status)
	}
	f.clock.Advance(days(100))
	r := f.connect(t, "dev-1")
	if r.Result != store.ResultRestored || !r.ActivatedAt.Equal(first.ActivatedAt) || !r.ExpiresAt.Equal(first.ExpiresAt) {
		t.Errorf("connect = %+v, want restored with its code's times", r)
	}
	if p := f.productNow(t); p.Consumed != 1 || p.Available != 1 {
		t.Errorf("product = %+v, want nothing more consumed", p)
	}
	if d := f.device(t, "dev-1"); d.Status != store.StatusActive || d.DeletedAt != nil || d.Activations != 1 {
		t.Errorf("device = %+v, want active again with one activation", d)
	}
	verifyClean(t, f.st)
}

func TestConnect_DeletedDeviceAfterValidityIsTreatedAsNew(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 2)
	f.connect(t, "dev-1")
	if err := f.st.DeleteDevice(f.ctx, "PK-1", "dev-1"); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(year(epoch).Add(days(10)))
	if s := f.pass(t); s != (store.RenewalStats{}) {
		t.Errorf("pass = %+v, want deleted devices left alone", s)
	}
	now := f.st.Now()
	r := f.connect(t, "dev-1")
	if r.Result != store.ResultActivated || !r.ActivatedAt.Equal(now) || !r.ExpiresAt.Equal(year(now)) {
		t.Errorf("connect = %+v, want activated from now with a new code", r)
	}
	d := f.device(t, "dev-1")
	if d.Activations != 2 || *d.LastKind != store.ActivationFirst || d.Status != store.StatusActive {
		t.Errorf("device = %+v, want a second, first-kind activation", d)
	}
	if p := f.productNow(t); p.Consumed != 2 || p.Available != 0 {
		t.Errorf("product = %+v, want 2 consumed", p)
	}
	verifyClean(t, f.st)
}

// A deleted device that comes back after its validity is new (rules 3, then
// 1, of (docs/codes.md, "Consuming codes")): refused without a code, it waits like a
// new device, the renewal worker does not spend a code on it, and its next
// connect activates it from now rather than renewing across the time it was
// deleted.
func TestConnect_DeletedDeviceRefusedAfterValidityWaitsAsNew(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 1)
	f.connect(t, "dev-1")
	if err := f.st.DeleteDevice(f.ctx, "PK-1", "dev-1"); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(year(epoch).Add(days(30)))
	_, err := f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
	wantCode(t, err, store.CodeNoActivationCode)
	if l := f.licenses(t, "eu-frankfurt"); l.WaitingDevices != 1 {
		t.Errorf("waiting devices = %d, want 1", l.WaitingDevices)
	}
	if d := f.device(t, "dev-1"); d.Status != store.StatusWaiting {
		t.Errorf("status = %s, want waiting", d.Status)
	}
	f.assign(t, f.product.ID, 2)
	f.clock.Advance(days(1))
	if s := f.pass(t); s != (store.RenewalStats{}) {
		t.Errorf("pass = %+v, want nothing spent on a waiting device that stays away", s)
	}
	if p := f.productNow(t); p.Available != 2 {
		t.Errorf("available = %d, want 2", p.Available)
	}
	now := f.st.Now()
	r := f.connect(t, "dev-1")
	if r.Result != store.ResultActivated || !r.ActivatedAt.Equal(now) || !r.ExpiresAt.Equal(year(now)) {
		t.Errorf("connect = %+v, want activated from now (%v)", r, now)
	}
	d := f.device(t, "dev-1")
	if d.WaitingSince != nil || *d.LastKind != store.ActivationFirst || d.Activations != 2 {
		t.Errorf("device = %+v, want a first activation and no longer waiting", d)
	}
	if l := f.licenses(t, "eu-frankfurt"); l.WaitingDevices != 0 || l.Consumed != 2 {
		t.Errorf("licenses = %+v, want nobody waiting, 2 consumed", l)
	}
	verifyClean(t, f.st)
}

func TestConnect_ThroughAnotherDCCountsInTheProductsDC(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 2)
	r, err := f.st.Connect(f.ctx, "PK-1", "dev-1", "cn-shanghai")
	if err != nil || r.Result != store.ResultActivated {
		t.Fatalf("connect through cn-shanghai: %+v %v", r, err)
	}
	if eu := f.licenses(t, "eu-frankfurt"); eu.Consumed != 1 || eu.Available != 1 {
		t.Errorf("eu-frankfurt = %+v, want the consumption counted here", eu)
	}
	if cn := f.licenses(t, "cn-shanghai"); cn.Consumed != 0 || cn.Total() != 0 {
		t.Errorf("cn-shanghai = %+v, want nothing", cn)
	}
	var dc, via string
	if err := f.st.DB().QueryRowContext(f.ctx, `SELECT dc, last_connect_dc FROM devices WHERE device_key = 'dev-1'`).Scan(&dc, &via); err != nil {
		t.Fatal(err)
	}
	if dc != "eu-frankfurt" || via != "cn-shanghai" {
		t.Errorf("device dc = %s, last connect via %s; want eu-frankfurt via cn-shanghai", dc, via)
	}
	// Waiting devices count in the product's DC too.
	f.newProduct(t, "eu-frankfurt", "PK-EMPTY")
	_, err = f.st.Connect(f.ctx, "PK-EMPTY", "dev-2", "cn-shanghai")
	wantCode(t, err, store.CodeNoActivationCode)
	if eu, cn := f.licenses(t, "eu-frankfurt"), f.licenses(t, "cn-shanghai"); eu.WaitingDevices != 1 || cn.WaitingDevices != 0 {
		t.Errorf("waiting: eu-frankfurt %d, cn-shanghai %d; want 1 and 0", eu.WaitingDevices, cn.WaitingDevices)
	}
	verifyClean(t, f.st)
}

func TestConnect_RefusesUnknownProducts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.st.Connect(f.ctx, "PK-NOPE", "dev-1", "eu-frankfurt")
	wantCode(t, err, store.CodeUnknownProduct)
	for _, c := range []struct{ pk, dk, field string }{
		{"PK 1", "dev-1", "product_key"},
		{"PK-1", "", "device_key"},
		{"PK-1", "dev/1", "device_key"},
	} {
		_, err := f.st.Connect(f.ctx, c.pk, c.dk, "eu-frankfurt")
		if e := wantCode(t, err, store.CodeInvalid); e.Field != c.field {
			t.Errorf("%q/%q: field = %q, want %q", c.pk, c.dk, e.Field, c.field)
		}
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM devices`); n != 0 {
		t.Errorf("devices = %d, want none recorded", n)
	}
}

func TestDeleteProduct_ForfeitsItsAvailableCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 6)
	f.connect(t, "dev-1")
	f.connect(t, "dev-2")
	before := f.productNow(t)
	poolBefore := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y")
	if err := f.st.DeleteProduct(f.ctx, "PK-1"); err != nil {
		t.Fatal(err)
	}
	var p struct {
		Assigned, Available, Consumed, Forfeited int64
	}
	if err := f.st.DB().QueryRowContext(f.ctx, `SELECT assigned, available, consumed, forfeited FROM products WHERE id = $1`, f.product.ID).
		Scan(&p.Assigned, &p.Available, &p.Consumed, &p.Forfeited); err != nil {
		t.Fatal(err)
	}
	if p.Forfeited != before.Available || p.Available != 0 || p.Consumed != 2 || p.Assigned != 6 {
		t.Errorf("deleted product = %+v, want the %d available codes forfeited", p, before.Available)
	}
	if got := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y"); got != poolBefore {
		t.Errorf("pool = %+v, want unchanged %+v", got, poolBefore)
	}
	if l := f.licenses(t, "eu-frankfurt"); l.Available != 0 || l.Consumed != 2 || l.UnassignedTotal() != 4 {
		t.Errorf("licenses = %+v, want consumed 2 kept, available 0, 4 unassigned", l)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM devices WHERE product_id = $1 AND deleted_at IS NULL`, f.product.ID); n != 0 {
		t.Errorf("%d devices of the deleted product are live", n)
	}
	verifyClean(t, f.st)

	_, err := f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
	wantCode(t, err, store.CodeUnknownProduct)
	_, err = f.st.ProductByKey(f.ctx, "PK-1")
	wantCode(t, err, store.CodeUnknownProduct)
	_, err = f.st.DeviceByKey(f.ctx, "PK-1", "dev-1")
	wantCode(t, err, store.CodeUnknownProduct)
	wantCode(t, f.st.DeleteProduct(f.ctx, "PK-1"), store.CodeUnknownProduct)
	_, _, err = f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-LATE", AccountID: f.account.ID, DataCenter: "eu-frankfurt",
		PackageCode: "std-1y", Quantity: 1, ProductKey: "PK-1"})
	wantCode(t, err, store.CodeUnknownProduct)
	_, err = f.st.Assign(f.ctx, f.scope(),
		store.AssignInput{ProductID: f.product.ID, Quantity: 1, Actor: store.SystemActor("test")})
	wantCode(t, err, store.CodeUnknownProduct)

	// The PK may be used again by a new product, which starts from nothing.
	again := f.newProduct(t, "eu-frankfurt", "PK-1")
	if again.ID == f.product.ID || again.Assigned != 0 || again.PackageCode != nil {
		t.Errorf("new PK-1 = %+v, want a fresh product", again)
	}
	_, err = f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
	wantCode(t, err, store.CodeNoActivationCode)
	verifyClean(t, f.st)
}

func TestDeleteDevice_ReturnsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 3)
	f.connect(t, "dev-1")
	if err := f.st.DeleteDevice(f.ctx, "PK-1", "dev-1"); err != nil {
		t.Fatal(err)
	}
	if p := f.productNow(t); p.Available != 2 || p.Consumed != 1 {
		t.Errorf("product = %+v, want the consumed code to stay consumed", p)
	}
	if l := f.licenses(t, "eu-frankfurt"); l.Consumed != 1 || l.Available != 2 || l.UnassignedTotal() != 7 {
		t.Errorf("licenses = %+v", l)
	}
	wantCode(t, f.st.DeleteDevice(f.ctx, "PK-1", "dev-1"), store.CodeUnknownDevice)
	wantCode(t, f.st.DeleteDevice(f.ctx, "PK-1", "dev-never"), store.CodeUnknownDevice)
	wantCode(t, f.st.DeleteDevice(f.ctx, "PK-NOPE", "dev-1"), store.CodeUnknownProduct)
	verifyClean(t, f.st)
}
