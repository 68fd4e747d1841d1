package views

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// templDecl is a templ component's declaration: its name and parameters.
var templDecl = regexp.MustCompile(`(?m)^templ\s+(?:\([^)]*\)\s*)?(\w+)\(([^)]*)\)`)

// pageParam is a parameter of type Page (or *Page): the request's page, which
// only the context carries.
var pageParam = regexp.MustCompile(`(^|[^.\w])\*?Page$`)

// The request's page is on the context (WithPage, pageOf); no component
// takes it as an argument, so there is one way to reach it.
func TestPage_NoComponentTakesThePage(t *testing.T) {
	files, err := filepath.Glob("*.templ")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templ files found: %v", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range templDecl.FindAllStringSubmatch(string(src), -1) {
			for _, param := range strings.Split(m[2], ",") {
				if pageParam.MatchString(strings.TrimSpace(param)) {
					t.Errorf("%s: component %s takes the page as a parameter (%s); read pageOf(ctx) instead",
						f, m[1], strings.TrimSpace(param))
				}
			}
		}
	}
}
