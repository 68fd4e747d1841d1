package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/views"
)

// unassignedDialog is the "View" of the overview's Unassigned figure: the
// unassigned codes per package with each package's allowance
// (docs/pages.md, "1. License overview").
func (h *Handler) unassignedDialog(c echo.Context) error {
	pkgs, err := h.store.UnassignedPackages(c.Request().Context(), h.scope(c))
	if err != nil {
		return err
	}
	p := h.page(c, views.T(c.Request().Context(), "overview.unassigned_codes.title"), "overview")
	u := views.Unassigned{Packages: pkgs, CanManage: currentViewer(c).canManage(),
		AssignURL: assignURL(p, 0, h.url(c, routenames.Overview))}
	return h.render(c, http.StatusOK, p, views.UnassignedPage(u), views.UnassignedDialog(u))
}
