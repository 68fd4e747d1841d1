package journeys_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/views"
)

// TestProductPage_ConsumptionChart reads the product page's consumption
// chart: its title, its summary with the forecast's run-out day, its
// assumption, and its table opened from the disclosure, 24 months.
func TestProductPage_ConsumptionChart(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		sc := store.Scope{AccountID: j.acme.ID, DC: j.thermo.DC}
		want, err := j.st.ProductConsumption(j.ctx, sc, j.thermo.ID)
		if err != nil {
			t.Fatal(err)
		}
		j.signInOwner()
		j.visit(productPath(j.thermo))
		j.waitVisible("#consumption-chart")
		if got := j.textOf("#consumption-chart h2"); got != j.say("consumption.title") {
			t.Errorf("the chart's title reads %q", got)
		}
		summary := j.textOf("#consumption-chart .chart-summary")
		if !strings.Contains(summary, sayN(j, "consumption.summary", want.Codes(), "Months", "24",
			"First", views.Num(want.FirstCodes()), "Renewals", views.Num(want.Codes()-want.FirstCodes()))) {
			t.Errorf("the summary %q does not give the codes consumed (%d)", summary, want.Codes())
		}
		day := j.say("consumption.lasts", "Date", views.LongDate(views.WithLanguage(context.Background(), j.lang), want.Horizon, time.UTC))
		if !want.RunsOut.IsZero() {
			day = j.say("consumption.runs_out", "Date", views.LongDate(views.WithLanguage(context.Background(), j.lang), want.RunsOut, time.UTC))
		}
		if !strings.Contains(summary, day) {
			t.Errorf("the summary %q does not say %q", summary, day)
		}
		if got := j.textOf("#consumption-chart .chart-note"); got == "" {
			t.Error("no assumption under the chart")
		}
		j.click("#consumption-chart details summary")
		j.waitCount("#consumption-chart table tbody tr", 24)
		j.axe("the consumption chart with its table open")
		j.screenshot("13-product-consumption-chart.png")
	})
}
