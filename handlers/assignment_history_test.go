package handlers_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

func TestAssignmentHistory_ListsAssignmentsNewestFirst(t *testing.T) {
	f := newLicenseConsole(t)
	thermo := f.product(t, "PK-1", "Thermostat")
	meter := f.product(t, "WM-200", "Water Meter")
	f.assign(t, thermo.ID, "std-1y", 3, "owner@acme.example")
	f.clock.Advance(90 * time.Minute)
	f.assign(t, meter.ID, "std-5y", 12, "ops@acme.example")

	b := f.owner(t)
	rec, doc := b.get("/eu-frankfurt/licenses/history", false)
	wantStatus(t, rec, http.StatusOK)
	if got := text(doc.Find(`.tabs a[aria-current=page]`)); got != "Assignment history" {
		t.Errorf("current tab %q", got)
	}
	if got := headFigure(doc, "Unassigned"); got != "25" {
		t.Errorf("the figures are shown above the history too: Unassigned %q", got)
	}
	want := []string{
		"2026-01-01 13:30 | Water Meter | WM-200 | Standard, 5 years | 12 | ops@acme.example",
		"2026-01-01 12:00 | Thermostat | PK-1 | Standard, 1 year | 3 | owner@acme.example",
	}
	if got := tableRows(doc); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows\n%q\nwant\n%q", got, want)
	}
	if title := doc.Find("#results tbody time").First().AttrOr("title", ""); title != "2026-01-01 13:30:00 UTC" {
		t.Errorf("UTC on hover: %q", title)
	}

	rec, doc = b.get("/eu-frankfurt/licenses/history?q=therm", true)
	wantStatus(t, rec, http.StatusOK)
	if doc.Find("html body > #results").Length() != 1 || doc.Find(".figures").Length() != 0 {
		t.Errorf("htmx gets more than the results: %s", rec.Body.String())
	}
	if got := tableRows(doc); len(got) != 1 || !strings.Contains(got[0], "Thermostat") {
		t.Errorf("search therm: %q", got)
	}
}

func TestAssignmentHistory_FiltersDaysInTheViewersZone(t *testing.T) {
	f := newLicenseConsole(t)
	thermo := f.product(t, "PK-1", "Thermostat")
	f.clock.Set(time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC)) // 10 March 00:30 in Berlin
	f.assign(t, thermo.ID, "std-1y", 1, "a")
	f.clock.Set(time.Date(2026, 3, 10, 22, 30, 0, 0, time.UTC)) // 10 March 23:30 in Berlin
	f.assign(t, thermo.ID, "std-1y", 2, "a")
	f.clock.Set(time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC)) // 11 March in Berlin
	f.assign(t, thermo.ID, "std-1y", 3, "a")
	if _, err := f.st.DB().ExecContext(f.ctx, `UPDATE users SET time_zone = 'Europe/Berlin'`); err != nil {
		t.Fatal(err)
	}

	b := f.owner(t)
	quantities := func(path string) string {
		t.Helper()
		rec, doc := b.get(path, true)
		wantStatus(t, rec, http.StatusOK)
		var q []string
		doc.Find("#results tbody td.num").Each(func(_ int, s *goquery.Selection) { q = append(q, text(s)) })
		return strings.Join(q, " ")
	}
	for path, want := range map[string]string{
		"/eu-frankfurt/licenses/history?from=2026-03-10&to=2026-03-10": "2 1",
		"/eu-frankfurt/licenses/history?from=2026-03-11":               "3",
		"/eu-frankfurt/licenses/history?to=2026-03-09":                 "",
		"/eu-frankfurt/licenses/history?q=PK&from=2026-03-10":          "3 2 1",
	} {
		if got := quantities(path); got != want {
			t.Errorf("%s: quantities %q, want %q", path, got, want)
		}
	}
	_, doc := b.get("/eu-frankfurt/licenses/history?to=2026-03-09", true)
	if got := text(doc.Find("#results .empty")); !strings.HasPrefix(got, "No assignment matches these filters.") {
		t.Errorf("no match says %q", got)
	}
	_, doc = b.get("/eu-frankfurt/licenses/history", false)
	if got := text(doc.Find("#results tbody time").Last()); got != "2026-03-10 00:30" {
		t.Errorf("time shown %q, want Berlin time", got)
	}
}

