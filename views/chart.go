package views

import (
	"context"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Charts (docs/pages.md, "Charts") are a small SVG component of our own
// rather than a Go chart library: the libraries we looked at (go-chart)
// write inline style attributes, which the Content-Security-Policy blocks.
// A chart is bars stacked per slot (a day, a week, a month) with an optional
// line over them on its own axis at the right, drawn twice: a wide drawing
// for screens and print and a narrow one for phones (CSS shows one), so that
// its words stay readable at either width. Colours and hatching come from
// static/app.css by the series' Kind; the data is also a table and a CSV.

// ChartSeries is one series of a chart: a layer of the stacked bars, or the line.
type ChartSeries struct {
	Label  string  // translated legend label
	Kind   string  // CSS modifier for colour and pattern: renew, norenew, risk, new, first, renewal, assigned, available
	Values []int64 // one per slot
}

// Chart is a chart as a page shows it (ChartView).
type Chart struct {
	ID          string        // unique DOM id prefix on the page
	Title       string        // translated title
	Summary     string        // translated one-sentence text summary
	Note        string        // optional: an assumption written under the chart
	XHeader     string        // the table's column header for the slots ("Week", "Day", "Month")
	XLabels     []string      // one per slot, formatted in the viewer's language
	Links       []string      // optional: one href per slot ("" none); the slot's bar becomes a link
	Bars        []ChartSeries // stacked, bottom first
	Line        *ChartSeries  // optional line over the bars, on its own axis at the right
	Marker      int           // the slot to mark (the week codes run out); -1 none
	MarkerLabel string
	CSVHref     string // the same data as CSV ("" none)
	Empty       string // when set, this friendly empty state shows instead of the chart
}

// chartKinds are the series kinds static/app.css colours and hatches; any
// other kind is drawn grey and plain.
var chartKinds = map[string]bool{"renew": true, "norenew": true, "risk": true, "new": true,
	"first": true, "renewal": true, "assigned": true, "available": true}

// chartKind is the CSS modifier of a series kind.
func chartKind(kind string) string {
	if chartKinds[kind] {
		return kind
	}
	return "other"
}

// patternID is the id of the SVG pattern that fills a kind's bars in chart id.
func patternID(id, kind string) string { return id + "-pattern-" + chartKind(kind) }

// chartLayout is the size of one drawing of a chart, in SVG user units
// (which are CSS pixels when the drawing is shown at its own width).
type chartLayout struct {
	Name          string  // "wide" or "narrow": the CSS class that shows it
	Width, Height float64 // the viewBox
	YTicks        int     // about how many ticks the axes get
	FontSize      float64 // of the axis labels, for estimating their widths
}

var (
	wideLayout   = chartLayout{Name: "wide", Width: 960, Height: 300, YTicks: 5, FontSize: 12}
	narrowLayout = chartLayout{Name: "narrow", Width: 360, Height: 260, YTicks: 4, FontSize: 13}
)

// chartTick is a tick of a y-axis.
type chartTick struct {
	Y     float64
	Label string
}

// chartRect is one stacked segment of a bar.
type chartRect struct {
	X, Y, W, H float64
	Kind       string
}

// chartSlot is one slot's bar, its x label and the line's point over it.
type chartSlot struct {
	Index      int
	X          float64 // the slot's centre
	BarX, BarW float64
	Top        float64 // the top of the bar (the hit area of a link reaches it)
	Rects      []chartRect
	Label      string // "" when thinned out
	LineY      float64
}

// chartGeom is one drawing of a chart, computed from its data.
type chartGeom struct {
	Layout                   chartLayout
	Left, Right, Top, Bottom float64 // the plot area
	Ticks                    []chartTick
	LineTicks                []chartTick // the line's axis at the right; nil without a line
	Slots                    []chartSlot
	LinePath                 string
	MarkerX                  float64
	HasMarker                bool
	MarkerAnchor             string // text-anchor of the marker's label
}

// niceStep is the smallest step of the 1-2-5 series (1, 2, 5, 10, 20, ...)
// that covers max in at most n steps; at least 1.
func niceStep(max int64, n int) int64 {
	if n < 1 {
		n = 1
	}
	for step := int64(1); ; step *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if s := step * m; max <= s*int64(n) || s > math.MaxInt64/100 {
				return s
			}
		}
	}
}

// niceTicks are the ticks of an axis from 0 to at least max, in 1-2-5 steps,
// about n of them.
func niceTicks(max int64, n int) []int64 {
	if max < 1 {
		max = 1
	}
	step := niceStep(max, n)
	top := (max + step - 1) / step * step
	var ticks []int64
	for v := int64(0); v <= top; v += step {
		ticks = append(ticks, v)
	}
	return ticks
}

// clamp0 is v, or 0 when v is negative: a chart draws no negative amount.
func clamp0(v int64) int64 {
	if v < 0 {
		return 0
	}
	return v
}

// value is the slot's value of a series, 0 when the series is short.
func (s ChartSeries) value(i int) int64 {
	if i < len(s.Values) {
		return s.Values[i]
	}
	return 0
}

// Slots is how many slots the chart has.
func (c Chart) Slots() int { return len(c.XLabels) }

// Total is the sum of the bars' values at slot i, as drawn (no negatives).
func (c Chart) Total(i int) int64 {
	var t int64
	for _, s := range c.Bars {
		t += clamp0(s.value(i))
	}
	return t
}

// Link is the href of slot i, "" when it has none.
func (c Chart) Link(i int) string {
	if i < len(c.Links) {
		return c.Links[i]
	}
	return ""
}

