package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// listPages are the console's list pages, each with a date parameter it
// refuses when it is not a date.
func listPages(t *testing.T, f *licenseConsole) map[string]struct{ path, badDate string } {
	p := f.product(t, "PK-1", "Thermostat")
	return map[string]struct{ path, badDate string }{
		"ProductCodes":      {"/eu-frankfurt/licenses", ""},
		"AssignmentHistory": {"/eu-frankfurt/licenses/history", "from"},
		"ProductDevices":    {"/eu-frankfurt/products/" + strconv.FormatInt(p.ID, 10), "activated_from"},
		"NearExpiry":        {"/eu-frankfurt/near-expiry", "expires_to"},
		"AuditLog":          {"/eu-frankfurt/audit", "to"},
	}
}

// getWith fetches path with the browser's cookies and the given request headers.
func (b *browser) getWith(path string, headers map[string]string) (*httptest.ResponseRecorder, *goquery.Document) {
	b.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	u := site.ResolveReference(&url.URL{Path: req.URL.Path})
	for _, c := range b.jar.Cookies(u) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, req)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if err != nil {
		b.t.Fatal(err)
	}
	return rec, doc
}

// TestListPage_RenderDecidesWholePageOrResults: every list page sends its
// results alone to an htmx request that swaps them, and the whole page to
// a plain request, a boosted one, a history restore and a swap of #main.
func TestListPage_RenderDecidesWholePageOrResults(t *testing.T) {
	f := newLicenseConsole(t)
	pages := listPages(t, f)
	b := f.owner(t)
	for name, page := range pages {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				name    string
				headers map[string]string
				whole   bool
			}{
				{"Plain", nil, true},
				{"Htmx", map[string]string{"HX-Request": "true", "HX-Target": "results"}, false},
				{"Boosted", map[string]string{"HX-Request": "true", "HX-Boosted": "true"}, true},
				{"HistoryRestore", map[string]string{"HX-Request": "true", "HX-History-Restore-Request": "true"}, true},
				{"SwapOfMain", map[string]string{"HX-Request": "true", "HX-Target": "main"}, true},
			} {
				rec, doc := b.getWith(page.path, tc.headers)
				wantStatus(t, rec, http.StatusOK)
				if !slices.Contains(rec.Header().Values("Vary"), "HX-Request") {
					t.Errorf("%s: Vary %q", tc.name, rec.Header().Values("Vary"))
				}
				whole := doc.Find("header").Length() > 0
				if whole != tc.whole || doc.Find("#results").Length() != 1 {
					t.Errorf("%s: whole page %v, want %v; %d #results", tc.name, whole, tc.whole, doc.Find("#results").Length())
				}
				if !whole && doc.Find("html body > #results").Length() != 1 {
					t.Errorf("%s: the fragment is not the results alone", tc.name)
				}
			}
		})
	}
}

// TestListPage_RefusedDateIs422WithTheReason: a date that is not a date
// leaves the list unfiltered by it, says why, and answers 422, in the whole
// page and in the results alike; the pager's links leave it out.
func TestListPage_RefusedDateIs422WithTheReason(t *testing.T) {
	f := newLicenseConsole(t)
	pages := listPages(t, f)
	b := f.owner(t)
	for name, page := range pages {
		if page.badDate == "" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			for _, htmx := range []bool{false, true} {
				rec, doc := b.get(page.path+"?"+page.badDate+"=31.02.2027", htmx)
				wantStatus(t, rec, http.StatusUnprocessableEntity)
				if msg := text(doc.Find("#results [role=alert]")); !strings.Contains(msg, "is not a date") {
					t.Errorf("htmx %v: message %q", htmx, msg)
				}
				doc.Find("#results a[download]").Each(func(_ int, s *goquery.Selection) {
					if href, _ := s.Attr("href"); strings.Contains(href, page.badDate) {
						t.Errorf("htmx %v: the CSV link keeps the refused date: %s", htmx, href)
					}
				})
			}
		})
	}
}

// TestListPage_ExportsCSV: ?format=csv answers every list page with its export.
func TestListPage_ExportsCSV(t *testing.T) {
	f := newLicenseConsole(t)
	pages := listPages(t, f)
	b := f.owner(t)
	for name, page := range pages {
		t.Run(name, func(t *testing.T) {
			rec := b.do(http.MethodGet, page.path+"?format=csv", nil, false)
			wantStatus(t, rec, http.StatusOK)
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// TestRender_FragmentForTheTarget: a part of a page that refreshes itself
// (a page of the blacklist) gets its own fragment; the dialog's other
// requests get the dialog.
func TestRender_FragmentForTheTarget(t *testing.T) {
	f := newProductConsole(t, 0)
	f.blacklist(t, true, "k-1")
	b := f.owner(t)
	_, doc := b.getWith(f.path("/blacklist"), map[string]string{"HX-Request": "true", "HX-Target": "blacklist-list"})
	if doc.Find("html body > #blacklist-list").Length() != 1 || doc.Find("dialog").Length() != 0 {
		t.Errorf("a page of the list is not the list alone")
	}
	_, doc = b.getWith(f.path("/blacklist"), map[string]string{"HX-Request": "true", "HX-Target": "dialog"})
	if doc.Find("dialog #blacklist-list").Length() != 1 || doc.Find("header").Length() != 0 {
		t.Errorf("the dialog is not the dialog alone")
	}
}
