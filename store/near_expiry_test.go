package store_test

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"activation-console/store"
)

// The near-expiry list (docs/pages.md, "5. Devices with near-expiry codes").

const neDay = 24 * time.Hour

// neConnect connects device dk of product pk through the product's DC.
func neConnect(t *testing.T, f *fixture, pk, dk, dc string) {
	t.Helper()
	if _, err := f.st.Connect(f.ctx, pk, dk, dc); err != nil {
		t.Fatalf("connect %s/%s: %v", pk, dk, err)
	}
}

// nearExpiry reads one page of the fixture account's list in eu-frankfurt.
func nearExpiry(t *testing.T, f *fixture, filter store.NearExpiryFilter, page store.PageRequest) store.Page[store.Device] {
	t.Helper()
	p, err := f.st.NearExpiryDevices(f.ctx, f.scope(), filter, page)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func neKeys(p store.Page[store.Device]) []string {
	keys := []string{}
	for _, d := range p.Rows {
		keys = append(keys, d.DeviceKey)
	}
	return keys
}

func TestNearExpiryDevices_ListsLiveDevicesWhoseCodesExpireWithin30Days(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.buy(t, "O-1", "std-1y", 20)
	f.assign(t, f.product.ID, 20)
	f.connect(t, "soon")      // expires year(epoch)
	f.connect(t, "deleted")   // deleted below
	f.connect(t, "also-soon") // expires with soon: the id breaks the tie
	f.clock.Set(epoch.Add(5 * neDay))
	f.connect(t, "later") // expires year(epoch)+5d
	f.clock.Set(epoch.Add(40 * neDay))
	f.connect(t, "far") // expires year(epoch)+40d: beyond the window
	if err := f.st.DeleteDevice(f.ctx, "PK-1", "deleted"); err != nil {
		t.Fatal(err)
	}
	// Another account, another DC and a deleted product, all expiring in the window.
	other := f.newAccount(t, "enterprise", "eu-frankfurt", "other@example.com")
	op, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-OTHER", Name: "Other thermostat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Assign(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"},
		store.AssignInput{ProductID: op.ID, PackageCode: "std-1y", Quantity: 1, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(epoch)
	neConnect(t, f, "PK-OTHER", "theirs", "eu-frankfurt")
	sh := f.newProduct(t, "cn-shanghai", "PK-SH")
	if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "O-SH-2", AccountID: f.account.ID, DataCenter: "cn-shanghai",
		PackageCode: "std-1y", Quantity: 1, ProductKey: sh.ProductKey}); err != nil {
		t.Fatal(err)
	}
	neConnect(t, f, "PK-SH", "shanghai", "cn-shanghai")
	gone := f.newProduct(t, "eu-frankfurt", "PK-GONE")
	f.assign(t, gone.ID, 1)
	neConnect(t, f, "PK-GONE", "of-deleted-product", "eu-frankfurt")
	if err := f.st.DeleteProduct(f.ctx, "PK-GONE"); err != nil {
		t.Fatal(err)
	}

	f.clock.Set(year(epoch).Add(-20*neDay - time.Hour))
	p := nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{})
	if got, want := neKeys(p), []string{"soon", "also-soon", "later"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("devices = %v, want %v (soonest first)", got, want)
	}
	d := p.Rows[0]
	if d.ProductName != "Thermostat" || d.ProductKey != "PK-1" || !d.ActivatedAt.Equal(epoch) || !d.ExpiresAt.Equal(year(epoch)) ||
		d.Outlook != store.OutlookWillRenew || !d.AutoRenew || d.Blacklisted {
		t.Errorf("first row = %+v, want Thermostat PK-1, will renew", d)
	}
	if p.Next != "" || p.Prev != "" {
		t.Errorf("cursors = %q %q, want none on a single page", p.Prev, p.Next)
	}

	// The figure is the overview's.
	n, err := f.st.NearExpiryCount(f.ctx, f.scope())
	if err != nil {
		t.Fatal(err)
	}
	if l := f.licenses(t, "eu-frankfurt"); n != 3 || l.NearExpiryDevices != n {
		t.Errorf("count = %d, overview = %d, want 3 and equal", n, l.NearExpiryDevices)
	}

	// Once expired, a code is no longer near expiry: renewed devices leave the
	// list, and so do those the worker has not reached yet.
	f.clock.Set(year(epoch).Add(time.Minute))
	if got := neKeys(nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{})); !reflect.DeepEqual(got, []string{"later"}) {
		t.Errorf("after expiry = %v, want only later", got)
	}
	f.pass(t)
	if got := neKeys(nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{})); !reflect.DeepEqual(got, []string{"later"}) {
		t.Errorf("after renewal = %v, want only later", got)
	}
	if l := f.licenses(t, "eu-frankfurt"); l.NearExpiryDevices != 1 {
		t.Errorf("overview = %d, want 1", l.NearExpiryDevices)
	}
	verifyClean(t, f.st)
}