// textWidth estimates the width of text at size: wide (CJK) characters
// take a whole em, others about 0.6 of one.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		if r >= 0x1100 && utf8.RuneLen(r) >= 3 {
			w += size
		} else {
			w += 0.6 * size
		}
	}
	return w
}

// maxLabelWidth is the widest of labels at size.
func maxLabelWidth(labels []string, size float64) float64 {
	w := 0.0
	for _, l := range labels {
		w = math.Max(w, textWidth(l, size))
	}
	return w
}

// tickLabels are the ticks' numbers as the axis writes them.
func tickLabels(ticks []int64) []string {
	out := make([]string, len(ticks))
	for i, t := range ticks {
		out[i] = Num(t)
	}
	return out
}

// geometry lays the chart out for l.
func (c Chart) geometry(l chartLayout) chartGeom {
	g := chartGeom{Layout: l}
	n := c.Slots()
	var barMax, lineMax int64
	for i := 0; i < n; i++ {
		barMax = max(barMax, c.Total(i))
		if c.Line != nil {
			lineMax = max(lineMax, clamp0(c.Line.value(i)))
		}
	}
	ticks := niceTicks(barMax, l.YTicks)
	labels := tickLabels(ticks)
	g.Left = math.Ceil(maxLabelWidth(labels, l.FontSize)) + 10
	g.Right = l.Width - 10
	var lineTicks []int64
	var lineLabels []string
	if c.Line != nil {
		lineTicks = niceTicks(lineMax, l.YTicks)
		lineLabels = tickLabels(lineTicks)
		g.Right = l.Width - math.Ceil(maxLabelWidth(lineLabels, l.FontSize)) - 10
	}
	g.Top = 22 // room for the marker's label
	g.Bottom = l.Height - 24
	plotH := g.Bottom - g.Top
	yOf := func(v, top int64) float64 { return g.Bottom - float64(clamp0(v))/float64(top)*plotH }
	top := ticks[len(ticks)-1]
	for i, t := range ticks {
		g.Ticks = append(g.Ticks, chartTick{Y: yOf(t, top), Label: labels[i]})
	}
	if c.Line != nil {
		lineTop := lineTicks[len(lineTicks)-1]
		for i, t := range lineTicks {
			g.LineTicks = append(g.LineTicks, chartTick{Y: yOf(t, lineTop), Label: lineLabels[i]})
		}
	}
	if n == 0 {
		return g
	}
	slotW := (g.Right - g.Left) / float64(n)
	barW := math.Max(1, slotW*0.7)
	// Every step-th x label shows, so that neighbours do not touch.
	step := int(math.Ceil((maxLabelWidth(c.XLabels, l.FontSize) + 8) / slotW))
	step = max(step, 1)
	for i := 0; i < n; i++ {
		x := g.Left + slotW*(float64(i)+0.5)
		s := chartSlot{Index: i, X: round2(x), BarX: round2(x - barW/2), BarW: round2(barW), Top: g.Bottom}
		var acc int64
		for _, series := range c.Bars {
			v := clamp0(series.value(i))
			if v == 0 {
				continue
			}
			y0, y1 := yOf(acc, top), yOf(acc+v, top)
			acc += v
			s.Rects = append(s.Rects, chartRect{X: s.BarX, Y: round2(y1), W: s.BarW, H: round2(y0 - y1), Kind: chartKind(series.Kind)})
		}
		s.Top = round2(yOf(acc, top))
		if i%step == 0 {
			s.Label = c.XLabels[i]
		}
		if c.Line != nil {
			s.LineY = round2(yOf(c.Line.value(i), lineTicks[len(lineTicks)-1]))
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			g.LinePath += cmd + ftoa(s.X) + " " + ftoa(s.LineY) + " "
		}
		g.Slots = append(g.Slots, s)
	}
	if c.Marker >= 0 && c.Marker < n {
		g.HasMarker, g.MarkerX = true, g.Slots[c.Marker].X
		g.MarkerAnchor = "start"
		if g.MarkerX > (g.Left+g.Right)/2 {
			g.MarkerAnchor = "end"
		}
	}
	return g
}

// round2 rounds to hundredths, enough for a drawing.
func round2(f float64) float64 { return math.Round(f*100) / 100 }

// ftoa writes a coordinate.
func ftoa(f float64) string { return strconv.FormatFloat(round2(f), 'f', -1, 64) }

// kinds are the series kinds of the bars, once each, for their patterns.
func (c Chart) kinds() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range c.Bars {
		if k := chartKind(s.Kind); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// sum is the sum of the bars' values at slot i as given (the table's total).
func (c Chart) sum(i int) int64 {
	var t int64
	for _, s := range c.Bars {
		t += s.value(i)
	}
	return t
}

// slotText words slot i's figures: the title of its bar, and its link's name.
func (c Chart) slotText(ctx context.Context, i int) string {
	items := make([]string, 0, len(c.Bars)+2)
	for _, s := range c.Bars {
		items = append(items, T(ctx, "chart.item", "Label", s.Label, "Value", Num(s.value(i))))
	}
	if len(c.Bars) > 1 {
		items = append(items, T(ctx, "chart.item", "Label", T(ctx, "chart.total"), "Value", Num(c.sum(i))))
	}
	if c.Line != nil {
		items = append(items, T(ctx, "chart.item", "Label", c.Line.Label, "Value", Num(c.Line.value(i))))
	}
	x := ""
	if i < len(c.XLabels) {
		x = c.XLabels[i]
	}
	return T(ctx, "chart.slot", "Slot", x, "Figures", strings.Join(items, T(ctx, "chart.separator")))
}
