package journeys_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

// Helpers that read device lists (the product page's and the near-expiry
// page's) the way a person scans them: find the row of a DeviceKey, read
// its outlook and its auto-renew toggle.

// rowOf marks the results row that shows the DeviceKey dk and returns a
// selector for it; the test fails when no row shows dk.
func (j *journey) rowOf(dk string) string {
	j.t.Helper()
	found := eval[bool](j, fmt.Sprintf(`(() => {
		const row = Array.from(document.querySelectorAll("#results tbody tr"))
			.find(tr => Array.from(tr.cells).some(td => td.innerText.trim() === %q));
		if (!row) return false;
		row.setAttribute("data-journey-row", %q);
		return true;
	})()`, dk, dk))
	if !found {
		j.t.Fatalf("no row of the list at %s shows the device %s; rows: %q", j.path(), dk, j.textsOf("#results tbody tr"))
	}
	return fmt.Sprintf(`#results tbody tr[data-journey-row=%q]`, dk)
}

// outlookOf is the renewal outlook that the row of dk shows.
func (j *journey) outlookOf(dk string) string {
	j.t.Helper()
	return j.textOf(j.rowOf(dk) + ` [id^="outlook-"]`)
}

// toggle is the state of a device's auto-renew toggle as shown.
type toggle struct {
	Checked  bool   `json:"checked"`
	Disabled bool   `json:"disabled"`
	Why      string `json:"why"` // the text the toggle is described by, if any
}

// toggleOf reads the auto-renew toggle of dk's row.
func (j *journey) toggleOf(dk string) toggle {
	j.t.Helper()
	sel := j.rowOf(dk) + ` input[type=checkbox][role=switch]`
	j.waitVisible(sel)
	return eval[toggle](j, fmt.Sprintf(`(() => {
		const box = document.querySelector(%q);
		const ids = (box.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
		const why = ids.map(id => (document.getElementById(id) || {innerText: ""}).innerText.trim()).join(" ");
		return {checked: box.checked, disabled: box.disabled, why: why};
	})()`, sel))
}

// blacklistedFigure is the number of blacklisted devices on the renewal card.
func (j *journey) blacklistedFigure() string {
	j.t.Helper()
	text := eval[string](j, fmt.Sprintf(`(() => {
		const dt = Array.from(document.querySelectorAll("#renewal-card dt")).find(d => d.innerText.trim() === %q);
		return dt ? dt.nextElementSibling.innerText : "";
	})()`, j.say("renewal.card.blacklisted")))
	if f := strings.Fields(text); len(f) > 0 {
		return f[0]
	}
	return ""
}

// waitOutlook waits until the row of dk (which htmx may replace meanwhile)
// shows the outlook want.
func (j *journey) waitOutlook(dk, want string) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, wait)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](`(dk, want) => {
		const row = Array.from(document.querySelectorAll("#results tbody tr"))
			.find(tr => Array.from(tr.cells).some(td => td.innerText.trim() === dk));
		const o = row && row.querySelector('[id^="outlook-"]');
		return !!o && o.innerText.trim() === want;
	}`, chromedp.WithPollingArgs(dk, want), chromedp.WithPollingTimeout(wait)))
	if err != nil {
		j.t.Fatalf("waiting for %s's outlook to read %q at %s: it reads %q", dk, want, j.path(), j.outlookOf(dk))
	}
}
