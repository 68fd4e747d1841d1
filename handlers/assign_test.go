package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store"
)

// unassigned is the account's unassigned codes of pkg in eu-frankfurt.
func (f *licenseConsole) unassigned(t *testing.T, pkg string) int64 {
	t.Helper()
	sum, err := f.st.Licenses(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range sum.Unassigned {
		if u.Code == pkg {
			return u.Quantity
		}
	}
	return 0
}

// assignments counts the assignments recorded in the account.
func (f *licenseConsole) assignmentCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.st.DB().GetContext(f.ctx, &n, `SELECT count(*) FROM assignments WHERE account_id = $1`, f.account.ID); err != nil {
		t.Fatal(err)
	}
	return n
}

// assignForm is the values of step 2 for a product.
func assignForm(p store.Product, pkg, quantity string) url.Values {
	v := url.Values{"product": {fmt.Sprint(p.ID)}, "quantity": {quantity}, "return": {"/eu-frankfurt/licenses"}}
	if pkg != "" {
		v.Set("package", pkg)
	}
	return v
}

// with returns a copy of v with key set to value.
func with(v url.Values, key, value string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	out.Set(key, value)
	return out
}

func TestAssign_PicksAProduct(t *testing.T) {
	f := newLicenseConsole(t)
	b := f.owner(t)
	_, doc := b.get("/eu-frankfurt/assign", true)
	if got := text(doc.Find("dialog#assign-dialog .empty")); got != "No products yet. Products appear here when the platform creates them; then you can assign codes to them." {
		t.Errorf("without products the dialog says %q", got)
	}

	thermo := f.product(t, "PK-1", "Thermostat")
	meter := f.product(t, "WM-200", "Water Meter")
	f.assign(t, meter.ID, "std-5y", 1, "x")
	rec, doc := b.get("/eu-frankfurt/assign?return=%2Feu-frankfurt%2Flicenses", true)
	wantStatus(t, rec, http.StatusOK)
	if doc.Find("dialog#assign-dialog form#assign-form[method=get]").Length() != 1 || doc.Find("header").Length() != 0 {
		t.Fatalf("htmx gets no dialog: %s", rec.Body.String())
	}
	var picks []string
	doc.Find("button.pick").Each(func(_ int, s *goquery.Selection) { picks = append(picks, s.AttrOr("value", "")+": "+text(s)) })
	want := fmt.Sprintf("[%d: Thermostat PK-1 No package yet %d: Water Meter WM-200 Standard, 5 years]", thermo.ID, meter.ID)
	if fmt.Sprint(picks) != want {
		t.Errorf("products %v, want %s", picks, want)
	}
	if doc.Find(`label[for=assign-q]`).Length() != 1 || doc.Find(`input[name=return]`).AttrOr("value", "") != "/eu-frankfurt/licenses" {
		t.Error("the search box has no label or the return page is lost")
	}

	// The search narrows the list; without JavaScript the dialog is a page.
	rec, doc = b.get("/eu-frankfurt/assign?q=wm", false)
	wantStatus(t, rec, http.StatusOK)
	if text(doc.Find("main .dialog-page h1")) != "Assign activation codes" || doc.Find("button.pick").Length() != 1 ||
		!strings.HasPrefix(text(doc.Find("button.pick")), "Water Meter") {
		t.Errorf("search wm as a page: %s", text(doc.Find("main")))
	}
	_, doc = b.get("/eu-frankfurt/assign?q=zzz", true)
	if got := text(doc.Find("#assign-products .empty")); !strings.HasPrefix(got, "No product matches “zzz”.") {
		t.Errorf("no match says %q", got)
	}
}

