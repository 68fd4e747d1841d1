package journeys_test

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"activation-console/store"
)

// forecastSummary is the summary the overview's chart should read for the
// forecast of productID (0: every product), in the journey's language.
func (j *journey) forecastSummary(t *testing.T, productID int64) string {
	t.Helper()
	f, err := j.st.Forecast(j.ctx, store.Scope{AccountID: j.acme.ID, DC: frankfurt}, store.ForecastQuery{ProductID: productID})
	if err != nil {
		t.Fatal(err)
	}
	if f.RunsOutWeek < 0 {
		left := f.Weeks[len(f.Weeks)-1].Left
		return sayN(j, "forecast.summary.lasts", left, "Weeks", len(f.Weeks))
	}
	var short int64
	for _, w := range f.Weeks {
		short += w.Short
	}
	week := f.Weeks[f.RunsOutWeek].Start.Format(j.say("format.long_date"))
	first := sayN(j, "forecast.summary.runs_out", f.ProductsShort, "Week", week, "Product", f.RunsOutProduct.Name)
	if productID != 0 {
		first = j.say("forecast.summary.runs_out_product", "Week", week, "Product", f.RunsOutProduct.Name)
	}
	return j.say("forecast.summary.sentences", "First", first, "Second", sayN(j, "forecast.summary.short", short, "Weeks", len(f.Weeks)))
}

// TestForecast_OverviewChartNarrowsToAProduct reads the overview's chart
// of codes against renewals, then picks a product in its filter: htmx
// swaps the chart alone, and the address keeps the choice for a reload.
func TestForecast_OverviewChartNarrowsToAProduct(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.visit("/eu-frankfurt/licenses")
		j.waitVisible("#forecast-chart")
		if got, want := j.textOf("#forecast-chart h2"), j.say("forecast.title", "Weeks", 26); got != want {
			t.Errorf("the chart's title is %q, want %q", got, want)
		}
		if got, want := j.textOf("#forecast-chart .chart-summary"), j.forecastSummary(t, 0); got != want {
			t.Errorf("the chart says %q, want %q", got, want)
		}
		if got := j.count("#forecast-chart .chart-table tbody tr"); got != 26 {
			t.Errorf("the chart's table has %d weeks, want 26", got)
		}
		j.axe("the overview's chart")
		j.screenshot("30-overview-chart.png")

		meter := strconv.FormatInt(j.meter.ID, 10)
		j.setField("#forecast-product", meter)
		j.waitQuery("product=" + meter)
		want := j.forecastSummary(t, j.meter.ID)
		j.waitText("#forecast-chart .chart-summary", want)
		if j.count(".figures") != 1 || j.count("#results") != 1 {
			t.Errorf("the filter's swap lost the rest of the page")
		}
		j.do(chromedp.Reload())
		j.waitText("#forecast-chart .chart-summary", want)
		if got := j.valueOf("#forecast-product"); got != meter {
			t.Errorf("after a reload the filter reads %q, want the meter %s", got, meter)
		}
		j.axe("the overview's chart of one product")
	})
}
