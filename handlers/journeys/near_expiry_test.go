package journeys_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"activation-console/store"
)

// nearExpiryKeys lists the DeviceKeys of the near-expiry list's rows, in order.
func (j *journey) nearExpiryKeys() []string {
	j.t.Helper()
	return j.textsOf("#results tbody tr td:nth-child(3)")
}

// TestNearExpiry_SearchByDeviceKeyAndExpiryRangeSurvivesReloadAndBack
// filters the list as a person does and checks that the address bar keeps
// the view: a reload shows it again, and Back returns to the one before.
func TestNearExpiry_SearchByDeviceKeyAndExpiryRangeSurvivesReloadAndBack(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.visit("/eu-frankfurt/near-expiry")
		all := []string{"T3-000002", "T3-000003", "T3-000004", "T3-000005", "T3-000001", "T3-000006", "T3-000007", "T3-000008"}
		if got := j.nearExpiryKeys(); strings.Join(got, " ") != strings.Join(all, " ") {
			t.Fatalf("the list shows %q, want the Frankfurt devices soonest first %q", got, all)
		}
		if got := j.textOf("#near-expiry-count .value"); got != "8" {
			t.Errorf("the page counts %q devices, want 8", got)
		}
		j.axe("the near-expiry list")
		j.screenshot("15-near-expiry.png")

		j.typeInto("#near-dk", "T3-000003")
		j.waitQuery("dk=T3-000003")
		j.waitCount("#results tbody tr", 1)
		if got := j.nearExpiryKeys(); len(got) != 1 || got[0] != "T3-000003" {
			t.Errorf("searching T3-000003 shows %q", got)
		}
		j.do(chromedp.Reload())
		j.waitCount("#results tbody tr", 1)
		if got := j.valueOf("#near-dk"); got != "T3-000003" {
			t.Errorf("after a reload the DeviceKey field reads %q", got)
		}

		// The same devices' expiry range: from 20 to 30 June, both days included.
		j.visit("/eu-frankfurt/near-expiry")
		j.setField("#near-ef", "2026-06-20")
		j.waitQuery("expires_from=2026-06-20")
		j.waitCount("#results tbody tr", 7)
		j.setField("#near-et", "2026-06-30")
		j.waitQuery("expires_from=2026-06-20", "expires_to=2026-06-30")
		j.waitCount("#results tbody tr", 4)
		want := []string{"T3-000003", "T3-000004", "T3-000005", "T3-000001"}
		if got := j.nearExpiryKeys(); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("expiring 2026-06-20 to 2026-06-30 shows %q, want %q", got, want)
		}
		j.axe("the near-expiry list, filtered")
		j.screenshot("16-near-expiry-filtered.png")

		// Back and Forward: htmx restores each view of the list's history.
		j.do(chromedp.NavigateBack())
		j.waitCount("#results tbody tr", 7)
		j.checkRange("after Back", "2026-06-20", "")
		j.do(chromedp.NavigateForward())
		j.waitCount("#results tbody tr", 4)
		j.checkRange("after Forward", "2026-06-20", "2026-06-30")
		j.do(chromedp.NavigateBack())
		j.waitCount("#results tbody tr", 7)
		j.checkRange("after Back again", "2026-06-20", "")

		// A reload shows the same view from the address alone.
		j.do(chromedp.Reload())
		j.waitCount("#results tbody tr", 7)
		j.checkRange("after a reload", "2026-06-20", "")
	})
}

// checkRange checks the expiry range as the fields and the address show it.
func (j *journey) checkRange(when, from, to string) {
	j.t.Helper()
	if got := j.valueOf("#near-ef"); got != from {
		j.t.Errorf("%s the range starts at %q, want %q", when, got, from)
	}
	if got := j.valueOf("#near-et"); got != to {
		j.t.Errorf("%s the range ends at %q, want %q", when, got, to)
	}
	p := j.path()
	// Empty filters stay out of the address (app.js drops them).
	if !strings.Contains(p, "expires_from="+from) || (to != "") != strings.Contains(p, "expires_to="+to) {
		j.t.Errorf("%s the address is %s, want the range %s to %s", when, p, from, to)
	}
}

// TestNearExpiry_ChartBarOpensTheListOfItsDay reads the chart as a person
// does: a bar, reached by the keyboard, opens the list filtered to its day,
// which lists as many devices as the bar's row of the chart's table says;
// another bar, clicked, does the same.
func TestNearExpiry_ChartBarOpensTheListOfItsDay(t *testing.T) {
	eachLanguage(t, func(t *testing.T, lang store.Language) {
		j := start(t, lang)
		j.signInOwner()
		j.visit("/eu-frankfurt/near-expiry")
		if got := j.textOf("#near-expiry-chart h2"); got != j.say("near_expiry_chart.title") {
			t.Errorf("the chart is titled %q", got)
		}
		bars := `#near-expiry-chart svg.chart-wide a.chart-bar`
		n := j.count(bars)
		if n < 2 {
			t.Fatalf("%d bars link to their day, want the fixture's days with devices (at least 2)", n)
		}
		// What each bar says: its link and its devices, from the chart's table.
		type day struct {
			Href  string `json:"href"`
			Total string `json:"total"`
		}
		days := eval[[]day](j, `Array.from(document.querySelectorAll("#near-expiry-chart details tbody tr"))
			.filter(tr => tr.querySelector("th a") && tr.lastElementChild.textContent.trim() !== "0")
			.map(tr => ({href: tr.querySelector("th a").getAttribute("href"), total: tr.lastElementChild.textContent.trim()}))`)
		hrefs := eval[[]string](j, `Array.from(document.querySelectorAll("`+bars+`")).map(a => a.getAttribute("href"))`)
		if len(days) != n || len(hrefs) != n {
			t.Fatalf("%d bars, %d linked days with devices in the table (%v, %v)", n, len(days), hrefs, days)
		}
		for i := range days {
			if hrefs[i] != days[i].Href {
				t.Errorf("bar %d links to %q, its table row to %q", i, hrefs[i], days[i].Href)
			}
		}

		// By keyboard: the first bar takes the focus and Enter follows it.
		j.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("` + bars + `").focus(); undefined`))
		if got := eval[string](j, `document.activeElement.getAttribute("href") || ""`); got != days[0].Href {
			t.Fatalf("the focus is on %q, want the first bar %q", got, days[0].Href)
		}
		j.press("\r")
		_, query, _ := strings.Cut(days[0].Href, "?")
		j.waitQuery(strings.Split(query, "&")...)
		j.waitCount("#results tbody tr", atoi(t, days[0].Total))
		if from, to := j.valueOf("#near-ef"), j.valueOf("#near-et"); from == "" || from != to || !strings.Contains(days[0].Href, from) {
			t.Errorf("the list is filtered from %q to %q, want the bar's day (%s)", from, to, days[0].Href)
		}
		j.axe("the near-expiry list of a chart's day")

		// By mouse: the last bar.
		j.visit("/eu-frankfurt/near-expiry")
		last := days[len(days)-1]
		j.clickAndLoad(bars + `[href="` + last.Href + `"]`)
		if j.path() != last.Href {
			t.Errorf("the last bar opened %q, want %q", j.path(), last.Href)
		}
		j.waitCount("#results tbody tr", atoi(t, last.Total))
	})
}

// atoi reads a count as the page writes it.
func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatalf("not a count: %q", s)
	}
	return n
}
