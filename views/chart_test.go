package views

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store"
)

func TestNiceTicks_StepsOfOneTwoFive(t *testing.T) {
	for _, tc := range []struct {
		max  int64
		n    int
		want []int64
	}{
		{0, 5, []int64{0, 1}}, // an empty chart still has an axis
		{1, 5, []int64{0, 1}},
		{4, 5, []int64{0, 1, 2, 3, 4}},
		{7, 5, []int64{0, 2, 4, 6, 8}},
		{10, 5, []int64{0, 2, 4, 6, 8, 10}},
		{23, 5, []int64{0, 5, 10, 15, 20, 25}},
		{95, 4, []int64{0, 50, 100}},
		{1234, 5, []int64{0, 500, 1000, 1500}},
		{1_000_001, 5, []int64{0, 500_000, 1_000_000, 1_500_000}},
	} {
		if got := niceTicks(tc.max, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("niceTicks(%d, %d) = %v, want %v", tc.max, tc.n, got, tc.want)
		}
	}
	steps := map[int64]bool{}
	for max := int64(1); max < 100_000; max = max*3 + 1 {
		s := niceStep(max, 5)
		for s%10 == 0 {
			s /= 10
		}
		steps[s] = true
		if ticks := niceTicks(max, 5); ticks[len(ticks)-1] < max || len(ticks) > 6 {
			t.Errorf("niceTicks(%d) = %v: does not cover it in 5 steps", max, ticks)
		}
	}
	for s := range steps {
		if s != 1 && s != 2 && s != 5 {
			t.Errorf("a step of %d is not of the 1-2-5 series", s)
		}
	}
}

func TestChartGeometry_StacksScalesAndClamps(t *testing.T) {
	c := Chart{ID: "c", XLabels: []string{"a", "b", "c"}, Marker: 2,
		Bars: []ChartSeries{{Kind: "renew", Values: []int64{4, 0, -3}}, {Kind: "risk", Values: []int64{6, 2}}}}
	g := c.geometry(wideLayout)
	if top := g.Ticks[len(g.Ticks)-1].Label; top != "10" {
		t.Fatalf("top tick %q, want 10 (4+6)", top)
	}
	plotH := g.Bottom - g.Top
	a := g.Slots[0]
	if len(a.Rects) != 2 || a.Rects[0].Kind != "renew" || a.Rects[1].Kind != "risk" {
		t.Fatalf("slot a: %+v", a.Rects)
	}
	// Bottom first: renew from the baseline up 4/10, risk on it up 6/10.
	if r := a.Rects[0]; !near(r.Y+r.H, g.Bottom) || !near(r.H, plotH*0.4) {
		t.Errorf("renew of a: %+v (bottom %v, plot %v)", r, g.Bottom, plotH)
	}
	if r := a.Rects[1]; !near(r.Y+r.H, a.Rects[0].Y) || !near(r.H, plotH*0.6) || !near(r.Y, g.Top) {
		t.Errorf("risk of a: %+v", r)
	}
	// A zero draws nothing; a negative value draws nothing and lifts nothing.
	if b := g.Slots[1]; len(b.Rects) != 1 || !near(b.Rects[0].H, plotH*0.2) {
		t.Errorf("slot b: %+v", b.Rects)
	}
	if s := g.Slots[2]; len(s.Rects) != 0 || s.Top != g.Bottom {
		t.Errorf("slot c (negative and missing values): %+v", s)
	}
	for _, s := range g.Slots {
		for _, r := range s.Rects {
			if r.H < 0 || r.Y < g.Top-0.01 || r.Y+r.H > g.Bottom+0.01 {
				t.Errorf("a rectangle outside the plot: %+v", r)
			}
		}
	}
	if !g.HasMarker || g.MarkerX != g.Slots[2].X || g.MarkerAnchor != "end" {
		t.Errorf("marker at %v (%v, %q), want slot c at %v", g.MarkerX, g.HasMarker, g.MarkerAnchor, g.Slots[2].X)
	}
	if g.Slots[0].X >= g.Slots[1].X || g.Slots[2].X > g.Right || g.Slots[0].BarX < g.Left {
		t.Errorf("slots out of order or outside the plot: %+v", g.Slots)
	}
}

