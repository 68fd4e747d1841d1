package handlers_test

import (
	"fmt"
	"net/http"
	"testing"
)

func TestCreateProduct_ReturnsTheNewProduct(t *testing.T) {
	f := newAPI(t)
	id := f.account.ID
	cases := []struct{ name, account, pk string }{
		{"account id as a number", fmt.Sprint(id), "PK-num"},
		{"account id as a string", fmt.Sprintf("%q", fmt.Sprint(id)), "PK-str"},
		{"owner's e-mail, any case", `"Owner@ACME.example"`, "PK-mail"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"account":%s,"data_center":"cn-shanghai","product_key":%q,"name":" Smart lock "}`, c.account, c.pk)
			created := f.call(t, http.MethodPost, "/api/v1/products", body).want(t, http.StatusCreated)
			want := map[string]any{"product_key": c.pk, "name": "Smart lock", "data_center": "cn-shanghai", "package": nil,
				"total": 0, "consumed": 0, "available": 0, "auto_renew": true}
			wantFields(t, created, want)
			wantFields(t, f.call(t, http.MethodGet, "/api/v1/products/"+c.pk, "").want(t, http.StatusOK), want)
		})
	}
}

func TestCreateProduct_RefusesAKeyInUse(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 0)
	f.call(t, http.MethodPost, "/api/v1/products", `{"account":"owner@acme.example","data_center":"eu-frankfurt","product_key":"PK-1","name":"Again"}`).
		wantError(t, http.StatusConflict, "product_exists", "")
}

func TestCreateProduct_RefusesAnUnknownAccount(t *testing.T) {
	f := newAPI(t)
	for _, account := range []string{`"nobody@acme.example"`, `999999`} {
		f.call(t, http.MethodPost, "/api/v1/products", `{"account":`+account+`,"data_center":"eu-frankfurt","product_key":"PK-1","name":"x"}`).
			wantError(t, http.StatusNotFound, "unknown_account", "")
	}
}

func TestGetProduct_CountsItsCodes(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 5)
	f.connect(t, "PK-1", "d1").want(t, http.StatusOK)
	f.connect(t, "PK-1", "d2").want(t, http.StatusOK)
	wantFields(t, f.call(t, http.MethodGet, "/api/v1/products/PK-1", "").want(t, http.StatusOK), map[string]any{
		"product_key": "PK-1", "name": "Product PK-1", "data_center": "eu-frankfurt", "package": "std-1y",
		"total": 5, "consumed": 2, "available": 3, "auto_renew": true})
}

func TestGetProduct_RefusesAnUnknownProduct(t *testing.T) {
	f := newAPI(t)
	f.call(t, http.MethodGet, "/api/v1/products/PK-none", "").wantError(t, http.StatusNotFound, "unknown_product", "")
}

func TestDeleteProduct_ForfeitsItsAvailableCodes(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 5)
	f.connect(t, "PK-1", "d1").want(t, http.StatusOK)
	f.call(t, http.MethodDelete, "/api/v1/products/PK-1", "").want(t, http.StatusNoContent)

	f.call(t, http.MethodGet, "/api/v1/products/PK-1", "").wantError(t, http.StatusNotFound, "unknown_product", "")
	f.call(t, http.MethodDelete, "/api/v1/products/PK-1", "").wantError(t, http.StatusNotFound, "unknown_product", "")
	f.connect(t, "PK-1", "d1").wantError(t, http.StatusNotFound, "unknown_product", "")
	// The consumed code stays consumed, the 4 available ones are gone, the free codes untouched.
	lic := f.call(t, http.MethodGet, "/api/v1/accounts/owner@acme.example/licenses?data_center=eu-frankfurt", "").want(t, http.StatusOK)
	wantFields(t, lic, map[string]any{"data_center": "eu-frankfurt", "total": 11, "consumed": 1, "available": 0,
		"unassigned": []any{map[string]any{"package": "std-1y", "quantity": 10}}, "near_expiry_devices": 0, "waiting_devices": 0})
	// The key is free again for a new product, which starts empty.
	created := f.call(t, http.MethodPost, "/api/v1/products", `{"account":"owner@acme.example","data_center":"eu-frankfurt","product_key":"PK-1","name":"Reborn"}`).
		want(t, http.StatusCreated)
	if created["total"] != float64(0) || created["package"] != nil {
		t.Errorf("the new product inherited the old one's codes: %v", created)
	}
}
