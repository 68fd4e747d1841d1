package views

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"activation-console/store"
)

func TestNewPager_KeepsTheFiltersInEveryLink(t *testing.T) {
	keep := url.Values{"q": {"thermo & co"}, "from": {"2027-01-02"}}
	p := NewPager("/eu-frankfurt/licenses", keep, store.Page[int]{Rows: []int{1, 2}, Prev: "P", Next: "N"})
	want := Pager{Shown: 2,
		Prev:  "/eu-frankfurt/licenses?before=P&from=2027-01-02&q=thermo+%26+co",
		Next:  "/eu-frankfurt/licenses?after=N&from=2027-01-02&q=thermo+%26+co",
		CSV:   "/eu-frankfurt/licenses?format=csv&from=2027-01-02&q=thermo+%26+co",
		Clear: "/eu-frankfurt/licenses"}
	if p != want {
		t.Fatalf("pager\n %+v\nwant\n %+v", p, want)
	}
	if keep.Get("before") != "" || keep.Get("after") != "" || keep.Get("format") != "" {
		t.Errorf("the filters were changed: %v", keep)
	}
	if p.Alone() {
		t.Error("a page with neighbours is alone")
	}
}

func TestNewPager_NoLinkWithoutANeighbour(t *testing.T) {
	p := NewPager("/eu-frankfurt/audit", nil, store.Page[int]{})
	if p.Prev != "" || p.Next != "" || !p.Alone() {
		t.Errorf("pager of a single page: %+v", p)
	}
	if p.CSV != "/eu-frankfurt/audit?format=csv" || p.Clear != "/eu-frankfurt/audit" {
		t.Errorf("CSV %q, Clear %q", p.CSV, p.Clear)
	}
}

func TestPagerNav(t *testing.T) {
	render := func(p Pager) string {
		var b strings.Builder
		if err := p.Nav().Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	none := render(Pager{})
	if !strings.Contains(none, "No rows") || strings.Contains(none, "<a ") {
		t.Errorf("an empty page: %s", none)
	}
	html := render(Pager{Shown: 2, Next: "/x?after=N"})
	for _, want := range []string{"Showing 2 rows", `href="/x?after=N"`, `hx-get="/x?after=N"`, `hx-target="#results"`, `hx-push-url="true"`, "Next →"} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %q in %s", want, html)
		}
	}
	if strings.Contains(html, "Previous") {
		t.Errorf("a link to no previous page: %s", html)
	}
}

func TestPagerNavIn_SwapsTheDialogsListAndLeavesTheAddress(t *testing.T) {
	var b strings.Builder
	if err := (Pager{Shown: 50, Prev: "/x?before=P"}).NavIn("blacklist-list").Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{`href="/x?before=P"`, `hx-target="#blacklist-list"`, `hx-select="#blacklist-list"`, `hx-push-url="false"`, "← Previous"} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %q in %s", want, html)
		}
	}
	if strings.Contains(html, "#results") || strings.Contains(html, "Next") {
		t.Errorf("the results' target, or a link to no next page: %s", html)
	}
}
