package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/views"
)

// supportSearch is the support staff's account search (docs/access.md, "Roles").
func (h *Handler) supportSearch(c echo.Context) error {
	v := currentViewer(c)
	q := strings.TrimSpace(c.QueryParam("q"))
	matches, err := h.store.FindAccounts(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return h.renderBare(c, http.StatusOK, views.SupportSearch(views.SupportSearchPage{
		Email: v.user.Email, Flash: v.session.Flash, Query: q, Matches: matches, ReturnTo: c.Request().URL.RequestURI()}))
}

// openSupportView opens an account read-only for a support user and
// records it in that account's audit log.
func (h *Handler) openSupportView(c echo.Context) error {
	v := currentViewer(c)
	id, err := pathID(c, "account")
	if err != nil {
		return err
	}
	if err := h.store.OpenSupportView(c.Request().Context(), v.sessionID, v.user, id); err != nil {
		return err
	}
	acc, err := h.store.Account(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, h.urlIn(acc.HomeDC, routenames.Overview))
}