func TestNearExpiryDevices_Filters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 5)
	lamp, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "LAMP-7", Name: "Desk lamp"})
	if err != nil {
		t.Fatal(err)
	}
	f.buy(t, "O-1", "std-1y", 5)
	f.assign(t, lamp.ID, 5)
	f.connect(t, "thermo-001") // activated epoch, expires year(epoch)
	f.clock.Set(epoch.Add(3 * neDay))
	f.connect(t, "thermo-002") // activated epoch+3d
	neConnect(t, f, "LAMP-7", "lamp_100", "eu-frankfurt")
	f.clock.Set(epoch.Add(10 * neDay))
	neConnect(t, f, "LAMP-7", "lamp-200", "eu-frankfurt") // activated epoch+10d
	f.clock.Set(year(epoch).Add(-neDay))                  // every code expires within 11 days

	cases := []struct {
		name   string
		filter store.NearExpiryFilter
		want   []string
	}{
		{"none", store.NearExpiryFilter{}, []string{"thermo-001", "thermo-002", "lamp_100", "lamp-200"}},
		{"product name part, any case", store.NearExpiryFilter{Product: "  ERMOST "}, []string{"thermo-001", "thermo-002"}},
		{"product key start", store.NearExpiryFilter{Product: "lamp-"}, []string{"lamp_100", "lamp-200"}},
		{"product name", store.NearExpiryFilter{Product: "desk LAMP"}, []string{"lamp_100", "lamp-200"}},
		{"product key middle does not match", store.NearExpiryFilter{Product: "MP-7"}, []string{}},
		{"device key start, any case", store.NearExpiryFilter{DeviceKey: "THERMO-"}, []string{"thermo-001", "thermo-002"}},
		{"device key middle does not match", store.NearExpiryFilter{DeviceKey: "00"}, []string{}},
		{"device key exact", store.NearExpiryFilter{DeviceKey: "thermo-002"}, []string{"thermo-002"}},
		{"percent is literal", store.NearExpiryFilter{DeviceKey: "lamp%"}, []string{}},
		{"underscore is literal", store.NearExpiryFilter{DeviceKey: "lamp_"}, []string{"lamp_100"}},
		{"product and device", store.NearExpiryFilter{Product: "PK-1", DeviceKey: "thermo-00"}, []string{"thermo-001", "thermo-002"}},
		{"product and device of another product", store.NearExpiryFilter{Product: "PK-1", DeviceKey: "lamp"}, []string{}},
		{"no product matches", store.NearExpiryFilter{Product: "nothing like it"}, []string{}},
		{"activated from", store.NearExpiryFilter{Activated: store.DateRange{From: epoch.Add(3 * neDay)}}, []string{"thermo-002", "lamp_100", "lamp-200"}},
		{"activated to (excluded)", store.NearExpiryFilter{Activated: store.DateRange{To: epoch.Add(3 * neDay)}}, []string{"thermo-001"}},
		{"activated range", store.NearExpiryFilter{Activated: store.DateRange{From: epoch.Add(neDay), To: epoch.Add(4 * neDay)}}, []string{"thermo-002", "lamp_100"}},
		{"expires from", store.NearExpiryFilter{Expires: store.DateRange{From: year(epoch).Add(5 * neDay)}}, []string{"lamp-200"}},
		{"expires to", store.NearExpiryFilter{Expires: store.DateRange{To: year(epoch).Add(time.Second)}}, []string{"thermo-001"}},
		{"expires range", store.NearExpiryFilter{Expires: store.DateRange{From: year(epoch).Add(neDay), To: year(epoch).Add(4 * neDay)}}, []string{"thermo-002", "lamp_100"}},
		{"expires range beyond the window", store.NearExpiryFilter{Expires: store.DateRange{From: year(epoch).Add(60 * neDay)}}, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := neKeys(nearExpiry(t, f, c.filter, store.PageRequest{})); !reflect.DeepEqual(got, c.want) {
				t.Errorf("devices = %v, want %v", got, c.want)
			}
			var exported []string
			err := f.st.EachNearExpiryDevice(f.ctx, f.scope(), c.filter,
				func(d store.Device) error { exported = append(exported, d.DeviceKey); return nil })
			if err != nil {
				t.Fatal(err)
			}
			if len(exported) == 0 {
				exported = []string{}
			}
			if !reflect.DeepEqual(exported, c.want) {
				t.Errorf("export = %v, want %v", exported, c.want)
			}
		})
	}

	t.Run("scope of chosen products", func(t *testing.T) {
		p, err := f.st.NearExpiryDevices(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt", ProductIDs: []int64{lamp.ID}},
			store.NearExpiryFilter{}, store.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if got := neKeys(p); !reflect.DeepEqual(got, []string{"lamp_100", "lamp-200"}) {
			t.Errorf("devices = %v, want the lamp's only", got)
		}
		n, err := f.st.NearExpiryCount(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt", ProductIDs: []int64{lamp.ID}})
		if err != nil || n != 2 {
			t.Errorf("count = %d, %v, want 2", n, err)
		}
		l, err := f.st.Licenses(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt", ProductIDs: []int64{lamp.ID}})
		if err != nil || l.NearExpiryDevices != n {
			t.Errorf("the overview of the scope counts %d, %v; want %d", l.NearExpiryDevices, err, n)
		}
	})
}

func TestNearExpiryDevices_PagesForwardAndBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.buy(t, "O-1", "std-1y", 110)
	f.assign(t, f.product.ID, 120)
	for i := 0; i < 120; i++ {
		if i%3 != 0 { // every third device shares its expiry with the one before: the id breaks the tie
			f.clock.Advance(time.Minute)
		}
		f.connect(t, fmt.Sprintf("dev-%03d", i))
	}
	f.clock.Set(year(epoch).Add(-10 * neDay))

	var all []string
	if err := f.st.EachNearExpiryDevice(f.ctx, f.scope(), store.NearExpiryFilter{},
		func(d store.Device) error { all = append(all, d.DeviceKey); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 120 || all[0] != "dev-000" || all[119] != "dev-119" {
		t.Fatalf("export has %d devices from %v, want 120 in connect order", len(all), all[:1])
	}

	p1 := nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{})
	if !reflect.DeepEqual(neKeys(p1), all[:50]) || p1.Prev != "" || p1.Next == "" {
		t.Fatalf("page 1 = %v prev %q next %q", neKeys(p1), p1.Prev, p1.Next)
	}
	p2 := nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{After: p1.Next})
	if !reflect.DeepEqual(neKeys(p2), all[50:100]) || p2.Prev == "" || p2.Next == "" {
		t.Fatalf("page 2 = %v", neKeys(p2))
	}
	p3 := nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{After: p2.Next})
	if !reflect.DeepEqual(neKeys(p3), all[100:]) || p3.Prev == "" || p3.Next != "" {
		t.Fatalf("page 3 = %v next %q", neKeys(p3), p3.Next)
	}
	back2 := nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{Before: p3.Prev})
	if !reflect.DeepEqual(neKeys(back2), all[50:100]) || back2.Prev == "" || back2.Next == "" {
		t.Fatalf("back to page 2 = %v", neKeys(back2))
	}
	back1 := nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{Before: back2.Prev})
	if !reflect.DeepEqual(neKeys(back1), all[:50]) || back1.Prev != "" || back1.Next == "" {
		t.Fatalf("back to page 1 = %v prev %q", neKeys(back1), back1.Prev)
	}

	_, err := f.st.NearExpiryDevices(f.ctx, f.scope(), store.NearExpiryFilter{},
		store.PageRequest{After: "not-a-cursor"})
	if e := wantCode(t, err, store.CodeInvalid); e.Field != "cursor" {
		t.Errorf("field = %q, want cursor", e.Field)
	}
}

