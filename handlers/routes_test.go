package handlers

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// routeName is the shape of a routenames constant; echo's default name, the
// handler's function name, never has it.
var routeName = regexp.MustCompile(`^[a-z][a-z0-9.-]*$`)

// namedRoutes are the server's routes, less the catch-alls echo adds for
// groups with middleware.
func namedRoutes(e *echo.Echo) []*echo.Route {
	var routes []*echo.Route
	for _, r := range e.Routes() {
		if r.Method != echo.RouteNotFound {
			routes = append(routes, r)
		}
	}
	return routes
}

func TestRoutes_EveryRouteHasItsOwnName(t *testing.T) {
	e := NewServer(New(Config{Logger: slog.New(slog.DiscardHandler)}))
	seen := map[string]string{}
	routes := namedRoutes(e)
	if len(routes) < 40 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, r := range routes {
		route := r.Method + " " + r.Path
		if !routeName.MatchString(r.Name) {
			t.Errorf("%s has no name from routenames (%q)", route, r.Name)
		}
		if other, ok := seen[r.Name]; ok {
			t.Errorf("%s and %s are both named %q", route, other, r.Name)
		}
		seen[r.Name] = route
	}
}

// Reversing a route's name with sample parameters gives a path that routes
// back to the same route, with the same parameters.
func TestRoutes_ReversedNamesRouteBack(t *testing.T) {
	h := New(Config{Logger: slog.New(slog.DiscardHandler)})
	e := NewServer(h)
	for _, r := range namedRoutes(e) {
		var params []any
		var want []string
		for _, seg := range strings.Split(r.Path, "/") {
			switch {
			case seg == dcParam:
				// filled in by urlIn
			case strings.HasPrefix(seg, ":") || seg == "*":
				v := "x" + seg[1:] + "7"
				params, want = append(params, v), append(want, v)
			}
		}
		path := h.urlIn("eu-frankfurt", r.Name, params...)
		c := e.NewContext(httptestRequest(r.Method, path), nil)
		e.Router().Find(r.Method, path, c)
		if c.Path() != r.Path {
			t.Errorf("%s %s: reversed to %q, which routes to %q", r.Method, r.Path, path, c.Path())
			continue
		}
		if strings.HasPrefix(r.Path, "/"+dcParam+"/") && c.Param("dc") != "eu-frankfurt" {
			t.Errorf("%s: data center %q", path, c.Param("dc"))
		}
		names := c.ParamNames()
		var got []string
		for i, n := range names {
			if n != "dc" {
				got = append(got, c.ParamValues()[i])
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: parameters %v, want %v", path, got, want)
		}
	}
}

func httptestRequest(method, path string) *http.Request {
	r, _ := http.NewRequest(method, path, nil)
	return r
}

// No path is built by hand in handlers/ and views/: every URL comes from a
// route's name. (body_limit.go lists a route's literal path on purpose.)
func TestRoutes_NoHandBuiltPaths(t *testing.T) {
	banned := regexp.MustCompile(`"/" ?\+|\+ ?"/"|DCPath`)
	for _, dir := range []string{".", "../views"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "journeys") {
				return filepath.SkipDir
			}
			name := d.Name()
			if d.IsDir() || strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, "_templ.go") ||
				!(strings.HasSuffix(name, ".go") || strings.HasSuffix(name, ".templ")) {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i, line := range strings.Split(string(src), "\n") {
				if banned.MatchString(line) {
					t.Errorf("%s:%d builds a path by hand: %s", path, i+1, strings.TrimSpace(line))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
