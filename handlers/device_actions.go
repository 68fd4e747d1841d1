package handlers

import (
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// activationHistory shows every code a device consumed, in order
// (docs/pages.md, "4. A product's details"): a dialog for htmx, a page otherwise.
func (h *Handler) activationHistory(c echo.Context) error {
	prod, d, err := h.productDevice(c)
	if err != nil {
		return err
	}
	acts, err := h.store.DeviceActivations(c.Request().Context(), h.scope(c), prod, d.ID)
	if err != nil {
		return err
	}
	p := h.page(c, views.T(c.Request().Context(), "device.history.title", "DeviceKey", d.DeviceKey), "overview")
	hist := views.DeviceHistory{ProductID: prod.ID, ProductName: prod.Name, Device: d, Activations: acts}
	return h.render(c, http.StatusOK, p, views.DeviceHistoryPage(hist), views.DeviceHistoryModal(hist))
}

// renewNow spends one code on a lapsed device, valid from now
// (docs/renewal.md, "At expiry"). Without confirm=yes (a plain form; htmx asks with hx-confirm) it asks first.
func (h *Handler) renewNow(c echo.Context) error {
	v := currentViewer(c)
	ctx := c.Request().Context()
	prod, d, err := h.productDevice(c)
	if err != nil {
		return err
	}
	ret := h.returnTo(c, prod)
	p := h.page(c, views.T(ctx, "device.renew.title", "DeviceKey", d.DeviceKey), "overview")
	dlg := views.RenewDialog{ProductID: prod.ID, ProductName: prod.Name, DeviceID: d.ID,
		DeviceKey: d.DeviceKey, Return: ret}
	if c.FormValue("confirm") != "yes" {
		return h.render(c, http.StatusOK, p, views.RenewPage(dlg), views.RenewModal(dlg))
	}
	r, err := h.store.RenewNow(ctx, h.scope(c), store.RenewNowInput{DeviceID: d.ID, Actor: h.actor(c)})
	if e, ok := store.AsError(err); ok && e.Kind == store.KindConflict {
		switch e.Code {
		case store.CodeNotEnoughCodes:
			dlg.Errors.Set("", views.T(ctx, "device.renew.no_codes"))
			dlg.AssignURL = views.AssignURL(p, prod.ID, ret)
		case store.CodeNotLapsed:
			dlg.Errors.Set("", views.T(ctx, "device.renew.not_lapsed", "DeviceKey", d.DeviceKey))
		default:
			dlg.Errors.Set("", views.Sentence(views.ErrorText(ctx, e)))
		}
		return h.render(c, http.StatusUnprocessableEntity, p, views.RenewPage(dlg), views.RenewModal(dlg))
	}
	if err != nil {
		return err
	}
	h.flash(c, views.T(ctx, "device.renew.done", "DeviceKey", d.DeviceKey, "Until", views.DateTime(ctx, r.ExpiresAt, v.loc)))
	return redirect(c, ret)
}

// setDeviceAutoRenew is the per-device toggle (docs/renewal.md, "The
// settings"): on takes the
// device off its product's blacklist, off puts it on. htmx gets the toggle
// back with the row's outlook (and, on the product page, the renewal card)
// swapped out of band; a plain form goes back to the list.
func (h *Handler) setDeviceAutoRenew(c echo.Context) error {
	v := currentViewer(c)
	ctx := c.Request().Context()
	prod, d, err := h.productDevice(c)
	if err != nil {
		return err
	}
	on := c.FormValue("auto_renew") == "on"
	refusal := ""
	_, err = h.store.SetBlacklisted(ctx, h.scope(c), store.BlacklistInput{ProductID: prod.ID, DeviceKeys: []string{d.DeviceKey},
		Blacklisted: !on, Actor: h.actor(c)})
	if e, ok := store.AsError(err); ok && e.Code == store.CodeAutoRenewOff {
		refusal, err = views.T(ctx, "device.toggle.refused"), nil
	}
	if err != nil {
		return err
	}
	ret := h.returnTo(c, prod)
	if !isPartial(c) {
		msg := views.T(ctx, "device.toggle.will_renew", "DeviceKey", d.DeviceKey)
		if !on {
			msg = views.T(ctx, "device.toggle.will_not_renew", "DeviceKey", d.DeviceKey)
		}
		if refusal != "" {
			msg = refusal
		}
		h.flash(c, msg)
		return redirect(c, ret)
	}
	// Fresh state: the switch may have changed since the page was shown.
	if prod, err = h.scopedProduct(c); err != nil {
		return err
	}
	if d, err = h.store.ProductDevice(ctx, h.scope(c), prod, d.ID); err != nil {
		return err
	}
	p := h.page(c, prod.Name, "overview")
	toggle := views.NewRenewToggle(d, v.canManage(), ret)
	comps := []templ.Component{views.DeviceRenewToggle(toggle), views.OutlookBadgeOOB(d.ID, d.Outlook)}
	if strings.SplitN(ret, "?", 2)[0] == h.url(c, routenames.ProductDetails, prod.ID) {
		card, err := h.renewalCard(c, prod)
		if err != nil {
			return err
		}
		card.OOB = true
		comps = append(comps, views.RenewalCardView(card))
	}
	status := http.StatusOK
	if refusal != "" {
		status = http.StatusUnprocessableEntity
	}
	all := templ.Join(comps...)
	return h.render(c, status, p, all, all)
}

// productDevice is the device of the :device path parameter, when it is a
// live device of the product of :id in the viewer's scope.
func (h *Handler) productDevice(c echo.Context) (store.Product, store.Device, error) {
	prod, err := h.scopedProduct(c)
	if err != nil {
		return prod, store.Device{}, err
	}
	id, err := pathID(c, "device")
	if err != nil {
		return prod, store.Device{}, err
	}
	d, err := h.store.ProductDevice(c.Request().Context(), h.scope(c), prod, id)
	return prod, d, err
}

// returnTo is the list a device form came from (its return field), when that
// is a page of this data center; the product page otherwise.
func (h *Handler) returnTo(c echo.Context, prod store.Product) string {
	ret := c.FormValue("return")
	if returnPath(c.Param("dc"), ret) {
		return ret
	}
	return h.url(c, routenames.ProductDetails, prod.ID)
}
