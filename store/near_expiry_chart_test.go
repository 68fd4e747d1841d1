package store_test

import (
	"fmt"
	"testing"
	"time"

	"activation-console/store"
)

// The near-expiry chart (docs/pages.md, "5. Devices with near-expiry codes"):
// each day's figures are the list's, filtered to that day.

// chartFixture has three products, one of each outlook, with devices whose
// codes expire over several days at hours that straddle the midnights of
// several zones, and a blacklisted device in each product that renews.
func chartFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	off := f.newProduct(t, "eu-frankfurt", "PK-OFF")
	risky := f.newProduct(t, "eu-frankfurt", "PK-RISK")
	f.buy(t, "O-1", "std-1y", 200)
	f.assign(t, f.product.ID, 40) // 16 due, 1 of them blacklisted, 24 left: will renew
	f.assign(t, off.ID, 16)
	f.assign(t, risky.ID, 16) // 15 due, none left: at risk
	for d := 0; d < 4; d++ {
		for _, h := range []int{0, 5, 13, 20} {
			f.clock.Set(epoch.Add(time.Duration(d)*neDay + time.Duration(h)*time.Hour))
			dk := fmt.Sprintf("d%d-h%d", d, h)
			f.connect(t, dk)
			neConnect(t, f, "PK-OFF", "off-"+dk, "eu-frankfurt")
			neConnect(t, f, "PK-RISK", "risk-"+dk, "eu-frankfurt")
		}
	}
	for _, p := range []store.Product{f.product, risky} {
		if _, err := f.st.SetBlacklisted(f.ctx, f.scope(), store.BlacklistInput{ProductID: p.ID,
			DeviceKeys: []string{"d2-h20", "risk-d2-h20"}, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.st.SetAutoRenew(f.ctx, f.scope(),
		store.AutoRenewInput{ProductID: off.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	// A year on, three hours after the first device's code expired.
	f.clock.Set(year(epoch).Add(3 * time.Hour))
	return f
}

// outlookCounts counts the list's devices by chart outlook.
func outlookCounts(t *testing.T, f *fixture, filter store.NearExpiryFilter) (will, risk, wont int64) {
	t.Helper()
	return outlookCountsIn(t, f, f.scope(), filter)
}

// outlookCountsIn counts the devices of the list of scope sc by chart outlook.
func outlookCountsIn(t *testing.T, f *fixture, sc store.Scope, filter store.NearExpiryFilter) (will, risk, wont int64) {
	t.Helper()
	page, err := f.st.NearExpiryDevices(f.ctx, sc, filter, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Next != "" {
		t.Fatal("more than a page: the test needs fewer devices")
	}
	for _, d := range page.Rows {
		switch d.Outlook {
		case store.OutlookWillRenew:
			will++
		case store.OutlookAtRisk:
			risk++
		case store.OutlookAutoRenewOff, store.OutlookBlacklisted:
			wont++
		default:
			t.Fatalf("device %s: outlook %q", d.DeviceKey, d.Outlook)
		}
	}
	return will, risk, wont
}

func TestNearExpiryByDay_EachDayIsTheListFilteredToThatDay(t *testing.T) {
	t.Parallel()
	f := chartFixture(t)
	for _, zone := range []string{"UTC", "Asia/Shanghai", "America/New_York", "Pacific/Chatham", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		days, err := f.st.NearExpiryByDay(f.ctx, f.scope(), loc)
		if err != nil {
			t.Fatal(err)
		}
		now := f.st.Now()
		if first := now.In(loc); days[0].Day != time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc) {
			t.Errorf("%s: the first day is %v, want today (%v)", zone, days[0].Day, first)
		}
		if len(days) != 31 {
			t.Errorf("%s: %d days, want 31 (today and 30 more, the last partly)", zone, len(days))
		}
		var sum [3]int64
		var seen [3]bool
		for i, d := range days {
			next := time.Date(d.Day.Year(), d.Day.Month(), d.Day.Day()+1, 0, 0, 0, 0, loc)
			if i+1 < len(days) && !days[i+1].Day.Equal(next) {
				t.Fatalf("%s: day %v follows %v", zone, days[i+1].Day, d.Day)
			}
			will, risk, wont := outlookCounts(t, f, store.NearExpiryFilter{Expires: store.DateRange{From: d.Day, To: next}})
			if d.WillRenew != will || d.AtRisk != risk || d.WontRenew != wont {
				t.Errorf("%s %s: chart will %d, at risk %d, won't %d; list %d, %d, %d", zone, d.Day.Format(time.DateOnly),
					d.WillRenew, d.AtRisk, d.WontRenew, will, risk, wont)
			}
			sum[0], sum[1], sum[2] = sum[0]+d.WillRenew, sum[1]+d.AtRisk, sum[2]+d.WontRenew
			seen[0], seen[1], seen[2] = seen[0] || d.WillRenew > 0, seen[1] || d.AtRisk > 0, seen[2] || d.WontRenew > 0
		}
		if seen != [3]bool{true, true, true} {
			t.Errorf("%s: not every outlook shows: %v", zone, seen)
		}
		will, risk, wont := outlookCounts(t, f, store.NearExpiryFilter{})
		if sum != [3]int64{will, risk, wont} {
			t.Errorf("%s: the chart sums to %v, the list has %v", zone, sum, [3]int64{will, risk, wont})
		}
		// 48 devices, less the three whose codes expired before now.
		if total := sum[0] + sum[1] + sum[2]; total != 45 {
			t.Errorf("%s: %d devices in the chart, want 45", zone, total)
		}
	}
}

// sameDays fails unless each day of the chart of scope sc in loc is the list filtered to it.
func sameDays(t *testing.T, f *fixture, what string, sc store.Scope, loc *time.Location) {
	t.Helper()
	days, err := f.st.NearExpiryByDay(f.ctx, sc, loc)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range days {
		next := time.Date(d.Day.Year(), d.Day.Month(), d.Day.Day()+1, 0, 0, 0, 0, loc)
		will, risk, wont := outlookCountsIn(t, f, sc, store.NearExpiryFilter{Expires: store.DateRange{From: d.Day, To: next}})
		if d.WillRenew != will || d.AtRisk != risk || d.WontRenew != wont {
			t.Errorf("%s, %s %s: chart %d/%d/%d, list %d/%d/%d", what, loc, d.Day.Format(time.DateOnly),
				d.WillRenew, d.AtRisk, d.WontRenew, will, risk, wont)
		}
	}
}

// A whole account's chart counts the account's devices from its own
// counters and only the products that do not renew product by product: each
// of them among many that renew, a product with more devices expiring by the
// window's last day than codes but enough for those due, a deleted product
// whose devices are not swept yet; and a member's chart (some products)
// counts product by product.
func TestNearExpiryByDay_ThePartsOfAnAccountAmongManyProducts(t *testing.T) {
	t.Parallel()
	f := chartFixture(t)
	now := f.st.Now()
	for i := range 6 {
		pk := fmt.Sprintf("PK-MANY-%d", i)
		p := f.newProduct(t, "eu-frankfurt", pk)
		f.assign(t, p.ID, 4)
		for k := range 2 {
			f.clock.Set(epoch.Add(time.Duration(i+k)*neDay + 7*time.Hour))
			neConnect(t, f, pk, fmt.Sprintf("many-%d-%d", i, k), "eu-frankfurt")
		}
	}
	// Three codes for two devices: one due in the window, one whose code ends
	// an hour after it, on its last UTC day. One code is left for the one due.
	edge := f.newProduct(t, "eu-frankfurt", "PK-EDGE")
	f.assign(t, edge.ID, 3)
	f.clock.Set(epoch.Add(9*neDay + 4*time.Hour))
	neConnect(t, f, "PK-EDGE", "edge-in", "eu-frankfurt")
	f.clock.Set(epoch.Add(now.Sub(year(epoch)) + 30*neDay + time.Hour))
	neConnect(t, f, "PK-EDGE", "edge-late", "eu-frankfurt")
	gone := f.newProduct(t, "eu-frankfurt", "PK-GONE")
	f.assign(t, gone.ID, 2)
	f.clock.Set(epoch.Add(11 * neDay))
	neConnect(t, f, "PK-GONE", "gone-1", "eu-frankfurt")
	// Deleted, and its devices not marked yet (as if the sweep was cut short).
	if _, err := f.st.DB().Exec(`UPDATE products SET deleted_at = $2, forfeited = forfeited + available, available = 0 WHERE id = $1`,
		gone.ID, now); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(now)
	for _, zone := range []string{"UTC", "Asia/Shanghai", "America/New_York"} {
		loc, _ := time.LoadLocation(zone)
		sameDays(t, f, "the account", f.scope(), loc)
		sameDays(t, f, "two products", store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt", ProductIDs: []int64{f.product.ID, edge.ID}}, loc)
	}
	if _, risk, _ := outlookCounts(t, f, store.NearExpiryFilter{Product: "PK-EDGE"}); risk != 0 {
		t.Errorf("PK-EDGE has %d devices at risk, want none: its code is for the one due", risk)
	}
	f.pass(t)
	sameDays(t, f, "after the counters are folded", f.scope(), time.UTC)
}

// A product's outlook rests on its devices due to renew: those in the
// window, plus those whose codes expired that the renewal worker has not
// reached yet, less the blacklisted ones. The chart counts them from what it
// reads already; each part decides a product here.
func TestNearExpiryByDay_DueCountsTheUnreachedAndNotTheBlacklisted(t *testing.T) {
	t.Parallel()
	f := chartFixture(t)
	now := f.st.Now()
	// Two devices due for one code left: one in the window, one whose code
	// expired an hour ago, not renewed yet. At risk only with the second.
	late := f.newProduct(t, "eu-frankfurt", "PK-LATE")
	f.assign(t, late.ID, 3)
	f.clock.Set(epoch.Add(2 * time.Hour))
	neConnect(t, f, "PK-LATE", "late-expired", "eu-frankfurt")
	f.clock.Set(epoch.Add(6*neDay + 2*time.Hour))
	neConnect(t, f, "PK-LATE", "late-in", "eu-frankfurt")
	// Three devices in the window, one blacklisted, for two codes left: it
	// renews the two others, and would be at risk if the blacklisted counted.
	bl := f.newProduct(t, "eu-frankfurt", "PK-BL")
	f.assign(t, bl.ID, 5)
	for i := range 3 {
		f.clock.Set(epoch.Add(time.Duration(8+i)*neDay + 9*time.Hour))
		neConnect(t, f, "PK-BL", fmt.Sprintf("bl-%d", i), "eu-frankfurt")
	}
	if _, err := f.st.SetBlacklisted(f.ctx, f.scope(), store.BlacklistInput{ProductID: bl.ID,
		DeviceKeys: []string{"bl-1"}, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(now)
	if _, risk, _ := outlookCounts(t, f, store.NearExpiryFilter{Product: "PK-LATE"}); risk != 1 {
		t.Errorf("PK-LATE has %d devices at risk in the list, want 1: the test shows nothing", risk)
	}
	if will, risk, wont := outlookCounts(t, f, store.NearExpiryFilter{Product: "PK-BL"}); will != 2 || risk != 0 || wont != 1 {
		t.Errorf("PK-BL in the list: %d will renew, %d at risk, %d won't; want 2, 0, 1: the test shows nothing", will, risk, wont)
	}
	for _, zone := range []string{"UTC", "Asia/Shanghai"} {
		loc, _ := time.LoadLocation(zone)
		sameDays(t, f, "the account", f.scope(), loc)
		sameDays(t, f, "the two products", store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt", ProductIDs: []int64{late.ID, bl.ID}}, loc)
	}
}

func TestNearExpiryByDay_AfterTheCountsAreCompacted(t *testing.T) {
	t.Parallel()
	f := chartFixture(t)
	f.pass(t) // renews the expired codes and folds the expiry counts
	loc, _ := time.LoadLocation("Asia/Shanghai")
	days, err := f.st.NearExpiryByDay(f.ctx, f.scope(), loc)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range days {
		next := d.Day.AddDate(0, 0, 1)
		will, risk, wont := outlookCounts(t, f, store.NearExpiryFilter{Expires: store.DateRange{From: d.Day, To: next}})
		if d.WillRenew != will || d.AtRisk != risk || d.WontRenew != wont {
			t.Errorf("%s: chart %d/%d/%d, list %d/%d/%d", d.Day.Format(time.DateOnly), d.WillRenew, d.AtRisk, d.WontRenew, will, risk, wont)
		}
	}
}

func TestNearExpiryByDay_EmptyAccountHasDaysOfNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	days, err := f.st.NearExpiryByDay(f.ctx, f.scope(), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range days {
		if d.Total() != 0 {
			t.Errorf("%v: %d devices in an empty account", d.Day, d.Total())
		}
	}
	// Another account's scope sees none of this one's devices.
	g := chartFixture(t)
	other := g.newAccount(t, "enterprise", "eu-frankfurt", "other@example.com")
	days, err = g.st.NearExpiryByDay(g.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range days {
		if d.Total() != 0 {
			t.Errorf("another account sees %d devices on %v", d.Total(), d.Day)
		}
	}
}

// TestBlacklist_EntriesKeepTheirLiveDevicesExpiry follows a blacklist entry
// through its device's life: the entry keeps the expiry of its device's code
// while the device is live (migration 00021; the chart and the devices due
// to renew read it), and Verify compares every entry with its device.
func TestBlacklist_EntriesKeepTheirLiveDevicesExpiry(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 10)
	blacklist := func(on bool, dks ...string) {
		t.Helper()
		if _, err := f.st.SetBlacklisted(f.ctx, f.scope(), store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: dks,
			Blacklisted: on, Actor: store.SystemActor("test")}); err != nil {
			t.Fatal(err)
		}
	}
	kept := func(dk string) int64 {
		t.Helper()
		return countRows(t, f.st, `SELECT count(*) FROM blacklist WHERE product_id = $1 AND device_key = $2 AND expires_at IS NOT NULL`,
			f.product.ID, dk)
	}
	check := func(when string, dk string, want int64) {
		t.Helper()
		if got := kept(dk); got != want {
			t.Errorf("%s: entry %s keeps an expiry: %d, want %d", when, dk, got, want)
		}
		verifyClean(t, f.st)
		will, risk, wont := outlookCounts(t, f, store.NearExpiryFilter{})
		var w, r, x int64
		days, err := f.st.NearExpiryByDay(f.ctx, f.scope(), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range days {
			w, r, x = w+d.WillRenew, r+d.AtRisk, x+d.WontRenew
		}
		if w != will || r != risk || x != wont {
			t.Errorf("%s: chart %d/%d/%d, list %d/%d/%d", when, w, r, x, will, risk, wont)
		}
	}
	blacklist(true, "early") // before its device connects
	check("entry without a device", "early", 0)
	f.connect(t, "early")
	check("its device got a code", "early", 1)
	f.connect(t, "late")
	blacklist(true, "late")
	check("a device with a code blacklisted", "late", 1)
	if err := f.st.DeleteDevice(f.ctx, f.product.ProductKey, "late"); err != nil {
		t.Fatal(err)
	}
	check("its device deleted", "late", 0)
	f.connect(t, "late")
	check("its device back", "late", 1)
	// Near its expiry, then past it: a blacklisted device lapses.
	f.clock.Set(year(epoch).Add(-days(3)))
	check("near expiry", "late", 1)
	f.clock.Set(year(epoch).Add(days(1)))
	f.pass(t)
	if d := f.device(t, "late"); d.Status != store.StatusLapsed {
		t.Fatalf("late is %s, want lapsed", d.Status)
	}
	check("its device lapsed", "late", 0)
	blacklist(false, "late")
	blacklist(true, "late")
	check("entry made again for a lapsed device", "late", 0)
}
