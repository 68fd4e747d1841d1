package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// webhooks is the webhooks page (docs/webhooks.md): the account's
// endpoints, each with its latest deliveries, and the form to register
// one. Everyone of the account reads it (support staff too); the owner and
// sub-accounts that manage licenses change it. A sub-account with chosen
// products sees only the endpoints it registered.
func (h *Handler) webhooks(c echo.Context) error {
	return h.renderWebhooks(c, http.StatusOK, views.Webhooks{Form: views.WebhookForm{Enabled: true}})
}

// addWebhook registers an endpoint and shows its secret, this once: the
// answer is the page itself (no redirect, so the secret is kept nowhere).
func (h *Handler) addWebhook(c echo.Context) error {
	in, form := h.parseWebhookForm(c)
	e, secret, err := h.store.SaveWebhookEndpoint(c.Request().Context(), h.scope(c), in)
	if form.Errors.Absorb(c.Request().Context(), err) {
		form.Errors.Absorb(c.Request().Context(), store.CheckWebhookEvents(in.Events)) // both refusals at once
		return h.renderWebhooks(c, http.StatusUnprocessableEntity, views.Webhooks{Form: form})
	}
	if err != nil {
		return err
	}
	return h.renderWebhooks(c, http.StatusOK, views.Webhooks{Form: views.WebhookForm{Enabled: true},
		Secret: &views.WebhookSecret{URL: e.URL, Secret: secret}})
}

// editWebhookForm is the form of an existing endpoint.
func (h *Handler) editWebhookForm(c echo.Context) error {
	v := currentViewer(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	e, err := h.store.WebhookEndpointSeenBy(c.Request().Context(), v.account.ID, v.user.ID, id)
	if err != nil {
		return err
	}
	return h.renderWebhookForm(c, http.StatusOK, views.WebhookForm{ID: e.ID, URL: e.URL, Events: e.Events, Enabled: e.Enabled})
}

// updateWebhook changes an endpoint's URL, events and state.
func (h *Handler) updateWebhook(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	in, form := h.parseWebhookForm(c)
	in.ID, form.ID = id, id
	e, _, err := h.store.SaveWebhookEndpoint(c.Request().Context(), h.scope(c), in)
	if form.Errors.Absorb(c.Request().Context(), err) {
		form.Errors.Absorb(c.Request().Context(), store.CheckWebhookEvents(in.Events)) // both refusals at once
		return h.renderWebhookForm(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	return h.webhookChanged(c, views.T(c.Request().Context(), "webhooks.saved", "URL", e.URL))
}

// setWebhookEnabled turns an endpoint on or off.
func (h *Handler) setWebhookEnabled(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	on := c.FormValue("enabled") == "on"
	e, err := h.store.SetWebhookEnabled(c.Request().Context(), h.scope(c), store.WebhookRef{ID: id, Actor: h.actor(c)}, on)
	if err != nil {
		return err
	}
	msg := "webhooks.disabled"
	if on {
		msg = "webhooks.enabled_now"
	}
	return h.webhookChanged(c, views.T(c.Request().Context(), msg, "URL", e.URL))
}

// rotateWebhook gives an endpoint a new secret and shows it, this once.
func (h *Handler) rotateWebhook(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	e, secret, err := h.store.RotateWebhookSecret(c.Request().Context(), h.scope(c), store.WebhookRef{ID: id, Actor: h.actor(c)})
	if err != nil {
		return err
	}
	return h.renderWebhooks(c, http.StatusOK, views.Webhooks{Form: views.WebhookForm{Enabled: true},
		Secret: &views.WebhookSecret{URL: e.URL, Secret: secret, Rotated: true}})
}

// testWebhook queues a test event to an endpoint.
func (h *Handler) testWebhook(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.store.SendTestWebhook(c.Request().Context(), h.scope(c), store.WebhookRef{ID: id, Actor: h.actor(c)}); err != nil {
		return err
	}
	return h.webhookChanged(c, views.T(c.Request().Context(), "webhooks.test_queued"))
}

// deleteWebhook deletes an endpoint and its deliveries.
func (h *Handler) deleteWebhook(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	e, err := h.store.DeleteWebhookEndpoint(c.Request().Context(), h.scope(c), store.WebhookRef{ID: id, Actor: h.actor(c)})
	if err != nil {
		return err
	}
	return h.webhookChanged(c, views.T(c.Request().Context(), "webhooks.deleted", "URL", e.URL))
}

// redeliverWebhook sends a finished event once more, with its id.
func (h *Handler) redeliverWebhook(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	event, err := pathID(c, "event")
	if err != nil {
		return err
	}
	if err := h.store.RedeliverWebhook(c.Request().Context(), h.scope(c), store.WebhookRef{ID: id, Actor: h.actor(c)}, event); err != nil {
		return err
	}
	return h.webhookChanged(c, views.T(c.Request().Context(), "webhooks.redelivery_queued"))
}

// webhookChanged sends the browser back to the page with what happened.
func (h *Handler) webhookChanged(c echo.Context, msg string) error {
	h.flash(c, msg)
	return redirect(c, h.url(c, routenames.Webhooks))
}

func (h *Handler) parseWebhookForm(c echo.Context) (store.WebhookInput, views.WebhookForm) {
	params, _ := c.FormParams()
	in := store.WebhookInput{URL: strings.TrimSpace(c.FormValue("url")), Events: params["events"], Enabled: c.FormValue("enabled") == "on",
		Actor: h.actor(c)}
	return in, views.WebhookForm{URL: in.URL, Events: in.Events, Enabled: in.Enabled, Errors: views.NewFormErrors("url", "events")}
}

func (h *Handler) renderWebhookForm(c echo.Context, status int, f views.WebhookForm) error {
	ctx := c.Request().Context()
	p := h.page(c, views.T(ctx, "webhooks.edit_title"), "webhooks")
	return h.render(c, status, p, views.WebhookFormCard(f), nil)
}

// renderWebhooks reads the endpoints the viewer sees, with their latest
// deliveries, and shows the page.
func (h *Handler) renderWebhooks(c echo.Context, status int, w views.Webhooks) error {
	v := currentViewer(c)
	ctx := c.Request().Context()
	es, err := h.store.WebhookEndpointsSeenBy(ctx, v.account.ID, v.user.ID)
	if err != nil {
		return err
	}
	for _, e := range es {
		ds, err := h.store.WebhookDeliveries(ctx, v.account.ID, v.user.ID, e.ID)
		if err != nil {
			return err
		}
		w.Endpoints = append(w.Endpoints, views.WebhookEndpointView{WebhookEndpoint: e, Deliveries: ds})
	}
	w.CanManage = v.canManage() && !v.support()
	w.Scoped = v.products != nil
	w.Now = h.store.Now()
	p := h.page(c, views.T(ctx, "webhooks.title"), "webhooks")
	return h.render(c, status, p, views.WebhooksPage(w), nil)
}
