package handlers

import (
	"context"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// maxAssignQuantity is the most codes one assignment may move (the ledger's limit).
const maxAssignQuantity = 1_000_000

// assignInput is what the assign dialog posts.
type assignInput struct {
	ProductID int64
	Package   string
	Quantity  string // as typed
	Back      bool   // from the confirmation back to the quantity
	Confirm   bool   // the confirmation's Confirm
}

func parseAssignInput(c echo.Context) assignInput {
	id, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("product")), 10, 64)
	return assignInput{ProductID: id, Package: strings.TrimSpace(c.FormValue("package")),
		Quantity: strings.TrimSpace(c.FormValue("quantity")), Back: c.FormValue("back") != "", Confirm: c.FormValue("confirm") == "1"}
}

// productGone is the message refusing a product that is not (any more) in
// the scope.
const productGone = "assign.error.product_gone"

// assignErrors is an empty FormErrors for the assign dialog's fields.
func assignErrors() views.FormErrors { return views.NewFormErrors("product", "package", "quantity") }

// validate checks the package and the quantity against what the product can
// take now. It returns the package and the number of codes, or the messages
// by field.
func (in assignInput) validate(ctx context.Context, t store.AssignTarget) (pkg store.UnassignedPackage, n int64, errs views.FormErrors) {
	errs = assignErrors()
	name := t.Product.Name
	chosen := false
	switch {
	case t.Fixed():
		pkg, chosen = t.Packages[0], true
		if in.Package != "" && in.Package != pkg.Code {
			errs.Set("package", views.T(ctx, "assign.error.package_fixed", "Product", name, "Package", pkg.Name))
		}
	case len(t.Packages) == 0:
		errs.Set("package", views.T(ctx, "assign.error.no_codes"))
	case in.Package == "":
		errs.Set("package", views.T(ctx, "assign.error.choose_package"))
	default:
		if pkg, chosen = t.Package(in.Package); !chosen {
			errs.Set("package", views.T(ctx, "assign.error.package_gone"))
		}
	}
	n, err := strconv.ParseInt(in.Quantity, 10, 64)
	switch {
	case chosen && pkg.Quantity == 0:
		errs.Set("quantity", views.T(ctx, "assign.error.package_empty", "Package", pkg.Name))
	case chosen && (err != nil || n < 1 || n > assignMax(pkg)):
		errs.Set("quantity", views.T(ctx, "assign.error.quantity_range", "Max", views.Num(assignMax(pkg))))
	case !chosen && (err != nil || n < 1):
		errs.Set("quantity", views.T(ctx, "assign.error.quantity_positive"))
	}
	return pkg, n, errs
}

// assignMax is the most codes of a package one assignment can take.
func assignMax(pkg store.UnassignedPackage) int64 { return min(pkg.Quantity, maxAssignQuantity) }

// assignError words a refusal of the ledger, which can happen when someone
// else assigned codes after the form was shown, for the field it concerns.
// fresh is the product's target as it is now, chosen the package tried.
func assignError(ctx context.Context, e *store.Error, fresh store.AssignTarget, chosen store.UnassignedPackage) (field, message string) {
	switch e.Code {
	case store.CodeNotEnoughCodes:
		pkg, ok := fresh.Package(chosen.Code)
		if !ok || pkg.Quantity == 0 {
			return "quantity", views.T(ctx, "assign.error.taken_meanwhile", "Package", chosen.Name)
		}
		return "quantity", views.Tn(ctx, "assign.error.fewer_meanwhile", pkg.Quantity, "Package", pkg.Name, "Max", views.Num(assignMax(pkg)))
	case store.CodePackageMismatch:
		if fresh.Fixed() {
			return "package", views.T(ctx, "assign.error.package_fixed", "Product", fresh.Product.Name, "Package", *fresh.Product.PackageName)
		}
	case store.CodeUnknownPackage:
		return "package", views.T(ctx, "assign.error.unknown_package")
	}
	field = e.Field
	if field != "package" {
		field = "quantity"
	}
	return field, views.Sentence(views.ErrorText(ctx, e))
}

// assignReturn is where the dialog goes back to: the page it was opened
// from, when that is a page of this data center, else the overview.
func (h *Handler) assignReturn(c echo.Context, raw string) string {
	ok := func(p string) bool {
		if !returnPath(c.Param("dc"), p) {
			return false
		}
		u, err := url.Parse(p)
		return err == nil && path.Clean(u.Path) != h.url(c, routenames.AssignForm)
	}
	if raw != "" && ok(raw) {
		return raw
	}
	// Links of other pages that open the dialog without a return field:
	// htmx names the page they are on.
	if cur, err := url.Parse(c.Request().Header.Get("HX-Current-URL")); err == nil && cur.Path != "" && ok(cur.RequestURI()) {
		return cur.RequestURI()
	}
	return h.url(c, routenames.Overview)
}
