package handlers_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store/storetest"
)

// The overview's chart of codes against renewals (docs/pages.md, "1.
// License overview"; docs/renewal.md, "The forecast"), as a person reads it.

// forecastConsole has two products: a water meter with 8 yearly codes and
// 6 devices connected on 1 Jan 2026, and a door lock with 5-year codes, 2
// devices and a sub-account that sees only it. The clock stands at 1 Dec
// 2026: the meter's 6 renewals on 1 Jan 2027 find 2 codes.
type forecastConsole struct {
	*licenseConsole
	meter, lock int64
}

func newForecastConsole(t *testing.T) *forecastConsole {
	t.Helper()
	f := &forecastConsole{licenseConsole: newLicenseConsole(t)}
	f.meter = f.product(t, "PK-METER", "Water meter").ID
	f.lock = f.product(t, "PK-LOCK", "Door lock").ID
	f.assign(t, f.meter, "std-1y", 8, "owner")
	f.assign(t, f.lock, "std-5y", 10, "owner")
	for i := range 6 {
		f.connect(t, "PK-METER", "m-"+strconv.Itoa(i))
	}
	f.connect(t, "PK-LOCK", "l-1")
	f.connect(t, "PK-LOCK", "l-2")
	f.base.AddSubAccount(t, f.account.ID, "locks@acme.example", false, "PK-LOCK")
	f.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	return f
}

func TestForecast_OverviewShowsWhenTheCodesRunOut(t *testing.T) {
	f := newForecastConsole(t)
	b := f.owner(t)
	rec, doc := b.get("/eu-frankfurt/licenses", false)
	if rec.Code != http.StatusOK {
		t.Fatalf("overview: %d", rec.Code)
	}
	chart := doc.Find("#forecast figure#forecast-chart")
	if got := text(chart.Find("h2")); got != "Codes against renewals, 26 weeks ahead" {
		t.Errorf("title %q", got)
	}
	want := "Codes run out in the week of 29 Dec 2026, for Water meter. By the end of the 26 weeks, 4 codes are missing: assign or buy them to keep every device running."
	if got := text(chart.Find(".chart-summary")); got != want {
		t.Errorf("summary:\n got %q\nwant %q", got, want)
	}
	if got := text(chart.Find(".chart-note")); !strings.Contains(got, "Weeks begin at 00:00 UTC") {
		t.Errorf("note %q", got)
	}
	// The table: a row per week; the fifth (29 Dec) has the meter's six
	// renewals and the marker; the meter's codes are gone from then on.
	rows := chartTable(doc, "forecast-chart")
	if len(rows) != 26 {
		t.Fatalf("%d weeks in the table, want 26", len(rows))
	}
	var header []string
	chart.Find(".chart-table thead th").Each(func(_ int, th *goquery.Selection) { header = append(header, text(th)) })
	if strings.Join(header, "|") != "Week of|Will renew|Won't renew|New devices|Total|Codes left" {
		t.Errorf("table header %q", header)
	}
	wantRows := map[int]string{
		0: "1 Dec 0 0 0 0 10",
		4: "29 Dec Codes run out 6 0 0 6 8",
		5: "5 Jan 0 0 0 0 8",
	}
	for i, want := range wantRows {
		if got := strings.Join(rows[i], " "); got != want {
			t.Errorf("week %d: %q, want %q", i, got, want)
		}
	}
	// The product filter offers the scope's products.
	var options []string
	doc.Find("#forecast-product option").Each(func(_ int, o *goquery.Selection) { options = append(options, text(o)) })
	if strings.Join(options, "|") != "All products|Door lock (PK-LOCK)|Water meter (PK-METER)" {
		t.Errorf("filter offers %q", options)
	}

	// The CSV is the table.
	csvHref, _ := chart.Find("a.chart-csv").Attr("href")
	rec = b.do(http.MethodGet, csvHref, nil, false)
	records, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil || rec.Code != http.StatusOK {
		t.Fatalf("CSV %s: %d %v", csvHref, rec.Code, err)
	}
	if strings.Join(records[0], ",") != "Week of,Will renew,Won't renew,New devices,Total,Codes left" || len(records) != 27 {
		t.Fatalf("CSV header %q, %d rows", records[0], len(records)-1)
	}
	for i, r := range records[1:] {
		if day := time.Date(2026, 12, 1+7*i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly); r[0] != day {
			t.Errorf("CSV row %d: week %s, want %s", i, r[0], day)
		}
		cells := rows[i][len(rows[i])-5:]
		for j, c := range cells {
			if strings.ReplaceAll(c, ",", "") != r[j+1] {
				t.Errorf("CSV row %d: %q, the table %q", i, r[1:], cells)
				break
			}
		}
	}
}

