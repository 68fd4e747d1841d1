package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/views"
)

// passwordForm is the change-password page, for everyone signed in: it lies
// outside the data centers, so support staff reach it too.
func (h *Handler) passwordForm(c echo.Context) error {
	return h.renderPassword(c, http.StatusOK, views.PasswordForm{})
}

// changePassword checks the current password, sets the new one, ends every
// other session and keeps this browser signed in with a fresh session id.
func (h *Handler) changePassword(c echo.Context) error {
	v := currentViewer(c)
	id, err := h.store.ChangePassword(c.Request().Context(), v.user.ID, c.FormValue("old_password"), c.FormValue("new_password"))
	if errs := views.NewFormErrors("old_password", "new_password"); errs.Absorb(c.Request().Context(), err) {
		return h.renderPassword(c, http.StatusUnprocessableEntity, views.PasswordForm{Errors: errs})
	}
	if err != nil {
		return err
	}
	if err := h.setSessionCookie(c, id); err != nil {
		return err
	}
	if err := h.store.SetFlash(c.Request().Context(), id, views.T(c.Request().Context(), "password.changed")); err != nil {
		return err
	}
	return redirect(c, h.passwordBack(v))
}

// renderPassword shows the page in the viewer's frame: support staff read
// no account of their own, so theirs is the support search's.
func (h *Handler) renderPassword(c echo.Context, status int, f views.PasswordForm) error {
	v := currentViewer(c)
	f.Back = h.passwordBack(v)
	if v.support() {
		return h.renderBare(c, status, views.PasswordBare(v.user.Email, f))
	}
	p := h.page(c, views.T(c.Request().Context(), "password.title"), "settings")
	return h.render(c, status, p, views.Password(f), nil)
}

// passwordBack is where the viewer goes from the password page: their
// settings, or the support search.
func (h *Handler) passwordBack(v *viewer) string {
	if v.support() {
		return h.urlIn("", routenames.Support)
	}
	return h.urlIn(v.account.HomeDC, routenames.Settings)
}
