package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"activation-console/store"
)

// productJSON is a product as the API shows it (docs/api.md, "Calls").
type productJSON struct {
	ProductKey string  `json:"product_key"`
	Name       string  `json:"name"`
	DataCenter string  `json:"data_center"`
	Package    *string `json:"package"`
	Total      int64   `json:"total"`
	Consumed   int64   `json:"consumed"`
	Available  int64   `json:"available"`
	AutoRenew  bool    `json:"auto_renew"`
}

func newProductJSON(p store.Product) productJSON {
	return productJSON{ProductKey: p.ProductKey, Name: p.Name, DataCenter: p.DC, Package: p.PackageCode,
		Total: p.Total(), Consumed: p.Consumed, Available: p.Available, AutoRenew: p.AutoRenew}
}

// createProductRequest is the body of POST /api/v1/products.
type createProductRequest struct {
	Account    accountRef `json:"account"`
	DataCenter string     `json:"data_center"`
	ProductKey string     `json:"product_key"`
	Name       string     `json:"name"`
}

// apiCreateProduct registers a product the platform created.
func (h *Handler) apiCreateProduct(c echo.Context) error {
	var req createProductRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := requireFields("account", string(req.Account), "data_center", req.DataCenter,
		"product_key", req.ProductKey, "name", req.Name); err != nil {
		return err
	}
	if err := h.servesDC(req.DataCenter); err != nil {
		return err
	}
	if err := store.CheckKey("product_key", req.ProductKey); err != nil {
		return err
	}
	ctx := c.Request().Context()
	acc, err := h.store.FindAccount(ctx, string(req.Account))
	if err != nil {
		return err
	}
	p, err := h.store.CreateProduct(ctx, store.Scope{AccountID: acc.ID, DC: req.DataCenter}, store.ProductInput{ProductKey: req.ProductKey, Name: req.Name})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, newProductJSON(p))
}

// apiGetProduct shows a product's codes.
func (h *Handler) apiGetProduct(c echo.Context) error {
	pk, err := productKeyParam(c)
	if err != nil {
		return err
	}
	p, err := h.store.ProductByKey(c.Request().Context(), pk)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newProductJSON(p))
}

// apiDeleteProduct deletes a product, forfeiting its available codes.
func (h *Handler) apiDeleteProduct(c echo.Context) error {
	pk, err := productKeyParam(c)
	if err != nil {
		return err
	}
	if err := h.store.DeleteProduct(c.Request().Context(), pk); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// productKeyParam reads and checks the {pk} of a path.
func productKeyParam(c echo.Context) (string, error) {
	pk, err := pathParam(c, "pk")
	if err != nil {
		return "", err
	}
	return pk, store.CheckKey("product_key", pk)
}
