package journeys_test

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core 4.11.0 (testdata/README.md).
//
//go:embed testdata/axe.min.js
var axeSource string

// axeViolation is what axe-core reports for one rule, cut to what a person
// fixing it needs.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	HelpURL string   `json:"helpUrl"`
	Targets []string `json:"targets"`
	Summary string   `json:"summary"`
}

// axe runs axe-core on the page as it is now (with any open dialog) and
// fails the test on every violation of impact serious or critical; minor
// and moderate ones are logged. what names the view in the messages.
func (j *journey) axe(what string) {
	j.t.Helper()
	j.settle()
	if !eval[bool](j, `typeof window.axe === "object"`) {
		// Evaluated through the DevTools protocol, so a Content-Security-Policy
		// of the page does not apply to it.
		eval[chromedp.Void](j, axeSource+"\n;undefined")
	}
	found := run(j, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ["violations"]}).then(r =>
		r.violations.map(v => ({
			id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
			targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
			summary: (v.nodes[0] && v.nodes[0].failureSummary || "").split("\n").slice(0, 3).join(" "),
		})))`, chromedp.EvalAwaitPromise))
	for _, v := range found {
		msg := fmt.Sprintf("axe on %s (%s): %s [%s] %s\n    at %s\n    %s", what, j.path(), v.Impact, v.ID, v.Help,
			strings.Join(v.Targets, " | "), v.Summary)
		if v.Impact == "serious" || v.Impact == "critical" {
			j.t.Error(msg)
		} else {
			j.t.Log(msg)
		}
	}
}
