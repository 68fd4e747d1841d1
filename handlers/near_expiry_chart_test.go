package handlers_test

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store"
)

// The near-expiry chart (docs/pages.md, "5. Devices with near-expiry codes").

// newChartConsole is the near-expiry fixture with a device of each outlook,
// read by an owner in Asia/Shanghai (UTC+8): thermo-001 and lamp-001 will
// renew, thermo-002 is blacklisted, risk-001 (its product has no code left)
// is at risk and expires on 6 January UTC, 7 January in Shanghai.
func newChartConsole(t *testing.T) (*nearConsole, *browser) {
	t.Helper()
	f := newNearConsole(t)
	sc := store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}
	risky, err := f.st.CreateProduct(f.ctx, sc, store.ProductInput{ProductKey: "RISK-1", Name: "Smoke alarm"})
	if err != nil {
		t.Fatal(err)
	}
	f.assignTo(t, risky, 1)
	f.clock.Set(epoch.Add(5*24*time.Hour + 10*time.Hour))
	f.nearConnect(t, "RISK-1", "risk-001")
	f.clock.Set(f.now)
	if _, err := f.st.SetBlacklisted(f.ctx, sc, store.BlacklistInput{ProductID: f.thermo.ID, DeviceKeys: []string{"thermo-002"},
		Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	owner, err := f.st.Authenticate(f.ctx, "owner@acme.example", ownerPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetTimeZone(f.ctx, owner.ID, "Asia/Shanghai"); err != nil {
		t.Fatal(err)
	}
	return f, f.owner(t)
}

func TestNearExpiryChart_ShowsEachDayByOutlook(t *testing.T) {
	t.Parallel()
	_, b := newChartConsole(t)
	rec, doc := b.get(nearPath, false)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	chart := doc.Find("figure#near-expiry-chart")
	if got := text(chart.Find("h2")); got != "Codes expiring in the next 30 days, per day" {
		t.Errorf("title %q", got)
	}
	if got, want := text(chart.Find(".chart-summary")), "4 devices' codes expire in the next 30 days: 2 will renew, 1 at risk for too few codes, 1 won't renew. The most expire on 1 Jan 2027 (2)."; got != want {
		t.Errorf("summary %q\nwant    %q", got, want)
	}
	var legend []string
	chart.Find(".chart-legend li").Each(func(_ int, li *goquery.Selection) { legend = append(legend, text(li)) })
	if want := []string{"Will renew", "At risk: too few codes", "Won't renew"}; !slices.Equal(legend, want) {
		t.Errorf("legend %q", legend)
	}
	if got := text(chart.Find("details summary")); got != "Show the data as a table" {
		t.Errorf("disclosure %q", got)
	}
	// Today in Shanghai is 12 December (19:00); 31 days from it.
	var rows []string // cells joined by " | "
	for _, cells := range chartTable(doc, "near-expiry-chart") {
		rows = append(rows, strings.Join(cells, " | "))
	}
	if len(rows) != 31 || rows[0] != "12 Dec | 0 | 0 | 0 | 0" || rows[30] != "11 Jan | 0 | 0 | 0 | 0" {
		t.Fatalf("%d rows, first %q, last %q", len(rows), rows[0], rows[len(rows)-1])
	}
	var busy []string
	for _, r := range rows {
		if !strings.HasSuffix(r, "| 0") {
			busy = append(busy, r)
		}
	}
	if want := []string{"1 Jan | 1 | 0 | 1 | 2", "4 Jan | 1 | 0 | 0 | 1", "7 Jan | 0 | 1 | 0 | 1"}; !slices.Equal(busy, want) {
		t.Errorf("days with devices %q\nwant %q", busy, want)
	}
	// Each bar links to the list filtered to its day, which lists its devices.
	links := chart.Find("svg.chart-wide a.chart-bar")
	if links.Length() != 3 {
		t.Fatalf("%d bar links, want one per day with devices", links.Length())
	}
	want := map[string][]string{
		"/eu-frankfurt/near-expiry?expires_from=2027-01-01&expires_to=2027-01-01": {"thermo-001", "thermo-002"},
		"/eu-frankfurt/near-expiry?expires_from=2027-01-04&expires_to=2027-01-04": {"lamp-001"},
		"/eu-frankfurt/near-expiry?expires_from=2027-01-07&expires_to=2027-01-07": {"risk-001"},
	}
	links.Each(func(_ int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		devices, ok := want[href]
		if !ok {
			t.Errorf("a bar links to %q", href)
			return
		}
		_, list := b.get(href, false)
		if got := nearRows(list); !slices.Equal(got, devices) {
			t.Errorf("%s lists %v, want %v", href, got, devices)
		}
	})
	if name, _ := links.First().Attr("aria-label"); name != "1 Jan: Will renew 1; At risk: too few codes 0; Won't renew 1; Total 2" {
		t.Errorf("the first bar is named %q", name)
	}
	// The CSV is the table, with the days written out.
	href, _ := chart.Find("a.chart-csv").Attr("href")
	rec = b.do(http.MethodGet, href, nil, false)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Disposition"), "near-expiry-chart-eu-frankfurt.csv") {
		t.Fatalf("CSV %s: %d %v", href, rec.Code, rec.Header())
	}
	records, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Day", "Will renew", "At risk: too few codes", "Won't renew", "Total"}; !slices.Equal(records[0], want) {
		t.Errorf("CSV header %q", records[0])
	}
	if len(records) != len(rows)+1 {
		t.Fatalf("CSV has %d rows, the table %d", len(records)-1, len(rows))
	}
	day := time.Date(2026, 12, 12, 0, 0, 0, 0, time.UTC)
	for i, r := range records[1:] {
		cells := strings.Split(rows[i], " | ")
		if r[0] != day.AddDate(0, 0, i).Format(time.DateOnly) || !slices.Equal(r[1:], cells[1:]) {
			t.Errorf("CSV row %q, table row %q", r, rows[i])
		}
	}
}

func TestNearExpiryChart_InChinese(t *testing.T) {
	t.Parallel()
	_, b := newChartConsole(t)
	b.lang = "zh-CN"
	_, doc := b.get(nearPath, false)
	chart := doc.Find("figure#near-expiry-chart")
	if got := text(chart.Find("h2")); got != "未来 30 天每天到期的激活码" {
		t.Errorf("title %q", got)
	}
	if got := text(chart.Find(".chart-summary")); !strings.HasPrefix(got, "未来 30 天内有 4 台设备的激活码到期") || !strings.Contains(got, "2027年1月1日（2 台）") {
		t.Errorf("summary %q", got)
	}
	if rows := chartTable(doc, "near-expiry-chart"); strings.Join(rows[20], " | ") != "1月1日 | 1 | 0 | 1 | 2" {
		t.Errorf("the row of 1 January %q", rows[20])
	}
	href, _ := chart.Find("a.chart-csv").Attr("href")
	rec := b.do(http.MethodGet, href, nil, false)
	if head, _, _ := strings.Cut(rec.Body.String(), "\n"); head != "日期,将自动续费,有风险：激活码不足,不会续费,合计" {
		t.Errorf("CSV header %q", head)
	}
}

func TestNearExpiryChart_EmptyAccount(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	_, doc := f.owner(t).get(nearPath, false)
	chart := doc.Find("figure#near-expiry-chart")
	if got := text(chart.Find(".empty")); got != "No device's code expires in the next 30 days, so there is nothing to draw yet." {
		t.Errorf("empty state %q", got)
	}
	if chart.Find("svg.chart-svg, table").Length() != 0 {
		t.Error("an empty account gets a drawing")
	}
}