func TestAssign_ShowsThePackageAndTheMaximum(t *testing.T) {
	f := newLicenseConsole(t)
	thermo := f.product(t, "PK-1", "Thermostat")
	f.assign(t, thermo.ID, "std-1y", 2, "x")
	fresh := f.product(t, "PK-2", "Smart Plug")
	b := f.owner(t)

	_, doc := b.get(fmt.Sprintf("/eu-frankfurt/assign?product=%d", thermo.ID), true)
	var facts []string
	doc.Find("#assign-form dl.facts dt").Each(func(_ int, dt *goquery.Selection) { facts = append(facts, text(dt)+": "+text(dt.Next())) })
	if fmt.Sprint(facts) != "[Product: Thermostat PK-1 Change Package: Standard, 1 year std-1y]" {
		t.Errorf("facts %q", facts)
	}
	if got := text(doc.Find("#assign-quantity-hint")); got != "Up to 8 codes can be assigned." {
		t.Errorf("hint %q", got)
	}
	if q := doc.Find("#assign-quantity"); q.AttrOr("max", "") != "8" || doc.Find(`label[for=assign-quantity]`).Length() != 1 {
		t.Error("the quantity has no max or no label")
	}

	_, doc = b.get(fmt.Sprintf("/eu-frankfurt/assign?product=%d", fresh.ID), true)
	var choices []string
	doc.Find(".assign-packages label.choice").Each(func(_ int, s *goquery.Selection) { choices = append(choices, text(s)) })
	if fmt.Sprint(choices) != "[std-1y — Standard, 1 year: 8 unassigned std-5y — Standard, 5 years: 30 unassigned]" {
		t.Errorf("package choices %q", choices)
	}
	if text(doc.Find(".assign-packages legend")) != "Package" {
		t.Error("the package choice has no legend")
	}

	// No codes left of the product's package: it says so, and offers no Next.
	f.assign(t, fresh.ID, "std-1y", 8, "x")
	_, doc = b.get(fmt.Sprintf("/eu-frankfurt/assign?product=%d", thermo.ID), true)
	if got := text(doc.Find("#assign-form .notice")); got != "No unassigned codes of Standard, 1 year are left. Purchase codes of this package to assign more to Thermostat." {
		t.Errorf("empty pool says %q", got)
	}
	if doc.Find(`#assign-form button:contains("Next")`).Length() != 0 {
		t.Error("Next offered with nothing to assign")
	}

	// A product of another account is no product here.
	other, err := f.st.CreateAccount(f.ctx, store.NewAccount{Name: "Other", Type: "enterprise", DataCenter: "eu-frankfurt",
		OwnerEmail: "owner@other.example", OwnerPassword: ownerPassword})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "THEIRS", Name: "Their product"})
	if err != nil {
		t.Fatal(err)
	}
	rec, doc := b.get(fmt.Sprintf("/eu-frankfurt/assign?product=%d", theirs.ID), true)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if got := text(doc.Find("#assign-product-error")); got != "That product does not exist any more: choose one from the list." ||
		strings.Contains(rec.Body.String(), "Their product") {
		t.Errorf("another account's product: %q", got)
	}
}

func TestAssign_RefusesQuantitiesOutOfRange(t *testing.T) {
	f := newLicenseConsole(t)
	thermo := f.product(t, "PK-1", "Thermostat")
	f.assign(t, thermo.ID, "std-1y", 1, "x")
	plug := f.product(t, "PK-2", "Smart Plug")
	b := f.owner(t)
	for _, tc := range []struct {
		name   string
		form   url.Values
		field  string
		reason string
	}{
		{"empty", assignForm(thermo, "std-1y", ""), "quantity", "Enter a number from 1 to 9."},
		{"not a number", assignForm(thermo, "std-1y", "ten"), "quantity", "Enter a number from 1 to 9."},
		{"zero", assignForm(thermo, "std-1y", "0"), "quantity", "Enter a number from 1 to 9."},
		{"negative", assignForm(thermo, "std-1y", "-3"), "quantity", "Enter a number from 1 to 9."},
		{"above the maximum", assignForm(thermo, "std-1y", "10"), "quantity", "Enter a number from 1 to 9."},
		{"above the maximum, confirmed", with(assignForm(thermo, "std-1y", "10"), "confirm", "1"), "quantity", "Enter a number from 1 to 9."},
		{"another package", assignForm(thermo, "std-5y", "2"), "package",
			"Thermostat uses the package Standard, 1 year now; only codes of that package can be assigned to it."},
		{"no package chosen", assignForm(plug, "", "2"), "package", "Choose a package."},
		{"above the chosen package", assignForm(plug, "std-5y", "31"), "quantity", "Enter a number from 1 to 30."},
		{"unknown package", assignForm(plug, "gold", "1"), "package", "No unassigned codes of that package are left: choose one of the packages listed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, htmx := range []bool{false, true} {
				rec, doc := b.post("/eu-frankfurt/assign", tc.form, htmx)
				wantStatus(t, rec, http.StatusUnprocessableEntity)
				if got := text(doc.Find("#assign-" + tc.field + "-error")); got != tc.reason {
					t.Errorf("htmx %v: message %q, want %q", htmx, got, tc.reason)
				}
				control := doc.Find("#assign-quantity")
				if tc.field == "package" {
					control = doc.Find("fieldset.assign-packages")
				}
				if control.Length() > 0 && (control.AttrOr("aria-invalid", "") != "true" ||
					!strings.Contains(control.AttrOr("aria-describedby", ""), "assign-"+tc.field+"-error")) {
					t.Errorf("htmx %v: the %s control is not marked invalid", htmx, tc.field)
				}
				if got := doc.Find("#assign-quantity").AttrOr("value", ""); got != tc.form.Get("quantity") {
					t.Errorf("htmx %v: the quantity typed, %q, became %q", htmx, tc.form.Get("quantity"), got)
				}
				if htmx && doc.Find("html body > form#assign-form").Length() != 1 {
					t.Errorf("htmx gets more than the form: %s", rec.Body.String())
				}
				if !htmx && doc.Find("main .dialog-page form#assign-form").Length() != 1 {
					t.Error("without htmx the form is not a page")
				}
			}
		})
	}
	if n := f.assignmentCount(t); n != 1 || f.unassigned(t, "std-1y") != 9 || f.unassigned(t, "std-5y") != 30 {
		t.Errorf("something was assigned: %d assignments, pools %d and %d", n, f.unassigned(t, "std-1y"), f.unassigned(t, "std-5y"))
	}
}

