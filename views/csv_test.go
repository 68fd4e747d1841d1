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

	ne := NearExpiryCSV(ctx, now, loc)
	checkCSV(t, "near-expiry", ne.Header, ne.Row(device), map[string]string{
		"Expires at": "2026-11-13T00:30:00+08:00", "Days left": "7",
		"Renewal outlook": OutlookText(ctx, store.OutlookBlacklisted), "Auto-renew": "off (blacklisted)"})

	pd := ProductDevicesCSV(ctx, loc)
	waiting := store.Device{DeviceKey: "dk-2", Status: store.StatusWaiting}
	checkCSV(t, "product devices", pd.Header, pd.Row(device), map[string]string{
		"Status": DeviceStatusText(ctx, store.StatusLapsed, &lapsed), "Auto-renew": "off (blacklisted)"})
	checkCSV(t, "product devices, never activated", pd.Header, pd.Row(waiting), map[string]string{
		"Activated at": "", "Expires at": "", "Auto-renew": "on"})

	pkg := "P-100"
	pc := ProductCodesCSV(ctx)
	checkCSV(t, "product codes", pc.Header, pc.Row(store.ProductCodes{Name: "Thermo", PackageCode: &pkg, Available: 5, AutoRenew: true}),
		map[string]string{"Package": "P-100", "Available": "5", "Automatic renewal": "on", "Runway (days)": "no consumption"})

	ah := AssignmentHistoryCSV(ctx, loc)
	checkCSV(t, "assignment history", ah.Header, ah.Row(store.AssignmentRecord{CreatedAt: activated, Quantity: 1200, Operator: "owner@acme.test"}),
		map[string]string{"Time": "2026-11-03T00:30:00+08:00", "Quantity": "1200", "Operator": "owner@acme.test"})

	au := AuditCSV(ctx, loc)
	checkCSV(t, "audit", au.Header, au.Row(store.AuditEntry{At: activated, Actor: "owner@acme.test", Type: store.AuditType("assign")}),
		map[string]string{"User": "owner@acme.test", "Type": AuditTypeText(ctx, store.AuditType("assign"))})
}

// checkCSV fails unless row has a cell under each column of header, and the
// cells want names (by their column's header) read as wanted.
func checkCSV(t *testing.T, name string, header, row []string, want map[string]string) {
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

// A Chinese viewer's export has Chinese headers and worded cells; times
// stay RFC 3339 and numbers plain digits, and data stays as it is.
func TestCSVTables_SpeakTheViewersLanguage(t *testing.T) {
	zh := WithLanguage(context.Background(), store.Chinese)
	loc := time.FixedZone("UTC+8", 8*3600)
	activated := time.Date(2026, 11, 2, 16, 30, 0, 0, time.UTC)
	expires := activated.AddDate(0, 0, 10)
	device := store.Device{DeviceKey: "dk-1", ProductName: "Thermo", ProductKey: "pk-1", ActivatedAt: &activated, ExpiresAt: &expires,
		Status: store.StatusActive, Outlook: store.OutlookBlacklisted, Blacklisted: true}

	pc := ProductCodesCSV(zh)
	if want := []string{"产品", "ProductKey", "套餐", "总数", "已消耗", "可用", "自动续费", "预计可用天数"}; !slices.Equal(pc.Header, want) {
		t.Errorf("product codes header %q, want %q", pc.Header, want)
	}
	checkCSV(t, "product codes", pc.Header, pc.Row(store.ProductCodes{Name: "Thermo", Available: 1500, AutoRenew: true}),
		map[string]string{"产品": "Thermo", "可用": "1500", "自动续费": "开启", "预计可用天数": "无消耗"})
	checkCSV(t, "product codes, renewal off", pc.Header, pc.Row(store.ProductCodes{Name: "Thermo"}),
		map[string]string{"自动续费": "关闭"})

	ne := NearExpiryCSV(zh, activated, loc)
	if want := []string{"产品", "ProductKey", "DeviceKey", "激活时间", "到期时间", "剩余天数", "续费预期", "自动续费"}; !slices.Equal(ne.Header, want) {
		t.Errorf("near-expiry header %q, want %q", ne.Header, want)
	}
	checkCSV(t, "near-expiry", ne.Header, ne.Row(device), map[string]string{"DeviceKey": "dk-1",
		"到期时间": "2026-11-13T00:30:00+08:00", "剩余天数": "10", "续费预期": "不会续费：在黑名单中", "自动续费": "关闭（黑名单）"})

	pd := ProductDevicesCSV(zh, loc)
	checkCSV(t, "product devices", pd.Header, pd.Row(device), map[string]string{
		"激活时间": "2026-11-03T00:30:00+08:00", "状态": "有效", "自动续费": "关闭（黑名单）"})
	checkCSV(t, "product devices, not blacklisted", pd.Header, pd.Row(store.Device{DeviceKey: "dk-2", Status: store.StatusWaiting}),
		map[string]string{"激活方式": "", "状态": "等待激活码", "自动续费": "开启"})

	ah := AssignmentHistoryCSV(zh, loc)
	checkCSV(t, "assignment history", ah.Header, ah.Row(store.AssignmentRecord{CreatedAt: activated, Quantity: 1200, Operator: "owner@acme.test"}),
		map[string]string{"时间": "2026-11-03T00:30:00+08:00", "数量": "1200", "操作人": "owner@acme.test"})

	au := AuditCSV(zh, loc)
	if want := []string{"时间", "用户", "类型", "操作", "描述"}; !slices.Equal(au.Header, want) {
		t.Errorf("audit header %q, want %q", au.Header, want)
	}
	checkCSV(t, "audit", au.Header, au.Row(store.AuditEntry{At: activated, Actor: "owner@acme.test", Type: store.AuditType("assign")}),
		map[string]string{"用户": "owner@acme.test"})
}
