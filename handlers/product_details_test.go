package handlers_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store"
)

// productConsole is the console fixture with product PK-1 "Thermostat" in
// eu-frankfurt holding codes of the default package.
type productConsole struct {
	*consoleFixture
	product store.Product
}

func newProductConsole(t *testing.T, codes int64) *productConsole {
	t.Helper()
	f := newConsole(t)
	p, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-1", Name: "Thermostat"})
	if err != nil {
		t.Fatal(err)
	}
	pc := &productConsole{consoleFixture: f, product: p}
	pc.addCodes(t, codes)
	return pc
}

// addCodes buys n codes of the default package and assigns them to the product.
func (f *productConsole) addCodes(t *testing.T, n int64) {
	t.Helper()
	if n == 0 {
		return
	}
	if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: fmt.Sprintf("O-%d", time.Now().UnixNano()), AccountID: f.account.ID,
		DataCenter: "eu-frankfurt", PackageCode: "std-1y", Quantity: n}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Assign(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
		store.AssignInput{ProductID: f.product.ID, PackageCode: "std-1y", Quantity: n, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
}

// connect connects device dk of the product and returns it.
func (f *productConsole) connect(t *testing.T, dk string) store.Device {
	t.Helper()
	if _, err := f.st.Connect(f.ctx, "PK-1", dk, "eu-frankfurt"); err != nil && !store.HasCode(err, store.CodeNoActivationCode) {
		t.Fatalf("connect %s: %v", dk, err)
	}
	return f.device(t, dk)
}

func (f *productConsole) device(t *testing.T, dk string) store.Device {
	t.Helper()
	d, err := f.st.DeviceByKey(f.ctx, "PK-1", dk)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *productConsole) productNow(t *testing.T) store.Product {
	t.Helper()
	p, err := f.st.ProductByKey(f.ctx, "PK-1")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// lapse makes device dk lapse: blacklisted when its code expires. It moves the clock past that expiry.
func (f *productConsole) lapse(t *testing.T, dk string) {
	t.Helper()
	f.blacklist(t, true, dk)
	f.clock.Set(f.device(t, dk).ExpiresAt.Add(time.Hour))
	if _, err := f.st.RenewalPass(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.blacklist(t, false, dk)
}

func (f *productConsole) blacklist(t *testing.T, on bool, dks ...string) {
	t.Helper()
	if _, err := f.st.SetBlacklisted(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
		store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: dks, Blacklisted: on, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
}

func (f *productConsole) path(suffix string) string {
	return "/eu-frankfurt/products/" + strconv.FormatInt(f.product.ID, 10) + suffix
}

func (f *productConsole) devicePath(d store.Device, action string) string {
	return f.path("/devices/" + strconv.FormatInt(d.ID, 10) + "/" + action)
}

// rowKeys are the DKs of the device table, in order.
func rowKeys(doc *goquery.Document) []string {
	var out []string
	doc.Find("#results tbody tr").Each(func(_ int, s *goquery.Selection) {
		out = append(out, text(s.Find("td").First()))
	})
	return out
}

// row is the device table's row of dk.
func row(doc *goquery.Document, dk string) *goquery.Selection {
	return doc.Find("#results tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return text(s.Find("td").First()) == dk
	})
}

// cells is the text of a table row, cell by cell.
func cells(tr *goquery.Selection) string {
	var out []string
	tr.Find("td").Each(func(_ int, td *goquery.Selection) { out = append(out, text(td)) })
	return strings.Join(out, " ")
}

// figure is the value of the headline figure labelled label.
func figure(doc *goquery.Document, label string) string {
	return text(doc.Find(".figure").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return text(s.Find(".label")) == label
	}).Find(".value"))
}

func TestProductDetails_FullPage(t *testing.T) {
	f := newProductConsole(t, 3)
	f.connect(t, "dev-1")
	b := f.owner(t)
	rec, doc := b.get(f.path(""), false)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got := text(doc.Find("h1")); got != "Thermostat" {
		t.Errorf("h1 %q", got)
	}
	if !strings.Contains(text(doc.Find(".page-head")), "ProductKey PK-1") {
		t.Errorf("head %q", text(doc.Find(".page-head")))
	}
	for label, want := range map[string]string{"Total": "3", "Consumed": "1", "Available": "2"} {
		if got := figure(doc, label); got != want {
			t.Errorf("figure %s = %q, want %q", label, got, want)
		}
	}
	if doc.Find(".figure .label:contains('Forfeited')").Length() != 0 {
		t.Error("a live product shows Forfeited")
	}
	pkg := text(doc.Find("section[aria-labelledby=package-title]"))
	for _, want := range []string{"Standard, 1 year", "1 year", "1,500 per device per day", "1 per device per month, 5 MB each", "7 days"} {
		if !strings.Contains(pkg, want) {
			t.Errorf("package card %q lacks %q", pkg, want)
		}
	}
	assign, _ := doc.Find(".page-head a.btn").Attr("href")
	if u, _ := url.Parse(assign); u.Path != "/eu-frankfurt/assign" || u.Query().Get("product") != strconv.FormatInt(f.product.ID, 10) ||
		u.Query().Get("return") != f.path("") {
		t.Errorf("assign link %q", assign)
	}
	for term, want := range map[string]string{"Due to renew in 30 days": "0 devices", "Available codes": "2", "Blacklisted devices": "0 Set the renewal blacklist"} {
		if got := cardFact(doc, term); got != want {
			t.Errorf("card: %s %q, want %q", term, got, want)
		}
	}
	if _, on := doc.Find("#product-auto-renew").Attr("checked"); !on {
		t.Error("the switch is not shown on")
	}
	r := row(doc, "dev-1")
	for _, want := range []string{"First activation", "Active", "Will renew", "Auto-renew", "History"} {
		if !strings.Contains(text(r), want) {
			t.Errorf("row %q lacks %q", text(r), want)
		}
	}
	if got, _ := r.Find("time").First().Attr("title"); got != "2026-01-01 12:00:00 UTC" {
		t.Errorf("activated at tooltip %q", got)
	}
	if r.Find("button:contains('Renew now')").Length() != 0 {
		t.Error("an active device offers Renew now")
	}
	if doc.Find("#results th[scope=col]").Length() != 8 {
		t.Errorf("table headers: %d", doc.Find("#results th[scope=col]").Length())
	}
}

func TestProductDetails_TimesInTheViewersZone(t *testing.T) {
	f := newProductConsole(t, 1)
	f.connect(t, "dev-1")
	if _, err := f.st.DB().ExecContext(f.ctx, `UPDATE users SET time_zone = 'Asia/Shanghai'`); err != nil {
		t.Fatal(err)
	}
	_, doc := f.owner(t).get(f.path(""), false)
	if got := text(row(doc, "dev-1").Find("time").First()); got != "2026-01-01 20:00" {
		t.Errorf("activated at %q, want 20:00 in Shanghai", got)
	}
}

func TestProductDetails_PartialIsTheResults(t *testing.T) {
	f := newProductConsole(t, 1)
	f.connect(t, "dev-1")
	b := f.owner(t)
	b.get(f.path(""), false)
	rec, doc := b.get(f.path("?dk=dev"), true)
	if rec.Code != http.StatusOK || doc.Find("html body > #results").Length() != 1 || doc.Find("h1, .figures, #renewal-card").Length() != 0 {
		t.Fatalf("partial: %d %s", rec.Code, rec.Body)
	}
	if got := rowKeys(doc); len(got) != 1 || got[0] != "dev-1" {
		t.Fatalf("rows %v", got)
	}
	if !slices.Contains(rec.Header().Values("Vary"), "HX-Request") {
		t.Errorf("Vary %q", rec.Header().Values("Vary"))
	}
}

func TestProductDetails_EmptyStates(t *testing.T) {
	f := newProductConsole(t, 0)
	b := f.owner(t)
	_, doc := b.get(f.path(""), false)
	if got := text(doc.Find("#results .empty")); !strings.Contains(got, "No devices yet. A device appears here when it first connects") {
		t.Errorf("empty state %q", got)
	}
	if got := text(doc.Find("section[aria-labelledby=package-title]")); !strings.Contains(got, "No package yet") {
		t.Errorf("package %q", got)
	}
	_, doc = b.get(f.path("?dk=zzz"), false)
	if got := text(doc.Find("#results .empty")); !strings.Contains(got, "No device matches these filters. Clear the filters") {
		t.Errorf("filtered empty state %q", got)
	}
}

func TestProductDetails_NotFound(t *testing.T) {
	f := newProductConsole(t, 0)
	other, err := f.st.CreateAccount(f.ctx, store.NewAccount{Name: "Other", Type: "individual", DataCenter: "eu-frankfurt",
		OwnerEmail: "other@example.com", OwnerPassword: ownerPassword})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-THEIRS", Name: "Theirs"})
	if err != nil {
		t.Fatal(err)
	}
	shanghai, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "cn-shanghai"}, store.ProductInput{ProductKey: "PK-SH", Name: "Lamp"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-GONE", Name: "Gone"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.DeleteProduct(f.ctx, "PK-GONE"); err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	for name, path := range map[string]string{
		"AnotherAccount":       fmt.Sprintf("/eu-frankfurt/products/%d", theirs.ID),
		"AnotherDataCenter":    fmt.Sprintf("/eu-frankfurt/products/%d", shanghai.ID),
		"ProductInTheWrongDC":  fmt.Sprintf("/cn-shanghai/products/%d", f.product.ID),
		"Deleted":              fmt.Sprintf("/eu-frankfurt/products/%d", gone.ID),
		"NotANumber":           "/eu-frankfurt/products/abc",
		"TheirBlacklist":       fmt.Sprintf("/eu-frankfurt/products/%d/blacklist", theirs.ID),
		"DeletedProductDialog": fmt.Sprintf("/eu-frankfurt/products/%d/blacklist", gone.ID),
	} {
		t.Run(name, func(t *testing.T) {
			if rec, _ := b.get(path, false); rec.Code != http.StatusNotFound {
				t.Fatalf("%s: status %d", path, rec.Code)
			}
		})
	}
	t.Run("ChangesToAnotherAccountsProduct", func(t *testing.T) {
		b.get(f.path(""), false)
		for _, p := range []string{"/auto-renew", "/blacklist", "/blacklist/remove"} {
			rec, _ := b.post(fmt.Sprintf("/eu-frankfurt/products/%d%s", theirs.ID, p), url.Values{"device_keys": {"x"}, "device_key": {"x"}}, false)
			if rec.Code != http.StatusNotFound {
				t.Errorf("POST %s: status %d", p, rec.Code)
			}
		}
		if p, _ := f.st.ProductByKey(f.ctx, "PK-THEIRS"); !p.AutoRenew {
			t.Error("their switch changed")
		}
	})
}

