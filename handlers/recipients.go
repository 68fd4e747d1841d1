package handlers

import (
	"context"
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// recipients is the alert recipients page (docs/pages.md, "7. Alert recipients"): who
// receives the account's resource alerts. The owner and every sub-account may keep the list; a
// sub-account with chosen products sees and removes only the recipients it
// added, whose mails name only its products (docs/SECURITY.md, "Tenant
// scope in alert mail").
func (h *Handler) recipients(c echo.Context) error {
	return h.renderRecipients(c, http.StatusOK, views.Recipients{})
}

// addRecipient adds a person to the list. htmx gets the list and form again
// (422 with the message next to the field when refused); a plain form is
// sent back to the page.
func (h *Handler) addRecipient(c echo.Context) error {
	form := views.RecipientForm{Name: c.FormValue("name"), Email: c.FormValue("email"), Language: store.Language(c.FormValue("language")),
		Errors: views.NewFormErrors("name", "email", "language")}
	r, err := h.store.AddRecipient(c.Request().Context(), h.scope(c),
		store.RecipientInput{Name: form.Name, Email: form.Email, Language: form.Language, Actor: h.actor(c)})
	if form.Errors.Absorb(c.Request().Context(), err) {
		return h.renderRecipients(c, http.StatusUnprocessableEntity, views.Recipients{Form: form, Focus: true})
	}
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	return h.recipientsChanged(c, views.T(ctx, "recipients.added", "Recipient", describeRecipient(ctx, r)))
}

// deleteRecipient takes a person off the list.
func (h *Handler) deleteRecipient(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, err := h.store.RemoveRecipient(c.Request().Context(), h.scope(c), store.RemoveRecipientInput{ID: id, Actor: h.actor(c)})
	if err != nil { // unknown: removed meanwhile, or never this account's: 404 either way
		return err
	}
	ctx := c.Request().Context()
	return h.recipientsChanged(c, views.T(ctx, "recipients.removed", "Recipient", describeRecipient(ctx, r)))
}

// recipientsChanged answers a change: htmx gets the list with the message
// inline, a plain form a redirect to the page with the message.
func (h *Handler) recipientsChanged(c echo.Context, msg string) error {
	if isPartial(c) {
		return h.renderRecipients(c, http.StatusOK, views.Recipients{Status: msg, Focus: true})
	}
	h.flash(c, msg)
	return redirect(c, h.url(c, routenames.Recipients))
}

// renderRecipients reads the list, the threshold and the delivery log and
// shows the page; htmx gets the list and form only, or the delivery log
// alone when that is what it refreshes.
func (h *Handler) renderRecipients(c echo.Context, status int, r views.Recipients) error {
	v := currentViewer(c)
	ctx := c.Request().Context()
	var err error
	if r.List, err = h.store.RecipientsSeenBy(ctx, v.account.ID, v.user.ID); err != nil {
		return err
	}
	if r.Deliveries, err = h.store.DeliveriesSeenBy(ctx, v.account.ID, v.user.ID); err != nil {
		return err
	}
	if r.Threshold.Value == "" && !r.Threshold.Errors.Any() {
		r.Threshold.Value = strconv.Itoa(v.account.AlertThreshold)
	}
	r.MailServer = h.mail.server
	r.Scoped = v.products != nil
	if _, ok := store.ParseLanguage(string(r.Form.Language)); !ok {
		r.Form.Language = views.LanguageOf(ctx) // a new recipient reads the viewer's language unless told otherwise
	}
	p := h.page(c, views.T(ctx, "recipients.title"), "recipients")
	partial := forTarget(c, views.RecipientsPanel(r), map[string]templ.Component{"deliveries": views.DeliveryLog(r)})
	return h.render(c, status, p, views.RecipientsPage(r), partial)
}

func describeRecipient(ctx context.Context, r store.Recipient) string {
	if r.Name == "" {
		return r.Email
	}
	return views.T(ctx, "recipients.named", "Name", r.Name, "Email", r.Email)
}