func TestAssign_ConfirmsThenAssigns(t *testing.T) {
	f := newLicenseConsole(t)
	thermo := f.product(t, "PK-1", "Thermostat")
	b := f.owner(t)
	form := assignForm(thermo, "std-1y", " 04 ")

	// Next: the confirmation states the numbers; nothing is assigned yet.
	rec, doc := b.post("/eu-frankfurt/assign", form, true)
	wantStatus(t, rec, http.StatusOK)
	if got := text(doc.Find(".assign-question")); got != "Assign 4 codes of the package “Standard, 1 year” to Thermostat (PK-1)?" {
		t.Errorf("question %q", got)
	}
	if got := text(doc.Find("#assign-form .notice")); got != "Assigned codes cannot be taken back." {
		t.Errorf("warning %q", got)
	}
	if f.assignmentCount(t) != 0 {
		t.Fatal("assigned before the confirmation")
	}
	hidden := url.Values{}
	doc.Find("#assign-form input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
		hidden.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	if hidden.Get("quantity") != "4" || hidden.Get("package") != "std-1y" || hidden.Get("return") != "/eu-frankfurt/licenses" {
		t.Errorf("the confirmation carries %v", hidden)
	}

	// Back: step 2 with the values kept.
	_, doc = b.post("/eu-frankfurt/assign", with(hidden, "back", "1"), true)
	if got := doc.Find("#assign-quantity").AttrOr("value", ""); got != "4" {
		t.Errorf("back shows quantity %q", got)
	}

	// Confirm, as a plain form: 303 to the page it came from, with the message and fresh figures.
	hidden.Del("csrf")
	rec, _ = b.post("/eu-frankfurt/assign", with(hidden, "confirm", "1"), false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/eu-frankfurt/licenses" {
		t.Fatalf("confirm: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	_, doc = b.get("/eu-frankfurt/licenses", false)
	if got := text(doc.Find(".flash")); got != "Assigned 4 codes to Thermostat." {
		t.Errorf("flash %q", got)
	}
	if headFigure(doc, "Unassigned") != "36" || headFigure(doc, "Available") != "4" || headFigure(doc, "Total") != "40" {
		t.Errorf("figures: unassigned %s available %s total %s", headFigure(doc, "Unassigned"), headFigure(doc, "Available"), headFigure(doc, "Total"))
	}
	_, doc = b.get("/eu-frankfurt/licenses/history", false)
	if got := tableRows(doc); len(got) != 1 || !strings.HasSuffix(got[0], "| Thermostat | PK-1 | Standard, 1 year | 4 | owner@acme.example") {
		t.Errorf("history %q", got)
	}

	// Confirm through htmx: HX-Location swaps the page it came from.
	rec, _ = b.post("/eu-frankfurt/assign", with(with(hidden, "quantity", "1"), "confirm", "1"), true)
	wantStatus(t, rec, http.StatusOK)
	var loc map[string]string
	if err := json.Unmarshal([]byte(rec.Header().Get("HX-Location")), &loc); err != nil || loc["path"] != "/eu-frankfurt/licenses" || loc["target"] != "#main" {
		t.Errorf("HX-Location %q", rec.Header().Get("HX-Location"))
	}
	if f.unassigned(t, "std-1y") != 5 {
		t.Errorf("std-1y pool %d, want 5", f.unassigned(t, "std-1y"))
	}
}

func TestAssign_FixesTheFirstPackage(t *testing.T) {
	f := newLicenseConsole(t)
	plug := f.product(t, "PK-2", "Smart Plug")
	b := f.owner(t)
	rec, doc := b.post("/eu-frankfurt/assign", assignForm(plug, "std-5y", "30"), true)
	wantStatus(t, rec, http.StatusOK)
	if got := text(doc.Find(".assign-question")); got != "Assign 30 codes of the package “Standard, 5 years” to Smart Plug (PK-2)?" {
		t.Errorf("question %q", got)
	}
	rec, _ = b.post("/eu-frankfurt/assign", with(assignForm(plug, "std-5y", "30"), "confirm", "1"), false)
	wantStatus(t, rec, http.StatusSeeOther)
	_, doc = b.get(fmt.Sprintf("/eu-frankfurt/assign?product=%d", plug.ID), true)
	if got := text(doc.Find("#assign-form .notice")); got != "No unassigned codes of Standard, 5 years are left. Purchase codes of this package to assign more to Smart Plug." {
		t.Errorf("after the first assignment: %q", got)
	}
}

func TestAssign_ShowsWhatChangedMeanwhile(t *testing.T) {
	f := newLicenseConsole(t)
	thermo := f.product(t, "PK-1", "Thermostat")
	plug := f.product(t, "PK-2", "Smart Plug")
	b := f.owner(t)

	// Someone else takes codes between the confirmation and Confirm.
	rec, _ := b.post("/eu-frankfurt/assign", assignForm(thermo, "std-1y", "8"), true)
	wantStatus(t, rec, http.StatusOK)
	f.assign(t, plug.ID, "std-1y", 5, "ops@acme.example")
	rec, doc := b.post("/eu-frankfurt/assign", with(assignForm(thermo, "std-1y", "8"), "confirm", "1"), true)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if got := text(doc.Find("#assign-quantity-error")); got != "Enter a number from 1 to 5." {
		t.Errorf("message %q", got)
	}
	if got := text(doc.Find(".assign-packages label.choice").First()); got != "std-1y — Standard, 1 year: 5 unassigned" {
		t.Errorf("the quantity shown is not fresh: %q", got)
	}

	// Someone fixes the product's package between step 2 and Confirm.
	meter := f.product(t, "WM-200", "Water Meter")
	f.assign(t, meter.ID, "std-5y", 1, "ops@acme.example")
	rec, doc = b.post("/eu-frankfurt/assign", with(assignForm(meter, "std-1y", "2"), "confirm", "1"), true)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if got := text(doc.Find("#assign-package-error")); got != "Water Meter uses the package Standard, 5 years now; only codes of that package can be assigned to it." {
		t.Errorf("message %q", got)
	}
	if f.assignmentCount(t) != 2 {
		t.Errorf("%d assignments, want only the two of the other person", f.assignmentCount(t))
	}
}

func TestAssign_ReturnsOnlyToPagesOfThisDataCenter(t *testing.T) {
	f := newLicenseConsole(t)
	thermo := f.product(t, "PK-1", "Thermostat")
	b := f.owner(t)
	for ret, want := range map[string]string{
		fmt.Sprintf("/eu-frankfurt/products/%d", thermo.ID): fmt.Sprintf("/eu-frankfurt/products/%d", thermo.ID),
		"/eu-frankfurt/licenses?q=therm":                    "/eu-frankfurt/licenses?q=therm",
		"https://evil.example/eu-frankfurt/licenses":        "/eu-frankfurt/licenses",
		"//evil.example/eu-frankfurt/licenses":              "/eu-frankfurt/licenses",
		"/cn-shanghai/licenses":                             "/eu-frankfurt/licenses",
		"/eu-frankfurt/assign":                              "/eu-frankfurt/licenses",
		"":                                                  "/eu-frankfurt/licenses",
	} {
		rec, _ := b.post("/eu-frankfurt/assign", with(with(assignForm(thermo, "std-1y", "1"), "confirm", "1"), "return", ret), false)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != want {
			t.Errorf("return %q: %d to %q, want %q", ret, rec.Code, rec.Header().Get("Location"), want)
		}
	}
	// A link without a return field (the product page's) returns to the page
	// htmx names as the current one.
	req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/eu-frankfurt/assign?product=%d", thermo.ID), nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Current-URL", fmt.Sprintf("http://console.test/eu-frankfurt/products/%d?q=dev", thermo.ID))
	for _, c := range b.jar.Cookies(site) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Find("input[name=return]").AttrOr("value", ""); got != fmt.Sprintf("/eu-frankfurt/products/%d?q=dev", thermo.ID) {
		t.Errorf("return %q, want the product page", got)
	}
}
