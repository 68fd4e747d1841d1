// Package views holds the console's templ components. Components only
// display: every figure arrives computed in the props they are given.
package views

import (
	"time"

	"activation-console/store"
)

// Page is what the layout needs on every page, built once per request.
type Page struct {
	Title       string
	Nav         string // the navigation entry to mark current: overview, near-expiry, recipients, audit, settings
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
}

// DCPath is a path under the page's data center, e.g. DCPath("/licenses").
func (p Page) DCPath(path string) string { return "/" + p.DC + path }

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
