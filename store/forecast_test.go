package store_test

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/lib/pq"

	"activation-console/store"
	"activation-console/store/demo"
)

// The forecast (docs/renewal.md, "The forecast") is checked against what the
// test works out from the devices and activations themselves, event by
// event, and against the near-expiry list.

// expectedForecast works the forecast out from the raw rows: the live
// devices by the UTC day their codes expire, the first activations of the
// last 90 days, and each product's codes, one product at a time.
func expectedForecast(t *testing.T, st *store.Store, sc store.Scope, productID int64, weeks int) store.Forecast {
	t.Helper()
	now := st.Now()
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	days := 7 * weeks
	end := start.AddDate(0, 0, days)
	var ids any
	if sc.ProductIDs != nil {
		ids = pq.Array(sc.ProductIDs)
	}
	type product struct {
		ID         int64  `db:"id"`
		Name       string `db:"name"`
		Key        string `db:"product_key"`
		AutoRenew  bool   `db:"auto_renew"`
		Available  int64  `db:"available"`
		Validity   *int   `db:"validity"`
		FirstCodes int64  `db:"first_codes"`
	}
	var products []product
	if err := st.DB().Select(&products, `SELECT p.id, p.name, p.product_key, p.auto_renew, p.available,
			($4::date + k.validity)::date - $4::date AS validity,
			(SELECT count(*) FROM activations a WHERE a.product_id = p.id AND a.kind = 'first'
				AND a.created_at >= $4::date - 90 AND a.created_at < $4::date) AS first_codes
		FROM products p LEFT JOIN packages k ON k.id = p.package_id
		WHERE p.account_id = $1 AND p.dc = $2 AND ($3::bigint[] IS NULL OR p.id = ANY($3)) AND p.deleted_at IS NULL
			AND ($5 = 0 OR p.id = $5)
		ORDER BY p.name, p.id`, sc.AccountID, sc.DC, ids, start, productID); err != nil {
		t.Fatal(err)
	}
	type device struct {
		ProductID   int64     `db:"product_id"`
		ExpiresAt   time.Time `db:"expires_at"`
		Blacklisted bool      `db:"blacklisted"`
	}
	f := store.Forecast{Start: start, Weeks: make([]store.ForecastWeek, weeks), RunsOutWeek: -1}
	for w := range f.Weeks {
		f.Weeks[w].Start = start.AddDate(0, 0, 7*w)
	}
	dayOf := func(t time.Time) int { return max(int(t.UTC().Sub(start)/(24*time.Hour)), 0) }
	for _, p := range products {
		var devices []device
		if err := st.DB().Select(&devices, `SELECT d.product_id, d.expires_at,
				EXISTS (SELECT 1 FROM blacklist b WHERE b.product_id = d.product_id AND b.device_key = d.device_key) AS blacklisted
			FROM devices d WHERE d.product_id = $1 AND d.lapsed_at IS NULL AND d.deleted_at IS NULL
				AND d.expires_at IS NOT NULL AND d.expires_at < $2`, p.ID, end); err != nil {
			t.Fatal(err)
		}
		validity := 0
		if p.Validity != nil {
			validity = max(*p.Validity, 1)
		}
		// Every code taken, as (day, 1) events, and every expiry that takes none.
		var takes []int
		expiry := func(day int, renews bool) {
			for ; day < days; day += validity {
				if !renews {
					f.Weeks[day/7].WontRenew++
					return
				}
				f.Weeks[day/7].WillRenew++
				takes = append(takes, day)
				if validity == 0 {
					return
				}
			}
		}
		for _, d := range devices {
			expiry(dayOf(d.ExpiresAt), p.AutoRenew && !d.Blacklisted)
		}
		// New devices: the first connects of 90 days spread over the days,
		// the running total rounded half up.
		for day := range days {
			n := (p.FirstCodes*int64(day+1)*2+90)/180 - (p.FirstCodes*int64(day)*2+90)/180
			for range n {
				f.Weeks[day/7].New++
				takes = append(takes, day)
				if validity > 0 && day+validity < days {
					expiry(day+validity, p.AutoRenew)
				}
			}
		}
		sort.Ints(takes)
		fp := store.ForecastProduct{ID: p.ID, Name: p.Name, ProductKey: p.Key}
		if len(takes) > int(p.Available) {
			day := takes[p.Available] // the first code it lacks
			f.ProductsShort++
			if runsOut := start.AddDate(0, 0, day); f.RunsOut.IsZero() || runsOut.Before(f.RunsOut) {
				f.RunsOut, f.RunsOutWeek, f.RunsOutProduct = runsOut, day/7, fp
			}
		}
		for w := range f.Weeks {
			var taken int64
			for _, d := range takes {
				if d < 7*(w+1) {
					taken++
				}
			}
			f.Weeks[w].Left += max(p.Available-taken, 0)
			for _, d := range takes[min(int(p.Available), len(takes)):] {
				if d/7 == w {
					f.Weeks[w].Short++
				}
			}
		}
		f.Available += p.Available
		f.FirstCodes += p.FirstCodes
		f.Products++
	}
	return f
}

