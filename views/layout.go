package views

import (
	"encoding/json"

	"github.com/a-h/templ"
)

// htmxConfig keeps htmx within the Content-Security-Policy (no eval, no
// injected styles, same-origin requests only) and lets 422 responses (a form
// with its errors) swap in like successes.
//
// attributesToSettle leaves out htmx's default "style": while settling a
// swap, htmx copies the settle attributes of the element it replaces onto
// the new one with the same id, by setAttribute. An element that got a
// style from script (a browser extension, a password manager, the
// browser's tools: all allowed, through the CSSOM) thus has its style
// written as an attribute, which the policy (style-src 'self') blocks and
// the browser reports as a violation. The console's transitions are classes
// (static/app.css); it has no style attribute to settle.
const htmxConfig = `{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false,"selfRequestsOnly":true,` +
	`"attributesToSettle":["class","width","height"],` +
	`"historyCacheSize":0,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},` +
	`{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true}]}`

// csrfHeaders is the hx-headers value that sends the anti-forgery token with every htmx request.
func csrfHeaders(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}

// ariaCurrent is "page" for the current navigation entry, nothing otherwise.
func ariaCurrent(current bool) templ.Attributes {
	if current {
		return templ.Attributes{"aria-current": "page"}
	}
	return templ.Attributes{}
}

// invalidFor marks a control invalid when msg is set and points it at the
// element (errorID) that says why.
func invalidFor(msg, errorID string) templ.Attributes {
	if msg == "" {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-invalid": "true", "aria-describedby": errorID}
}
