package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"activation-console/store"
)

// unassignedJSON is the unassigned codes of one package.
type unassignedJSON struct {
	Package  string `json:"package"`
	Quantity int64  `json:"quantity"`
}

// licensesJSON is an account's figures in one data center (docs/api.md, "Calls").
type licensesJSON struct {
	DataCenter        string           `json:"data_center"`
	Total             int64            `json:"total"`
	Consumed          int64            `json:"consumed"`
	Available         int64            `json:"available"`
	Unassigned        []unassignedJSON `json:"unassigned"`
	NearExpiryDevices int64            `json:"near_expiry_devices"`
	WaitingDevices    int64            `json:"waiting_devices"`
}

// apiLicenses shows an account's codes in the data center of ?data_center=.
func (h *Handler) apiLicenses(c echo.Context) error {
	dc := c.QueryParam("data_center")
	if err := requireFields("data_center", dc); err != nil {
		return err
	}
	if err := h.servesDC(dc); err != nil {
		return err
	}
	ref, err := pathParam(c, "account")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	acc, err := h.store.FindAccount(ctx, ref)
	if err != nil {
		return err
	}
	// The platform sees the whole account in the data center: its scope.
	sum, err := h.store.Licenses(ctx, store.Scope{AccountID: acc.ID, DC: dc})
	if err != nil {
		return err
	}
	unassigned := make([]unassignedJSON, 0, len(sum.Unassigned)) // [] rather than null when there are none
	for _, u := range sum.Unassigned {
		unassigned = append(unassigned, unassignedJSON{Package: u.Code, Quantity: u.Quantity})
	}
	return c.JSON(http.StatusOK, licensesJSON{DataCenter: sum.DataCenter, Total: sum.Total(), Consumed: sum.Consumed,
		Available: sum.Available, Unassigned: unassigned, NearExpiryDevices: sum.NearExpiryDevices, WaitingDevices: sum.WaitingDevices})
}