// pagingConsole has 55 devices, an hour apart, and 2 waiting for a code.
func pagingConsole(t *testing.T) (*productConsole, []string) {
	f := newProductConsole(t, 55)
	var want []string
	for i := range 55 {
		dk := fmt.Sprintf("dev-%02d", i)
		f.connect(t, dk)
		want = append(want, dk)
		f.clock.Advance(time.Hour)
	}
	f.connect(t, "wait-1")
	f.connect(t, "wait-2")
	return f, append(want, "wait-1", "wait-2")
}

func TestProductDetails_PagesForwardAndBack(t *testing.T) {
	f, want := pagingConsole(t)
	b := f.owner(t)
	_, doc := b.get(f.path(""), false)
	if got := rowKeys(doc); strings.Join(got, ",") != strings.Join(want[:50], ",") {
		t.Fatalf("first page %v", got)
	}
	if doc.Find(".pager a:contains('Previous')").Length() != 0 {
		t.Error("the first page links to a previous one")
	}
	next, ok := doc.Find(".pager a:contains('Next')").Attr("href")
	if !ok {
		t.Fatal("no Next link")
	}
	if hx, _ := doc.Find(".pager a:contains('Next')").Attr("hx-get"); hx != next {
		t.Errorf("hx-get %q, href %q", hx, next)
	}
	_, doc = b.get(next, true)
	if got := rowKeys(doc); strings.Join(got, ",") != strings.Join(want[50:], ",") {
		t.Fatalf("second page %v", got)
	}
	if got := text(row(doc, "wait-1")); !strings.Contains(got, "Waiting for a code") {
		t.Errorf("waiting row %q", got)
	}
	if doc.Find(".pager a:contains('Next')").Length() != 0 {
		t.Error("the last page links to a next one")
	}
	prev, ok := doc.Find(".pager a:contains('Previous')").Attr("href")
	if !ok {
		t.Fatal("no Previous link")
	}
	_, doc = b.get(prev, false)
	if got := rowKeys(doc); strings.Join(got, ",") != strings.Join(want[:50], ",") {
		t.Fatalf("back on the first page %v", got)
	}
}

