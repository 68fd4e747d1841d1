package views

import (
	"context"
	"slices"
	"testing"
	"time"

	"activation-console/store"
)

// Each export's rows have as many cells as its header, and word the
// domain's values as the pages do (words.go).
func TestCSVTables_RowsMatchTheirHeaderAndUseThePagesWords(t *testing.T) {
	ctx := context.Background()
	loc := time.FixedZone("UTC+8", 8*3600)
	activated := time.Date(2026, 11, 2, 16, 30, 0, 0, time.UTC)
	expires := activated.AddDate(0, 0, 10)
	now := activated.AddDate(0, 0, 3)
	lapsed := store.ReasonNoCode
	device := store.Device{DeviceKey: "dk-1", ProductName: "Thermo", ProductKey: "pk-1", ActivatedAt: &activated, ExpiresAt: &expires,
		Status: store.StatusLapsed, LapseReason: &lapsed, Outlook: store.OutlookBlacklisted, Blacklisted: true}

	check := func(name string, header, row []string, want map[string]string) {
		t.Helper()
		if len(row) != len(header) {
			t.Fatalf("%s: %d cells under %d columns: %q", name, len(row), len(header), row)
		}
		for col, cell := range want {
			i := slices.Index(header, col)
			if i < 0 {
				t.Fatalf("%s: no column %q in %q", name, col, header)
			}
			if row[i] != cell {
				t.Errorf("%s: %s = %q, want %q", name, col, row[i], cell)
			}
		}
	}

	ne := NearExpiryCSV(ctx, now, loc)
	check("near-expiry", ne.Header, ne.Row(device), map[string]string{
		"Expires at": "2026-11-13T00:30:00+08:00", "Days left": "7",
		"Renewal outlook": OutlookText(ctx, store.OutlookBlacklisted), "Auto-renew": "off (blacklisted)"})

	pd := ProductDevicesCSV(ctx, loc)
	waiting := store.Device{DeviceKey: "dk-2", Status: store.StatusWaiting}
	check("product devices", pd.Header, pd.Row(device), map[string]string{
		"Status": DeviceStatusText(ctx, store.StatusLapsed, &lapsed), "Auto-renew": "off (blacklisted)"})
	check("product devices, never activated", pd.Header, pd.Row(waiting), map[string]string{
		"Activated at": "", "Expires at": "", "Auto-renew": "on"})

	pkg := "P-100"
	pc := ProductCodesCSV(ctx)
	check("product codes", pc.Header, pc.Row(store.ProductCodes{Name: "Thermo", PackageCode: &pkg, Available: 5, AutoRenew: true}),
		map[string]string{"Package": "P-100", "Available": "5", "Automatic renewal": "on", "Runway (days)": "no consumption"})

	ah := AssignmentHistoryCSV(ctx, loc)
	check("assignment history", ah.Header, ah.Row(store.AssignmentRecord{CreatedAt: activated, Quantity: 1200, Operator: "owner@acme.test"}),
		map[string]string{"Time": "2026-11-03T00:30:00+08:00", "Quantity": "1200", "Operator": "owner@acme.test"})

	au := AuditCSV(ctx, loc)
	check("audit", au.Header, au.Row(store.AuditEntry{At: activated, Actor: "owner@acme.test", Type: store.AuditType("assign")}),
		map[string]string{"User": "owner@acme.test", "Type": AuditTypeText(ctx, store.AuditType("assign"))})
}
