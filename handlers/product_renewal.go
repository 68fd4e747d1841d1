package handlers

import (
	"context"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// blacklistDialog shows a product's renewal blacklist with its add and remove
// forms (docs/pages.md, "6. Automatic renewal card and blacklist dialog"): a
// dialog for htmx, a page otherwise.
func (h *Handler) blacklistDialog(c echo.Context) error {
	prod, err := h.scopedProduct(c)
	if err != nil {
		return err
	}
	b, err := h.blacklistView(c, prod, pageRequest(c))
	if err != nil {
		return err
	}
	// A page of the list replaces the list alone.
	partial := forTarget(c, views.BlacklistModal(b), map[string]templ.Component{"blacklist-list": views.BlacklistList(b)})
	return h.renderBlacklist(c, http.StatusOK, b, partial)
}

// blacklistAdd puts the pasted DKs on the blacklist. A key that is not a DK,
// or the switch being off, keeps the dialog open with the reason.
func (h *Handler) blacklistAdd(c echo.Context) error {
	ctx := c.Request().Context()
	prod, err := h.scopedProduct(c)
	if err != nil {
		return err
	}
	text := c.FormValue("device_keys")
	keys, err := store.ParseDeviceKeys(text)
	n := 0
	if err == nil {
		n, err = h.store.SetBlacklisted(ctx, h.scope(c), store.BlacklistInput{ProductID: prod.ID, DeviceKeys: keys,
			Blacklisted: true, Actor: h.actor(c)})
	}
	if msg, ok := blacklistRefusal(ctx, err); ok {
		b, err := h.blacklistView(c, prod, store.PageRequest{})
		if err != nil {
			return err
		}
		b.Keys = text
		b.AddErrors.Set("device_keys", msg)
		return h.renderBlacklist(c, http.StatusUnprocessableEntity, b, views.BlacklistAddForm(b))
	}
	if err != nil {
		return err
	}
	msg := views.Tn(ctx, "renewal.blacklist.added", n, "Product", prod.Name)
	if already := len(keys) - n; already > 0 {
		msg = views.T(ctx, "renewal.sentences", "First", msg, "Second", views.Tn(ctx, "renewal.blacklist.already", already))
	}
	h.flash(c, msg)
	return redirect(c, h.url(c, routenames.ProductDetails, prod.ID))
}

// blacklistRemove takes DKs off the blacklist: the checked ones, or the one
// of the row whose Remove button was pressed.
func (h *Handler) blacklistRemove(c echo.Context) error {
	prod, err := h.scopedProduct(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	keys := form["device_key"]
	if one := form.Get("one"); one != "" {
		keys = []string{one}
	}
	ctx := c.Request().Context()
	n := 0
	if len(keys) == 0 {
		err = store.Invalid("", "err.blacklist_none_selected")
	} else {
		n, err = h.store.SetBlacklisted(ctx, h.scope(c), store.BlacklistInput{ProductID: prod.ID, DeviceKeys: keys,
			Blacklisted: false, Actor: h.actor(c)})
	}
	if msg, ok := blacklistRefusal(ctx, err); ok {
		b, err := h.blacklistView(c, prod, store.PageRequest{})
		if err != nil {
			return err
		}
		b.RemoveErrors.Set("", msg)
		return h.renderBlacklist(c, http.StatusUnprocessableEntity, b, views.BlacklistList(b))
	}
	if err != nil {
		return err
	}
	h.flash(c, views.Tn(ctx, "renewal.blacklist.removed", n, "Product", prod.Name))
	return redirect(c, h.url(c, routenames.ProductDetails, prod.ID))
}

// blacklistRefusal words why the blacklist refused a change, when it did
// for a reason the person can fix.
func blacklistRefusal(ctx context.Context, err error) (string, bool) {
	e, ok := store.AsError(err)
	switch {
	case !ok:
		return "", false
	case e.Code == store.CodeAutoRenewOff:
		return views.T(ctx, "renewal.blacklist.switch_off_refused"), true
	case e.Kind == store.KindInvalid:
		return views.Sentence(views.ErrorText(ctx, e)), true
	}
	return "", false
}

// blacklistView reads one page of the blacklist and what the dialog shows with it.
func (h *Handler) blacklistView(c echo.Context, prod store.Product, page store.PageRequest) (views.BlacklistDialog, error) {
	v := currentViewer(c)
	ctx := c.Request().Context()
	sc := h.scope(c)
	list, err := h.store.ProductBlacklist(ctx, sc, prod, page)
	if err != nil {
		return views.BlacklistDialog{}, err
	}
	fig, err := h.store.ProductRenewal(ctx, sc, prod)
	if err != nil {
		return views.BlacklistDialog{}, err
	}
	return views.BlacklistDialog{ProductID: prod.ID, ProductName: prod.Name,
		SwitchOn: prod.AutoRenew, CanManage: v.canManage(), Count: fig.Blacklisted, CountMore: fig.BlackMore, Entries: list.Rows,
		Pager: views.NewPager(h.url(c, routenames.Blacklist, prod.ID), nil, list)}, nil
}

// renderBlacklist answers htmx with partial, the part of the dialog the
// request replaces, and other requests with the dialog as a page.
func (h *Handler) renderBlacklist(c echo.Context, status int, b views.BlacklistDialog, partial templ.Component) error {
	p := h.page(c, views.BlacklistTitle(c.Request().Context(), b.ProductName), "overview")
	return h.render(c, status, p, views.BlacklistPage(b), partial)
}