func TestProductDetails_PagesKeepTheFilters(t *testing.T) {
	f, want := pagingConsole(t)
	b := f.owner(t)
	_, doc := b.get(f.path("?dk=DEV&status=active"), false)
	next, _ := doc.Find(".pager a:contains('Next')").Attr("href")
	if u, _ := url.Parse(next); u.Query().Get("dk") != "DEV" || u.Query().Get("status") != "active" || u.Query().Get("after") == "" {
		t.Fatalf("next link %q", next)
	}
	_, doc = b.get(next, false)
	if got := rowKeys(doc); strings.Join(got, ",") != strings.Join(want[50:55], ",") {
		t.Fatalf("second filtered page %v", got)
	}
	if v, _ := doc.Find("#devices-dk").Attr("value"); v != "DEV" {
		t.Errorf("the DK field shows %q", v)
	}
	if _, sel := doc.Find("#devices-status option[value=active]").Attr("selected"); !sel {
		t.Error("the status filter is not kept")
	}
}

func TestProductDetails_Filters(t *testing.T) {
	f := newProductConsole(t, 3)
	f.connect(t, "alpha-1") // activated 2026-01-01, expires 2027-01-01
	f.clock.Set(epoch.AddDate(0, 2, 0))
	f.connect(t, "alpha-2") // 2026-03-01, expires 2027-03-01
	f.clock.Set(epoch.AddDate(0, 4, 0))
	f.connect(t, "beta-1") // 2026-05-01, expires 2027-05-01
	b := f.owner(t)
	for name, tc := range map[string]struct {
		query string
		want  string
	}{
		"DeviceKeyPrefix":      {"dk=alpha", "alpha-1,alpha-2"},
		"DeviceKeyAnyCase":     {"dk=BETA", "beta-1"},
		"ActivatedRange":       {"activated_from=2026-02-01&activated_to=2026-05-01", "alpha-2,beta-1"},
		"ActivatedOneDay":      {"activated_from=2026-03-01&activated_to=2026-03-01", "alpha-2"},
		"ExpiresRange":         {"expires_from=2027-01-02&expires_to=2027-03-01", "alpha-2"},
		"ExpiresFromOnly":      {"expires_from=2027-03-02", "beta-1"},
		"StatusActive":         {"status=active", "alpha-1,alpha-2,beta-1"},
		"StatusLapsed":         {"status=lapsed", ""},
		"KeyAndActivatedRange": {"dk=alpha&activated_to=2026-01-31", "alpha-1"},
	} {
		t.Run(name, func(t *testing.T) {
			for _, htmx := range []bool{false, true} {
				rec, doc := b.get(f.path("?"+tc.query), htmx)
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d", rec.Code)
				}
				if got := strings.Join(rowKeys(doc), ","); got != tc.want {
					t.Fatalf("htmx %v: %q, want %q", htmx, got, tc.want)
				}
			}
		})
	}
}

