package views

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"activation-console/handlers/routenames"
	"activation-console/store"
)

// The near-expiry chart (docs/pages.md, "5. Devices with near-expiry
// codes"): the devices whose codes expire on each day of the next 30, by
// outlook, each bar a link to the list filtered to its day. The days are
// the viewer's (store.NearExpiryByDay), as the list reads a typed day.

// NearExpiryChart is the chart of days as the page shows it; loc is the
// viewer's zone, in which the days begin.
func NearExpiryChart(ctx context.Context, days []store.ExpiryDay, loc *time.Location) Chart {
	p := pageOf(ctx)
	c := Chart{ID: "near-expiry-chart", Title: T(ctx, "near_expiry_chart.title"), XHeader: T(ctx, "near_expiry_chart.day"),
		Marker: -1, CSVHref: p.URL(routenames.NearExpiryChartCSV)}
	will := ChartSeries{Label: T(ctx, "outlook.will_renew"), Kind: "renew"}
	risk := ChartSeries{Label: T(ctx, "outlook.at_risk"), Kind: "risk"}
	wont := ChartSeries{Label: T(ctx, "near_expiry_chart.wont_renew"), Kind: "norenew"}
	layout := T(ctx, "near_expiry_chart.day_format")
	var total, peak int64
	peakDay := 0
	for i, d := range days {
		day := d.Day.In(zone(loc)).Format(time.DateOnly)
		c.XLabels = append(c.XLabels, d.Day.In(zone(loc)).Format(layout))
		c.Links = append(c.Links, WithQuery(p.URL(routenames.NearExpiry), url.Values{"expires_from": {day}, "expires_to": {day}}))
		will.Values, risk.Values, wont.Values = append(will.Values, d.WillRenew), append(risk.Values, d.AtRisk), append(wont.Values, d.WontRenew)
		total += d.Total()
		if d.Total() > peak {
			peak, peakDay = d.Total(), i
		}
	}
	c.Bars = []ChartSeries{will, risk, wont}
	if total == 0 {
		c.Empty = T(ctx, "near_expiry_chart.empty")
		return c
	}
	c.Summary = Tn(ctx, "near_expiry_chart.summary", total, "WillRenew", Num(sum(will.Values)), "AtRisk", Num(sum(risk.Values)),
		"WontRenew", Num(sum(wont.Values)), "Peak", LongDate(ctx, days[peakDay].Day, loc), "PeakCount", Num(peak))
	return c
}

// sum adds values up.
func sum(values []int64) int64 {
	var n int64
	for _, v := range values {
		n += v
	}
	return n
}

// NearExpiryChartCSV is the near-expiry chart's data: a row per day (as
// YYYY-MM-DD in the viewer's zone), the devices by outlook and their total.
func NearExpiryChartCSV(ctx context.Context, loc *time.Location) CSVTable[store.ExpiryDay] {
	return CSVTable[store.ExpiryDay]{
		Header: []string{T(ctx, "near_expiry_chart.day"), T(ctx, "outlook.will_renew"), T(ctx, "outlook.at_risk"),
			T(ctx, "near_expiry_chart.wont_renew"), T(ctx, "chart.total")},
		Row: func(d store.ExpiryDay) []string {
			return []string{d.Day.In(zone(loc)).Format(time.DateOnly), strconv.FormatInt(d.WillRenew, 10),
				strconv.FormatInt(d.AtRisk, 10), strconv.FormatInt(d.WontRenew, 10), strconv.FormatInt(d.Total(), 10)}
		},
	}
}