// forecast reads the store's forecast and fails on an error.
func (f *fixture) forecast(t *testing.T, sc store.Scope, q store.ForecastQuery) store.Forecast {
	t.Helper()
	got, err := f.st.Forecast(f.ctx, sc, q)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// sameForecast fails the test unless got equals want, naming the first week that differs.
func sameForecast(t *testing.T, what string, got, want store.Forecast) {
	t.Helper()
	for w := range want.Weeks {
		if w < len(got.Weeks) && got.Weeks[w] != want.Weeks[w] {
			t.Errorf("%s: week %d (%s): got %+v, want %+v", what, w, want.Weeks[w].Start.Format("2 Jan"), got.Weeks[w], want.Weeks[w])
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got runs out %s (week %d, %s, %d products), available %d, first %d;\nwant runs out %s (week %d, %s, %d products), available %d, first %d",
			what, got.RunsOut, got.RunsOutWeek, got.RunsOutProduct.Name, got.ProductsShort, got.Available, got.FirstCodes,
			want.RunsOut, want.RunsOutWeek, want.RunsOutProduct.Name, want.ProductsShort, want.Available, want.FirstCodes)
	}
	for _, w := range got.Weeks {
		if w.WillRenew < 0 || w.WontRenew < 0 || w.New < 0 || w.Left < 0 || w.Short < 0 {
			t.Errorf("%s: a negative figure in the week of %s: %+v", what, w.Start.Format("2 Jan"), w)
		}
	}
}

func TestForecast_SeededAccountEqualsTheDevicesAndTheLists(t *testing.T) {
	f := newFixture(t)
	if _, err := demo.Seed(f.ctx, f.st, demo.SeedInput{AccountID: f.account.ID, Devices: 3000, Products: 24}); err != nil {
		t.Fatal(err)
	}
	// Another account's devices must not count.
	other := f.base.AddAccount(t, "Other", "owner@other.example")
	if _, err := demo.Seed(f.ctx, f.st, demo.SeedInput{AccountID: other.ID, Devices: 500, Products: 4}); err != nil {
		t.Fatal(err)
	}
	// Codes taken since the seed, not yet compacted into the counters.
	f.assign(t, f.product.ID, 10)
	for i := range 4 {
		f.connect(t, fmt.Sprintf("late-%d", i))
	}
	got := f.forecast(t, f.scope(), store.ForecastQuery{})
	want := expectedForecast(t, f.st, f.scope(), 0, store.ForecastWeeks)
	sameForecast(t, "whole account", got, want)
	// Made from the counters, then read from the kept parts: the same.
	sameForecast(t, "whole account, from the kept parts", f.forecast(t, f.scope(), store.ForecastQuery{}), want)
	if got.RunsOut.IsZero() || got.ProductsShort == 0 {
		t.Fatalf("the seed has products short of codes, the forecast says none: %+v", got)
	}
	var will, wont, fresh int64
	for _, w := range got.Weeks {
		will, wont, fresh = will+w.WillRenew, wont+w.WontRenew, fresh+w.New
	}
	if will == 0 || wont == 0 || fresh == 0 {
		t.Fatalf("the seed should give every kind of figure: will renew %d, won't %d, new %d", will, wont, fresh)
	}

	// Weeks two to four lie inside the near-expiry window: the list's
	// devices of each week, by outlook, are the chart's.
	for w := 1; w <= 3; w++ {
		week := got.Weeks[w]
		var listWill, listWont int64
		filter := store.NearExpiryFilter{Expires: store.DateRange{From: week.Start, To: week.Start.AddDate(0, 0, 7)}}
		if err := f.st.EachNearExpiryDevice(f.ctx, f.scope(), filter, func(d store.Device) error {
			switch d.Outlook {
			case store.OutlookWillRenew, store.OutlookAtRisk:
				listWill++
			default:
				listWont++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if listWill != week.WillRenew || listWont != week.WontRenew {
			t.Errorf("week of %s: the list has %d will renew and %d won't, the forecast %d and %d",
				week.Start.Format("2 Jan"), listWill, listWont, week.WillRenew, week.WontRenew)
		}
	}

	// One product, and a sub-account's scope of three, made and then read
	// from its kept sum.
	first := got.RunsOutProduct.ID
	sameForecast(t, "one product", f.forecast(t, f.scope(), store.ForecastQuery{ProductID: first}),
		expectedForecast(t, f.st, f.scope(), first, store.ForecastWeeks))
	products, err := f.st.ForecastProducts(f.ctx, f.scope())
	if err != nil {
		t.Fatal(err)
	}
	scoped := f.scope()
	for _, p := range products[len(products)-3:] {
		scoped.ProductIDs = append(scoped.ProductIDs, p.ID)
	}
	sub := f.forecast(t, scoped, store.ForecastQuery{})
	sameForecast(t, "sub-account", sub, expectedForecast(t, f.st, scoped, 0, store.ForecastWeeks))
	sameForecast(t, "sub-account, from its kept sum", f.forecast(t, scoped, store.ForecastQuery{}), sub)
	if sub.Products != 3 || sub.Available >= got.Available {
		t.Errorf("the sub-account's forecast covers %d products and %d codes, want 3 products and fewer than %d codes",
			sub.Products, sub.Available, got.Available)
	}
	sameForecast(t, "whole account, after the sub-account's", f.forecast(t, f.scope(), store.ForecastQuery{}), want)
	// A product outside the scope is not found, as everywhere.
	if _, err := f.st.Forecast(f.ctx, scoped, store.ForecastQuery{ProductID: products[0].ID}); !isNotFound(err) {
		t.Errorf("a product outside the scope: got %v, want not found", err)
	}
	// Two years ahead, as a product page may ask.
	sameForecast(t, "104 weeks", f.forecast(t, f.scope(), store.ForecastQuery{Weeks: 104}),
		expectedForecast(t, f.st, f.scope(), 0, 104))
}

// isNotFound tells whether err is the store's not-found error.
func isNotFound(err error) bool {
	e, ok := store.AsError(err)
	return ok && e.Kind == store.KindNotFound
}

func TestForecast_RunsOutInTheWeekTheCodesFallShort(t *testing.T) {
	f := newFixture(t)
	f.buy(t, "o-1", "std-1y", 20)
	f.assign(t, f.product.ID, 13)
	// Eight devices connect on 1 Jan 2026; their codes end on 1 Jan 2027.
	for i := range 8 {
		f.connect(t, fmt.Sprintf("dev-%d", i))
	}
	if _, err := f.st.SetBlacklisted(f.ctx, f.scope(), store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"dev-0"},
		Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	// A product with its switch off: its three devices won't renew.
	off := f.base.AddProduct(t, f.account.ID, "PK-OFF", "Door lock", 3)
	for i := range 3 {
		if _, err := f.st.Connect(f.ctx, off.ProductKey, fmt.Sprintf("lock-%d", i), "eu-frankfurt"); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.st.SetAutoRenew(f.ctx, f.scope(), store.AutoRenewInput{ProductID: off.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	// On 1 Dec 2026 the thermostat has 5 codes for 7 renewals on 1 Jan
	// 2027: day 31, the fifth week; no device connected in 90 days.
	f.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	got := f.forecast(t, f.scope(), store.ForecastQuery{})
	if got.Available != 5 || got.FirstCodes != 0 {
		t.Fatalf("available %d, first connects %d; want 5 and 0", got.Available, got.FirstCodes)
	}
	runsOut := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	if !got.RunsOut.Equal(runsOut) || got.RunsOutWeek != 4 || got.RunsOutProduct.ID != f.product.ID || got.ProductsShort != 1 {
		t.Errorf("runs out %s in week %d (%s, %d products), want %s in week 4 (Thermostat, 1 product)",
			got.RunsOut, got.RunsOutWeek, got.RunsOutProduct.Name, got.ProductsShort, runsOut)
	}
	for w, week := range got.Weeks {
		want := store.ForecastWeek{Start: time.Date(2026, 12, 1+7*w, 0, 0, 0, 0, time.UTC), Left: 5}
		switch {
		case w == 4:
			want.WillRenew, want.WontRenew, want.Left, want.Short = 7, 1+3, 0, 2
		case w > 4:
			want.Left = 0
		}
		if week != want {
			t.Errorf("week %d: got %+v, want %+v", w, week, want)
		}
	}
	sameForecast(t, "hand-made account", got, expectedForecast(t, f.st, f.scope(), 0, store.ForecastWeeks))
	// The switched-off product alone never runs out: it takes no code.
	alone := f.forecast(t, f.scope(), store.ForecastQuery{ProductID: off.ID})
	if !alone.RunsOut.IsZero() || alone.RunsOutWeek != -1 || alone.Weeks[4].WontRenew != 3 || alone.Weeks[4].WillRenew != 0 {
		t.Errorf("the switched-off product: runs out %s (week %d), week 5 %+v", alone.RunsOut, alone.RunsOutWeek, alone.Weeks[4])
	}
}

func TestForecast_ShortCodesRenewAgainAndNewDevicesComeAtTheRecentRate(t *testing.T) {
	f := newFixture(t)
	if _, err := f.st.CreatePackage(f.ctx, store.NewPackage{Code: "m-30d", Name: "Monthly", Validity: "30d", MessagesPerDay: 100}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "o-monthly", AccountID: f.account.ID, DataCenter: "eu-frankfurt",
		PackageCode: "m-30d", Quantity: 13, ProductKey: f.product.ProductKey}); err != nil {
		t.Fatal(err)
	}
	// Three devices connect today: their codes end in 30 days, then every 30 days.
	for i := range 3 {
		f.connect(t, fmt.Sprintf("dev-%d", i))
	}
	got := f.forecast(t, f.scope(), store.ForecastQuery{})
	// Renewals on days 30, 60, 90, 120, 150 and 180: 3 each from 10 codes;
	// the fourth round lacks 2.
	renewals := map[int]int64{30 / 7: 3, 60 / 7: 3, 90 / 7: 3, 120 / 7: 3, 150 / 7: 3, 180 / 7: 3}
	for w, week := range got.Weeks {
		if week.WillRenew != renewals[w] || week.New != 0 {
			t.Errorf("week %d: %d renewals and %d new, want %d and 0", w, week.WillRenew, week.New, renewals[w])
		}
	}
	if want := f.st.Now().Truncate(24*time.Hour).AddDate(0, 0, 120); !got.RunsOut.Equal(want) || got.Weeks[120/7].Short != 2 {
		t.Errorf("runs out %s, short %d in its week; want %s and 2", got.RunsOut, got.Weeks[120/7].Short, want)
	}
	sameForecast(t, "monthly codes", got, expectedForecast(t, f.st, f.scope(), 0, store.ForecastWeeks))

	// Forty-five devices of a yearly product connected in the last 90 days:
	// half a new device a day, which renews beyond the horizon.
	yearly := f.base.AddProduct(t, f.account.ID, "PK-Y", "Meter", 200)
	f.clock.Advance(-days(20))
	for i := range 45 {
		if _, err := f.st.Connect(f.ctx, yearly.ProductKey, fmt.Sprintf("m-%d", i), "eu-frankfurt"); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(days(20))
	got = f.forecast(t, f.scope(), store.ForecastQuery{ProductID: yearly.ID})
	var fresh int64
	for w, week := range got.Weeks {
		fresh += week.New
		if want := int64(155 - (7*(w+1)+1)/2); week.Left != want {
			t.Errorf("week %d: %d codes left, want %d", w, week.Left, want)
		}
	}
	if got.FirstCodes != 45 || fresh != 91 || !got.RunsOut.IsZero() {
		t.Errorf("first connects %d, new devices %d, runs out %s; want 45, 91 (182 days at 0.5) and never", got.FirstCodes, fresh, got.RunsOut)
	}
	sameForecast(t, "yearly product", got, expectedForecast(t, f.st, f.scope(), yearly.ID, store.ForecastWeeks))
}

func TestForecast_EmptyAccount(t *testing.T) {
	f := newFixture(t)
	got := f.forecast(t, f.scope(), store.ForecastQuery{})
	if !got.Empty() || len(got.Weeks) != store.ForecastWeeks || got.RunsOutWeek != -1 || !got.RunsOut.IsZero() {
		t.Errorf("a product without codes or devices: %+v, want an empty forecast of %d weeks", got, store.ForecastWeeks)
	}
	none := store.Scope{AccountID: f.account.ID, DC: "cn-shanghai"}
	if got := f.forecast(t, none, store.ForecastQuery{}); !got.Empty() || got.Products != 0 {
		t.Errorf("a data center without products: %+v, want empty", got)
	}
	f.assign(t, f.product.ID, 3)
	if got := f.forecast(t, f.scope(), store.ForecastQuery{}); got.Empty() || got.Weeks[25].Left != 3 {
		t.Errorf("three codes and no device: %+v, want three codes left to the end", got)
	}
	if _, err := f.st.Forecast(f.ctx, f.scope(), store.ForecastQuery{Weeks: store.ForecastMaxWeeks + 1}); err == nil {
		t.Error("a horizon beyond ForecastMaxWeeks was accepted")
	}
}

func TestForecast_MadeAgainWhenWhatItRestsOnChanges(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 6)
	f.connect(t, "dev-1")
	f.connect(t, "dev-2")
	f.clock.Advance(days(300)) // their codes end in 65 days
	check := func(what string) store.Forecast {
		t.Helper()
		got := f.forecast(t, f.scope(), store.ForecastQuery{})
		sameForecast(t, what, got, expectedForecast(t, f.st, f.scope(), 0, store.ForecastWeeks))
		return got
	}
	if got := check("first"); got.Available != 4 {
		t.Fatalf("available %d, want 4", got.Available)
	}
	// Each change shows at once: a device blacklisted (no product figure
	// changes), a code taken, a device deleted, the counters folded.
	if _, err := f.st.SetBlacklisted(f.ctx, f.scope(), store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"dev-1"},
		Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	check("after a device is blacklisted")
	f.connect(t, "dev-3")
	if got := check("after a connect"); got.Available != 3 {
		t.Errorf("after a connect the forecast has %d codes, want 3", got.Available)
	}
	if err := f.st.CompactExpiryCounts(f.ctx); err != nil {
		t.Fatal(err)
	}
	check("after the counters are folded")
	// A change folded before the next forecast: the part made before it
	// counted as many unfolded rows (none) as there are after the fold.
	if err := f.st.DeleteDevice(f.ctx, f.product.ProductKey, "dev-2"); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CompactExpiryCounts(f.ctx); err != nil {
		t.Fatal(err)
	}
	check("after a device is deleted and the counters folded")
	f.clock.Advance(days(1))
	check("the next day")
}

func TestForecast_ReadsTheKeptPartsWhileTheyAreCurrent(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 6)
	f.connect(t, "dev-1")
	first := f.forecast(t, f.scope(), store.ForecastQuery{})
	// A kept part is read as it is, as long as what it rests on is unchanged
	// (the kept sum of the account deleted, so that the parts are read) ...
	if _, err := f.st.DB().Exec(`WITH s AS (DELETE FROM forecast_sums)
		UPDATE forecast_parts SET weeks[1] = weeks[1] + 1000 WHERE product_id = $1`, f.product.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.forecast(t, f.scope(), store.ForecastQuery{}); got.Weeks[0].WillRenew != first.Weeks[0].WillRenew+1000 {
		t.Fatalf("will renew in the first week %d, want the kept part's %d", got.Weeks[0].WillRenew, first.Weeks[0].WillRenew+1000)
	}
	// ... and made again when it is not: another count of unfolded counter
	// rows, other codes, another switch or package, another day.
	for _, change := range []string{"fresh = fresh + 1", "available = available + 1", "auto_renew = NOT auto_renew",
		"validity = validity + 1", "start = start - 1"} {
		if _, err := f.st.DB().Exec(`WITH s AS (DELETE FROM forecast_sums)
			UPDATE forecast_parts SET weeks[1] = weeks[1] + 1000, `+change+` WHERE product_id = $1`, f.product.ID); err != nil {
			t.Fatal(err)
		}
		sameForecast(t, change, f.forecast(t, f.scope(), store.ForecastQuery{}), expectedForecast(t, f.st, f.scope(), 0, store.ForecastWeeks))
	}
}

func TestForecast_ReadsTheKeptSumWhileItIsCurrent(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 6)
	f.connect(t, "dev-1")
	other := f.base.AddProduct(t, f.account.ID, "PK-2", "Meter", 4)
	member := f.scope()
	member.ProductIDs = []int64{other.ID}
	first := f.forecast(t, f.scope(), store.ForecastQuery{})
	f.forecast(t, member, store.ForecastQuery{})
	var sums int
	if err := f.st.DB().Get(&sums, `SELECT count(*) FROM forecast_sums WHERE account_id = $1`, f.account.ID); err != nil || sums != 2 {
		t.Fatalf("%d kept sums (%v), want the account's and the member's", sums, err)
	}
	// The kept sum is read as it is, as long as what it rests on is unchanged ...
	if _, err := f.st.DB().Exec(`UPDATE forecast_sums SET weeks[1] = weeks[1] + 1000 WHERE scope = ''`); err != nil {
		t.Fatal(err)
	}
	if got := f.forecast(t, f.scope(), store.ForecastQuery{}); got.Weeks[0].WillRenew != first.Weeks[0].WillRenew+1000 {
		t.Fatalf("will renew in the first week %d, want the kept sum's %d", got.Weeks[0].WillRenew, first.Weeks[0].WillRenew+1000)
	}
	// ... a member's scope reads its own ...
	sameForecast(t, "a member's scope", f.forecast(t, member, store.ForecastQuery{}), expectedForecast(t, f.st, member, 0, store.ForecastWeeks))
	// ... and it is made again when it is not current: another count of
	// unfolded counter rows, other products or figures of them, another
	// epoch (a fold, a blacklist change), another day.
	for _, change := range []string{"fresh = fresh + 1", "products = products || ';'", "epoch = epoch + 1", "start = start - 1"} {
		if _, err := f.st.DB().Exec(`UPDATE forecast_sums SET weeks[1] = weeks[1] + 1000, ` + change + ` WHERE scope = ''`); err != nil {
			t.Fatal(err)
		}
		sameForecast(t, change, f.forecast(t, f.scope(), store.ForecastQuery{}), expectedForecast(t, f.st, f.scope(), 0, store.ForecastWeeks))
	}
	// A product's change shows at once: a code assigned, a device connected.
	f.assign(t, other.ID, 2)
	sameForecast(t, "after codes are assigned", f.forecast(t, f.scope(), store.ForecastQuery{}), expectedForecast(t, f.st, f.scope(), 0, store.ForecastWeeks))
	f.connect(t, "dev-2")
	sameForecast(t, "after a connect", f.forecast(t, member, store.ForecastQuery{}), expectedForecast(t, f.st, member, 0, store.ForecastWeeks))
	sameForecast(t, "after a connect", f.forecast(t, f.scope(), store.ForecastQuery{}), expectedForecast(t, f.st, f.scope(), 0, store.ForecastWeeks))
}

func TestForecast_SumOfPartsAChangeMissedIsNotKept(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 6)
	f.connect(t, "dev-1")
	f.connect(t, "dev-2")
	f.clock.Advance(days(300))
	// A blacklist change lands after the request read the parts and before
	// it keeps their sum: the sum is not kept, the next request sees it.
	changed := false
	store.SetForecastSumHook(t, func(sc store.Scope) {
		if sc.AccountID != f.account.ID || changed {
			return
		}
		changed = true
		if _, err := f.st.SetBlacklisted(f.ctx, f.scope(), store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"dev-1"},
			Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
			t.Error(err)
		}
	})
	before := f.forecast(t, f.scope(), store.ForecastQuery{})
	if !changed {
		t.Fatal("the forecast kept no sum")
	}
	after := f.forecast(t, f.scope(), store.ForecastQuery{})
	sameForecast(t, "after the blacklist change", after, expectedForecast(t, f.st, f.scope(), 0, store.ForecastWeeks))
	if reflect.DeepEqual(before, after) {
		t.Error("the blacklist change did not change the forecast: the test shows nothing")
	}
}

func TestForecast_WorkerMakesTheDaysForecastsAndDeletedProductsLoseTheirs(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 6)
	f.connect(t, "dev-1")
	gone := f.base.AddProduct(t, f.account.ID, "PK-GONE", "Old meter", 3)
	f.forecast(t, f.scope(), store.ForecastQuery{})
	count := func(q string) int {
		t.Helper()
		var n int
		if err := f.st.DB().Get(&n, q, f.account.ID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// A deleted product's part goes with it, and the sums that add it up.
	if err := f.st.DeleteProduct(f.ctx, gone.ProductKey); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM forecast_parts WHERE account_id = $1 AND product_id = ` + fmt.Sprint(gone.ID)); n != 0 {
		t.Errorf("the deleted product keeps %d forecast parts", n)
	}
	if n := count(`SELECT count(*) FROM forecast_sums WHERE account_id = $1`); n != 0 {
		t.Errorf("the deleted product's account keeps %d forecast sums", n)
	}
	// One made again by a forecast under way is deleted by the worker.
	if _, err := f.st.DB().Exec(`INSERT INTO forecast_parts SELECT account_id, dc, $1, start, available, auto_renew, validity, fresh,
		first_codes, runs_out, weeks FROM forecast_parts WHERE product_id = $2`, gone.ID, f.product.ID); err != nil {
		t.Fatal(err)
	}
	// The next day, the worker makes the day's parts and sum before any request.
	f.clock.Advance(days(1))
	made, err := f.st.PrepareForecasts(f.ctx, nil)
	if err != nil || made != 1 {
		t.Fatalf("the worker made %d forecasts (%v), want the account's", made, err)
	}
	if n := count(`SELECT count(*) FROM forecast_parts WHERE account_id = $1 AND product_id = ` + fmt.Sprint(gone.ID)); n != 0 {
		t.Errorf("after the worker, the deleted product keeps %d forecast parts", n)
	}
	today := f.st.Now().Truncate(24 * time.Hour)
	var parts, sums int
	if err := f.st.DB().Get(&parts, `SELECT count(*) FROM forecast_parts WHERE account_id = $1 AND start = $2::date`, f.account.ID, today); err != nil {
		t.Fatal(err)
	}
	if err := f.st.DB().Get(&sums, `SELECT count(*) FROM forecast_sums WHERE account_id = $1 AND scope = '' AND start = $2::date`, f.account.ID, today); err != nil {
		t.Fatal(err)
	}
	if parts != 1 || sums != 1 {
		t.Errorf("after the worker: %d parts and %d sums of today, want 1 and 1", parts, sums)
	}
	if made, err := f.st.PrepareForecasts(f.ctx, nil); err != nil || made != 0 {
		t.Errorf("the worker again the same day made %d forecasts (%v), want none", made, err)
	}
	// A fold makes the sum stale: the worker makes it again.
	f.connect(t, "dev-2")
	if err := f.st.CompactExpiryCounts(f.ctx); err != nil {
		t.Fatal(err)
	}
	if made, err := f.st.PrepareForecasts(f.ctx, []string{"eu-frankfurt"}); err != nil || made != 1 {
		t.Errorf("the worker after a fold made %d forecasts (%v), want the account's", made, err)
	}
	sameForecast(t, "after the worker", f.forecast(t, f.scope(), store.ForecastQuery{}), expectedForecast(t, f.st, f.scope(), 0, store.ForecastWeeks))
}