func TestChartGeometry_LineHasItsOwnAxisAndNeverGoesNegative(t *testing.T) {
	c := Chart{ID: "c", XLabels: []string{"a", "b", "c"}, Marker: -1,
		Bars: []ChartSeries{{Kind: "renew", Values: []int64{1, 2, 3}}},
		Line: &ChartSeries{Kind: "available", Values: []int64{900, 100, -50}}}
	g := c.geometry(narrowLayout)
	if g.HasMarker {
		t.Error("a marker without a marked slot")
	}
	if top := g.LineTicks[len(g.LineTicks)-1].Label; top != "1,000" {
		t.Errorf("the line's top tick %q, want 1,000", top)
	}
	if g.Slots[2].LineY != g.Bottom {
		t.Errorf("a negative line value at %v, want the baseline %v", g.Slots[2].LineY, g.Bottom)
	}
	if !strings.HasPrefix(g.LinePath, "M") || strings.Count(g.LinePath, "L") != 2 {
		t.Errorf("line path %q", g.LinePath)
	}
	if g.Right >= narrowLayout.Width-10 {
		t.Errorf("no room at the right for the line's axis: right %v", g.Right)
	}
}

func TestChartGeometry_ThinsCrowdedLabels(t *testing.T) {
	labels := make([]string, 31)
	for i := range labels {
		labels[i] = "12月31日"
	}
	c := Chart{ID: "c", XLabels: labels, Marker: -1, Bars: []ChartSeries{{Kind: "renew", Values: make([]int64, 31)}}}
	for _, l := range []chartLayout{wideLayout, narrowLayout} {
		g := c.geometry(l)
		var xs []float64
		for _, s := range g.Slots {
			if s.Label != "" {
				xs = append(xs, s.X)
			}
		}
		if len(xs) < 2 || xs[0] != g.Slots[0].X {
			t.Fatalf("%s: labels at %v", l.Name, xs)
		}
		w := textWidth(labels[0], l.FontSize)
		for i := 1; i < len(xs); i++ {
			if xs[i]-xs[i-1] < w {
				t.Errorf("%s: labels %v apart overlap (%v wide)", l.Name, xs[i]-xs[i-1], w)
			}
		}
	}
	if g := c.geometry(narrowLayout); len(g.Slots) != 31 || g.Slots[1].Label != "" {
		t.Errorf("narrow: the second label of 31 is shown")
	}
}

func TestChartGeometry_Empty(t *testing.T) {
	g := Chart{ID: "c", Marker: 0}.geometry(wideLayout)
	if len(g.Slots) != 0 || g.HasMarker || len(g.Ticks) != 2 {
		t.Errorf("a chart without slots: %+v", g)
	}
}

func near(a, b float64) bool { return a-b < 0.02 && b-a < 0.02 }

// renderChart renders c in English and parses it.
func renderChart(t *testing.T, c Chart) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := ChartView(c).Render(WithLanguage(context.Background(), store.English), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	return doc, buf.String()
}

