package handlers

import (
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// viewer is the signed-in person behind a request and what they may see.
type viewer struct {
	sessionID string
	session   store.Session
	user      store.User
	account   store.Account // zero for support staff until they open an account
	products  []int64       // a sub-account's chosen products; nil: all of the account
	loc       *time.Location
}

// support tells whether the viewer is platform support staff (read-only).
func (v *viewer) support() bool { return v.user.Role == store.RoleSupport }

// canManage tells whether the viewer may change codes and renewal
// (docs/access.md, "Roles").
func (v *viewer) canManage() bool {
	return v.user.Role == store.RoleOwner || (v.user.Role == store.RoleMember && v.user.ManageLicenses)
}

const viewerKey = "viewer"

func currentViewer(c echo.Context) *viewer {
	v, _ := c.Get(viewerKey).(*viewer)
	return v
}

// page builds the layout's props for the current request.
func (h *Handler) page(c echo.Context, title, nav string) views.Page {
	v := currentViewer(c)
	dc := c.Param("dc")
	if dc == "" {
		dc = v.account.HomeDC
	}
	return views.Page{Title: title, Nav: nav, UserEmail: v.user.Email, UserRole: v.user.Role,
		AccountName: v.account.Name, DC: dc, DCs: h.dcs, CSRF: v.session.CSRFToken,
		Flash: v.session.Flash, Loc: v.loc, Support: v.support(), Enterprise: v.account.Type == "enterprise",
		Reverse: h.routes.path, Path: c.Request().URL.RequestURI()}
}

// barePage is the page of a request outside the layout: before sign-in only
// the URLs, for a signed-in person also their anti-forgery token.
func (h *Handler) barePage(c echo.Context) views.Page {
	p := views.Page{DC: c.Param("dc"), Reverse: h.routes.path}
	if v := currentViewer(c); v != nil {
		p.CSRF = v.session.CSRFToken
	}
	return p
}

// flash leaves a message for the page the browser is sent to next.
func (h *Handler) flash(c echo.Context, message string) {
	if v := currentViewer(c); v != nil {
		if err := h.store.SetFlash(c.Request().Context(), v.sessionID, message); err != nil {
			h.log.Warn("handlers: flash", "err", err)
		}
	}
}

// scope is what the viewer may see in the data center of the path.
func (h *Handler) scope(c echo.Context) store.Scope {
	v := currentViewer(c)
	return store.Scope{AccountID: v.account.ID, DC: c.Param("dc"), ProductIDs: v.products}
}

// actor names the viewer in histories and the audit log.
func (h *Handler) actor(c echo.Context) store.Actor {
	v := currentViewer(c)
	return store.Actor{UserID: v.user.ID, Name: v.user.Email}
}