func TestProductDetails_FilterErrors(t *testing.T) {
	f := newProductConsole(t, 1)
	f.connect(t, "dev-1")
	b := f.owner(t)
	for name, tc := range map[string]struct {
		query, field, input, message string
	}{
		"NotADate":       {"activated_from=31.12.2026", "activated_from", "#devices-af", "The first activation date is not a date"},
		"EndBeforeStart": {"expires_from=2026-02-01&expires_to=2026-01-01", "expires_to", "#devices-et", "The last expiration date is before the first: pick a day on or after 2026-02-01."},
		"UnknownStatus":  {"status=deleted", "status", "#devices-status", "Choose a status from the list."},
	} {
		t.Run(name, func(t *testing.T) {
			rec, doc := b.get(f.path("?"+tc.query), false)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", rec.Code)
			}
			msg := doc.Find("#devices-filter-error-" + tc.field)
			if !strings.Contains(text(msg), tc.message) {
				t.Errorf("message %q, want %q", text(msg), tc.message)
			}
			in := doc.Find(tc.input)
			if v, _ := in.Attr("aria-invalid"); v != "true" {
				t.Errorf("%s not marked invalid", tc.input)
			}
			if v, _ := in.Attr("aria-describedby"); v != "devices-filter-error-"+tc.field {
				t.Errorf("%s described by %q", tc.input, v)
			}
			// The filter that cannot be used is left out: the device is still listed.
			if got := rowKeys(doc); len(got) != 1 {
				t.Errorf("rows %v", got)
			}
			rec, doc = b.get(f.path("?"+tc.query), true)
			if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(text(doc.Find("#results .form-error")), tc.message) {
				t.Errorf("partial: %d %q", rec.Code, text(doc.Find("#results .form-error")))
			}
		})
	}
}

