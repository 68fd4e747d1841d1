package store_test

import (
	"fmt"
	"testing"
	"time"

	"activation-console/store"
)

func (f *fixture) history(t *testing.T, sc store.Scope, filter store.AssignmentFilter, page store.PageRequest) store.Page[store.AssignmentRecord] {
	t.Helper()
	p, err := f.st.AssignmentHistory(f.ctx, sc, filter, page)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// quantities lists the rows' quantities, which the tests make unique.
func quantities(rows []store.AssignmentRecord) []int64 {
	q := make([]int64, len(rows))
	for i, r := range rows {
		q[i] = r.Quantity
	}
	return q
}

func (f *fixture) assignAs(t *testing.T, productID, n int64, pkg, operator string) {
	t.Helper()
	if _, err := f.st.Assign(f.ctx, f.scope(),
		store.AssignInput{ProductID: productID, PackageCode: pkg, Quantity: n, Actor: store.Actor{Name: operator}}); err != nil {
		t.Fatal(err)
	}
}

func TestAssignmentHistory_RecordsEachAssignmentNewestFirst(t *testing.T) {
	f := newFixture(t)
	f.buy(t, "o-5y", "std-5y", 50)
	meter := f.newProduct(t, "eu-frankfurt", "WM-200")
	f.assignAs(t, f.product.ID, 3, "std-1y", "owner@acme.example")
	f.clock.Advance(time.Hour)
	f.assignAs(t, meter.ID, 40, "std-5y", "ops@acme.example")
	// A purchase with a PK is an assignment too, by the order.
	if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "o-pk", AccountID: f.account.ID, DataCenter: "eu-frankfurt",
		PackageCode: "std-1y", Quantity: 7, ProductKey: "PK-1"}); err != nil {
		t.Fatal(err)
	}

	page := f.history(t, f.frankfurt(), store.AssignmentFilter{}, store.PageRequest{})
	if got := fmt.Sprint(quantities(page.Rows)); got != "[7 40 3]" {
		t.Fatalf("quantities %s, want [7 40 3], newest first", got)
	}
	r := page.Rows[1]
	if r.ProductName != "Product WM-200" || r.ProductKey != "WM-200" || r.PackageCode != "std-5y" || r.PackageName != "Standard, 5 years" ||
		r.Operator != "ops@acme.example" || !r.CreatedAt.Equal(epoch.Add(time.Hour)) {
		t.Errorf("row %+v", r)
	}
	if page.Rows[0].Operator != "order o-pk" {
		t.Errorf("a purchase's operator %q, want the order", page.Rows[0].Operator)
	}
}

func TestAssignmentHistory_KeepsToTheScopeAndKeepsDeletedProducts(t *testing.T) {
	f := newFixture(t)
	f.assignAs(t, f.product.ID, 2, "std-1y", "a")
	gone := f.newProduct(t, "eu-frankfurt", "PK-GONE")
	f.assignAs(t, gone.ID, 3, "std-1y", "a")
	if err := f.st.DeleteProduct(f.ctx, "PK-GONE"); err != nil {
		t.Fatal(err)
	}
	other := f.newAccount(t, "enterprise", "eu-frankfurt", "owner@other.example")
	theirs, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-OTHER", Name: "Thermostat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Assign(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"},
		store.AssignInput{ProductID: theirs.ID, PackageCode: "std-1y", Quantity: 4, Actor: store.SystemActor("x")}); err != nil {
		t.Fatal(err)
	}

	if got := fmt.Sprint(quantities(f.history(t, f.frankfurt(), store.AssignmentFilter{}, store.PageRequest{}).Rows)); got != "[3 2]" {
		t.Errorf("history %s, want [3 2]: the deleted product's, not the other account's", got)
	}
	if got := f.history(t, store.Scope{AccountID: f.account.ID, DC: "cn-shanghai"}, store.AssignmentFilter{}, store.PageRequest{}).Rows; len(got) != 0 {
		t.Errorf("cn-shanghai shows %d rows of eu-frankfurt", len(got))
	}
	sub := store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt", ProductIDs: []int64{f.product.ID}}
	if got := fmt.Sprint(quantities(f.history(t, sub, store.AssignmentFilter{}, store.PageRequest{}).Rows)); got != "[2]" {
		t.Errorf("a sub-account scope shows %s, want [2]", got)
	}
}

