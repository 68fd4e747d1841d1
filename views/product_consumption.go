package views

import (
	"context"
	"strconv"
	"time"

	"activation-console/handlers/routenames"
	"activation-console/store"
)

// The product page's consumption chart (docs/pages.md, "4. A product's
// details"): the codes the product consumed per calendar month (UTC) of the
// last store.ConsumptionMonths, first activations and renewals stacked, the
// codes assigned to it in all as a line, and the forecast's day its codes
// run out (store.Forecast), with the forecast's assumption under it.

// ConsumptionChart is the product page's chart: the history and its forecast.
func ConsumptionChart(ctx context.Context, productID int64, c store.ProductConsumption) Chart {
	p := pageOf(ctx)
	chart := Chart{ID: "consumption-chart", Title: T(ctx, "consumption.title"), XHeader: T(ctx, "consumption.month"),
		Marker: -1, CSVHref: p.URL(routenames.ProductConsumptionCSV, productID)}
	if c.Empty() {
		chart.Empty = T(ctx, "consumption.empty")
		return chart
	}
	first := ChartSeries{Label: T(ctx, "consumption.first"), Kind: "first"}
	renewals := ChartSeries{Label: T(ctx, "consumption.renewals"), Kind: "renewal"}
	assigned := ChartSeries{Label: T(ctx, "consumption.assigned"), Kind: "assigned"}
	layout := T(ctx, "consumption.month_format")
	for _, m := range c.Months {
		chart.XLabels = append(chart.XLabels, m.Start.UTC().Format(layout))
		first.Values, renewals.Values = append(first.Values, m.First), append(renewals.Values, m.Renewals)
		assigned.Values = append(assigned.Values, m.Assigned)
	}
	chart.Bars, chart.Line = []ChartSeries{first, renewals}, &assigned
	months := strconv.Itoa(len(c.Months))
	total, firstTotal := c.Codes(), c.FirstCodes()
	history := T(ctx, "consumption.summary_none", "Months", months)
	if total > 0 {
		history = Tn(ctx, "consumption.summary", total, "Months", months, "First", Num(firstTotal),
			"Renewals", Num(total-firstTotal))
	}
	// The forecast's days are UTC days.
	forecast := T(ctx, "consumption.lasts", "Date", LongDate(ctx, c.Horizon, time.UTC))
	if !c.RunsOut.IsZero() {
		forecast = T(ctx, "consumption.runs_out", "Date", LongDate(ctx, c.RunsOut, time.UTC))
	}
	chart.Summary = T(ctx, "consumption.summary_forecast", "History", history, "Forecast", forecast)
	chart.Note = T(ctx, "consumption.assumption", "Days", strconv.Itoa(c.RateDays), "FirstCodes", Num(c.RecentFirst),
		"Available", Num(c.Available))
	return chart
}

// ConsumptionCSV is the chart's data as its table shows it: a row per
// month (YYYY-MM, UTC), the codes of first activations and of renewals,
// their total and the codes assigned in all.
func ConsumptionCSV(ctx context.Context) CSVTable[store.ConsumptionMonth] {
	return CSVTable[store.ConsumptionMonth]{
		Header: []string{T(ctx, "consumption.month"), T(ctx, "consumption.first"), T(ctx, "consumption.renewals"),
			T(ctx, "chart.total"), T(ctx, "consumption.assigned")},
		Row: func(m store.ConsumptionMonth) []string {
			return []string{m.Start.UTC().Format("2006-01"), strconv.FormatInt(m.First, 10), strconv.FormatInt(m.Renewals, 10),
				strconv.FormatInt(m.Codes(), 10), strconv.FormatInt(m.Assigned, 10)}
		},
	}
}
