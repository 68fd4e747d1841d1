package handlers_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store"
)

// licenseConsole is the console fixture with the account's 10 free std-1y
// codes, 30 more std-5y codes and products to give them to.
type licenseConsole struct {
	*consoleFixture
}

func newLicenseConsole(t *testing.T) *licenseConsole {
	t.Helper()
	f := &licenseConsole{newConsole(t)}
	f.purchase(t, "O-5Y", "std-5y", 30, "")
	return f
}

func (f *licenseConsole) product(t *testing.T, pk, name string) store.Product {
	t.Helper()
	p, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: pk, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// purchase records an order of n codes of pkg, for product pk when pk is not "".
func (f *licenseConsole) purchase(t *testing.T, order, pkg string, n int64, pk string) {
	t.Helper()
	if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: order, AccountID: f.account.ID, DataCenter: "eu-frankfurt",
		PackageCode: pkg, Quantity: n, ProductKey: pk}); err != nil {
		t.Fatal(err)
	}
}

func (f *licenseConsole) assign(t *testing.T, productID int64, pkg string, n int64, operator string) {
	t.Helper()
	if _, err := f.st.Assign(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
		store.AssignInput{ProductID: productID, PackageCode: pkg, Quantity: n, Actor: store.Actor{Name: operator}}); err != nil {
		t.Fatal(err)
	}
}

// connect reports a device's connection; a refusal for lack of a code is expected by some tests.
func (f *licenseConsole) connect(t *testing.T, pk, dk string) {
	t.Helper()
	if _, err := f.st.Connect(f.ctx, pk, dk, "eu-frankfurt"); err != nil && !store.HasCode(err, store.CodeNoActivationCode) {
		t.Fatalf("connect %s/%s: %v", pk, dk, err)
	}
}

// member creates a sub-account of the fixture's account and signs it in.
func (f *licenseConsole) member(t *testing.T, manage bool) *browser {
	t.Helper()
	email := fmt.Sprintf("member-%v@acme.example", manage)
	if _, err := f.st.CreateUser(f.ctx, store.NewUser{AccountID: f.account.ID, Role: store.RoleMember, Email: email,
		Password: ownerPassword, ManageLicenses: manage}); err != nil {
		t.Fatal(err)
	}
	return f.signIn(t, email, ownerPassword)
}

// headFigure is the value of the overview's figure labelled label.
func headFigure(doc *goquery.Document, label string) string {
	return text(doc.Find(".figure").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSuffix(text(s.Find(".label")), " View") == label
	}).Find(".value"))
}

// tableRows is the text of each row of the results table, cells joined by " | ".
func tableRows(doc *goquery.Document) []string {
	var out []string
	doc.Find("#results tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var cells []string
		tr.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, text(td)) })
		out = append(out, strings.Join(cells, " | "))
	})
	return out
}

func wantStatus(t *testing.T, rec interface{ Result() *http.Response }, status int) {
	t.Helper()
	if got := rec.Result().StatusCode; got != status {
		t.Fatalf("status %d, want %d", got, status)
	}
}