func TestChartView_AReaderGetsTitleSummaryAndTheDataAsATable(t *testing.T) {
	c := Chart{ID: "runway", Title: "Codes against renewals", Summary: "Codes run out in the week of 3 Mar 2027.",
		Note: "Assumes the last 90 days' rate.", XHeader: "Week", XLabels: []string{"1 Mar", "8 Mar"},
		Links: []string{"/list?d=1", ""},
		Bars: []ChartSeries{{Label: "Will renew", Kind: "renew", Values: []int64{1200, 3}},
			{Label: "Won't renew", Kind: "norenew", Values: []int64{5, 0}}},
		Line:   &ChartSeries{Label: "Available codes", Kind: "available", Values: []int64{1000, 0}},
		Marker: 1, MarkerLabel: "Codes run out", CSVHref: "/runway.csv"}
	doc, html := renderChart(t, c)
	fig := doc.Find("figure#runway")
	if got := fig.Find("h2#runway-title").Text(); got != c.Title {
		t.Errorf("title %q", got)
	}
	if got, _ := fig.Attr("aria-labelledby"); got != "runway-title" {
		t.Errorf("figure labelled by %q", got)
	}
	if got := strings.TrimSpace(fig.Find(".chart-summary").Text()); got != c.Summary {
		t.Errorf("summary %q", got)
	}
	if got := strings.TrimSpace(fig.Find(".chart-note").Text()); got != c.Note {
		t.Errorf("note %q", got)
	}
	var legend []string
	fig.Find(".chart-legend li").Each(func(_ int, li *goquery.Selection) { legend = append(legend, strings.TrimSpace(li.Text())) })
	if want := []string{"Will renew", "Won't renew", "Available codes (line, scale at the right)", "Codes run out"}; !slices.Equal(legend, want) {
		t.Errorf("legend %q, want %q", legend, want)
	}
	if got := strings.TrimSpace(fig.Find("details.chart-data summary").Text()); got != "Show the data as a table" {
		t.Errorf("disclosure %q", got)
	}
	var head []string
	fig.Find("details table thead th").Each(func(_ int, th *goquery.Selection) { head = append(head, th.Text()) })
	if want := []string{"Week", "Will renew", "Won't renew", "Total", "Available codes"}; !slices.Equal(head, want) {
		t.Errorf("table head %q, want %q", head, want)
	}
	var rows [][]string
	fig.Find("details table tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var row []string
		tr.Children().Each(func(_ int, td *goquery.Selection) { row = append(row, strings.Join(strings.Fields(td.Text()), " ")) })
		rows = append(rows, row)
	})
	want := [][]string{{"1 Mar", "1,200", "5", "1,205", "1,000"}, {"8 Mar Codes run out", "3", "0", "3", "0"}}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("table rows %q, want %q", rows, want)
	}
	if href, _ := fig.Find("details table tbody tr").First().Find("th a").Attr("href"); href != "/list?d=1" {
		t.Errorf("the first row links to %q", href)
	}
	if href, _ := fig.Find("a.chart-csv").Attr("href"); href != "/runway.csv" || fig.Find("a.chart-csv").Text() != "Download CSV" {
		t.Errorf("CSV link %q %q", href, fig.Find("a.chart-csv").Text())
	}
	// Both drawings link the first bar with its figures as the link's name
	// and title; the second slot has no link.
	links := fig.Find("svg a.chart-bar")
	if links.Length() != 2 {
		t.Fatalf("%d bar links, want one per drawing", links.Length())
	}
	name, _ := links.First().Attr("aria-label")
	if want := "1 Mar: Will renew 1,200; Won't renew 5; Total 1,205; Available codes 1,000"; name != want || links.First().Find("title").Text() != want {
		t.Errorf("bar link named %q (title %q), want %q", name, links.First().Find("title").Text(), want)
	}
	if got := fig.Find("svg g.chart-bar title").First().Text(); got != "8 Mar: Will renew 3; Won't renew 0; Total 3; Available codes 0" {
		t.Errorf("the second bar's title %q", got)
	}
	if fig.Find(`svg[role="img"]`).Length() != 0 {
		t.Error("a drawing with role img hides its links")
	}
	for _, bad := range []string{"style=", "<style", "<script"} {
		if strings.Contains(html, bad) {
			t.Errorf("%q in the chart", bad)
		}
	}
	if on := regexp.MustCompile(`\son[a-z]+=`).FindString(html); on != "" {
		t.Errorf("an event handler attribute %q in the chart", on)
	}
	// The patterns the bars use are defined once.
	for _, kind := range []string{"renew", "norenew"} {
		if n := fig.Find("pattern#runway-pattern-" + kind).Length(); n != 1 {
			t.Errorf("pattern %s defined %d times", kind, n)
		}
	}
}

func TestChartView_EmptyShowsTheFriendlyStateOnly(t *testing.T) {
	doc, _ := renderChart(t, Chart{ID: "e", Title: "Expiring per day", Empty: "No device expires in the next 30 days.",
		XLabels: []string{"a"}, Bars: []ChartSeries{{Label: "x", Values: []int64{1}}}})
	if got := doc.Find("figure#e h2").Text(); got != "Expiring per day" {
		t.Errorf("title %q", got)
	}
	if got := doc.Find("figure#e .empty").Text(); got != "No device expires in the next 30 days." {
		t.Errorf("empty state %q", got)
	}
	if doc.Find("svg.chart-svg, table, .chart-legend").Length() != 0 {
		t.Error("an empty chart draws a chart")
	}
}
