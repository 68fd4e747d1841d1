package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// setAlertThreshold sets how few available codes make a product alert
// (docs/alerts.md, "What raises an alert"), for the whole account. Like the list, the owner and
// every sub-account keep it; the change is audited.
func (h *Handler) setAlertThreshold(c echo.Context) error {
	form := views.ThresholdForm{Value: strings.TrimSpace(c.FormValue("threshold")), Errors: views.NewFormErrors("threshold")}
	n, err := strconv.Atoi(strings.ReplaceAll(form.Value, ",", ""))
	if err != nil || n < 0 || n > store.MaxAlertThreshold {
		form.Errors.Set("threshold", views.T(c.Request().Context(), "alerts.threshold_range"))
		if form.Value == "" {
			form.Errors.Set("threshold", views.T(c.Request().Context(), "alerts.threshold_missing"))
		}
		return h.renderThreshold(c, form)
	}
	err = h.store.SetAlertThreshold(c.Request().Context(), h.scope(c), store.AlertThresholdInput{Threshold: n, Actor: h.actor(c)})
	if form.Errors.Absorb(c.Request().Context(), err) {
		return h.renderThreshold(c, form)
	}
	if err != nil {
		return err
	}
	h.flash(c, views.Tn(c.Request().Context(), "alerts.threshold_saved", n))
	return redirect(c, h.url(c, routenames.Recipients))
}

// renderThreshold answers a refused threshold: htmx gets the form with the
// message (422), a plain form the whole page with it.
func (h *Handler) renderThreshold(c echo.Context, form views.ThresholdForm) error {
	if isPartial(c) {
		p := h.page(c, views.T(c.Request().Context(), "recipients.title"), "recipients")
		return h.render(c, http.StatusUnprocessableEntity, p, nil, views.ThresholdCard(form))
	}
	return h.renderRecipients(c, http.StatusUnprocessableEntity, views.Recipients{Threshold: form})
}
