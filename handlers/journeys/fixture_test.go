package journeys_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

// The person of every journey: the owner of the enterprise account "Acme".
const (
	ownerEmail    = storetest.OwnerEmail
	ownerPassword = storetest.OwnerPassword
	frankfurt     = storetest.HomeDC
	shanghai      = "cn-shanghai"
)

// now is the moment the journeys happen at: the clock of the console.
var now = time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)

// day is a day before (negative) or after now.
func day(n int) time.Time { return now.AddDate(0, 0, n) }

// world is a small, demo-like account built through the store's API, with
// two years of history so that every page has something to show:
//
//   - eu-frankfurt: Smart Thermostat T3 (std-1y, 60 codes assigned, 13
//     devices: T3-000001 renewed once, T3-000002..08 expiring in 4-22 days,
//     T3-000009..12 later, T3-000013 blacklisted and lapsed), Water Meter
//     WM-200 (std-5y, 5 devices), Door Lock DL-5 (no package, one device
//     waiting for a code); unassigned: 150 std-1y, 20 std-5y.
//   - cn-shanghai: Smart Thermostat T3 (China) (std-1y, 3 devices expiring
//     in 10 days); unassigned: 15 std-1y.
type world struct {
	st       *store.Store
	clock    *storetest.Clock
	ctx      context.Context
	acme     store.Account
	thermo   store.Product
	meter    store.Product
	lock     store.Product
	cnThermo store.Product
}

// nearExpiryKeys are the Frankfurt devices whose codes expire within 30 days of now.
var nearExpiryKeys = []string{"T3-000001", "T3-000002", "T3-000003", "T3-000004", "T3-000005", "T3-000006", "T3-000007", "T3-000008"}

func newWorld(t *testing.T) *world {
	t.Helper()
	// The account Acme of the shared fixture: 10 free std-1y codes in Frankfurt.
	base := storetest.NewFixture(t, storetest.WithClockAt(day(-730)))
	w := &world{st: base.Store, clock: base.Clock, ctx: base.Ctx, acme: base.Account}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("building the journey's data: %v", err)
		}
	}
	var err error
	buy := func(order, dc, pkg string, n int64) {
		_, _, err := w.st.Purchase(w.ctx, store.PurchaseOrder{OrderNo: order, AccountID: w.acme.ID, DataCenter: dc, PackageCode: pkg, Quantity: n})
		must(err)
	}
	buy("ACME-1001", frankfurt, "std-1y", 200)
	buy("ACME-1002", frankfurt, "std-5y", 40)
	buy("ACME-1003", shanghai, "std-1y", 25)
	product := func(dc, pk, name string) store.Product {
		p, err := w.st.CreateProduct(w.ctx, store.Scope{AccountID: w.acme.ID, DC: dc}, store.ProductInput{ProductKey: pk, Name: name})
		must(err)
		return p
	}
	w.thermo = product(frankfurt, "acme-thermo-t3", "Smart Thermostat T3")
	w.meter = product(frankfurt, "acme-wm200", "Water Meter WM-200")
	w.lock = product(frankfurt, "acme-doorlock-dl5", "Door Lock DL-5")
	w.cnThermo = product(shanghai, "acme-cn-thermo-t3", "Smart Thermostat T3 (China)")
	assign := func(p store.Product, pkg string, n int64) {
		_, err := w.st.Assign(w.ctx, store.Scope{AccountID: w.acme.ID, DC: p.DC},
			store.AssignInput{ProductID: p.ID, PackageCode: pkg, Quantity: n, Actor: store.SystemActor(ownerEmail)})
		must(err)
	}
	assign(w.thermo, "std-1y", 60)
	assign(w.meter, "std-5y", 20)
	assign(w.cnThermo, "std-1y", 10)

	connect := func(at time.Time, p store.Product, dk string) {
		t.Helper()
		w.clock.Set(at)
		_, err := w.st.Connect(w.ctx, p.ProductKey, dk, p.DC)
		must(err)
	}
	connect(day(-715), w.thermo, "T3-000001") // expires day(-350), renewed to day(15)
	connect(day(-400), w.thermo, "T3-000013") // blacklisted below: lapses at day(-35)
	w.clock.Set(day(-380))
	_, err = w.st.SetBlacklisted(w.ctx, store.Scope{AccountID: w.acme.ID, DC: frankfurt},
		store.BlacklistInput{ProductID: w.thermo.ID, DeviceKeys: []string{"T3-000013"}, Blacklisted: true, Actor: store.SystemActor(ownerEmail)})
	must(err)
	w.clock.Set(day(-349))
	_, err = w.st.RenewalPass(w.ctx)
	must(err)
	for i, offset := range []int{4, 6, 9, 12, 16, 19, 22} { // T3-000002..08 expire at day(offset)
		connect(day(offset-365), w.thermo, fmt.Sprintf("T3-%06d", i+2))
	}
	for i := range 4 {
		connect(day(-200+i), w.thermo, fmt.Sprintf("T3-%06d", i+9))
	}
	for i := range 5 {
		connect(day(-100+i), w.meter, fmt.Sprintf("WM200-%06d", i+1))
	}
	for i := range 3 {
		connect(day(-355+i), w.cnThermo, fmt.Sprintf("CNT3-%06d", i+1))
	}
	w.clock.Set(day(-30))
	_, err = w.st.RenewalPass(w.ctx) // T3-000013 lapses: blacklisted
	must(err)
	w.clock.Set(day(-3))
	if _, err := w.st.Connect(w.ctx, w.lock.ProductKey, "DL5-000001", frankfurt); !store.HasCode(err, store.CodeNoActivationCode) {
		t.Fatalf("DL5-000001 should wait for a code, got %v", err)
	}
	w.clock.Set(now)
	return w
}

// licenses reads Acme's figures in dc as the store computes them.
func (w *world) licenses(t *testing.T, dc string) store.LicenseSummary {
	t.Helper()
	l, err := w.st.Licenses(w.ctx, store.Scope{AccountID: w.acme.ID, DC: dc})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// device reads a device of the Thermostat.
func (w *world) device(t *testing.T, p store.Product, dk string) store.Device {
	t.Helper()
	d, err := w.st.DeviceByKey(w.ctx, p.ProductKey, dk)
	if err != nil {
		t.Fatalf("device %s: %v", dk, err)
	}
	return d
}

// product reads a product's counters now.
func (w *world) product(t *testing.T, p store.Product) store.Product {
	t.Helper()
	got, err := w.st.ProductByKey(w.ctx, p.ProductKey)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// productPath is a product's details page.
func productPath(p store.Product) string { return fmt.Sprintf("/%s/products/%d", p.DC, p.ID) }
