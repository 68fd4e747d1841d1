package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// members lists the account's sub-accounts (owner only).
func (h *Handler) members(c echo.Context) error {
	v := currentViewer(c)
	ms, err := h.store.Members(c.Request().Context(), v.account.ID)
	if err != nil {
		return err
	}
	p := h.page(c, views.T(c.Request().Context(), "members.title"), "members")
	return h.render(c, http.StatusOK, p, views.Members(views.MemberList{Members: ms}), nil)
}

// memberForm is the empty form for a new sub-account.
func (h *Handler) memberForm(c echo.Context) error {
	return h.renderMemberForm(c, http.StatusOK, views.MemberForm{AllProducts: true})
}

// editMemberForm is the form of an existing sub-account.
func (h *Handler) editMemberForm(c echo.Context) error {
	v := currentViewer(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	m, err := h.store.Member(c.Request().Context(), v.account.ID, id)
	if err != nil {
		return err
	}
	chosen := map[int64]bool{}
	for _, id := range m.ProductIDs {
		chosen[id] = true
	}
	return h.renderMemberForm(c, http.StatusOK, views.MemberForm{ID: m.ID, Name: m.Name, Email: m.Email,
		ManageLicenses: m.ManageLicenses, AllProducts: m.AllProducts, Chosen: chosen})
}

func (h *Handler) renderMemberForm(c echo.Context, status int, f views.MemberForm) error {
	v := currentViewer(c)
	products, err := h.store.ProductChoices(c.Request().Context(), v.account.ID)
	if err != nil {
		return err
	}
	f.Products = products
	ctx := c.Request().Context()
	title := views.T(ctx, "members.new_title")
	if f.ID != 0 {
		title = views.T(ctx, "members.edit_title", "Name", f.Name)
	}
	p := h.page(c, title, "members")
	return h.render(c, status, p, views.MemberEdit(f), nil)
}

// parseMemberForm reads the sub-account form.
func parseMemberForm(c echo.Context) (store.MemberInput, views.MemberForm) {
	in := store.MemberInput{Name: strings.TrimSpace(c.FormValue("name")), Email: strings.TrimSpace(c.FormValue("email")),
		Password: c.FormValue("password"), ManageLicenses: c.FormValue("manage_licenses") == "1",
		AllProducts: c.FormValue("scope") != "chosen"}
	form := views.MemberForm{Name: in.Name, Email: in.Email, ManageLicenses: in.ManageLicenses, AllProducts: in.AllProducts,
		Chosen: map[int64]bool{}, Errors: views.NewFormErrors("name", "email", "password", "products")}
	params, _ := c.FormParams()
	for _, raw := range params["product"] {
		if id, err := strconv.ParseInt(raw, 10, 64); err == nil {
			in.ProductIDs = append(in.ProductIDs, id)
			form.Chosen[id] = true
		}
	}
	return in, form
}

// createMember adds a sub-account.
func (h *Handler) createMember(c echo.Context) error {
	in, form := parseMemberForm(c)
	in.Actor = h.actor(c)
	_, err := h.store.CreateMember(c.Request().Context(), h.scope(c), in)
	if form.Errors.Absorb(c.Request().Context(), err) {
		return h.renderMemberForm(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	h.flash(c, views.T(c.Request().Context(), "members.added", "Name", in.Name))
	return redirect(c, h.url(c, routenames.Members))
}

// updateMember saves a sub-account's changes.
func (h *Handler) updateMember(c echo.Context) error {
	v := currentViewer(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	in, form := parseMemberForm(c)
	in.ID, in.Actor, form.ID = id, h.actor(c), id
	m, err := h.store.Member(c.Request().Context(), v.account.ID, id)
	if err != nil {
		return err
	}
	form.Email = m.Email
	_, err = h.store.UpdateMember(c.Request().Context(), h.scope(c), in)
	if form.Errors.Absorb(c.Request().Context(), err) {
		return h.renderMemberForm(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	h.flash(c, views.T(c.Request().Context(), "members.saved", "Name", in.Name))
	return redirect(c, h.url(c, routenames.Members))
}

// disableMember disables a sub-account; its sessions end at once.
func (h *Handler) disableMember(c echo.Context) error {
	return h.memberStatus(c, h.store.DisableMember, "members.disabled_done")
}

// enableMember lets a disabled sub-account sign in again.
func (h *Handler) enableMember(c echo.Context) error {
	return h.memberStatus(c, h.store.EnableMember, "members.enabled_done")
}

// memberStatus applies change (DisableMember or EnableMember) to the
// sub-account of the path and goes back to the list with the message done.
func (h *Handler) memberStatus(c echo.Context, change func(context.Context, store.Scope, store.MemberStatusInput) error, done string) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := change(c.Request().Context(), h.scope(c), store.MemberStatusInput{ID: id, Actor: h.actor(c)}); err != nil {
		return err
	}
	h.flash(c, views.T(c.Request().Context(), done))
	return redirect(c, h.url(c, routenames.Members))
}
