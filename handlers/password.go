package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// passwordForm is the change-password page.
func (h *Handler) passwordForm(c echo.Context) error {
	p := h.page(c, "Change password", "settings")
	return h.render(c, http.StatusOK, p, views.Password(p, views.PasswordForm{}), nil)
}

// changePassword checks the current password, sets the new one, ends every
// other session and keeps this browser signed in with a fresh session id.
func (h *Handler) changePassword(c echo.Context) error {
	v := currentViewer(c)
	id, err := h.store.ChangePassword(c.Request().Context(), v.user.ID, c.FormValue("old_password"), c.FormValue("new_password"))
	if e, ok := store.AsError(err); ok && e.Kind == store.KindInvalid {
		p := h.page(c, "Change password", "settings")
		return h.render(c, http.StatusUnprocessableEntity, p, views.Password(p, views.PasswordForm{
			Errors: map[string]string{e.Field: upperFirst(e.Message) + "."}}), nil)
	}
	if err != nil {
		return err
	}
	if err := h.setSessionCookie(c, id); err != nil {
		return err
	}
	if err := h.store.SetFlash(c.Request().Context(), id, "Your password is changed. Other devices are signed out."); err != nil {
		return err
	}
	return redirect(c, "/"+c.Param("dc")+"/settings")
}
