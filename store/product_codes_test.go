package store_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"activation-console/store"
)

// frankfurt is the fixture account's whole scope in eu-frankfurt.
func (f *fixture) frankfurt() store.Scope {
	return store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}
}

func (f *fixture) productCodes(t *testing.T, sc store.Scope, search string, page store.PageRequest) store.Page[store.ProductCodes] {
	t.Helper()
	p, err := f.st.ProductCodes(f.ctx, sc, store.ProductCodesFilter{Search: search}, page)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func productKeys(rows []store.ProductCodes) []string {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.ProductKey
	}
	return keys
}

func TestProductCodes_ShowsEachProductsCounters(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 5)
	f.connect(t, "dev-1")
	f.connect(t, "dev-2")
	f.newProduct(t, "eu-frankfurt", "PK-2")

	page := f.productCodes(t, f.frankfurt(), "", store.PageRequest{})
	if got := productKeys(page.Rows); fmt.Sprint(got) != "[PK-2 PK-1]" {
		t.Fatalf("products %v, want [PK-2 PK-1] (by name: Product PK-2, Thermostat)", got)
	}
	r := page.Rows[1]
	if r.Name != "Thermostat" || r.Total() != 5 || r.Consumed != 2 || r.Available != 3 || !r.AutoRenew ||
		r.PackageCode == nil || *r.PackageCode != "std-1y" || *r.PackageName != "Standard, 1 year" {
		t.Errorf("row %+v, want Thermostat std-1y total 5 consumed 2 available 3 auto renew on", r)
	}
	if empty := page.Rows[0]; empty.PackageCode != nil || empty.Total() != 0 {
		t.Errorf("a product without codes: %+v", empty)
	}
	if page.Prev != "" || page.Next != "" {
		t.Errorf("one page only, got prev %q next %q", page.Prev, page.Next)
	}
}

func TestProductCodes_KeepsToTheScope(t *testing.T) {
	f := newFixture(t)
	f.newProduct(t, "cn-shanghai", "PK-CN")
	gone := f.newProduct(t, "eu-frankfurt", "PK-GONE")
	if err := f.st.DeleteProduct(f.ctx, "PK-GONE"); err != nil {
		t.Fatal(err)
	}
	other := f.newAccount(t, "enterprise", "eu-frankfurt", "owner@other.example")
	if _, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-OTHER", Name: "Thermostat"}); err != nil {
		t.Fatal(err)
	}
	mine := f.newProduct(t, "eu-frankfurt", "PK-MINE")

	if got := productKeys(f.productCodes(t, f.frankfurt(), "", store.PageRequest{}).Rows); fmt.Sprint(got) != "[PK-MINE PK-1]" {
		t.Errorf("eu-frankfurt lists %v, want [PK-MINE PK-1]: no other DC, account or deleted product", got)
	}
	sub := store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt", ProductIDs: []int64{mine.ID, gone.ID}}
	if got := productKeys(f.productCodes(t, sub, "", store.PageRequest{}).Rows); fmt.Sprint(got) != "[PK-MINE]" {
		t.Errorf("a sub-account scope lists %v, want [PK-MINE]", got)
	}
}

func TestProductCodes_SearchesByNameOrProductKey(t *testing.T) {
	f := newFixture(t)
	f.newProduct(t, "eu-frankfurt", "acme-wm200")
	f.newProduct(t, "eu-frankfurt", "x_1")
	f.newProduct(t, "eu-frankfurt", "xa1")
	for _, tc := range []struct{ search, want string }{
		{"therm", "[PK-1]"},               // name, any case, inside
		{"THERMOSTAT", "[PK-1]"},          // name, any case
		{"pk-", "[PK-1]"},                 // start of a ProductKey
		{"acme-wm200", "[acme-wm200]"},    // a whole ProductKey
		{"wm200", "[acme-wm200]"},         // inside the name "Product acme-wm200"
		{"x_", "[x_1]"},                   // _ is a character, not a wildcard
		{"%", "[]"},                       // so is %
		{"  therm  ", "[PK-1]"},           // blanks around are ignored
		{"nothing like it", "[]"},         // no match
		{"", "[acme-wm200 x_1 xa1 PK-1]"}, // everything, by name
	} {
		got := productKeys(f.productCodes(t, f.frankfurt(), tc.search, store.PageRequest{}).Rows)
		if fmt.Sprint(got) != tc.want {
			t.Errorf("search %q: %v, want %s", tc.search, got, tc.want)
		}
	}
}