func TestNearExpiryDevices_ShowsEachDevicesRenewalOutlook(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 5) // 2 devices due to renew (one is blacklisted), 2 codes left: will renew
	off := f.newProduct(t, "eu-frankfurt", "PK-OFF")
	risky := f.newProduct(t, "eu-frankfurt", "PK-RISK")
	f.buy(t, "O-1", "std-1y", 10)
	f.assign(t, off.ID, 2)
	f.assign(t, risky.ID, 3) // 3 devices due, none left over: at risk
	for _, dk := range []string{"a", "b", "listed"} {
		f.connect(t, dk)
		neConnect(t, f, "PK-RISK", "risk-"+dk, "eu-frankfurt")
	}
	neConnect(t, f, "PK-OFF", "off-a", "eu-frankfurt")
	if _, err := f.st.SetBlacklisted(f.ctx, f.scope(),
		store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"listed"}, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetAutoRenew(f.ctx, f.scope(),
		store.AutoRenewInput{ProductID: off.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(year(epoch).Add(-neDay))

	got := map[string]store.Outlook{}
	for _, d := range nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{}).Rows {
		got[d.DeviceKey] = d.Outlook
	}
	want := map[string]store.Outlook{"a": store.OutlookWillRenew, "b": store.OutlookWillRenew, "listed": store.OutlookBlacklisted,
		"off-a": store.OutlookAutoRenewOff, "risk-a": store.OutlookAtRisk, "risk-b": store.OutlookAtRisk, "risk-listed": store.OutlookAtRisk}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outlooks = %v, want %v", got, want)
	}
	exported := map[string]store.Outlook{}
	if err := f.st.EachNearExpiryDevice(f.ctx, f.scope(), store.NearExpiryFilter{},
		func(d store.Device) error { exported[d.DeviceKey] = d.Outlook; return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(exported, want) {
		t.Errorf("exported outlooks = %v, want %v", exported, want)
	}
}

// TestNearExpiryDevices_FirstPageReadsTheExpiryIndex checks the plan on an
// account with many devices: the first page walks devices_account_expiry
// from now and stops after a page, instead of reading every device.
func TestNearExpiryDevices_FirstPageReadsTheExpiryIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 50,000 devices")
	}
	t.Parallel()
	f := newFixture(t)
	db := f.st.DB()
	ctx := context.Background()
	// 50,000 devices activated over the past year, straight into the table
	// (the plan is what is tested, not the ledger): about 4,000 expire within
	// the window.
	// Without the store's statement timeout: a bulk load on a loaded machine may take longer.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO devices (account_id, dc, product_id, device_key, activated_at, expires_at, last_kind, activations)
		SELECT $1, 'eu-frankfurt', $2, 'd-' || i, $3::timestamptz - (i * interval '630 seconds'),
			$3::timestamptz - (i * interval '630 seconds') + interval '1 year', 'first', 1
		FROM generate_series(1, 50000) i`, f.account.ID, f.product.ID, epoch); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(year(epoch).Add(-15 * neDay))
	now := f.st.Now()
	p := nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{})
	if len(p.Rows) != store.PageSize || p.Next == "" {
		t.Fatalf("first page has %d devices", len(p.Rows))
	}
	// The store's statement for the first page, unfiltered.
	var plan []string
	err = db.SelectContext(ctx, &plan, `EXPLAIN (ANALYZE, FORMAT TEXT)
		SELECT d.id FROM devices d JOIN products p ON p.id = d.product_id
		WHERE d.account_id = $1 AND d.dc = $2 AND d.product_id = ANY($3) AND d.lapsed_at IS NULL AND d.deleted_at IS NULL
			AND d.expires_at > $4 AND d.expires_at < $5 AND p.deleted_at IS NULL
		ORDER BY d.expires_at, d.id LIMIT 51`, f.account.ID, "eu-frankfurt", pq.Array([]int64{f.product.ID}), now, now.Add(store.NearExpiryWindow))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	// The devices' scan must stop after about a page, not read the window or the account.
	scan := regexp.MustCompile(`Index (Only )?Scan using devices_(account_expiry|product_expiry|due_order) on devices d .*actual time=\S+ rows=(\d+)`).FindStringSubmatch(text)
	if scan == nil {
		t.Fatalf("plan does not read an expiry index:\n%s", text)
	}
	if rows, _ := strconv.Atoi(scan[3]); rows > 2*store.PageSize {
		t.Errorf("the scan read %d devices for a page of %d:\n%s", rows, store.PageSize, text)
	}

	// A DeviceKey prefix that few devices have is read from the key index;
	// one that most have walks the expiry index: the rows are the same.
	if got := neKeys(nearExpiry(t, f, store.NearExpiryFilter{DeviceKey: "D-300"}, store.PageRequest{})); !reflect.DeepEqual(got, []string{"d-300"}) {
		t.Errorf("narrow prefix: %v, want d-300", got)
	}
	if got := nearExpiry(t, f, store.NearExpiryFilter{DeviceKey: "d-"}, store.PageRequest{}); !reflect.DeepEqual(neKeys(got), neKeys(p)) {
		t.Errorf("broad prefix: %v, want the unfiltered page", neKeys(got))
	}
	t.Logf("plan:\n%s", text)
}

// A code that expired a moment ago and that the worker has not renewed yet
// still needs a code: it counts among the devices due when the outlook
// weighs a product's available codes.
func TestNearExpiryDevices_ExpiredButNotYetRenewedCountsAsDue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 3)
	f.connect(t, "old")
	f.clock.Set(epoch.Add(10 * neDay))
	f.connect(t, "new")
	f.clock.Set(year(epoch).Add(time.Hour)) // old expired an hour ago; new expires in 10 days; 1 code left
	p := nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{})
	if len(p.Rows) != 1 || p.Rows[0].DeviceKey != "new" || p.Rows[0].Outlook != store.OutlookAtRisk {
		t.Fatalf("devices = %+v, want new at risk: 2 devices due, 1 code", p.Rows)
	}
	f.pass(t) // old renews with the last code
	p = nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{})
	if len(p.Rows) != 1 || p.Rows[0].Outlook != store.OutlookAtRisk {
		t.Fatalf("devices = %+v, want new still at risk: 1 device due, no code", p.Rows)
	}
	f.assign(t, f.product.ID, 1)
	p = nearExpiry(t, f, store.NearExpiryFilter{}, store.PageRequest{})
	if len(p.Rows) != 1 || p.Rows[0].Outlook != store.OutlookWillRenew {
		t.Fatalf("devices = %+v, want new to renew once a code is assigned", p.Rows)
	}
}

// The activation filter narrows the expiry range by the packages' validity:
// products of a one-year and a five-year package both keep their devices.
func TestNearExpiryDevices_ActivationFilterAcrossPackages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	five := f.newProduct(t, "eu-frankfurt", "PK-5Y")
	f.buy(t, "O-5", "std-5y", 1)
	if _, err := f.st.Assign(f.ctx, f.scope(),
		store.AssignInput{ProductID: five.ID, PackageCode: "std-5y", Quantity: 1, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.assign(t, f.product.ID, 1)
	neConnect(t, f, "PK-5Y", "five-year", "eu-frankfurt") // expires epoch + 5 years
	f.clock.Set(epoch.AddDate(4, 0, 0))
	f.connect(t, "one-year") // expires epoch + 5 years too
	f.clock.Set(epoch.AddDate(5, 0, 0).Add(-10 * neDay))
	cases := []struct {
		name   string
		filter store.NearExpiryFilter
		want   []string
	}{
		{"from before both", store.NearExpiryFilter{Activated: store.DateRange{From: epoch.Add(-neDay)}}, []string{"five-year", "one-year"}},
		{"from after the first", store.NearExpiryFilter{Activated: store.DateRange{From: epoch.Add(neDay)}}, []string{"one-year"}},
		{"to before the second", store.NearExpiryFilter{Activated: store.DateRange{To: epoch.Add(neDay)}}, []string{"five-year"}},
		{"to after both", store.NearExpiryFilter{Activated: store.DateRange{To: epoch.AddDate(4, 0, 1)}}, []string{"five-year", "one-year"}},
	}
	for _, c := range cases {
		if got := neKeys(nearExpiry(t, f, c.filter, store.PageRequest{})); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: devices = %v, want %v", c.name, got, c.want)
		}
	}
}
