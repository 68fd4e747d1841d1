// Package views holds the console's templ components. Components only
// display: every figure arrives computed in the props they are given.
package views

import (
	"context"
	"net/url"
	"time"

	"activation-console/store"
)

// Page is what the layout and the components need of the request, built once
// per request (handlers/viewer.go). The request's page is on the context:
// render puts it there (WithPage) and a component reads it with pageOf(ctx),
// usually once at its top ({{ p := pageOf(ctx) }}). Components never take it
// as an argument (page_test.go checks), and the data center, the
// anti-forgery token and the URLs of the routes are not copied into props.
type Page struct {
	Title       string
	Nav         string // the navigation entry to mark current: overview, near-expiry, recipients, webhooks, audit, settings
	UserEmail   string
	UserRole    store.Role
	AccountName string
	DC          string // the data center shown
	DCs         []store.DataCenter
	CSRF        string
	Flash       string
	Support     bool // a support user reading a customer's account
	Enterprise  bool // the account may have sub-accounts
	Loc         *time.Location
	Path        string // the page's own path and query: where the language switch returns to
	// Reverse builds the path of the route called name (package
	// handlers/routenames) with params; a route under a data center takes
	// dc first (handlers/paths.go).
	Reverse func(dc, name string, params ...any) string
}

// URL is the path of the route called name (a routenames constant) with
// params, in the page's data center when the route is under one.
func (p Page) URL(name string, params ...any) string { return p.Reverse(p.DC, name, params...) }

// WithQuery adds the query q, when there is one, to the path of a route.
func WithQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

type pageKey struct{}

// WithPage puts the request's page on ctx, for the components to read.
func WithPage(ctx context.Context, p Page) context.Context {
	return context.WithValue(ctx, pageKey{}, p)
}

// pageOf is the request's page, which the handler put on ctx (WithPage).
func pageOf(ctx context.Context) Page {
	p, _ := ctx.Value(pageKey{}).(Page)
	return p
}

// DCName is the display name of the page's data center.
func (p Page) DCName() string {
	for _, dc := range p.DCs {
		if dc.Code == p.DC {
			return dc.Name
		}
	}
	return p.DC
}

// IsOwner tells whether the viewer owns the account (sub-accounts are the owner's to manage).
func (p Page) IsOwner() bool { return p.UserRole == store.RoleOwner }
