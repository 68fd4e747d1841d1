package store_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"activation-console/store"
)

// collect runs one export and returns a row's identity per row, in order.
func collect[T any](t *testing.T, each func(func(T) error) error, id func(T) string) []string {
	t.Helper()
	var out []string
	if err := each(func(r T) error { out = append(out, id(r)); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every export read in pages of 3 rows, each page its own query, yields what
// one page of all rows yields: each row once, in the list's order, across
// page ends that fall on ties of time, on devices without a code (sorted as
// 'infinity') and on DeviceKeys.
func TestExport_PagesYieldEveryRowOnceInOrder(t *testing.T) {
	f := newFixture(t)
	seedDevices(t, f, 20, 5)
	for i := range 8 { // assignments and audit entries at one instant: ties broken by id
		p, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: fmt.Sprintf("PK-x%d", i), Name: fmt.Sprintf("Lamp %d", i%3)})
		if err != nil {
			t.Fatal(err)
		}
		f.buy(t, fmt.Sprintf("O-x%d", i), "std-1y", 1)
		f.assign(t, p.ID, 1)
	}
	f.clock.Advance(355 * 24 * time.Hour) // the dated devices' codes now expire within the near-expiry window
	paged := store.OpenDB(f.st.DB(), store.WithClock(f.clock.Now), store.WithExportPageSize(3))
	sc, prod := f.scope(), f.productNow(t)
	devID := func(d store.Device) string { return d.DeviceKey }
	for name, run := range map[string]func(st *store.Store) []string{
		"ProductDevicesByExpiry": func(st *store.Store) []string {
			return collect(t, func(fn func(store.Device) error) error {
				return st.EachProductDevice(f.ctx, sc, prod, store.DeviceFilter{}, fn)
			}, devID)
		},
		"ProductDevicesByKey": func(st *store.Store) []string {
			return collect(t, func(fn func(store.Device) error) error {
				return st.EachProductDevice(f.ctx, sc, prod, store.DeviceFilter{DeviceKey: "d"}, fn)
			}, devID)
		},
		"NearExpiry": func(st *store.Store) []string {
			return collect(t, func(fn func(store.Device) error) error {
				return st.EachNearExpiryDevice(f.ctx, sc, store.NearExpiryFilter{}, fn)
			}, devID)
		},
		"Assignments": func(st *store.Store) []string {
			return collect(t, func(fn func(store.AssignmentRecord) error) error {
				return st.EachAssignment(f.ctx, sc, store.AssignmentFilter{}, fn)
			}, func(r store.AssignmentRecord) string { return fmt.Sprint(r.ID) })
		},
		"ProductCodes": func(st *store.Store) []string {
			return collect(t, func(fn func(store.ProductCodes) error) error {
				return st.EachProductCodes(f.ctx, sc, store.ProductCodesFilter{}, fn)
			}, func(r store.ProductCodes) string { return fmt.Sprint(r.ID) })
		},
		"Audit": func(st *store.Store) []string {
			return collect(t, func(fn func(store.AuditEntry) error) error {
				return st.EachAuditEntry(f.ctx, f.account.ID, store.AuditFilter{}, fn)
			}, func(e store.AuditEntry) string { return fmt.Sprint(e.ID) })
		},
	} {
		t.Run(name, func(t *testing.T) {
			whole, pages := run(f.st), run(paged)
			if len(whole) < 7 {
				t.Fatalf("only %d rows: the fixture does not cross pages", len(whole))
			}
			if !reflect.DeepEqual(pages, whole) {
				t.Errorf("in pages of 3:\n%v\nin one page:\n%v", pages, whole)
			}
		})
	}
}

// An export is one snapshot although it is read in pages: a device that
// connects while the export runs is not in it, and every device that was
// is there once, in order, as in an export made before the connect.
func TestExport_IsOneSnapshotWhileDevicesConnect(t *testing.T) {
	f := newFixture(t)
	seedDevices(t, f, 10, 0)
	f.buy(t, "O-LATE", "std-1y", 1)
	f.assign(t, f.product.ID, 1)
	paged := store.OpenDB(f.st.DB(), store.WithClock(f.clock.Now), store.WithExportPageSize(3))
	sc, prod := f.scope(), f.productNow(t)
	devID := func(d store.Device) string { return d.DeviceKey }
	before := collect(t, func(fn func(store.Device) error) error {
		return paged.EachProductDevice(f.ctx, sc, prod, store.DeviceFilter{}, fn)
	}, devID)
	connected := false
	during := collect(t, func(fn func(store.Device) error) error {
		return paged.EachProductDevice(f.ctx, sc, prod, store.DeviceFilter{}, func(d store.Device) error {
			if !connected { // after the first page's first row, on another connection
				connected = true
				f.connect(t, "dev-late")
			}
			return fn(d)
		})
	}, devID)
	if !reflect.DeepEqual(during, before) {
		t.Errorf("export while dev-late connected:\n%v\nexport before:\n%v", during, before)
	}
	if after := collect(t, func(fn func(store.Device) error) error {
		return paged.EachProductDevice(f.ctx, sc, prod, store.DeviceFilter{}, fn)
	}, devID); len(after) != len(before)+1 {
		t.Errorf("the export after the connect has %d devices, want %d", len(after), len(before)+1)
	}
}

// A product's export reads its devices' times as UTC text (parseUTC), the
// list as lib/pq's timestamps: both are the same instants to the
// microsecond, and the export's pages, whose cursor is the expiry, still
// yield each device once.
func TestExport_ProductDeviceTimesMatchTheList(t *testing.T) {
	f := newFixture(t)
	seedDevices(t, f, 9, 0)
	// Codes that expire at odd microseconds, ties included, as real ones do.
	if _, err := f.st.DB().ExecContext(f.ctx, `UPDATE devices SET
		activated_at = activated_at + (id % 3) * interval '123457 microseconds',
		expires_at = expires_at + (id % 3) * interval '987651 microseconds' WHERE product_id = $1`, f.product.ID); err != nil {
		t.Fatal(err)
	}
	sc, prod := f.scope(), f.productNow(t)
	list, err := f.st.ProductDevices(f.ctx, sc, prod, store.DeviceFilter{}, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	times := func(d store.Device) string {
		return d.DeviceKey + " " + d.ActivatedAt.UTC().Format(time.RFC3339Nano) + " " + d.ExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	var want []string
	for _, d := range list.Rows {
		want = append(want, times(d))
	}
	paged := store.OpenDB(f.st.DB(), store.WithClock(f.clock.Now), store.WithExportPageSize(2))
	got := collect(t, func(fn func(store.Device) error) error {
		return paged.EachProductDevice(f.ctx, sc, prod, store.DeviceFilter{}, fn)
	}, times)
	if len(want) != 9 || !reflect.DeepEqual(got, want) {
		t.Errorf("export:\n%v\nlist:\n%v", got, want)
	}
}