func TestAssignmentHistory_FiltersBySearchAndDates(t *testing.T) {
	f := newFixture(t)
	meter := f.newProduct(t, "eu-frankfurt", "WM-200")
	f.assignAs(t, f.product.ID, 1, "std-1y", "a") // day 0, 12:00
	f.clock.Advance(24 * time.Hour)
	f.assignAs(t, meter.ID, 2, "std-1y", "a") // day 1
	f.clock.Advance(24 * time.Hour)
	f.assignAs(t, f.product.ID, 3, "std-1y", "a") // day 2

	day := func(n int) time.Time { return time.Date(2026, 1, 1+n, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name   string
		filter store.AssignmentFilter
		want   string
	}{
		{"name", store.AssignmentFilter{Search: "thermo"}, "[3 1]"},
		{"ProductKey start", store.AssignmentFilter{Search: "wm-2"}, "[2]"},
		{"from", store.AssignmentFilter{DateRange: store.DateRange{From: day(1)}}, "[3 2]"},
		{"to, excluded", store.AssignmentFilter{DateRange: store.DateRange{To: day(2)}}, "[2 1]"},
		{"one day", store.AssignmentFilter{DateRange: store.DateRange{From: day(1), To: day(2)}}, "[2]"},
		{"search and dates", store.AssignmentFilter{Search: "PK-1", DateRange: store.DateRange{From: day(1)}}, "[3]"},
		{"nothing", store.AssignmentFilter{DateRange: store.DateRange{From: day(3)}}, "[]"},
	} {
		got := fmt.Sprint(quantities(f.history(t, f.frankfurt(), tc.filter, store.PageRequest{}).Rows))
		if got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
		var exported []store.AssignmentRecord
		if err := f.st.EachAssignment(f.ctx, f.frankfurt(), tc.filter, func(r store.AssignmentRecord) error {
			exported = append(exported, r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(quantities(exported)) != tc.want {
			t.Errorf("%s: export %v, want %s", tc.name, quantities(exported), tc.want)
		}
	}
}

func TestAssignmentHistory_PagesForwardAndBack(t *testing.T) {
	f := newFixture(t)
	f.buy(t, "o-1", "std-1y", 10000)
	// 120 assignments of 1..120 codes; pairs share a time, so the id breaks the tie.
	for n := int64(1); n <= 120; n++ {
		f.assignAs(t, f.product.ID, n, "std-1y", "a")
		if n%2 == 0 {
			f.clock.Advance(time.Minute)
		}
	}
	want := func(from, to int64) string { // newest first: 120 down to 1
		var q []int64
		for n := from; n >= to; n-- {
			q = append(q, n)
		}
		return fmt.Sprint(q)
	}
	none := store.AssignmentFilter{}
	p1 := f.history(t, f.frankfurt(), none, store.PageRequest{})
	p2 := f.history(t, f.frankfurt(), none, store.PageRequest{After: p1.Next})
	p3 := f.history(t, f.frankfurt(), none, store.PageRequest{After: p2.Next})
	if fmt.Sprint(quantities(p1.Rows)) != want(120, 71) || fmt.Sprint(quantities(p2.Rows)) != want(70, 21) ||
		fmt.Sprint(quantities(p3.Rows)) != want(20, 1) {
		t.Fatalf("pages %v | %v | %v", quantities(p1.Rows), quantities(p2.Rows), quantities(p3.Rows))
	}
	if p1.Prev != "" || p3.Next != "" || p3.Prev == "" {
		t.Errorf("links: p1 prev %q, p3 next %q prev %q", p1.Prev, p3.Next, p3.Prev)
	}
	back2 := f.history(t, f.frankfurt(), none, store.PageRequest{Before: p3.Prev})
	back1 := f.history(t, f.frankfurt(), none, store.PageRequest{Before: back2.Prev})
	if fmt.Sprint(quantities(back2.Rows)) != want(70, 21) || fmt.Sprint(quantities(back1.Rows)) != want(120, 71) || back1.Prev != "" {
		t.Errorf("back: %v | %v (prev %q)", quantities(back2.Rows), quantities(back1.Rows), back1.Prev)
	}
}