func TestOverview_ShowsTheFiguresAndEachProduct(t *testing.T) {
	f := newLicenseConsole(t)
	thermo := f.product(t, "PK-1", "Thermostat")
	f.product(t, "PK-2", "Smart Plug")
	f.assign(t, thermo.ID, "std-1y", 6, "owner@acme.example")
	f.connect(t, "PK-1", "dev-1")
	f.connect(t, "PK-1", "dev-2")
	f.connect(t, "PK-2", "plug-1") // no code: waiting
	f.clock.Advance(340 * 24 * time.Hour)
	f.connect(t, "PK-1", "dev-3") // a fresh code; dev-1 and dev-2 expire within 30 days

	b := f.owner(t)
	rec, doc := b.get("/eu-frankfurt/licenses", false)
	wantStatus(t, rec, http.StatusOK)
	for label, want := range map[string]string{
		"Total": "40", "Consumed": "3", "Available": "3", "Unassigned": "34",
		"Devices with near-expiry codes": "2", "Devices waiting for a code": "1",
	} {
		if got := headFigure(doc, label); got != want {
			t.Errorf("figure %s = %q, want %s", label, got, want)
		}
	}
	if got := text(doc.Find(`.tabs a[aria-current=page]`)); got != "Product activation codes" {
		t.Errorf("current tab %q", got)
	}
	if href, _ := doc.Find(`.figure a[aria-label="View unassigned codes per package"]`).Attr("href"); href != "/eu-frankfurt/licenses/unassigned" {
		t.Errorf("unassigned View links to %q", href)
	}
	if href, _ := doc.Find(`.figure a[aria-label="View devices with near-expiry codes"]`).Attr("href"); href != "/eu-frankfurt/near-expiry" {
		t.Errorf("near-expiry View links to %q", href)
	}
	want := []string{
		"Smart Plug | PK-2 | None yet | 0 | 0 | 0 | On | No codes yet | Details Assign",
		// 1 code used in the last 30 days, 3 available: 90 days left.
		"Thermostat | PK-1 | Standard, 1 year | 6 | 3 | 3 | On | 90 days | Details Assign",
	}
	if got := tableRows(doc); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows\n%q\nwant\n%q", got, want)
	}
	assign := doc.Find(`.page-head a.btn`)
	if text(assign) != "Assign activation codes" || assign.AttrOr("hx-target", "") != "#dialog" ||
		assign.AttrOr("href", "") != "/eu-frankfurt/assign?return=%2Feu-frankfurt%2Flicenses" {
		t.Errorf("assign button %q -> %q", text(assign), assign.AttrOr("href", ""))
	}
	row := doc.Find("#results tbody tr").Last()
	if href := row.Find(`a:contains("Details")`).AttrOr("href", ""); href != fmt.Sprintf("/eu-frankfurt/products/%d", thermo.ID) {
		t.Errorf("Details links to %q", href)
	}
	if href := row.Find(`a:contains("Assign")`).AttrOr("hx-get", ""); href != fmt.Sprintf("/eu-frankfurt/assign?product=%d&return=%%2Feu-frankfurt%%2Flicenses", thermo.ID) {
		t.Errorf("Assign opens %q", href)
	}

	// The runway turns to a warning, then to "out of codes".
	f.connect(t, "PK-1", "dev-4")
	f.connect(t, "PK-1", "dev-5")
	_, doc = b.get("/eu-frankfurt/licenses?q=PK-1", true)
	if got := doc.Find("#results tbody td").Eq(7); text(got) != "10 days" || got.Find(".badge.warn").Length() != 1 {
		t.Errorf("runway %q, want a warning of 10 days (1 left, 3 used in 30 days)", text(got))
	}
	f.connect(t, "PK-1", "dev-6")
	_, doc = b.get("/eu-frankfurt/licenses?q=PK-1", true)
	if got := text(doc.Find("#results tbody td").Eq(7)); got != "Out of codes" {
		t.Errorf("runway %q, want Out of codes", got)
	}
}

func TestOverview_HtmxGetsOnlyTheResults(t *testing.T) {
	f := newLicenseConsole(t)
	f.product(t, "PK-1", "Thermostat")
	b := f.owner(t)
	rec, doc := b.get("/eu-frankfurt/licenses", true)
	wantStatus(t, rec, http.StatusOK)
	if doc.Find("html body > #results").Length() != 1 || doc.Find("header, .figures, form.filters").Length() != 0 {
		t.Errorf("partial is not the results alone: %s", rec.Body.String())
	}
	if !slices.Contains(rec.Header().Values("Vary"), "HX-Request") {
		t.Errorf("Vary %q", rec.Header().Values("Vary"))
	}
}

func TestOverview_Searches(t *testing.T) {
	f := newLicenseConsole(t)
	b := f.owner(t)
	_, doc := b.get("/eu-frankfurt/licenses", false)
	if got := text(doc.Find("#results .empty")); got != "No products yet. Products appear here when the platform creates them." {
		t.Errorf("empty list says %q", got)
	}
	f.product(t, "PK-1", "Thermostat")
	f.product(t, "WM-200", "Water Meter")
	for _, tc := range []struct{ q, want string }{
		{"therm", "Thermostat"},
		{"wm-2", "Water Meter"},
		{"", "Thermostat Water Meter"},
	} {
		_, doc := b.get("/eu-frankfurt/licenses?q="+url.QueryEscape(tc.q), true)
		var names []string
		doc.Find("#results tbody tr td:first-child").Each(func(_ int, s *goquery.Selection) { names = append(names, text(s)) })
		if strings.Join(names, " ") != tc.want {
			t.Errorf("q=%q: %v, want %s", tc.q, names, tc.want)
		}
	}
	_, doc = b.get("/eu-frankfurt/licenses?q=nothing", false)
	if got := text(doc.Find("#results .empty")); !strings.HasPrefix(got, "No product matches “nothing”.") {
		t.Errorf("no match says %q", got)
	}
	if got := doc.Find("#codes-q").AttrOr("value", ""); got != "nothing" {
		t.Errorf("the search box holds %q", got)
	}
}

