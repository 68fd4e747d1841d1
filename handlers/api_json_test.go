package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestAPI_RefusesMalformedRequestsWithTheField(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 2)
	const (
		post  = http.MethodPost
		get   = http.MethodGet
		del   = http.MethodDelete
		prods = "/api/v1/products"
		buys  = "/api/v1/purchases"
		conn  = "/api/v1/devices/connect"
	)
	purchase := func(fields string) string {
		return `{"order_no":"O-1","account":"owner@acme.example","data_center":"eu-frankfurt","package":"std-1y"` + fields + `}`
	}
	cases := []struct {
		name, method, path, body string
		field                    string // "" when the fault is the body as a whole
		message                  string // a part of the message that tells the client what to fix
	}{
		// The body as a whole.
		{"malformed JSON", post, prods, `{"account": "1",`, "", "malformed JSON"},
		{"syntax error", post, prods, `{"account" "1"}`, "", "malformed JSON at byte"},
		{"empty body", post, buys, "", "", "empty"},
		{"two values", post, conn, `{"product_key":"PK-1"} {}`, "", "exactly one JSON object"},
		{"trailing garbage", post, conn, `{"product_key":"PK-1"}x`, "", "exactly one JSON object"},
		{"an array", post, conn, `[{"product_key":"PK-1"}]`, "", "JSON object"},
		// Fields the API does not know, or of the wrong type.
		{"unknown field", post, prods, `{"account":"1","colour":"red"}`, "colour", `unknown field "colour"`},
		{"unknown field in connect", post, conn, `{"product_key":"PK-1","device_key":"d1","data_center":"eu-frankfurt","dc":"x"}`, "dc", "unknown field"},
		{"quantity as text", post, buys, purchase(`,"quantity":"ten"`), "quantity", "quantity must be a whole number"},
		{"quantity with a fraction", post, buys, purchase(`,"quantity":1.5`), "quantity", "whole number"},
		{"name as a number", post, prods, `{"account":"1","data_center":"eu-frankfurt","product_key":"PK-9","name":5}`, "name", "name must be a string"},
		{"account as a boolean", post, prods, `{"account":true,"data_center":"eu-frankfurt","product_key":"PK-9","name":"x"}`, "account", "account id or its owner's e-mail"},
		// Missing fields, one endpoint after the other.
		{"product without account", post, prods, `{"data_center":"eu-frankfurt","product_key":"PK-9","name":"x"}`, "account", "account is required"},
		{"product without data center", post, prods, `{"account":"1","product_key":"PK-9","name":"x"}`, "data_center", "required"},
		{"product without key", post, prods, `{"account":"1","data_center":"eu-frankfurt","name":"x"}`, "product_key", "required"},
		{"product without name", post, prods, `{"account":"1","data_center":"eu-frankfurt","product_key":"PK-9","name":"  "}`, "name", "required"},
		{"purchase without order", post, buys, `{"account":"1","data_center":"eu-frankfurt","package":"std-1y","quantity":1}`, "order_no", "required"},
		{"purchase without account", post, buys, `{"order_no":"O-1","data_center":"eu-frankfurt","package":"std-1y","quantity":1}`, "account", "required"},
		{"purchase with a null account", post, buys, `{"order_no":"O-1","account":null,"data_center":"eu-frankfurt","package":"std-1y","quantity":1}`, "account", "required"},
		{"purchase without data center", post, buys, `{"order_no":"O-1","account":"1","package":"std-1y","quantity":1}`, "data_center", "required"},
		{"purchase without package", post, buys, `{"order_no":"O-1","account":"1","data_center":"eu-frankfurt","quantity":1}`, "package", "required"},
		{"purchase without quantity", post, buys, purchase(""), "quantity", "quantity is required"},
		{"connect without product", post, conn, `{"device_key":"d1","data_center":"eu-frankfurt"}`, "product_key", "required"},
		{"connect without device", post, conn, `{"product_key":"PK-1","data_center":"eu-frankfurt"}`, "device_key", "required"},
		{"connect without data center", post, conn, `{"product_key":"PK-1","device_key":"d1"}`, "data_center", "required"},
		{"licenses without data center", get, "/api/v1/accounts/1/licenses", "", "data_center", "required"},
		// Values out of form or range.
		{"quantity 0", post, buys, purchase(`,"quantity":0`), "quantity", "between 1 and 1,000,000"},
		{"quantity 1,000,001", post, buys, purchase(`,"quantity":1000001`), "quantity", "between 1 and 1,000,000"},
		{"negative quantity", post, buys, purchase(`,"quantity":-5`), "quantity", "between 1 and 1,000,000"},
		{"order number with a space", post, buys, `{"order_no":"O 1","account":"1","data_center":"eu-frankfurt","package":"std-1y","quantity":1}`, "order_no", "order_no must be"},
		{"purchase with a bad key", post, buys, purchase(`,"quantity":1,"product_key":"PK 1"`), "product_key", "product key must be"},
		{"product with a bad key", post, prods, `{"account":"1","data_center":"eu-frankfurt","product_key":"PK/1","name":"x"}`, "product_key", "letters, digits"},
		{"product with a 65-character key", post, prods, `{"account":"1","data_center":"eu-frankfurt","product_key":"` + strings.Repeat("k", 65) + `","name":"x"}`, "product_key", "1-64"},
		{"connect with a bad product key", post, conn, `{"product_key":"PK*1","device_key":"d1","data_center":"eu-frankfurt"}`, "product_key", "letters, digits"},
		{"connect with a bad device key", post, conn, `{"product_key":"PK-1","device_key":"d 1","data_center":"eu-frankfurt"}`, "device_key", "device key must be"},
		{"connect with a 65-character device key", post, conn, `{"product_key":"PK-1","device_key":"` + strings.Repeat("d", 65) + `","data_center":"eu-frankfurt"}`, "device_key", "1-64"},
		{"get product with a bad key", get, "/api/v1/products/PK%201", "", "product_key", "letters, digits"},
		{"delete product with a bad key", del, "/api/v1/products/PK%2A1", "", "product_key", "letters, digits"},
		{"get device with a bad key", get, "/api/v1/products/PK-1/devices/d%2F1", "", "device_key", "letters, digits"},
		{"delete device with a bad key", del, "/api/v1/products/PK-1/devices/d%201", "", "device_key", "letters, digits"},
		{"get device of a bad product key", get, "/api/v1/products/PK%3B1/devices/d1", "", "product_key", "letters, digits"},
		// Data centers the platform does not have.
		{"licenses in an unknown data center", get, "/api/v1/accounts/1/licenses?data_center=mars-1", "", "data_center", "mars-1"},
		{"purchase in an unknown data center", post, buys, `{"order_no":"O-1","account":"1","data_center":"mars-1","package":"std-1y","quantity":1}`, "data_center", "mars-1"},
		{"product in an unknown data center", post, prods, `{"account":"1","data_center":"mars-1","product_key":"PK-9","name":"x"}`, "data_center", "mars-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := f.call(t, c.method, c.path, c.body).wantError(t, http.StatusBadRequest, "invalid_request", c.field)
			if msg, _ := body["message"].(string); !strings.Contains(msg, c.message) {
				t.Errorf("message %q does not say %q", msg, c.message)
			}
		})
	}
	// Nothing was recorded: the product kept its codes, no order, no product PK-9, no device.
	wantFields(t, f.call(t, get, "/api/v1/products/PK-1", "").want(t, http.StatusOK), map[string]any{
		"product_key": "PK-1", "name": "Product PK-1", "data_center": "eu-frankfurt", "package": "std-1y",
		"total": 2, "consumed": 0, "available": 2, "auto_renew": true})
	f.call(t, get, "/api/v1/products/PK-9", "").wantError(t, http.StatusNotFound, "unknown_product", "")
	lic := f.call(t, get, "/api/v1/accounts/1/licenses?data_center=eu-frankfurt", "").want(t, http.StatusOK)
	if lic["total"] != float64(12) {
		t.Errorf("total %v, want the 10 free codes and the product's 2", lic["total"])
	}
}

// A malformed request is refused before anything is looked up: a bad field
// of a request for an unknown account is still a 400, not a 404.
func TestAPI_ChecksFormBeforeLookingUp(t *testing.T) {
	f := newAPI(t)
	f.call(t, http.MethodPost, "/api/v1/purchases",
		`{"order_no":"O-1","account":"nobody@example.com","data_center":"eu-frankfurt","package":"std-1y","quantity":0}`).
		wantError(t, http.StatusBadRequest, "invalid_request", "quantity")
	f.call(t, http.MethodPost, "/api/v1/products",
		`{"account":"nobody@example.com","data_center":"eu-frankfurt","product_key":"bad key","name":"x"}`).
		wantError(t, http.StatusBadRequest, "invalid_request", "product_key")
	f.call(t, http.MethodGet, "/api/v1/accounts/nobody@example.com/licenses", "").
		wantError(t, http.StatusBadRequest, "invalid_request", "data_center")
}
