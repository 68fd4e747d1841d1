package store_test

import (
	"fmt"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

// recountConsumption counts the product's activations by kind per UTC month
// of the history and the codes assigned to it by each month's end, straight
// from activations and assignments.
func recountConsumption(t *testing.T, f *fixture, productID int64, months []store.ConsumptionMonth) []store.ConsumptionMonth {
	t.Helper()
	out := make([]store.ConsumptionMonth, len(months))
	for i, m := range months {
		end := m.Start.AddDate(0, 1, 0)
		out[i] = store.ConsumptionMonth{Start: m.Start,
			First: countRows(t, f.st, `SELECT count(*) FROM activations WHERE product_id = $1 AND kind = 'first'
				AND created_at >= $2 AND created_at < $3`, productID, m.Start, end),
			Renewals: countRows(t, f.st, `SELECT count(*) FROM activations WHERE product_id = $1 AND kind IN ('renewal', 'manual')
				AND created_at >= $2 AND created_at < $3`, productID, m.Start, end),
			Assigned: countRows(t, f.st, `SELECT coalesce(sum(quantity), 0) FROM assignments WHERE product_id = $1 AND created_at < $2`,
				productID, end)}
	}
	return out
}

// checkConsumption compares the product's history with a recount, its
// months with the calendar (ConsumptionMonths of them, the current one
// last), and its run-out day with the forecast's.
func checkConsumption(t *testing.T, f *fixture, sc store.Scope, productID int64, when string) store.ProductConsumption {
	t.Helper()
	got, err := f.st.ProductConsumption(f.ctx, sc, productID)
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	if len(got.Months) != store.ConsumptionMonths {
		t.Fatalf("%s: %d months, want %d", when, len(got.Months), store.ConsumptionMonths)
	}
	now := f.st.Now().UTC()
	if last := got.Months[len(got.Months)-1].Start; last != time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC) {
		t.Errorf("%s: the last month starts %v, want the month of %v", when, last, now)
	}
	// The run-out day and the assumption's figures are the forecast's.
	forecast, err := f.st.Forecast(f.ctx, sc, store.ForecastQuery{ProductID: productID, Weeks: store.ConsumptionForecastWeeks})
	if err != nil {
		t.Fatal(err)
	}
	if !got.RunsOut.Equal(forecast.RunsOut) || got.Available != forecast.Available || got.RecentFirst != forecast.FirstCodes {
		t.Errorf("%s: runs out %v with %d codes and %d first activations; the forecast says %v, %d and %d", when,
			got.RunsOut, got.Available, got.RecentFirst, forecast.RunsOut, forecast.Available, forecast.FirstCodes)
	}
	if want := forecast.Start.AddDate(0, 0, 7*store.ConsumptionForecastWeeks-1); !got.Horizon.Equal(want) {
		t.Errorf("%s: the horizon is %v, want the forecast's last day %v", when, got.Horizon, want)
	}
	for i, want := range recountConsumption(t, f, productID, got.Months) {
		if got.Months[i] != want {
			t.Errorf("%s: month %s = %+v, the activations and assignments say %+v", when, want.Start.Format("2006-01"), got.Months[i], want)
		}
	}
	return got
}

func TestProductConsumption_EqualsTheActivationsAndAssignmentsPerMonth(t *testing.T) {
	f := newFixture(t, storetest.WithProduct("PK-2", "Other", 10))
	other := f.base.Products["PK-2"]
	// Nothing yet: an empty history.
	if got := checkConsumption(t, f, f.scope(), f.product.ID, "a new product"); !got.Empty() {
		t.Errorf("a new product's history is not empty: %+v", got.Months)
	}
	// January 2026: five codes, three first activations; another product's do not count.
	f.assign(t, f.product.ID, 5)
	for i := range 3 {
		f.connect(t, fmt.Sprintf("dk-%d", i))
	}
	if _, err := f.st.Connect(f.ctx, other.ProductKey, "other-1", "eu-frankfurt"); err != nil {
		t.Fatal(err)
	}
	// Mid-February, another.
	f.clock.Advance(days(45))
	f.connect(t, "dk-3")
	// One code left, and new devices coming at four in the last 90 days: it runs out within the horizon.
	if got := checkConsumption(t, f, f.scope(), f.product.ID, "after the first connects"); got.RunsOut.IsZero() {
		t.Error("after the first connects the codes last beyond the horizon; want a run-out day")
	}
	// A year on (February 2027) the pass renews one (with the last code) and
	// lapses three; four more codes, one renewed by hand, a new device.
	f.clock.Advance(days(366))
	if st := f.pass(t); st.Renewed == 0 {
		t.Fatalf("the pass renewed nothing: %+v", st)
	}
	f.assign(t, f.product.ID, 4)
	for _, dk := range []string{"dk-0", "dk-1", "dk-2", "dk-3"} {
		if d := f.device(t, dk); d.Status == store.StatusLapsed {
			if _, err := f.st.RenewNow(f.ctx, f.scope(), store.RenewNowInput{DeviceID: d.ID, Actor: store.SystemActor("owner")}); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	// The new device a minute before March (UTC): February's.
	f.clock.Set(time.Date(2027, 2, 28, 23, 59, 0, 0, time.UTC))
	f.connect(t, "dk-4")
	got := checkConsumption(t, f, f.scope(), f.product.ID, "a year on")
	if feb := got.Months[len(got.Months)-1]; feb.Start.Month() != time.February || feb.First != 1 || feb.Renewals != 2 {
		t.Errorf("a year on, the last month is %+v; want February 2027 with dk-4 and two renewals", feb)
	}
	if got.Codes() != 7 || got.FirstCodes() != 5 {
		t.Errorf("a year on: %d codes, %d of first activations; want 7 and 5", got.Codes(), got.FirstCodes())
	}
	// Two years on (March 2028), January and February 2026 are out of the
	// history; the codes assigned then still count in the line.
	f.clock.Advance(days(390))
	got = checkConsumption(t, f, f.scope(), f.product.ID, "two years on")
	if got.Months[0].Assigned != 5 || got.Months[len(got.Months)-1].Assigned != 9 || got.FirstCodes() != 1 {
		t.Errorf("two years on: the line goes from %d to %d, %d codes of first activations; want 5 to 9, and 1 (dk-4)",
			got.Months[0].Assigned, got.Months[len(got.Months)-1].Assigned,
			got.FirstCodes())
	}
	if got.Empty() {
		t.Error("two years on the history is empty")
	}
}

func TestProductConsumption_OnlyAProductOfTheScope(t *testing.T) {
	f := newFixture(t, storetest.WithProduct("PK-2", "Other", 3), storetest.WithSubAccount("scoped@acme.example", false, "PK-2"))
	shanghai := f.newProduct(t, "cn-shanghai", "PK-SH")
	_, err := f.st.ProductConsumption(f.ctx, f.scope(), shanghai.ID)
	wantCode(t, err, store.CodeUnknownProduct)
	scoped := store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt", ProductIDs: f.base.Members["scoped@acme.example"].ProductIDs}
	_, err = f.st.ProductConsumption(f.ctx, scoped, f.product.ID)
	wantCode(t, err, store.CodeUnknownProduct)
	checkConsumption(t, f, scoped, f.base.Products["PK-2"].ID, "the sub-account's product")
}
