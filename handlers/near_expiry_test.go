package handlers_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store"
)

// nearConsole is the console fixture with two products in eu-frankfurt,
// "Thermostat" PK-1 and "Desk lamp" LAMP-7, whose devices connected a year
// before the clock now stands: thermo-001 and thermo-002 at epoch (20 days
// left), lamp-001 three days later (23 days left) and thermo-far forty days
// later (beyond the window).
type nearConsole struct {
	*consoleFixture
	thermo, lamp store.Product
	now          time.Time
}

const nearPath = "/eu-frankfurt/near-expiry"

func newNearConsole(t *testing.T) *nearConsole {
	t.Helper()
	f := &nearConsole{consoleFixture: newConsole(t)}
	var err error
	if f.thermo, err = f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-1", Name: "Thermostat"}); err != nil {
		t.Fatal(err)
	}
	if f.lamp, err = f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "LAMP-7", Name: "Desk lamp"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "O-1", AccountID: f.account.ID, DataCenter: "eu-frankfurt",
		PackageCode: "std-1y", Quantity: 100}); err != nil {
		t.Fatal(err)
	}
	f.assignTo(t, f.thermo, 80)
	f.assignTo(t, f.lamp, 10)
	f.nearConnect(t, "PK-1", "thermo-001")
	f.nearConnect(t, "PK-1", "thermo-002")
	f.clock.Set(epoch.Add(3 * 24 * time.Hour))
	f.nearConnect(t, "LAMP-7", "lamp-001")
	f.clock.Set(epoch.Add(40 * 24 * time.Hour))
	f.nearConnect(t, "PK-1", "thermo-far")
	f.now = epoch.AddDate(1, 0, 0).Add(-20*24*time.Hour - time.Hour)
	f.clock.Set(f.now)
	return f
}

