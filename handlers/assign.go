package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// The assign dialog (docs/codes.md, "Assigning codes") in three steps: pick a product (GET),
// choose the package and the quantity (GET with ?product=, then POST),
// confirm (POST with confirm=1), which assigns and goes back to the page the
// dialog was opened from.

// assignForm shows step 1, or step 2 when ?product= names a product.
func (h *Handler) assignForm(c echo.Context) error {
	p := h.page(c, views.T(c.Request().Context(), "assign.title"), "overview")
	if !currentViewer(c).canManage() {
		return h.render(c, http.StatusOK, p, views.AssignNotAllowed(false), views.AssignNotAllowed(true))
	}
	f := views.AssignForm{Step: views.AssignPick, Return: h.assignReturn(c, c.QueryParam("return")),
		Search: strings.TrimSpace(c.QueryParam("q")), Errors: assignErrors()}
	status := http.StatusOK
	if raw := c.QueryParam("product"); raw != "" {
		id, _ := strconv.ParseInt(raw, 10, 64)
		t, err := h.store.AssignTargetOf(c.Request().Context(), h.scope(c), id)
		if err == nil {
			f.Step, f.Target = views.AssignQuantity, t
			return h.renderAssign(c, status, p, f)
		}
		if !store.HasCode(err, store.CodeUnknownProduct) {
			return err
		}
		f.Errors.Set("product", views.T(c.Request().Context(), productGone))
		status = http.StatusUnprocessableEntity
	}
	if err := h.assignProducts(c, &f); err != nil {
		return err
	}
	return h.renderAssign(c, status, p, f)
}

// assignProducts fills step 1's product list.
func (h *Handler) assignProducts(c echo.Context, f *views.AssignForm) error {
	ctx, sc := c.Request().Context(), h.scope(c)
	ps, err := h.store.AssignProducts(ctx, sc, f.Search)
	if err != nil {
		return err
	}
	if f.More = len(ps) > store.AssignProductLimit; f.More {
		ps = ps[:store.AssignProductLimit]
	}
	f.Products = ps
	if len(ps) == 0 && f.Search != "" {
		// Tell "no match" from "no product at all".
		all, err := h.store.AssignProducts(ctx, sc, "")
		if err != nil {
			return err
		}
		f.NoProducts = len(all) == 0
	} else {
		f.NoProducts = len(ps) == 0
	}
	return nil
}

// assign takes step 2's package and quantity to the confirmation, step 3
// back to step 2, and step 3's Confirm to the ledger.
func (h *Handler) assign(c echo.Context) error {
	ctx, sc := c.Request().Context(), h.scope(c)
	p := h.page(c, views.T(c.Request().Context(), "assign.title"), "overview")
	in := parseAssignInput(c)
	f := views.AssignForm{Step: views.AssignQuantity, Return: h.assignReturn(c, c.FormValue("return")),
		Package: in.Package, Quantity: in.Quantity, Errors: assignErrors()}
	t, err := h.store.AssignTargetOf(ctx, sc, in.ProductID)
	if store.HasCode(err, store.CodeUnknownProduct) {
		f.Step = views.AssignPick
		f.Errors.Set("product", views.T(ctx, productGone))
		if err := h.assignProducts(c, &f); err != nil {
			return err
		}
		return h.renderAssign(c, http.StatusUnprocessableEntity, p, f)
	}
	if err != nil {
		return err
	}
	f.Target = t
	if in.Back {
		return h.renderAssign(c, http.StatusOK, p, f)
	}
	pkg, n, errs := in.validate(ctx, t)
	if errs.Any() {
		f.Errors = errs
		return h.renderAssign(c, http.StatusUnprocessableEntity, p, f)
	}
	f.Package, f.Quantity, f.Count = pkg.Code, strconv.FormatInt(n, 10), n
	if !in.Confirm {
		f.Step = views.AssignConfirm
		return h.renderAssign(c, http.StatusOK, p, f)
	}
	a, err := h.store.Assign(ctx, sc, store.AssignInput{ProductID: t.Product.ID, PackageCode: pkg.Code, Quantity: n, Actor: h.actor(c)})
	if e, ok := store.AsError(err); ok && e.Kind != store.KindForbidden {
		// Someone changed the pool or the product since the form was shown:
		// show the numbers as they are now, with what went wrong.
		fresh, rerr := h.store.AssignTargetOf(ctx, sc, t.Product.ID)
		if rerr != nil {
			return err
		}
		f.Target = fresh
		f.Errors.Set(assignError(ctx, e, fresh, pkg))
		return h.renderAssign(c, http.StatusUnprocessableEntity, p, f)
	}
	if err != nil {
		return err
	}
	h.flash(c, views.Tn(ctx, "assign.done", a.Quantity, "Product", a.ProductName))
	return redirect(c, f.Return)
}

// renderAssign shows the dialog: the whole dialog when it opens, only the
// form when a step of it is posted, the same content as a page without htmx.
func (h *Handler) renderAssign(c echo.Context, status int, p views.Page, f views.AssignForm) error {
	partial := views.AssignDialog(f)
	if c.Request().Method == http.MethodPost {
		partial = views.AssignFormView(f)
	}
	return h.render(c, status, p, views.AssignPage(f), partial)
}
