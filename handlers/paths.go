package handlers

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// Every URL the console hands out, in a redirect, a header, a page or a
// mail, is built from a route's name (package routenames) and its
// parameters, so that a path is written once, in routes.go.

// dcParam is the path parameter of the routes under a data center.
const dcParam = ":dc"

// routeTable reverses the server's named routes.
type routeTable struct {
	e       *echo.Echo
	underDC map[string]bool // route name -> whether its path starts with the data center
}

func newRouteTable(e *echo.Echo) routeTable {
	t := routeTable{e: e, underDC: map[string]bool{}}
	for _, r := range e.Routes() {
		first, _, _ := strings.Cut(strings.TrimPrefix(r.Path, "/"), "/")
		t.underDC[r.Name] = first == dcParam
	}
	return t
}

// path returns the path of the route called name with params, each escaped
// as one path segment, in the order of the route's parameters. A route under
// a data center takes dc as its first parameter. A name no route has, or a
// data-center route without a data center, is a mistake in the code: it
// panics (the request answers 500).
func (t routeTable) path(dc, name string, params ...any) string {
	underDC, ok := t.underDC[name]
	if !ok {
		panic("handlers: no route named " + name)
	}
	if underDC {
		if dc == "" {
			panic("handlers: route " + name + " needs a data center")
		}
		params = append([]any{dc}, params...)
	}
	escaped := make([]any, len(params))
	for i, p := range params {
		escaped[i] = url.PathEscape(fmt.Sprint(p))
	}
	return t.e.Reverse(name, escaped...)
}

// Reverse builds the paths of the console's named routes outside a
// request, for the links of alert mails: reverse(dc, name, params...)
// gives what url does in a request of data center dc.
func Reverse() func(dc, name string, params ...any) string {
	h := New(Config{Logger: slog.New(slog.DiscardHandler)})
	NewServer(h)
	return h.routes.path
}

// url is the path of the route called name with params; a route under a
// data center gets the request's.
func (h *Handler) url(c echo.Context, name string, params ...any) string {
	return h.routes.path(c.Param("dc"), name, params...)
}

// urlIn is the path of the route called name with params in data center dc.
func (h *Handler) urlIn(dc, name string, params ...any) string {
	return h.routes.path(dc, name, params...)
}