func (f *nearConsole) assignTo(t *testing.T, p store.Product, n int64) {
	t.Helper()
	if _, err := f.st.Assign(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
		store.AssignInput{ProductID: p.ID, PackageCode: "std-1y", Quantity: n, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
}

func (f *nearConsole) nearConnect(t *testing.T, pk, dk string) {
	t.Helper()
	if _, err := f.st.Connect(f.ctx, pk, dk, "eu-frankfurt"); err != nil {
		t.Fatalf("connect %s: %v", dk, err)
	}
}

// nearRows are the DeviceKeys of the list's rows, in order.
func nearRows(doc *goquery.Document) []string {
	keys := []string{}
	doc.Find("#results tbody tr").Each(func(_ int, tr *goquery.Selection) {
		keys = append(keys, text(tr.Find("td").Eq(2)))
	})
	return keys
}

// nearRow is the row of device dk, its cells' text joined by " | ".
func nearRow(doc *goquery.Document, dk string) string {
	var out string
	doc.Find("#results tbody tr").Each(func(_ int, tr *goquery.Selection) {
		if text(tr.Find("td").Eq(2)) == dk {
			var cells []string
			tr.Find("td").Each(func(_ int, td *goquery.Selection) {
				td = td.Clone()
				td.Find("noscript").Remove()
				cells = append(cells, text(td))
			})
			out = strings.Join(cells, " | ")
		}
	})
	return out
}

func TestNearExpiry_ShowsDevicesWhoseCodesExpireWithin30Days(t *testing.T) {
	t.Parallel()
	f := newNearConsole(t)
	b := f.owner(t)
	rec, doc := b.get(nearPath, false)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got := text(doc.Find("h1")); got != "Devices with near-expiry codes" {
		t.Errorf("h1 = %q", got)
	}
	if got := text(doc.Find(`nav a[aria-current="page"]`)); got != "Near-expiry devices" {
		t.Errorf("current nav = %q", got)
	}
	if got := nearRows(doc); !reflect.DeepEqual(got, []string{"thermo-001", "thermo-002", "lamp-001"}) {
		t.Fatalf("rows = %v, want the three devices expiring within 30 days, soonest first", got)
	}
	if got, want := nearRow(doc, "thermo-001"), "Thermostat | PK-1 | thermo-001 | 2026-01-01 12:00 | 2027-01-01 12:00 | 20 days | Will renew | Auto-renew device thermo-001"; got != want {
		t.Errorf("row = %q\nwant  %q", got, want)
	}
	if got := nearRow(doc, "lamp-001"); !strings.Contains(got, "Desk lamp | LAMP-7 | lamp-001 | 2026-01-04 12:00 | 2027-01-04 12:00 | 23 days") {
		t.Errorf("lamp row = %q", got)
	}
	// Dates carry UTC on hover; the product links to its page; the toggle is on.
	row := doc.Find("#results tbody tr").First()
	if title, _ := row.Find("time").Eq(1).Attr("title"); title != "2027-01-01 12:00:00 UTC" {
		t.Errorf("expiry title = %q", title)
	}
	if href, _ := row.Find("td a").First().Attr("href"); href != fmt.Sprintf("/eu-frankfurt/products/%d", f.thermo.ID) {
		t.Errorf("product link = %q", href)
	}
	if _, on := row.Find(`input[type=checkbox][name=auto_renew]`).Attr("checked"); !on {
		t.Error("the auto-renew toggle is not on")
	}
	if th := doc.Find("#results th.num"); text(th) != "Days left" {
		t.Errorf("numeric column = %q", text(th))
	}

	// The figure is the overview's.
	l, err := f.st.Licenses(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"})
	if err != nil {
		t.Fatal(err)
	}
	if got := text(doc.Find("#near-expiry-count .value")); got != "3" || l.NearExpiryDevices != 3 {
		t.Errorf("figure = %q, overview = %d, want 3 and 3", got, l.NearExpiryDevices)
	}

	// The partial is the results only, for htmx.
	rec, part := b.get(nearPath, true)
	if rec.Code != http.StatusOK || part.Find("header, h1, #near-expiry-count").Length() != 0 || !part.Find("body").Children().First().Is("div#results") {
		t.Errorf("partial: status %d, body %s", rec.Code, rec.Body)
	}
	if got := nearRows(part); len(got) != 3 {
		t.Errorf("partial rows = %v", got)
	}
	if vary := rec.Header().Values("Vary"); !slices.Contains(vary, "HX-Request") || !slices.Contains(vary, "Accept-Language") {
		t.Errorf("Vary = %q, want HX-Request and Accept-Language", vary)
	}
}

func TestNearExpiry_FiguresFollowTheLedger(t *testing.T) {
	t.Parallel()
	f := newNearConsole(t)
	check := func(step string, want int64) {
		t.Helper()
		_, doc := f.owner(t).get(nearPath, false)
		l, err := f.st.Licenses(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"})
		if err != nil {
			t.Fatal(err)
		}
		if got := text(doc.Find("#near-expiry-count .value")); got != fmt.Sprint(want) || l.NearExpiryDevices != want || int64(len(nearRows(doc))) != want {
			t.Errorf("%s: figure %q, overview %d, rows %v; want %d", step, got, l.NearExpiryDevices, nearRows(doc), want)
		}
	}
	check("at first", 3)
	if err := f.st.DeleteDevice(f.ctx, "PK-1", "thermo-002"); err != nil {
		t.Fatal(err)
	}
	check("after deleting a device", 2)
	if err := f.st.DeleteProduct(f.ctx, "LAMP-7"); err != nil {
		t.Fatal(err)
	}
	check("after deleting a product", 1)
	// Past the expiry the worker renews thermo-001 for a year: none is left.
	f.clock.Set(epoch.AddDate(1, 0, 0).Add(time.Minute))
	if _, err := f.st.RenewalPass(f.ctx); err != nil {
		t.Fatal(err)
	}
	check("after the renewal", 0)
	_, doc := f.owner(t).get(nearPath, false)
	if got := text(doc.Find("#results .empty")); !strings.Contains(got, "No device has a code that expires in the next 30 days") {
		t.Errorf("empty state = %q", got)
	}
	// thermo-far's code expires 40 days after thermo-001's: 11 days on, it is near expiry.
	f.clock.Set(epoch.AddDate(1, 0, 0).Add(11 * 24 * time.Hour))
	check("eleven days later", 1)
}

func TestNearExpiry_Filters(t *testing.T) {
	t.Parallel()
	f := newNearConsole(t)
	b := f.owner(t)
	cases := []struct {
		query string
		want  []string
	}{
		{"product=lamp", []string{"lamp-001"}},
		{"product=pk-", []string{"thermo-001", "thermo-002"}},
		{"product=thermo&dk=THERMO-002", []string{"thermo-002"}},
		{"dk=thermo-00", []string{"thermo-001", "thermo-002"}},
		{"dk=lamp", []string{"lamp-001"}},
		{"activated_from=2026-01-02", []string{"lamp-001"}},
		{"activated_to=2026-01-01", []string{"thermo-001", "thermo-002"}},
		{"activated_from=2026-01-04&activated_to=2026-01-04", []string{"lamp-001"}},
		{"expires_from=2027-01-02&expires_to=2027-01-31", []string{"lamp-001"}},
		{"expires_to=2027-01-01", []string{"thermo-001", "thermo-002"}},
		{"product=nothing", []string{}},
	}
	for _, c := range cases {
		for _, htmx := range []bool{false, true} {
			rec, doc := b.get(nearPath+"?"+c.query, htmx)
			if rec.Code != http.StatusOK {
				t.Errorf("%s: status %d", c.query, rec.Code)
			}
			if got := nearRows(doc); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s (htmx %v): rows = %v, want %v", c.query, htmx, got, c.want)
			}
		}
	}
	// The filters are kept in the form, the CSV link and the empty state.
	_, doc := b.get(nearPath+"?product=lamp&expires_from=2027-01-02", false)
	if v, _ := doc.Find("#near-product").Attr("value"); v != "lamp" {
		t.Errorf("product field = %q", v)
	}
	if v, _ := doc.Find("#near-ef").Attr("value"); v != "2027-01-02" {
		t.Errorf("expires from field = %q", v)
	}
	csvURL, _ := doc.Find(`#results a[download]`).Attr("href")
	if u, err := url.Parse(csvURL); err != nil || u.Path != nearPath || u.Query().Get("product") != "lamp" ||
		u.Query().Get("expires_from") != "2027-01-02" || u.Query().Get("format") != "csv" {
		t.Errorf("CSV link = %q", csvURL)
	}
	_, doc = b.get(nearPath+"?product=nothing", false)
	if got := text(doc.Find("#results .empty")); !strings.Contains(got, "No device with a near-expiry code matches these filters") {
		t.Errorf("empty state = %q", got)
	}
	if href, _ := doc.Find("#results .empty a").Attr("href"); href != nearPath {
		t.Errorf("clear link = %q", href)
	}
	// The figure counts every device, whatever the filters.
	if got := text(doc.Find("#near-expiry-count .value")); got != "3" {
		t.Errorf("figure = %q, want 3", got)
	}
}

func TestNearExpiry_RefusesDatesItCannotUse(t *testing.T) {
	t.Parallel()
	f := newNearConsole(t)
	b := f.owner(t)
	cases := []struct {
		query, field, input, message string
	}{
		{"activated_from=yesterday", "activated_from", "#near-af", "The first activation date is not a date"},
		{"expires_from=2027-01-03&expires_to=2027-01-02", "expires_to", "#near-et", "The last expiration date is before the first"},
	}
	for _, c := range cases {
		for _, htmx := range []bool{false, true} {
			rec, doc := b.get(nearPath+"?"+c.query, htmx)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 422", c.query, rec.Code)
			}
			msg := doc.Find("#near-filter-error-" + c.field)
			if !strings.Contains(text(msg), c.message) {
				t.Errorf("%s: message = %q, want %q", c.query, text(msg), c.message)
			}
			if !htmx {
				in := doc.Find(c.input)
				if inv, _ := in.Attr("aria-invalid"); inv != "true" {
					t.Errorf("%s: %s is not marked invalid", c.query, c.input)
				}
				if desc, _ := in.Attr("aria-describedby"); desc != "near-filter-error-"+c.field {
					t.Errorf("%s: %s describedby %q", c.query, c.input, desc)
				}
			}
			// The date that cannot be used is left out; the list still shows.
			if len(nearRows(doc)) == 0 {
				t.Errorf("%s: no rows", c.query)
			}
		}
	}
}

func TestNearExpiry_PagesForwardAndBack(t *testing.T) {
	t.Parallel()
	f := newNearConsole(t)
	f.clock.Set(epoch.Add(time.Hour))
	for i := 0; i < 60; i++ {
		f.clock.Advance(time.Second)
		f.nearConnect(t, "PK-1", fmt.Sprintf("bulk-%02d", i))
	}
	f.clock.Set(f.now)
	b := f.owner(t)
	_, p1 := b.get(nearPath+"?product=PK-1", false)
	first := nearRows(p1)
	if len(first) != 50 || first[0] != "thermo-001" || first[2] != "bulk-00" {
		t.Fatalf("page 1 = %v", first)
	}
	if p1.Find(`.pager a:contains("Previous")`).Length() != 0 {
		t.Error("page 1 has a previous page")
	}
	next, _ := p1.Find(`.pager a:contains("Next")`).Attr("href")
	if hx, _ := p1.Find(`.pager a:contains("Next")`).Attr("hx-get"); hx != next || !strings.Contains(next, "product=PK-1") {
		t.Errorf("next link %q, hx-get %q: want the same URL with the filters", next, hx)
	}
	rec, p2 := b.get(next, true)
	if rec.Code != http.StatusOK || !p2.Find("body").Children().First().Is("div#results") {
		t.Fatalf("page 2 as a fragment: %d", rec.Code)
	}
	second := nearRows(p2)
	if len(second) != 12 || second[0] != "bulk-48" || second[11] != "bulk-59" {
		t.Fatalf("page 2 = %v", second)
	}
	if p2.Find(`.pager a:contains("Next")`).Length() != 0 {
		t.Error("page 2 has a next page")
	}
	prev, _ := p2.Find(`.pager a:contains("Previous")`).Attr("href")
	_, back := b.get(prev, false)
	if got := nearRows(back); !reflect.DeepEqual(got, first) {
		t.Errorf("back to page 1 = %v", got)
	}
	if back.Find(`.pager a:contains("Previous")`).Length() != 0 {
		t.Error("back on page 1 there is still a previous page")
	}
	// A page link that was tampered with is refused in words.
	rec, _ = b.get(nearPath+"?after=garbage", false)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "The page link is not valid.") {
		t.Errorf("bad cursor: %d %s", rec.Code, rec.Body)
	}
}

func TestNearExpiry_ExportsCSV(t *testing.T) {
	t.Parallel()
	f := newNearConsole(t)
	owner, err := f.st.Authenticate(f.ctx, "owner@acme.example", ownerPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetTimeZone(f.ctx, owner.ID, "Asia/Shanghai"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetBlacklisted(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
		store.BlacklistInput{ProductID: f.thermo.ID, DeviceKeys: []string{"thermo-002"}, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	rec := b.do(http.MethodGet, nearPath+"?product=PK-1&format=csv", nil, false)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), "near-expiry-devices-eu-frankfurt.csv") {
		t.Fatalf("CSV: %d %v", rec.Code, rec.Header())
	}
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Product", "ProductKey", "DeviceKey", "Activated at", "Expires at", "Days left", "Renewal outlook", "Auto-renew"},
		{"Thermostat", "PK-1", "thermo-001", "2026-01-01T20:00:00+08:00", "2027-01-01T20:00:00+08:00", "20", "Will renew", "on"},
		{"Thermostat", "PK-1", "thermo-002", "2026-01-01T20:00:00+08:00", "2027-01-01T20:00:00+08:00", "20", "Won't renew: blacklisted", "off (blacklisted)"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("CSV = %q\nwant  %q", rows, want)
	}
}

func TestNearExpiry_DaysLeftSaysTodayOnTheLastDay(t *testing.T) {
	t.Parallel()
	f := newNearConsole(t)
	f.clock.Set(epoch.AddDate(1, 0, 0).Add(-5 * time.Hour))
	_, doc := f.owner(t).get(nearPath, false)
	if got := nearRow(doc, "thermo-001"); !strings.Contains(got, "| today |") {
		t.Errorf("row = %q, want today", got)
	}
	if got := nearRow(doc, "lamp-001"); !strings.Contains(got, "| 3 days |") {
		t.Errorf("row = %q, want 3 days", got)
	}
	// Days are the viewer's calendar days, as the dates beside them: at 13:00
	// on 31 December a code expiring at noon on 1 January has one day left,
	// though fewer than 24 hours.
	f.clock.Set(epoch.AddDate(1, 0, 0).Add(-23 * time.Hour))
	_, doc = f.owner(t).get(nearPath, false)
	if got := nearRow(doc, "thermo-001"); !strings.Contains(got, "2027-01-01 12:00 | 1 day |") {
		t.Errorf("row = %q, want 1 day", got)
	}
	// In Chinese: the page's title and the days, its way.
	zh := f.owner(t)
	zh.lang = "zh-CN"
	_, doc = zh.get(nearPath, false)
	if got := text(doc.Find("h1")); got != "激活码临期的设备" {
		t.Errorf("title in Chinese %q", got)
	}
	if got := nearRow(doc, "lamp-001"); !strings.Contains(got, "| 4 天 |") {
		t.Errorf("row in Chinese = %q, want 4 天", got)
	}
}

func TestNearExpiry_ToggleKeepsTheViewerOnThePage(t *testing.T) {
	t.Parallel()
	f := newNearConsole(t)
	b := f.owner(t)
	_, doc := b.get(nearPath+"?product=PK-1", false)
	form := doc.Find(`#results tbody tr`).First().Find("form.renew-toggle")
	action, _ := form.Attr("action")
	ret, _ := form.Find(`input[name=return]`).Attr("value")
	if ret != nearPath+"?product=PK-1" {
		t.Fatalf("toggle returns to %q", ret)
	}
	// Without JavaScript: the form posts and the browser comes back to this list.
	rec, _ := b.post(action, url.Values{"return": {ret}}, false)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != ret {
		t.Fatalf("toggle off: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	_, doc = b.get(ret, false)
	if got := nearRow(doc, "thermo-001"); !strings.Contains(got, "Won't renew: blacklisted") {
		t.Errorf("row after toggling off = %q", got)
	}
	if _, on := doc.Find(`#results tbody tr`).First().Find(`input[name=auto_renew]`).Attr("checked"); on {
		t.Error("the toggle is still on")
	}
	if got := text(doc.Find(".flash")); !strings.Contains(got, "thermo-001 will not renew automatically") {
		t.Errorf("flash = %q", got)
	}
	// With htmx: the toggle and, out of band, the outlook of its row.
	rec, part := b.post(action, url.Values{"auto_renew": {"on"}, "return": {ret}}, true)
	if rec.Code != http.StatusOK || !strings.Contains(text(part.Find(`[hx-swap-oob]`)), "Will renew") {
		t.Errorf("toggle on with htmx: %d %s", rec.Code, rec.Body)
	}
	// A product whose switch is off shows the toggle disabled, with the reason.
	if err := f.st.SetAutoRenew(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
		store.AutoRenewInput{ProductID: f.lamp.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	_, doc = b.get(nearPath+"?product=lamp", false)
	if got := nearRow(doc, "lamp-001"); !strings.Contains(got, "Won't renew: switch off") || !strings.Contains(got, "Product switch is off") {
		t.Errorf("lamp row = %q", got)
	}
	if _, disabled := doc.Find(`input[name=auto_renew]`).Attr("disabled"); !disabled {
		t.Error("the lamp's toggle is not disabled")
	}
}

func TestNearExpiry_SubAccountWithoutManageSeesNoToggle(t *testing.T) {
	t.Parallel()
	f := newNearConsole(t)
	if _, err := f.st.CreateMember(f.ctx, store.Scope{AccountID: f.account.ID},
		store.MemberInput{Actor: store.SystemActor("test"), Name: "Viewer", Email: "viewer@acme.example",
			Password: ownerPassword, AllProducts: false, ProductIDs: []int64{f.lamp.ID}}); err != nil {
		t.Fatal(err)
	}
	_, doc := f.signIn(t, "viewer@acme.example", ownerPassword).get(nearPath, false)
	if got := nearRows(doc); !reflect.DeepEqual(got, []string{"lamp-001"}) {
		t.Errorf("rows = %v, want the devices of the sub-account's product only", got)
	}
	if got := text(doc.Find("#near-expiry-count .value")); got != "1" {
		t.Errorf("figure = %q, want the scope's 1", got)
	}
	if doc.Find("form.renew-toggle").Length() != 0 || !strings.Contains(nearRow(doc, "lamp-001"), "Auto-renew on") {
		t.Errorf("row = %q, want the state as text and no form", nearRow(doc, "lamp-001"))
	}
}