func TestOverview_PagesForwardAndBack(t *testing.T) {
	f := newLicenseConsole(t)
	for i := range 60 {
		f.product(t, fmt.Sprintf("K%02d", i), fmt.Sprintf("Meter %02d", i))
	}
	b := f.owner(t)
	_, doc := b.get("/eu-frankfurt/licenses?q=meter", false)
	if n := doc.Find("#results tbody tr").Length(); n != 50 {
		t.Fatalf("page 1 has %d rows", n)
	}
	if doc.Find(`.pager a:contains("Previous")`).Length() != 0 {
		t.Error("page 1 links to a previous page")
	}
	next := doc.Find(`.pager a:contains("Next")`).AttrOr("href", "")
	if !strings.Contains(next, "q=meter") || !strings.Contains(next, "after=") {
		t.Fatalf("next link %q keeps neither the search nor a cursor", next)
	}
	_, doc = b.get(next, true)
	if got := tableRows(doc); len(got) != 10 || !strings.HasPrefix(got[0], "Meter 50 |") {
		t.Fatalf("page 2: %d rows from %v", len(got), got)
	}
	if doc.Find(`.pager a:contains("Next")`).Length() != 0 {
		t.Error("the last page links to a next page")
	}
	prev := doc.Find(`.pager a:contains("Previous")`).AttrOr("href", "")
	_, doc = b.get(prev, true)
	if got := tableRows(doc); len(got) != 50 || !strings.HasPrefix(got[0], "Meter 00 |") {
		t.Errorf("back to page 1: %d rows from %v", len(got), got)
	}
	rec, _ := b.get("/eu-frankfurt/licenses?after=broken", false)
	wantStatus(t, rec, http.StatusBadRequest)
}

func TestOverview_ExportsCSV(t *testing.T) {
	f := newLicenseConsole(t)
	p := f.product(t, "PK-1", "=HYPERLINK(\"http://evil\")")
	f.assign(t, p.ID, "std-5y", 4, "owner@acme.example")
	f.connect(t, "PK-1", "dev-1")
	f.product(t, "WM-200", "Water Meter")
	b := f.owner(t)
	_, doc := b.get("/eu-frankfurt/licenses?q=pk", false)
	link := doc.Find(`#results a:contains("Download CSV")`).AttrOr("href", "")
	if link != "/eu-frankfurt/licenses?format=csv&q=pk" {
		t.Errorf("CSV link %q, want the search kept", link)
	}
	rec := b.do(http.MethodGet, link, nil, false)
	wantStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Product", "ProductKey", "Package", "Total", "Consumed", "Available", "Automatic renewal", "Runway (days)"},
		{"'=HYPERLINK(\"http://evil\")", "PK-1", "std-5y", "4", "1", "3", "on", "90"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("CSV\n%q\nwant\n%q", rows, want)
	}
}

func TestUnassigned_ShowsEachPackageWithItsAllowance(t *testing.T) {
	f := newLicenseConsole(t)
	b := f.owner(t)
	rec, doc := b.get("/eu-frankfurt/licenses/unassigned", true)
	wantStatus(t, rec, http.StatusOK)
	dialog := doc.Find("dialog#unassigned-dialog")
	if dialog.Length() != 1 || doc.Find("header").Length() != 0 {
		t.Fatalf("htmx gets no dialog fragment: %s", rec.Body.String())
	}
	items := dialog.Find(".package-item")
	if items.Length() != 2 {
		t.Fatalf("%d packages, want 2", items.Length())
	}
	for i, want := range []string{
		"Standard, 1 year std-1y|10 unassigned|Validity: 1 year|Messages: 1,500 per device per day|" +
			"OTA upgrades: 1 per device per month, up to 5 MB each|Log storage: 7 days",
		"Standard, 5 years std-5y|30 unassigned|Validity: 5 years|Messages: 1,500 per device per day|" +
			"OTA upgrades: 1 per device per month, up to 5 MB each|Log storage: 7 days",
	} {
		item := items.Eq(i)
		got := []string{text(item.Find("h2")), text(item.Find(".package-qty"))}
		item.Find("dt").Each(func(_ int, dt *goquery.Selection) { got = append(got, text(dt)+": "+text(dt.Next())) })
		if strings.Join(got, "|") != want {
			t.Errorf("package %d: %q\nwant %q", i, strings.Join(got, "|"), want)
		}
	}
	if dialog.Find(`a:contains("Assign activation codes")`).Length() != 1 {
		t.Error("no way on to assigning")
	}

	// Without JavaScript the same list is a page.
	rec, doc = b.get("/eu-frankfurt/licenses/unassigned", false)
	wantStatus(t, rec, http.StatusOK)
	if text(doc.Find("main .dialog-page h1")) != "Unassigned activation codes" || doc.Find("main .package-item").Length() != 2 {
		t.Errorf("full page: %s", text(doc.Find("main")))
	}

	// All assigned: it says so and how to get more.
	p := f.product(t, "PK-1", "Thermostat")
	f.assign(t, p.ID, "std-1y", 10, "x")
	q := f.product(t, "PK-2", "Meter")
	f.assign(t, q.ID, "std-5y", 30, "x")
	_, doc = b.get("/eu-frankfurt/licenses/unassigned", true)
	if got := text(doc.Find("dialog .empty")); !strings.HasPrefix(got, "No unassigned codes are left in Germany (Frankfurt).") ||
		!strings.Contains(got, "purchase codes") {
		t.Errorf("empty pool says %q", got)
	}
}

