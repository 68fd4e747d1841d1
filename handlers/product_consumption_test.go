package handlers_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store"
	"activation-console/store/storetest"
)

func TestProductConsumption_TheChartOnTheProductPage(t *testing.T) {
	f := newProductConsole(t, 5)
	// January 2026: two first activations. A year on (February 2027) the
	// pass renews them; another device connects.
	f.connect(t, "dev-1")
	f.connect(t, "dev-2")
	f.clock.Set(time.Date(2027, 2, 10, 9, 0, 0, 0, time.UTC))
	if _, err := f.st.RenewalPass(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.connect(t, "dev-3")
	f.clock.Advance(24 * time.Hour) // the forecast's rate counts whole days
	forecast, err := f.st.Forecast(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
		store.ForecastQuery{ProductID: f.product.ID, Weeks: store.ConsumptionForecastWeeks})
	if err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	rec, doc := b.get(f.path(""), false)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	chart := doc.Find("#consumption-chart")
	if got := text(chart.Find("h2")); got != "Codes consumed per month" {
		t.Errorf("title %q", got)
	}
	summary := text(chart.Find(".chart-summary"))
	if want := "In the last 24 months this product consumed 5 codes: 3 by first activations, 2 by renewals."; !strings.HasPrefix(summary, want) {
		t.Errorf("summary %q, want it to start %q", summary, want)
	}
	// The run-out day is the forecast's: five codes, all taken; the next renewal lacks one.
	if forecast.RunsOut.IsZero() {
		t.Fatal("the forecast sees the codes last; the test wants a run-out day")
	}
	if want := "Projected: its codes run out on " + forecast.RunsOut.Format("2 Jan 2006") + "."; !strings.HasSuffix(summary, want) {
		t.Errorf("summary %q, want it to end %q", summary, want)
	}
	if note := text(chart.Find(".chart-note")); !strings.Contains(note, "the last 90 days' first activations (1)") ||
		!strings.Contains(note, "the 0 codes available now") || !strings.Contains(note, "Months are calendar months in UTC; the last is the current month so far.") {
		t.Errorf("note %q", note)
	}
	legend := text(chart.Find(".chart-legend"))
	for _, want := range []string{"First activations", "Renewals", "Codes assigned in all"} {
		if !strings.Contains(legend, want) {
			t.Errorf("legend %q lacks %q", legend, want)
		}
	}
	rows := chartTable(doc, "consumption-chart")
	if len(rows) != 24 {
		t.Fatalf("%d rows in the table, want 24", len(rows))
	}
	var head []string
	chart.Find("table thead th").Each(func(_ int, th *goquery.Selection) { head = append(head, text(th)) })
	if got := strings.Join(head, ","); got != "Month (UTC),First activations,Renewals,Total,Codes assigned in all" {
		t.Errorf("table head %q", got)
	}
	for i, want := range map[int]string{0: "Mar 2025 0 0 0 0", 10: "Jan 2026 2 0 2 5", 11: "Feb 2026 0 0 0 5", 23: "Feb 2027 1 2 3 5"} {
		if got := strings.Join(rows[i], " "); got != want {
			t.Errorf("row %d %q, want %q", i, got, want)
		}
	}
	// The CSV holds what the table shows.
	href, _ := chart.Find("a.chart-csv").Attr("href")
	if href != f.path("/consumption.csv") {
		t.Errorf("CSV link %q", href)
	}
	csvRec := b.do(http.MethodGet, href, nil, false)
	if csvRec.Code != http.StatusOK || !strings.Contains(csvRec.Header().Get("Content-Disposition"), "consumption-PK-1.csv") {
		t.Fatalf("CSV %d %v", csvRec.Code, csvRec.Header())
	}
	records, err := csv.NewReader(strings.NewReader(csvRec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(records[0], ","); got != "Month (UTC),First activations,Renewals,Total,Codes assigned in all" {
		t.Errorf("CSV header %q", got)
	}
	if len(records) != len(rows)+1 {
		t.Fatalf("%d CSV rows, %d table rows", len(records)-1, len(rows))
	}
	for i, r := range rows {
		month, err := time.Parse("Jan 2006", r[0])
		if err != nil {
			t.Fatal(err)
		}
		if want := append([]string{month.Format("2006-01")}, strings.ReplaceAll(strings.Join(r[1:], " "), ",", "")); strings.Join(records[i+1], " ") != strings.Join(want, " ") {
			t.Errorf("CSV row %q, table row %q", records[i+1], r)
		}
	}
	// Search and paging swap the device list alone: no chart there.
	if _, part := b.get(f.path("?dk=dev"), true); part.Find("#consumption-chart").Length() != 0 || part.Find("#results").Length() != 1 {
		t.Error("the device list's fragment carries the chart, or lacks the list")
	}
}

func TestProductConsumption_InChinese(t *testing.T) {
	f := newProductConsole(t, 20)
	f.connect(t, "dev-1")
	b := f.owner(t)
	b.lang = "zh-CN"
	_, doc := b.get(f.path(""), false)
	chart := doc.Find("#consumption-chart")
	if got := text(chart.Find("h2")); got != "每月消耗的激活码" {
		t.Errorf("title %q", got)
	}
	if got := chartTable(doc, "consumption-chart"); len(got) != 24 || strings.Join(got[23], " ") != "2026年1月 1 0 1 20" {
		t.Errorf("table rows %q", got)
	}
	if summary := text(chart.Find(".chart-summary")); !strings.Contains(summary, "最近 24 个月，本产品共消耗 1 个激活码") {
		t.Errorf("summary %q", summary)
	}
	rec := b.do(http.MethodGet, f.path("/consumption.csv"), nil, false)
	if head, _, _ := strings.Cut(rec.Body.String(), "\n"); strings.TrimSpace(head) != "月份（UTC）,首次激活,续费,合计,累计分配的激活码" {
		t.Errorf("CSV header %q", head)
	}
}

func TestProductConsumption_ANewProductHasAFriendlyEmptyState(t *testing.T) {
	f := newProductConsole(t, 0)
	_, doc := f.owner(t).get(f.path(""), false)
	chart := doc.Find("#consumption-chart")
	if got := text(chart.Find(".chart-empty")); !strings.HasPrefix(got, "No code has been assigned to this product or consumed by it yet.") {
		t.Errorf("empty state %q", got)
	}
	if chart.Find("svg.chart-svg, table").Length() != 0 {
		t.Error("an empty chart draws axes or a table")
	}
}

func TestProductConsumption_OnlyWithinTheViewersScope(t *testing.T) {
	f := newConsole(t, storetest.WithProduct("PK-1", "Thermostat", 3), storetest.WithProduct("PK-2", "Meter", 3),
		storetest.WithSubAccount("chosen@acme.example", false, "PK-2"))
	base := f.base
	b := f.signIn(t, "chosen@acme.example", storetest.MemberPassword)
	for _, pk := range []string{"PK-1", "PK-2"} {
		path := fmt.Sprintf("/eu-frankfurt/products/%d/consumption.csv", base.Products[pk].ID)
		want := map[string]int{"PK-1": http.StatusNotFound, "PK-2": http.StatusOK}[pk]
		if rec := b.do(http.MethodGet, path, nil, false); rec.Code != want {
			t.Errorf("%s: %d, want %d", path, rec.Code, want)
		}
	}
}
