package handlers

import (
	"net/url"
	"strings"
	"testing"
)

// browserHost is where a WHATWG browser goes for a Location header of
// target on https://console.invalid/: "" when it stays on the site.
func browserHost(target string) string {
	s := strings.TrimFunc(target, func(r rune) bool { return r <= ' ' })
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(s)
	u, err := url.Parse(s)
	if err != nil {
		return "unparsable"
	}
	if strings.HasPrefix(s, "//") || u.Host != "" || u.Scheme != "" {
		return "elsewhere"
	}
	return ""
}

func TestSitePath_KeepsRedirectsOnTheSite(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/eu-frankfurt/near-expiry?dk=x", "/eu-frankfurt/near-expiry?dk=x"},
		{"/eu-frankfurt/licenses", "/eu-frankfurt/licenses"},
		{"/a/./b/../c", "/a/c"},
		{"/caf\u00e9?q=a b", "/caf%C3%A9?q=a+b"},
		{" /eu-frankfurt/licenses\t", "/eu-frankfurt/licenses"},
		{"/eu-\tfrank\nfurt/licenses", "/eu-frankfurt/licenses"},
		{"/x?next=//evil.example", "/x?next=//evil.example"}, // a query is no host
		// Every one of these leads a browser to another host, or is not a path.
		{"//evil.example", ""},
		{"///evil.example", ""},
		{"/\\evil.example", ""},
		{"\\\\evil.example", ""},
		{"/\\/evil.example", ""},
		{"/\t/evil.example", ""},
		{"/\n/evil.example", ""},
		{"/\r\n/evil.example", ""},
		{" //evil.example", ""},
		{"\x00//evil.example", ""},
		{"/%5Cevil.example", ""},
		{"/%5cevil.example", ""},
		{"/%2F/evil.example", ""},
		{"/%2f%2fevil.example", ""},
		{"/.//evil.example", ""},
		{"/a/..//evil.example", "/evil.example"}, // a browser stays on the site too, at //evil.example
		{"https://evil.example/", ""},
		{"https:/evil.example", ""},
		{"javascript:alert(1)", ""},
		{"evil.example", ""},
		{"", ""},
		{"/x%00y", ""},
		{"/x%0d%0aSet-Cookie:a=b", ""},
		{"/" + strings.Repeat("a", 3000), ""},
	} {
		got, ok := sitePath(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("sitePath(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
		if ok && browserHost(got) != "" {
			t.Errorf("sitePath(%q) = %q, which a browser takes elsewhere", tc.in, got)
		}
		if returnPath("eu-frankfurt", tc.in) && (!ok || got != tc.in) {
			t.Errorf("returnPath accepts %q as it is", tc.in)
		}
	}
}

func TestReturnPath_OnlyCleanPagesOfTheDataCenter(t *testing.T) {
	for _, tc := range []struct {
		target string
		want   bool
	}{
		{"/eu-frankfurt/near-expiry?dk=x", true},
		{"/eu-frankfurt/products/7", true},
		{"/us-virginia/products/7", false}, // another data center
		{"/eu-frankfurt", false},           // not a page under it
		{"/eu-frankfurtx/licenses", false},
		{"/eu-frankfurt/./licenses", false}, // not in clean form
		{"/eu-frankfurt/x?q=a b", false},
		{"//evil.example/eu-frankfurt/", false},
		{"/\\evil.example", false},
		{"https://evil.example/eu-frankfurt/", false},
		{"", false},
	} {
		if got := returnPath("eu-frankfurt", tc.target); got != tc.want {
			t.Errorf("returnPath(%q) = %v, want %v", tc.target, got, tc.want)
		}
	}
}

func FuzzSitePath(f *testing.F) {
	for _, s := range []string{"/a?b=c", "//evil.example", "/\\evil.example", "/%5Cevil.example", "/\t/evil.example", "/.//x", "/%2F/x", "https://x", "/é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		got, ok := sitePath(target)
		if !ok {
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || u.User != nil || !strings.HasPrefix(got, "/") ||
			strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\r\n\x00 ") || browserHost(got) != "" {
			t.Fatalf("sitePath(%q) = %q, which leaves the site (%v, host %q)", target, got, err, u.Host)
		}
		if again, ok := sitePath(got); !ok || again != got {
			t.Fatalf("sitePath(%q) = %q, then %q, %v", target, got, again, ok)
		}
	})
}
