package handlers

import (
	"net/url"
	"strings"
	"unicode"
)

// Redirect targets come from the request (the sign-in's next, a dialog's
// return field), so a hostile link can choose them. A browser reads a
// Location header the WHATWG URL way: it drops tabs and newlines anywhere,
// trims control characters and spaces at the ends, and takes a backslash
// for a slash, so "/\evil.example" and "/\t/evil.example" lead to another
// host (docs/SECURITY.md, "Redirects"). sitePath does what the browser will
// do, against this site's own URL, and keeps only what stays on it.

// siteBase stands for the console's own URL when resolving a target.
var siteBase = &url.URL{Scheme: "https", Host: "console.invalid", Path: "/"}

// maxRedirectLength bounds a target; nothing of the console's is longer.
const maxRedirectLength = 2048

// sitePath returns the path (and query) of this site a browser would go to
// when redirected to target, cleaned and re-encoded, or false when target
// leaves the site or is not an absolute path.
func sitePath(target string) (string, bool) {
	if len(target) > maxRedirectLength {
		return "", false
	}
	s := strings.TrimFunc(target, func(r rune) bool { return r <= ' ' })
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(s)
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return "", false // relative, or a host ("//evil.example")
	}
	ref, err := url.Parse(s)
	if err != nil || ref.Scheme != "" || ref.Host != "" || ref.User != nil || ref.Opaque != "" {
		return "", false
	}
	res := siteBase.ResolveReference(ref)
	path := res.EscapedPath()
	// A decoded backslash or control character, or a path that after dot
	// segments begins with "//" ("/.//evil.example", "/%2F/evil.example"),
	// would let another parser along the way see a host.
	if res.Scheme != siteBase.Scheme || res.Host != siteBase.Host || !strings.HasPrefix(path, "/") ||
		strings.HasPrefix(path, "//") || strings.HasPrefix(res.Path, "//") ||
		strings.ContainsRune(res.Path, '\\') || strings.ContainsFunc(res.Path, unicode.IsControl) {
		return "", false
	}
	if q := cleanQuery(res.RawQuery); q != "" {
		path += "?" + q
	}
	return path, true
}

// returnPath accepts target, a form's or dialog's "return to" page, only
// when it is a page of data center dc on this site and already in
// sitePath's clean form, so it can be sent as it is.
func returnPath(dc, target string) bool {
	clean, ok := sitePath(target)
	first, _, under := strings.Cut(strings.TrimPrefix(clean, "/"), "/")
	return ok && clean == target && first == dc && under
}

// cleanQuery keeps a query whose bytes all belong in a URL's query as it
// is, so parameters keep their order; anything else is re-encoded.
func cleanQuery(q string) string {
	for i := 0; i < len(q); i++ {
		c := q[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=:@/?%", c) >= 0) {
			values, _ := url.ParseQuery(q)
			return values.Encode()
		}
	}
	return q
}
