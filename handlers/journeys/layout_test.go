package journeys_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"activation-console/store"
)

// The window sizes every page must fit: a laptop and a phone.
var windows = []struct{ width, height int64 }{{1366, 900}, {390, 844}}

// TestLayout_EveryPageFitsTheWindowInBothLanguages loads every main page
// and a dialog once per language and looks at it at both sizes: nothing may
// make the page wider than the window (wide tables scroll in their own box,
// which then takes the keyboard focus) and no button may cut its words off.
// Chinese words are often wider per word and never break at spaces, English
// ones longer; both must hold, and axe must find nothing serious in either.
//
// With JOURNEY_SCREENSHOTS set, it photographs each page at each size
// (layout-<language>-<width>-<page>.png), for a person to look at.
func TestLayout_EveryPageFitsTheWindowInBothLanguages(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) {
			j := start(t, store.Language(lang))
			j.visit("/signin")
			j.fits(lang, "signin")
			j.signInOwner()
			for _, p := range []struct{ name, path string }{
				{"overview", "/eu-frankfurt/licenses"},
				{"assignment-history", "/eu-frankfurt/licenses/history"},
				{"near-expiry", "/eu-frankfurt/near-expiry"},
				{"recipients", "/eu-frankfurt/recipients"},
				{"audit", "/eu-frankfurt/audit"},
				{"members", "/eu-frankfurt/members"},
				{"settings", "/eu-frankfurt/settings"},
				{"not-found", "/eu-frankfurt/no-such-page"},
				{"product", productPath(j.thermo)},
			} {
				if p.name == "not-found" {
					j.expectRefusal(404, p.path)
				}
				j.visit(p.path)
				j.fits(lang, p.name)
			}
			// Still on the product page: a dialog with a table.
			j.openDialog(j.rowOf("T3-000001")+` a[href$="/history"]`, "history-dialog")
			j.fits(lang, "history-dialog")
		})
	}
}

// overflow is what the page measures of itself at one window size.
type overflow struct {
	ScrollWidth int      `json:"scrollWidth"` // the document's width
	InnerWidth  int      `json:"innerWidth"`  // the window's
	Outside     []string `json:"outside"`     // elements that reach past the window, not in a scrolling box
	Clipped     []string `json:"clipped"`     // buttons whose words do not fit in them
}

// measure is evaluated in the page. It names the elements that stick out
// (the first of each branch, not their children, so the culprit is named),
// ignoring what sits in a box that scrolls or clips on purpose; and the
// visible buttons too narrow for their own words. An open modal dialog is
// measured against the window too (it is outside the document's width).
const measure = `(() => {
	const w = window.innerWidth;
	const describe = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
		(typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : "") +
		" (right edge " + Math.round(e.getBoundingClientRect().right) + ")";
	// In a box that scrolls or clips: an absolutely positioned element
	// (a label for screen readers) escapes every box up to its positioned
	// ancestor, and so widens the page from inside a scrolling table.
	const boxed = e => {
		let free = getComputedStyle(e).position === "absolute";
		for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
			if (a.tagName === "DIALOG") return false;
			const s = getComputedStyle(a);
			if (free && s.position === "static") continue;
			if (s.overflowX !== "visible") return true;
			free = s.position === "absolute";
		}
		return false;
	};
	const out = [], outside = new Set();
	for (const e of document.body.querySelectorAll("*")) {
		const r = e.getBoundingClientRect();
		if (r.width === 0 || r.right <= w + 0.5 || boxed(e)) continue;
		outside.add(e);
		if (!outside.has(e.parentElement) && out.length < 8) out.push(describe(e));
	}
	const clipped = [];
	for (const b of document.querySelectorAll("button, .btn, .badge")) {
		if (b.offsetParent === null && getComputedStyle(b).position !== "fixed") continue; // hidden
		if (b.scrollWidth > b.clientWidth + 1) clipped.push(describe(b) + ": " + JSON.stringify(b.innerText.trim()));
	}
	return {scrollWidth: document.documentElement.scrollWidth, innerWidth: w, outside: out, clipped: clipped};
})()`

// fits looks at the page as it is at each window size and fails the test
// with the culprits when it is wider than the window or a button is cut off.
func (j *journey) fits(lang, name string) {
	j.t.Helper()
	j.settle()
	for _, win := range windows {
		j.do(chromedp.EmulateViewport(win.width, win.height))
		m := eval[overflow](j, measure)
		j.t.Logf("%s %s at %d px: document %d px wide in a %d px window", lang, name, win.width, m.ScrollWidth, m.InnerWidth)
		if m.ScrollWidth > m.InnerWidth || len(m.Outside) > 0 {
			j.t.Errorf("%s (%s) at %d px is %d px wide; sticking out: %s", name, lang, win.width, m.ScrollWidth,
				strings.Join(m.Outside, "; "))
		}
		if len(m.Clipped) > 0 {
			j.t.Errorf("%s (%s) at %d px cuts off: %s", name, lang, win.width, strings.Join(m.Clipped, "; "))
		}
		j.scrollBoxesFocusable(fmt.Sprintf("%s (%s) at %d px", name, lang, win.width))
		j.axe(fmt.Sprintf("%s (%s) at %d px", name, lang, win.width))
		if dir := os.Getenv("JOURNEY_SCREENSHOTS"); dir != "" {
			j.shoot(filepath.Join(dir, fmt.Sprintf("layout-%s-%d-%s.png", lang, win.width, name)))
		}
	}
	j.do(chromedp.EmulateViewport(windows[0].width, windows[0].height))
}

// shoot saves what the window shows (the whole page, or the dialog over it).
func (j *journey) shoot(path string) {
	j.t.Helper()
	shot := chromedp.FullScreenshot(100)
	if j.count("dialog[open]") > 0 {
		shot = chromedp.CaptureScreenshot()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		j.t.Fatal(err)
	}
	if err := os.WriteFile(path, run(j, shot), 0o644); err != nil {
		j.t.Fatal(err)
	}
}

// scrollBoxesFocusable waits until every table box that scrolls takes the
// keyboard focus (app.js marks them on load and after a resize), and no
// other does.
func (j *journey) scrollBoxesFocusable(what string) {
	j.t.Helper()
	const marked = `Array.from(document.querySelectorAll(".table-wrap")).every(b =>
		(b.scrollWidth > b.clientWidth + 1) === (b.getAttribute("tabindex") === "0"))`
	ctx, cancel := context.WithTimeout(j.ctx, wait)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](marked, chromedp.WithPollingTimeout(2*time.Second))); err != nil {
		j.t.Errorf("%s: a table box that scrolls cannot take the keyboard focus (or one that does not scroll can): %v", what, err)
	}
}