func TestForecast_ProductFilterAndScope(t *testing.T) {
	f := newForecastConsole(t)
	b := f.owner(t)
	lock := strconv.FormatInt(f.lock, 10)
	// The plain form: the whole page, the lock alone.
	_, doc := b.get("/eu-frankfurt/licenses?product="+lock, false)
	if v, _ := doc.Find("#forecast-product option[selected]").Attr("value"); v != lock {
		t.Errorf("selected %q, want the lock %s", v, lock)
	}
	lasts := "The codes last beyond the 26 weeks shown: 8 codes are left at the end."
	if got := text(doc.Find("#forecast-chart .chart-summary")); got != lasts {
		t.Errorf("the lock's summary %q, want %q", got, lasts)
	}
	if href, _ := doc.Find("#forecast-chart a.chart-csv").Attr("href"); !strings.HasSuffix(href, "?product="+lock) {
		t.Errorf("the CSV link %q does not keep the product", href)
	}
	// htmx swaps the section alone.
	rec, doc := b.getWith("/eu-frankfurt/licenses?product="+lock, map[string]string{"HX-Request": "true", "HX-Target": "forecast"})
	if rec.Code != http.StatusOK || doc.Find("section#forecast").Length() != 1 || doc.Find(".figures, nav.tabs, #results").Length() != 0 {
		t.Errorf("the htmx answer is not the chart alone: %d\n%s", rec.Code, rec.Body.String())
	}
	if got := text(doc.Find("#forecast-chart .chart-summary")); got != lasts {
		t.Errorf("the swapped summary %q", got)
	}
	// Not a product of the scope: said next to the filter, the chart of all.
	rec, doc = b.get("/eu-frankfurt/licenses?product=999999", false)
	if rec.Code != http.StatusUnprocessableEntity || text(doc.Find("#forecast-product-error")) != "Choose one of the products in the list. The chart shows all of them." {
		t.Errorf("an unknown product: %d, %q", rec.Code, text(doc.Find("#forecast-product-error")))
	}
	if d, _ := doc.Find("#forecast-product").Attr("aria-describedby"); d != "forecast-product-error" {
		t.Errorf("the filter is not described by its error: %q", d)
	}

	// The sub-account sees the lock only: nothing of the meter leaks.
	m := f.signIn(t, "locks@acme.example", storetest.MemberPassword)
	_, doc = m.get("/eu-frankfurt/licenses", false)
	if got := text(doc.Find("#forecast-chart .chart-summary")); got != lasts {
		t.Errorf("the sub-account's summary %q, want the lock's %q", got, lasts)
	}
	if strings.Contains(doc.Text(), "Water meter") || doc.Find("#forecast-product option").Length() != 2 {
		t.Errorf("the sub-account sees more than its product")
	}
	meter := strconv.FormatInt(f.meter, 10)
	if rec, _ := m.get("/eu-frankfurt/licenses?product="+meter, false); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("the sub-account asked for the meter: %d, want 422", rec.Code)
	}
	if rec := m.do(http.MethodGet, "/eu-frankfurt/licenses/forecast.csv?"+url.Values{"product": {meter}}.Encode(), nil, false); rec.Code != http.StatusNotFound {
		t.Errorf("the sub-account's CSV of the meter: %d, want 404", rec.Code)
	}
}

func TestForecast_EmptyAccountAndChinese(t *testing.T) {
	f := newLicenseConsole(t)
	b := f.owner(t)
	_, doc := b.get("/eu-frankfurt/licenses", false)
	chart := doc.Find("#forecast-chart")
	if !strings.HasPrefix(text(chart.Find(".chart-empty")), "Nothing to forecast yet") || chart.Find("svg, table").Length() != 0 {
		t.Errorf("the empty account's chart: %q", text(chart))
	}

	g := newForecastConsole(t)
	zh := g.owner(t)
	zh.lang = "zh-CN"
	_, doc = zh.get("/eu-frankfurt/licenses", false)
	if got := text(doc.Find("#forecast-chart h2")); got != "激活码与续费：未来 26 周" {
		t.Errorf("Chinese title %q", got)
	}
	if got := text(doc.Find("#forecast-chart .chart-summary")); !strings.HasPrefix(got, "激活码将在 2026年12月29日起的一周内用完") {
		t.Errorf("Chinese summary %q", got)
	}
	rec := zh.do(http.MethodGet, "/eu-frankfurt/licenses/forecast.csv", nil, false)
	if first := strings.SplitN(rec.Body.String(), "\n", 2)[0]; !strings.HasPrefix(first, "起始日,将自动续费,不会续费,新设备") {
		t.Errorf("Chinese CSV header %q", first)
	}
}