func TestAssignmentHistory_RefusesDatesItCannotUse(t *testing.T) {
	f := newLicenseConsole(t)
	b := f.owner(t)
	rec, doc := b.get("/eu-frankfurt/licenses/history?from=2026-03-10&to=2026-03-01", false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if got := text(doc.Find("#history-filter-error-to")); got != "The end date is before the start date: pick a day on or after 2026-03-10." {
		t.Errorf("message %q", got)
	}
	to := doc.Find("#history-to")
	if to.AttrOr("aria-invalid", "") != "true" || to.AttrOr("aria-describedby", "") != "history-filter-error-to" || to.AttrOr("value", "") != "2026-03-01" {
		t.Errorf("the end date field is not marked: %v", to.Nodes[0].Attr)
	}
	rec, doc = b.get("/eu-frankfurt/licenses/history?from=10.3.2026", true)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if got := text(doc.Find("#history-filter-error-from")); !strings.HasPrefix(got, "The start date is not a date") {
		t.Errorf("message %q", got)
	}
	// Each refused date has its own message, which its field names.
	rec, doc = b.get("/eu-frankfurt/licenses/history?from=x&to=y", false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	for _, side := range []string{"from", "to"} {
		if doc.Find("#history-filter-error-"+side).Length() != 1 {
			t.Errorf("no message for %s", side)
		}
		if got := doc.Find("#history-"+side).AttrOr("aria-describedby", ""); got != "history-filter-error-"+side {
			t.Errorf("%s described by %q", side, got)
		}
	}
}

func TestAssignmentHistory_PagesForwardAndBack(t *testing.T) {
	f := newLicenseConsole(t)
	thermo := f.product(t, "PK-1", "Thermostat")
	f.purchase(t, "O-MORE", "std-1y", 100, "")
	for range 55 {
		f.assign(t, thermo.ID, "std-1y", 1, "a")
		f.clock.Advance(time.Minute)
	}
	b := f.owner(t)
	_, doc := b.get("/eu-frankfurt/licenses/history?q=therm", false)
	if n := doc.Find("#results tbody tr").Length(); n != 50 {
		t.Fatalf("page 1: %d rows", n)
	}
	if first := text(doc.Find("#results tbody time").First()); first != "2026-01-01 12:54" {
		t.Errorf("page 1 starts at %s, want the newest", first)
	}
	next := doc.Find(`.pager a:contains("Next")`).AttrOr("href", "")
	_, doc = b.get(next, true)
	if n, first := doc.Find("#results tbody tr").Length(), text(doc.Find("#results tbody time").First()); n != 5 || first != "2026-01-01 12:04" {
		t.Errorf("page 2: %d rows from %s", n, first)
	}
	prev := doc.Find(`.pager a:contains("Previous")`).AttrOr("href", "")
	if !strings.Contains(prev, "q=therm") {
		t.Errorf("previous link %q drops the search", prev)
	}
	_, doc = b.get(prev, true)
	if n := doc.Find("#results tbody tr").Length(); n != 50 || doc.Find(`.pager a:contains("Previous")`).Length() != 0 {
		t.Errorf("back on page 1: %d rows", n)
	}
}

func TestAssignmentHistory_ExportsCSV(t *testing.T) {
	f := newLicenseConsole(t)
	thermo := f.product(t, "PK-1", "Thermostat")
	f.assign(t, thermo.ID, "std-1y", 3, "@owner")
	f.clock.Advance(24 * time.Hour)
	f.assign(t, thermo.ID, "std-1y", 4, "owner@acme.example")
	b := f.owner(t)
	_, doc := b.get("/eu-frankfurt/licenses/history?from=2026-01-01&to=2026-01-01", false)
	link := doc.Find(`#results a:contains("Download CSV")`).AttrOr("href", "")
	if link != "/eu-frankfurt/licenses/history?format=csv&from=2026-01-01&to=2026-01-01" {
		t.Errorf("CSV link %q", link)
	}
	rec := b.do(http.MethodGet, link, nil, false)
	wantStatus(t, rec, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Time", "Product", "ProductKey", "Package", "Quantity", "Operator"},
		{"2026-01-01T12:00:00Z", "Thermostat", "PK-1", "std-1y", "3", "'@owner"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("CSV\n%q\nwant\n%q", rows, want)
	}
}
