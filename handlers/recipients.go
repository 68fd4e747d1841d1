package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// recipients is page 7 (SPEC section 6.7): who receives the account's
// resource alerts. The owner and every sub-account may keep the list.
func (h *Handler) recipients(c echo.Context) error {
	return h.renderRecipients(c, http.StatusOK, views.Recipients{})
}

// addRecipient adds a person to the list. htmx gets the list and form again
// (422 with the message next to the field when refused); a plain form is
// sent back to the page.
func (h *Handler) addRecipient(c echo.Context) error {
	v := currentViewer(c)
	form := views.RecipientForm{Name: c.FormValue("name"), Email: c.FormValue("email"), Errors: map[string]string{}}
	r, err := h.store.AddRecipient(c.Request().Context(), v.account.ID, form.Name, form.Email, h.actor(c))
	if e, ok := store.AsError(err); ok && (e.Kind == store.KindInvalid || e.Kind == store.KindConflict) {
		if e.Field == "name" || e.Field == "email" {
			form.Errors[e.Field] = sentence(e.Message)
		} else {
			form.Error = sentence(e.Message)
		}
		return h.renderRecipients(c, http.StatusUnprocessableEntity, views.Recipients{Form: form, Focus: true})
	}
	if err != nil {
		return err
	}
	return h.recipientsChanged(c, describeRecipient(r)+" will now receive alerts.")
}

// deleteRecipient takes a person off the list.
func (h *Handler) deleteRecipient(c echo.Context) error {
	v := currentViewer(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	r, err := h.store.RemoveRecipient(c.Request().Context(), v.account.ID, id, h.actor(c))
	if err != nil { // unknown: removed meanwhile, or never this account's: 404 either way
		return err
	}
	return h.recipientsChanged(c, describeRecipient(r)+" no longer receives alerts.")
}

// recipientsChanged answers a change: htmx gets the list with the message
// inline, a plain form a redirect to the page with the message.
func (h *Handler) recipientsChanged(c echo.Context, msg string) error {
	if isPartial(c) {
		return h.renderRecipients(c, http.StatusOK, views.Recipients{Status: msg, Focus: true})
	}
	h.flash(c, msg)
	return redirect(c, "/"+c.Param("dc")+"/recipients")
}

// renderRecipients reads the list and shows the page, or for htmx the list
// and form only.
func (h *Handler) renderRecipients(c echo.Context, status int, r views.Recipients) error {
	v := currentViewer(c)
	var err error
	if r.List, err = h.store.Recipients(c.Request().Context(), v.account.ID); err != nil {
		return err
	}
	p := h.page(c, "Alert recipients", "recipients")
	partial := views.RecipientsPanel(p, r)
	return h.render(c, status, p, views.RecipientsPage(p, r), partial)
}

// sendTestAlert sends a test alert to the owner and every recipient, so
// that they can check it reaches them. Until a mail server is configured it
// is written to the console's log, and the page says so.
func (h *Handler) sendTestAlert(c echo.Context) error {
	v := currentViewer(c)
	ctx := c.Request().Context()
	list, err := h.store.Recipients(ctx, v.account.ID)
	if err != nil {
		return err
	}
	var to []string
	for _, r := range list {
		to = append(to, r.Email)
	}
	how, err := h.alerts.SendAlert(ctx, testAlert(v, to, h.store.Now()))
	if err != nil {
		h.logInternal(c, err)
		return echo.NewHTTPError(http.StatusBadGateway, "The test alert could not be sent. Try again in a few minutes.")
	}
	msg := fmt.Sprintf("Test alert sent to %s.", recipientCount(len(to)))
	if how == DeliveryLogged {
		msg = fmt.Sprintf("Test alert written to the console log for %s (no mail server is configured).", recipientCount(len(to)))
	}
	if isPartial(c) {
		return h.render(c, http.StatusOK, views.Page{}, views.TestAlertStatus(msg), nil)
	}
	h.flash(c, msg)
	return redirect(c, "/"+c.Param("dc")+"/recipients")
}

// testAlert is the test alert's e-mail.
func testAlert(v *viewer, to []string, now time.Time) Alert {
	body := "This is a test alert from the activation code console for the account " + v.account.Name + ".\n\n" +
		"Resource alerts are sent to the account owner and to every alert recipient when:\n" +
		"- a product's available activation codes fall to " + strconv.Itoa(v.account.AlertThreshold) + " or fewer,\n" +
		"- more devices are due to renew in the next 30 days than a product has available codes,\n" +
		"- a device was refused because its product had no activation code,\n" +
		"- devices lapsed.\n\n" +
		"Recipients: " + strings.Join(to, ", ") + "\n" +
		"Sent by " + v.user.Email + " on " + now.UTC().Format("2006-01-02 15:04") + " UTC.\n"
	return Alert{To: to, Subject: "Test alert: activation codes of " + v.account.Name, Body: body}
}

func recipientCount(n int) string {
	if n == 1 {
		return "1 recipient"
	}
	return views.Num(n) + " recipients"
}

func describeRecipient(r store.Recipient) string {
	if r.Name == "" {
		return r.Email
	}
	return r.Name + " (" + r.Email + ")"
}
