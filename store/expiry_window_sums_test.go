package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"activation-console/store"
)

// The near-expiry window sums (migration 00023) screen a whole account's
// products for the chart: made by the fold, with the rows appended since
// added by the request, and not read on a day they were not made for.

// windowSumsDay is the day the account's window sums are made for, or "".
func windowSumsDay(t *testing.T, f *fixture) string {
	t.Helper()
	var day []string
	if err := f.st.DB().SelectContext(f.ctx, &day, `SELECT through::text FROM expiry_window_sums
		WHERE account_id = $1 AND dc = 'eu-frankfurt' AND product_id = 0`, f.account.ID); err != nil {
		t.Fatal(err)
	}
	if len(day) == 0 {
		return ""
	}
	return day[0]
}

// lastWindowDay is the UTC day the near-expiry window at the fixture's now ends in.
func lastWindowDay(f *fixture) string {
	return f.st.Now().Add(store.NearExpiryWindow).UTC().Format(time.DateOnly)
}

func TestNearExpiryByDay_WindowSumsFollowEveryFoldAndDay(t *testing.T) {
	t.Parallel()
	f := chartFixture(t)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	check := func(when string) {
		t.Helper()
		sameDays(t, f, when, f.scope(), time.UTC)
		sameDays(t, f, when, f.scope(), shanghai)
		verifyClean(t, f.st)
	}
	check("before any fold")
	if day := windowSumsDay(t, f); day != "" {
		t.Fatalf("window sums made for %s before any fold", day)
	}
	f.pass(t)
	if day, want := windowSumsDay(t, f), lastWindowDay(f); day != want {
		t.Fatalf("after the fold the sums are for %q, want %q", day, want)
	}
	check("after the first fold")

	// A product that comes to be at risk after the fold: two codes, taken by
	// two devices whose codes expire in the window. Until the next fold they
	// are rows appended since; after it, in the product's sum.
	now := f.st.Now()
	later := f.newProduct(t, "eu-frankfurt", "PK-LATER")
	f.assign(t, later.ID, 2)
	for i := range 2 {
		f.clock.Set(epoch.Add(time.Duration(5+i)*neDay + 3*time.Hour))
		neConnect(t, f, "PK-LATER", fmt.Sprintf("later-%d", i), "eu-frankfurt")
	}
	f.clock.Set(now)
	if _, risk, _ := outlookCounts(t, f, store.NearExpiryFilter{Product: "PK-LATER"}); risk != 2 {
		t.Fatalf("PK-LATER has %d devices at risk in the list, want 2: the test shows nothing", risk)
	}
	check("devices connected since the fold")
	f.pass(t)
	check("after the second fold") // fails unless the fold makes the sums of the accounts it folds

	// The next day: the sums are for yesterday's window until a fold.
	f.clock.Set(now.Add(neDay))
	if day, want := windowSumsDay(t, f), lastWindowDay(f); day == want {
		t.Fatalf("the sums are for %s already", day)
	}
	check("a new day before a fold")
	f.pass(t)
	if day, want := windowSumsDay(t, f), lastWindowDay(f); day != want {
		t.Fatalf("after the day's fold the sums are for %q, want %q", day, want)
	}
	check("a new day after its fold")
}

// Verify names a window sum out of step with the folded counters.
func TestVerify_NamesAWindowSumOutOfStep(t *testing.T) {
	t.Parallel()
	f := chartFixture(t)
	f.pass(t)
	verifyClean(t, f.st)
	for _, tamper := range []string{
		`UPDATE expiry_window_sums SET devices = devices + 1 WHERE product_id = $1`,
		`DELETE FROM expiry_window_sums WHERE product_id = $1`,
		`UPDATE expiry_window_sums SET through = through - 1 WHERE product_id = $1`,
	} {
		if _, err := f.st.DB().ExecContext(f.ctx, tamper, f.product.ID); err != nil {
			t.Fatal(err)
		}
		v, err := f.st.Verify(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range v {
			if strings.HasPrefix(l, "near-expiry window sums: ") {
				lines = append(lines, l)
			}
		}
		if len(lines) != 1 || !strings.Contains(lines[0], fmt.Sprintf("product %d:", f.product.ID)) {
			t.Errorf("%s: violations %q, want one of product %d", tamper, v, f.product.ID)
		}
		// Remake the sums: a fold makes those of an account whose sums are not made.
		if _, err := f.st.DB().ExecContext(f.ctx, `DELETE FROM expiry_window_sums WHERE account_id = $1`, f.account.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.st.CompactExpiryCounts(f.ctx); err != nil {
			t.Fatal(err)
		}
		verifyClean(t, f.st)
	}
}
