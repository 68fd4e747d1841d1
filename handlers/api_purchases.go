package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"activation-console/store"
)

// purchaseRequest is the body of POST /api/v1/purchases. Quantity is a
// pointer so that a missing quantity and a zero one get their own messages.
type purchaseRequest struct {
	OrderNo    string     `json:"order_no"`
	Account    accountRef `json:"account"`
	DataCenter string     `json:"data_center"`
	Package    string     `json:"package"`
	Quantity   *int64     `json:"quantity"`
	ProductKey string     `json:"product_key"`
}

// purchaseJSON is a recorded order; a replay returns it unchanged.
type purchaseJSON struct {
	OrderNo    string  `json:"order_no"`
	Account    int64   `json:"account"`
	DataCenter string  `json:"data_center"`
	Package    string  `json:"package"`
	Quantity   int64   `json:"quantity"`
	ProductKey *string `json:"product_key"`
	CreatedAt  string  `json:"created_at"`
}

func newPurchaseJSON(o store.PurchaseOrder) purchaseJSON {
	var pk *string
	if o.ProductKey != "" {
		pk = &o.ProductKey
	}
	return purchaseJSON{OrderNo: o.OrderNo, Account: o.AccountID, DataCenter: o.DataCenter, Package: o.PackageCode,
		Quantity: o.Quantity, ProductKey: pk, CreatedAt: apiTime(o.CreatedAt)}
}

// apiPurchase records an order from sales or billing
// (docs/codes.md, "Where codes come from"):
// 201 the first time, 200 with the same body for a replay.
func (h *Handler) apiPurchase(c echo.Context) error {
	var req purchaseRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := requireFields("order_no", req.OrderNo, "account", string(req.Account),
		"data_center", req.DataCenter, "package", req.Package); err != nil {
		return err
	}
	if err := h.servesDC(req.DataCenter); err != nil {
		return err
	}
	if req.Quantity == nil {
		return badRequest("quantity", "quantity is required")
	}
	if err := store.CheckOrderNo(req.OrderNo); err != nil {
		return err
	}
	if err := store.CheckQuantity(*req.Quantity); err != nil {
		return err
	}
	if req.ProductKey != "" {
		if err := store.CheckKey("product_key", req.ProductKey); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	acc, err := h.store.FindAccount(ctx, string(req.Account))
	if err != nil {
		return err
	}
	order, replayed, err := h.store.Purchase(ctx, store.PurchaseOrder{OrderNo: req.OrderNo, AccountID: acc.ID,
		DataCenter: req.DataCenter, PackageCode: req.Package, Quantity: *req.Quantity, ProductKey: req.ProductKey})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK
	}
	return c.JSON(status, newPurchaseJSON(order))
}