func TestProductCodes_PagesForwardAndBack(t *testing.T) {
	f := newFixture(t)
	// 119 more products, several with the same name: the id breaks the tie.
	for i := range 119 {
		if _, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: fmt.Sprintf("K%03d", i), Name: fmt.Sprintf("Meter %02d", i/3)}); err != nil {
			t.Fatal(err)
		}
	}
	var all []string
	if err := f.st.EachProductCodes(f.ctx, f.frankfurt(), store.ProductCodesFilter{}, func(r store.ProductCodes) error {
		all = append(all, r.ProductKey)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(all) != 120 || all[0] != "K000" || all[119] != "PK-1" {
		t.Fatalf("export: %d rows from %s to %s, want 120 from K000 to PK-1", len(all), all[0], all[len(all)-1])
	}

	p1 := f.productCodes(t, f.frankfurt(), "", store.PageRequest{})
	p2 := f.productCodes(t, f.frankfurt(), "", store.PageRequest{After: p1.Next})
	p3 := f.productCodes(t, f.frankfurt(), "", store.PageRequest{After: p2.Next})
	if fmt.Sprint(productKeys(p1.Rows)) != fmt.Sprint(all[:50]) || fmt.Sprint(productKeys(p2.Rows)) != fmt.Sprint(all[50:100]) ||
		fmt.Sprint(productKeys(p3.Rows)) != fmt.Sprint(all[100:]) {
		t.Fatalf("pages do not follow the list: %v | %v | %v", productKeys(p1.Rows), productKeys(p2.Rows), productKeys(p3.Rows))
	}
	if p1.Prev != "" || p1.Next == "" || p2.Prev == "" || p3.Prev == "" || p3.Next != "" {
		t.Errorf("links: p1 %q/%q p3 %q/%q", p1.Prev, p1.Next, p3.Prev, p3.Next)
	}
	back2 := f.productCodes(t, f.frankfurt(), "", store.PageRequest{Before: p3.Prev})
	if fmt.Sprint(productKeys(back2.Rows)) != fmt.Sprint(all[50:100]) || back2.Next == "" || back2.Prev == "" {
		t.Errorf("back from page 3: %v (prev %q next %q), want page 2", productKeys(back2.Rows), back2.Prev, back2.Next)
	}
	back1 := f.productCodes(t, f.frankfurt(), "", store.PageRequest{Before: back2.Prev})
	if fmt.Sprint(productKeys(back1.Rows)) != fmt.Sprint(all[:50]) || back1.Prev != "" || back1.Next == "" {
		t.Errorf("back to page 1: %v (prev %q)", productKeys(back1.Rows), back1.Prev)
	}

	_, err := f.st.ProductCodes(f.ctx, f.frankfurt(), store.ProductCodesFilter{}, store.PageRequest{After: "not a cursor"})
	wantCode(t, err, store.CodeInvalid)
}

func TestProductCodes_RunwayFollowsTheLast30Days(t *testing.T) {
	f := newFixture(t)
	f.buy(t, "o-1", "std-1y", 100)
	f.assign(t, f.product.ID, 100)
	// 20 devices 40 days ago: outside the window.
	for i := range 20 {
		f.connect(t, fmt.Sprintf("old-%d", i))
	}
	f.clock.Advance(40 * 24 * time.Hour)
	if r := f.productCodes(t, f.frankfurt(), "", store.PageRequest{}).Rows[0]; r.Recent != 0 {
		t.Fatalf("recent %d, want 0 after 40 days", r.Recent)
	} else if _, ok := r.RunwayDays(); ok {
		t.Errorf("runway known without consumption: %+v", r)
	}
	// 10 devices in the window: 1/3 code a day, 70 available: 210 days.
	for i := range 10 {
		f.connect(t, fmt.Sprintf("new-%d", i))
		f.clock.Advance(24 * time.Hour)
	}
	r := f.productCodes(t, f.frankfurt(), "", store.PageRequest{}).Rows[0]
	if days, ok := r.RunwayDays(); !ok || r.Recent != 10 || r.Available != 70 || days != 210 {
		t.Errorf("recent %d available %d runway %d (%v), want 10, 70, 210 days", r.Recent, r.Available, days, ok)
	}
	var exported store.ProductCodes
	if err := f.st.EachProductCodes(f.ctx, f.frankfurt(), store.ProductCodesFilter{Search: "PK-1"}, func(r store.ProductCodes) error {
		exported = r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(exported, r) {
		t.Errorf("export row %+v, page row %+v", exported, r)
	}
}