func TestOverview_HidesAssigningFromViewers(t *testing.T) {
	f := newLicenseConsole(t)
	p := f.product(t, "PK-1", "Thermostat")
	b := f.member(t, false)
	_, doc := b.get("/eu-frankfurt/licenses", false)
	if headFigure(doc, "Unassigned") != "40" {
		t.Errorf("a viewer sees Unassigned %q", headFigure(doc, "Unassigned"))
	}
	if n := doc.Find(`a[href^="/eu-frankfurt/assign"]`).Length(); n != 0 {
		t.Errorf("a viewer without the permission sees %d assign controls", n)
	}
	_, doc = b.get("/eu-frankfurt/assign", true)
	if got := text(doc.Find("dialog .notice")); !strings.HasPrefix(got, "You may view these codes but not assign them.") {
		t.Errorf("the dialog says %q", got)
	}
	rec, _ := b.post("/eu-frankfurt/assign", url.Values{"product": {fmt.Sprint(p.ID)}, "quantity": {"1"}, "confirm": {"1"}}, false)
	wantStatus(t, rec, http.StatusForbidden)

	manager := f.member(t, true)
	_, doc = manager.get("/eu-frankfurt/licenses", false)
	if doc.Find(`.page-head a:contains("Assign activation codes")`).Length() != 1 {
		t.Error("a sub-account with the permission cannot assign")
	}
}

func TestOverview_KeepsASubAccountToItsProducts(t *testing.T) {
	f := newLicenseConsole(t)
	thermo := f.product(t, "PK-1", "Thermostat")
	secret := f.product(t, "PK-S", "Secret Prototype")
	f.assign(t, thermo.ID, "std-1y", 2, "owner@acme.example")
	f.assign(t, secret.ID, "std-5y", 5, "owner@acme.example")
	f.connect(t, "PK-S", "proto-1")
	if _, err := f.st.CreateMember(f.ctx, store.Scope{AccountID: f.account.ID},
		store.MemberInput{Actor: store.SystemActor("test"), Name: "Ops", Email: "ops@acme.example", Password: ownerPassword,
			ManageLicenses: true, ProductIDs: []int64{thermo.ID}}); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, "ops@acme.example", ownerPassword)

	_, doc := b.get("/eu-frankfurt/licenses", false)
	for label, want := range map[string]string{"Consumed": "0", "Available": "2", "Unassigned": "33", "Total": "35"} {
		if got := headFigure(doc, label); got != want {
			t.Errorf("figure %s = %q, want %s (the secret product's codes left out)", label, got, want)
		}
	}
	if got := tableRows(doc); len(got) != 1 || !strings.HasPrefix(got[0], "Thermostat |") {
		t.Errorf("rows %q", got)
	}
	_, doc = b.get("/eu-frankfurt/licenses/history", false)
	if got := tableRows(doc); len(got) != 1 || !strings.Contains(got[0], "Thermostat") {
		t.Errorf("history %q", got)
	}
	_, doc = b.get("/eu-frankfurt/assign", true)
	if n := doc.Find("button.pick").Length(); n != 1 || strings.Contains(doc.Text(), "Secret") {
		t.Errorf("the dialog offers %d products: %s", n, text(doc.Find("#assign-products")))
	}
	rec, _ := b.post("/eu-frankfurt/assign", url.Values{"product": {fmt.Sprint(secret.ID)}, "package": {"std-5y"}, "quantity": {"1"}, "confirm": {"1"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if n := f.assignmentCount(t); n != 2 {
		t.Errorf("%d assignments: the sub-account assigned to a product outside its scope", n)
	}
}
