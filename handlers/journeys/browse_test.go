package journeys_test

// What a person does in the tab, and what they read there: each helper
// waits for what it needs and fails the test with what the page showed.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// visit loads a path of the console and waits for the page to load.
func (j *journey) visit(path string) {
	j.t.Helper()
	j.do(chromedp.Navigate(j.base + path))
}

// signIn signs in through the real form and waits for the console's navigation.
func (j *journey) signIn(email, password string) {
	j.t.Helper()
	j.visit("/signin")
	j.do(
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
	)
	j.clickAndLoad(`form[action="/signin"] button[type=submit]`)
	j.waitVisible(`nav.nav`)
}

// signInOwner signs in as Acme's owner.
func (j *journey) signInOwner() {
	j.t.Helper()
	j.signIn(ownerEmail, ownerPassword)
}

// click clicks the first element matching the CSS selector, once it is visible.
//
// It first lets htmx settle: htmx wires up swapped-in content (hx-post and
// the like) only when the swap settles, and a click before that submits
// the form without htmx, as a plain page load.
func (j *journey) click(sel string) {
	j.t.Helper()
	j.settle()
	j.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// clickAndLoad clicks and waits for the next page to load (a plain link or form).
func (j *journey) clickAndLoad(sel string) {
	j.t.Helper()
	j.settle()
	run(j, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// typeInto replaces a field's value by typing, as a person does, so that
// every key event (and htmx's triggers on them) fires.
func (j *journey) typeInto(sel, text string) {
	j.t.Helper()
	j.do(chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// setField sets a field that cannot be typed into portably (a date input)
// and fires input and change, as the browser's own picker does.
func (j *journey) setField(sel, value string) {
	j.t.Helper()
	j.waitVisible(sel)
	eval[chromedp.Void](j, fmt.Sprintf(`(() => {
		const e = document.querySelector(%q);
		e.value = %q;
		e.dispatchEvent(new Event("input", {bubbles: true}));
		e.dispatchEvent(new Event("change", {bubbles: true}));
	})()`, sel, value))
}

// press sends a key (kb constants or plain characters) to the focused element.
func (j *journey) press(keys string) {
	j.t.Helper()
	j.settle() // as click: a key before htmx is ready acts without it
	j.do(chromedp.KeyEvent(keys))
}

// textOf is the visible text of the first element matching sel, trimmed.
func (j *journey) textOf(sel string) string {
	j.t.Helper()
	return strings.TrimSpace(run(j, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// textsOf is the visible text of every element matching sel, trimmed, in order.
func (j *journey) textsOf(sel string) []string {
	j.t.Helper()
	return eval[[]string](j, fmt.Sprintf(`Array.from(document.querySelectorAll(%q), e => e.innerText.trim())`, sel))
}

// count is the number of elements matching sel.
func (j *journey) count(sel string) int {
	j.t.Helper()
	return eval[int](j, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// waitVisible waits until an element matching sel is shown.
func (j *journey) waitVisible(sel string) {
	j.t.Helper()
	j.do(chromedp.WaitVisible(chromedp.CSS(sel)))
}

// waitGone waits until no element matches sel.
func (j *journey) waitGone(sel string) {
	j.t.Helper()
	j.do(chromedp.WaitNotPresent(chromedp.CSS(sel)))
}

// waitText waits until the first element matching sel shows text containing want.
func (j *journey) waitText(sel, want string) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, wait)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](`(sel, want) => {
		const e = document.querySelector(sel);
		return !!e && e.innerText.includes(want);
	}`, chromedp.WithPollingArgs(sel, want), chromedp.WithPollingTimeout(wait)))
	if err != nil {
		got := eval[string](j, fmt.Sprintf(`(document.querySelector(%q) || {innerText: "(no element)"}).innerText`, sel))
		j.t.Fatalf("waiting for %q in %s at %s: %v; it shows:\n%s", want, sel, j.path(), err, got)
	}
}

// waitCount waits until exactly n elements match sel.
func (j *journey) waitCount(sel string, n int) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, wait)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](`(sel, n) => document.querySelectorAll(sel).length === n`,
		chromedp.WithPollingArgs(sel, n), chromedp.WithPollingTimeout(wait)))
	if err != nil {
		j.t.Fatalf("waiting for %d of %s at %s: %v; there are %d", n, sel, j.path(), err, j.count(sel))
	}
}

// waitPath waits until the address bar shows a path with the given prefix.
// It reads the address from Go, so that a navigation on the way (which ends
// any script running in the page) does not end the wait.
func (j *journey) waitPath(prefix string) {
	j.t.Helper()
	j.waitAddress(prefix, func(p string) bool { return strings.HasPrefix(p, prefix) })
}

// waitQuery waits until the address bar's query has every parameter of want
// (e.g. "dk=T3-000003"), in any order, among others.
func (j *journey) waitQuery(want ...string) {
	j.t.Helper()
	j.waitAddress(strings.Join(want, "&"), func(p string) bool {
		_, q, _ := strings.Cut(p, "?")
		params := strings.Split(q, "&")
		for _, w := range want {
			if !slices.Contains(params, w) {
				return false
			}
		}
		return true
	})
}

func (j *journey) waitAddress(what string, ok func(path string) bool) {
	j.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		p := j.path()
		if ok(p) {
			return
		}
		if time.Now().After(deadline) {
			j.t.Fatalf("waiting for the address %s: it is %s", what, p)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// settle waits until the page has loaded (htmx wires up the page on
// DOMContentLoaded; waitPath returns as soon as the address changes, which
// can be earlier), htmx has no request in flight and the DOM is swapped.
func (j *journey) settle() {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.ctx, wait)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.readyState === "complete" && !document.querySelector(".htmx-request, .htmx-settling, .htmx-swapping")`,
		chromedp.WithPollingTimeout(wait)))
	if err != nil {
		j.t.Fatalf("htmx did not settle at %s: %v", j.path(), err)
	}
}

// focused describes the element that has the keyboard focus.
func (j *journey) focused() string {
	j.t.Helper()
	return eval[string](j, `(() => { const e = document.activeElement; if (!e) return "";
		return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " " + (e.innerText || e.value || "").trim(); })()`)
}

// screenshot saves a full-page PNG named name (e.g. "01-overview.png") in
// $JOURNEY_SCREENSHOTS/<language>, or in the test's temporary directory.
func (j *journey) screenshot(name string) {
	j.t.Helper()
	dir := os.Getenv("JOURNEY_SCREENSHOTS")
	if dir == "" {
		dir = j.t.TempDir()
	} else {
		dir = filepath.Join(dir, string(j.lang)) // each language's journeys take the same pictures
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		j.t.Fatal(err)
	}
	// Let pending htmx swaps finish, and take the picture without the
	// flash message's timer racing it.
	j.settle()
	// A modal's backdrop covers the viewport only: with a dialog open, the
	// picture is what the person sees, not the whole page behind it.
	shot := chromedp.FullScreenshot(100)
	if j.count("dialog[open]") > 0 {
		shot = chromedp.CaptureScreenshot()
	}
	png := run(j, shot)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		j.t.Fatal(err)
	}
	j.t.Logf("screenshot: %s", path)
}

// valueOf is the current value of a form field.
func (j *journey) valueOf(sel string) string {
	j.t.Helper()
	return run(j, chromedp.Value(chromedp.CSS(sel)))
}

// figures reads the headline figures of the page, by label, as shown ("1,234").
func (j *journey) figures() map[string]string {
	j.t.Helper()
	return eval[map[string]string](j, `Object.fromEntries(Array.from(document.querySelectorAll(".figures .figure"), f => {
		const label = f.querySelector(".label");
		const name = (label.querySelector("span") || label).innerText.trim();
		return [name, f.querySelector(".value").innerText.trim()];
	}))`)
}

// num formats n as the console shows numbers.
func num(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// openDialog clicks an opener and waits for the modal dialog id to be open.
func (j *journey) openDialog(opener, id string) {
	j.t.Helper()
	j.click(opener)
	j.waitVisible("dialog#" + id + "[open]")
	j.settle()
}

// dialogClosed waits until no dialog is open any more.
func (j *journey) dialogClosed() {
	j.t.Helper()
	j.waitGone("dialog[open]")
}

// typeMore types into a field after what it holds; "\n" is the Enter key.
func (j *journey) typeMore(sel, text string) {
	j.t.Helper()
	j.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// closeDialogByButton presses the open dialog's Close button.
func (j *journey) closeDialogByButton() {
	j.t.Helper()
	j.click(`dialog[open] .dialog-head button[data-close]`)
	j.dialogClosed()
}