func TestProductDetails_CSV(t *testing.T) {
	f := newProductConsole(t, 2)
	f.connect(t, "-cmd-1")
	f.clock.Advance(time.Hour)
	f.connect(t, "dev-2")
	f.connect(t, "wait-1")
	b := f.owner(t)
	_, doc := b.get(f.path("?dk=dev"), false)
	link, _ := doc.Find("#results a:contains('Download CSV')").Attr("href")
	if u, _ := url.Parse(link); u.Query().Get("format") != "csv" || u.Query().Get("dk") != "dev" {
		t.Fatalf("CSV link %q", link)
	}
	rec := b.do(http.MethodGet, link, nil, false)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), `devices-PK-1.csv`) {
		t.Fatalf("CSV response %d %v", rec.Code, rec.Header())
	}
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"DeviceKey", "Activated at", "Expires at", "Kind", "Status", "Renewal outlook", "Auto-renew"},
		{"dev-2", "2026-01-01T13:00:00Z", "2027-01-01T13:00:00Z", "First activation", "Active", "Will renew", "on"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("CSV\n got %q\nwant %q", rows, want)
	}
	rec = b.do(http.MethodGet, f.path("?format=csv"), nil, false)
	rows, _ = csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if len(rows) != 4 || rows[1][0] != "'-cmd-1" {
		t.Fatalf("whole export %q", rows)
	}
	if rows[3][0] != "wait-1" || rows[3][4] != "Waiting for a code" || rows[3][1] != "" {
		t.Errorf("waiting row %q", rows[3])
	}
}

func TestProductDetails_MemberWithoutManageSeesNoControls(t *testing.T) {
	f := newProductConsole(t, 2)
	f.connect(t, "dev-1")
	f.lapse(t, "dev-1")
	if _, err := f.st.CreateUser(f.ctx, store.NewUser{AccountID: f.account.ID, Role: store.RoleMember, Email: "viewer@acme.example",
		Password: ownerPassword}); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, "viewer@acme.example", ownerPassword)
	rec, doc := b.get(f.path(""), false)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if n := doc.Find("main form[method=post]").Length(); n != 0 {
		t.Errorf("%d forms that change things", n)
	}
	if doc.Find(".page-head a:contains('Assign codes')").Length() != 0 {
		t.Error("Assign codes is offered")
	}
	if got := text(row(doc, "dev-1")); !strings.Contains(got, "Lapsed: blacklisted") || !strings.Contains(got, "Auto-renew on") {
		t.Errorf("row %q", got)
	}
	if got := text(doc.Find("#renewal-card")); !strings.Contains(got, "On") || !strings.Contains(got, "View") {
		t.Errorf("card %q", got)
	}
}
