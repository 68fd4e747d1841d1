package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"activation-console/store"
)

// connectRequest is the body of POST /api/v1/devices/connect.
type connectRequest struct {
	ProductKey string `json:"product_key"`
	DeviceKey  string `json:"device_key"`
	DataCenter string `json:"data_center"`
}

// connectJSON is the answer to a device that may connect.
type connectJSON struct {
	Result      string `json:"result"`
	ActivatedAt string `json:"activated_at"`
	ExpiresAt   string `json:"expires_at"`
}

// apiConnect is the access layer reporting a device that connects
// (docs/codes.md, "Consuming codes"); a refusal is a 409 with the reason.
func (h *Handler) apiConnect(c echo.Context) error {
	var req connectRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := requireFields("product_key", req.ProductKey, "device_key", req.DeviceKey, "data_center", req.DataCenter); err != nil {
		return err
	}
	if err := h.servesDC(req.DataCenter); err != nil {
		return err
	}
	r, err := h.store.Connect(c.Request().Context(), req.ProductKey, req.DeviceKey, req.DataCenter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, connectJSON{Result: r.Result, ActivatedAt: apiTime(r.ActivatedAt), ExpiresAt: apiTime(r.ExpiresAt)})
}

// deviceJSON is a device as the API shows it (docs/api.md, "Calls").
type deviceJSON struct {
	ProductKey  string             `json:"product_key"`
	DeviceKey   string             `json:"device_key"`
	Status      store.DeviceStatus `json:"status"`
	ActivatedAt *string            `json:"activated_at"`
	ExpiresAt   *string            `json:"expires_at"`
	Outlook     store.Outlook      `json:"outlook"`
	Activations int                `json:"activations"`
}

// apiDeviceStatus maps the store's statuses onto the five of the API: the
// console tells apart states the platform has no use for.
func apiDeviceStatus(status store.DeviceStatus) store.DeviceStatus {
	switch status {
	case store.StatusExpired: // expired, the renewal worker has not reached it yet
		return store.StatusExpiring
	case store.StatusNew: // known but never activated: it has no code either
		return store.StatusWaiting
	}
	return status
}

// apiGetDevice shows a device's code and renewal outlook.
func (h *Handler) apiGetDevice(c echo.Context) error {
	pk, dk, err := deviceKeyParams(c)
	if err != nil {
		return err
	}
	d, err := h.store.DeviceByKey(c.Request().Context(), pk, dk)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, deviceJSON{ProductKey: d.ProductKey, DeviceKey: d.DeviceKey, Status: apiDeviceStatus(d.Status),
		ActivatedAt: apiTimeOrNull(d.ActivatedAt), ExpiresAt: apiTimeOrNull(d.ExpiresAt), Outlook: d.Outlook, Activations: d.Activations})
}

// apiDeleteDevice deletes a device; its consumed codes stay consumed.
func (h *Handler) apiDeleteDevice(c echo.Context) error {
	pk, dk, err := deviceKeyParams(c)
	if err != nil {
		return err
	}
	if err := h.store.DeleteDevice(c.Request().Context(), pk, dk); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// deviceKeyParams reads and checks the {pk} and {dk} of a path.
func deviceKeyParams(c echo.Context) (pk, dk string, err error) {
	if pk, err = productKeyParam(c); err != nil {
		return "", "", err
	}
	if dk, err = pathParam(c, "dk"); err != nil {
		return "", "", err
	}
	return pk, dk, store.CheckKey("device_key", dk)
}
