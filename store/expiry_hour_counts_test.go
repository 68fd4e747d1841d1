package store_test

import (
	"fmt"
	"testing"
	"time"
)

// A whole account's near-expiry figures sum its hour counts and count from
// the index only the partial hours at the window's ends and the hours a
// zone's midnight cuts (expiry_hour_counts.go). Devices expire minutes
// either side of each such edge: in the hour of now (before and after it),
// in the hour of the window's end (before and after it), and either side
// of Kolkata's (UTC+5:30) and Chatham's (UTC+13:45) midnight.
func TestNearExpiry_HoursCutAtTheWindowsEndsAndAZonesMidnight(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 10)
	// A code is for a year: connected at start+e, it expires at now-3h30m+e.
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2027, 1, 1, 3, 30, 0, 0, time.UTC)
	hm := func(d, h, m int) time.Duration {
		return time.Duration(d)*neDay + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	}
	for i, e := range []time.Duration{
		hm(0, 3, 20), hm(0, 3, 40), // the hour of now: expired, then in the window
		hm(1, 18, 15), hm(1, 18, 45), // Kolkata's midnight at 18:30 UTC
		hm(1, 10, 5), hm(1, 10, 25), // Chatham's at 10:15 UTC (daylight saving time)
		hm(30, 3, 20), hm(30, 3, 40), // the hour of the window's end: in it, then past it
	} {
		f.clock.Set(start.Add(e))
		f.connect(t, fmt.Sprintf("dk-%d", i))
	}
	f.clock.Set(now)
	check := func(when string) {
		t.Helper()
		for _, zone := range []string{"UTC", "Asia/Kolkata", "Pacific/Chatham", "Asia/Shanghai", "America/New_York"} {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			sameDays(t, f, when, f.scope(), loc)
		}
		// Six devices are in the window: not the first, expired, nor the last.
		if got := f.licenses(t, "eu-frankfurt").NearExpiryDevices; got != 6 {
			t.Errorf("%s: overview says %d near-expiry devices, want 6", when, got)
		}
		if got, err := f.st.NearExpiryCount(f.ctx, f.scope()); err != nil || got != 6 {
			t.Errorf("%s: near-expiry page says %d (%v), want 6", when, got, err)
		}
	}
	check("before the fold")
	if err := f.st.CompactExpiryCounts(f.ctx); err != nil {
		t.Fatal(err)
	}
	check("after the fold")
	// The codes of a Kolkata-edge device and of the window's last device
	// end elsewhere in their hour: a change within one hour and one day.
	for _, dk := range []string{"dk-2", "dk-6"} {
		if _, err := f.st.DB().Exec(`UPDATE devices SET expires_at = expires_at + interval '20 minutes' WHERE device_key = $1`, dk); err != nil {
			t.Fatal(err)
		}
	}
	// dk-2 crosses Kolkata's midnight; dk-6 leaves the window.
	if n := countRows(t, f.st, expiryCountsDrift); n != 0 {
		t.Errorf("%d expiry counts differ from the devices", n)
	}
	for _, zone := range []string{"UTC", "Asia/Kolkata"} {
		loc, _ := time.LoadLocation(zone)
		sameDays(t, f, "after changes within an hour", f.scope(), loc)
	}
	if got, err := f.st.NearExpiryCount(f.ctx, f.scope()); err != nil || got != 5 {
		t.Errorf("after changes within an hour: near-expiry page says %d (%v), want 5", got, err)
	}
}
