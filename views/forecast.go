package views

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"activation-console/handlers/routenames"
	"activation-console/store"
)

// The overview's chart of codes against renewals (docs/pages.md, "1.
// License overview"; the model: docs/renewal.md, "The forecast"): per week
// ahead, the devices whose codes expire (will renew, won't renew), the new
// devices expected, and the codes left, with the week the codes run out
// marked. Its weeks are UTC weeks, as the store counts them, so their dates
// are written in UTC whatever the viewer's zone.

// ForecastView is the overview's forecast section as shown: the product
// filter and the chart.
type ForecastView struct {
	Forecast  store.Forecast
	Products  []store.ForecastProduct // the scope's products, the filter's choices
	ProductID int64                   // the product chosen; 0 for all
	Errors    FormErrors              // a refused product, under "product"
}

// Product is the chosen product, when it is one of the choices.
func (v ForecastView) Product() (store.ForecastProduct, bool) {
	for _, p := range v.Products {
		if p.ID == v.ProductID {
			return p, true
		}
	}
	return store.ForecastProduct{}, false
}

// forecastQuery is the filter's query: the chosen product, if any.
func forecastQuery(productID int64) url.Values {
	q := url.Values{}
	if productID != 0 {
		q.Set("product", strconv.FormatInt(productID, 10))
	}
	return q
}

// Chart is the forecast as a chart.
func (v ForecastView) Chart(ctx context.Context) Chart {
	p := pageOf(ctx)
	f := v.Forecast
	c := Chart{ID: "forecast-chart", Title: T(ctx, "forecast.title", "Weeks", len(f.Weeks)), XHeader: T(ctx, "forecast.week"),
		Marker: f.RunsOutWeek, MarkerLabel: T(ctx, "forecast.marker"),
		CSVHref: WithQuery(p.URL(routenames.ForecastCSV), forecastQuery(v.ProductID))}
	will := ChartSeries{Label: T(ctx, "outlook.will_renew"), Kind: "renew"}
	wont := ChartSeries{Label: T(ctx, "forecast.wont_renew"), Kind: "norenew"}
	fresh := ChartSeries{Label: T(ctx, "forecast.new"), Kind: "new"}
	left := ChartSeries{Label: T(ctx, "forecast.left"), Kind: "available"}
	layout := T(ctx, "forecast.week_format")
	var short int64
	for _, w := range f.Weeks {
		c.XLabels = append(c.XLabels, w.Start.UTC().Format(layout))
		will.Values, wont.Values = append(will.Values, w.WillRenew), append(wont.Values, w.WontRenew)
		fresh.Values, left.Values = append(fresh.Values, w.New), append(left.Values, w.Left)
		short += w.Short
	}
	c.Bars, c.Line = []ChartSeries{will, wont, fresh}, &left
	if f.Empty() {
		c.Empty = T(ctx, "forecast.empty")
		return c
	}
	c.Summary = forecastSummary(ctx, v, short)
	c.Note = T(ctx, "forecast.note", "PerWeek", Num((f.FirstCodes*7+store.ForecastRateDays/2)/store.ForecastRateDays), "Days", store.ForecastRateDays)
	return c
}

// forecastSummary answers the chart's question in a sentence or two: when
// the codes run out (and for which product first), and how many are short
// by the horizon's end; or that they last, and how many are left.
func forecastSummary(ctx context.Context, v ForecastView, short int64) string {
	f := v.Forecast
	weeks := len(f.Weeks)
	if f.RunsOutWeek < 0 {
		return Tn(ctx, "forecast.summary.lasts", f.Weeks[weeks-1].Left, "Weeks", weeks)
	}
	week := LongDate(ctx, f.Weeks[f.RunsOutWeek].Start, time.UTC)
	var s string
	if _, one := v.Product(); one {
		s = T(ctx, "forecast.summary.runs_out_product", "Week", week, "Product", f.RunsOutProduct.Name)
	} else {
		s = Tn(ctx, "forecast.summary.runs_out", f.ProductsShort, "Week", week, "Product", f.RunsOutProduct.Name)
	}
	return T(ctx, "forecast.summary.sentences", "First", s, "Second", Tn(ctx, "forecast.summary.short", short, "Weeks", weeks))
}

// ForecastCSV is the chart's table as CSV: a row per week (its first day,
// YYYY-MM-DD, UTC), the same columns as the table.
func ForecastCSV(ctx context.Context) CSVTable[store.ForecastWeek] {
	return CSVTable[store.ForecastWeek]{
		Header: []string{T(ctx, "forecast.week"), T(ctx, "outlook.will_renew"), T(ctx, "forecast.wont_renew"), T(ctx, "forecast.new"),
			T(ctx, "chart.total"), T(ctx, "forecast.left")},
		Row: func(w store.ForecastWeek) []string {
			return []string{w.Start.UTC().Format(time.DateOnly), strconv.FormatInt(w.WillRenew, 10), strconv.FormatInt(w.WontRenew, 10),
				strconv.FormatInt(w.New, 10), strconv.FormatInt(w.WillRenew+w.WontRenew+w.New, 10), strconv.FormatInt(w.Left, 10)}
		},
	}
}
