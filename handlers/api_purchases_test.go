package handlers_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

func TestPurchase_CreditsTheOrderOnceAndReplaysIt(t *testing.T) {
	f := newAPI(t)
	order := `{"order_no":"SO-2026/001","account":"owner@acme.example","data_center":"eu-frankfurt","package":"std-5y","quantity":40}`
	first := f.call(t, http.MethodPost, "/api/v1/purchases", order)
	wantFields(t, first.want(t, http.StatusCreated), map[string]any{"order_no": "SO-2026/001", "account": f.account.ID,
		"data_center": "eu-frankfurt", "package": "std-5y", "quantity": 40, "product_key": nil, "created_at": rfc3339(epoch)})

	// Sent again later, even with the account named by id: same body, 200, nothing credited.
	f.clock.Advance(time.Hour)
	replay := f.call(t, http.MethodPost, "/api/v1/purchases",
		`{"order_no":"SO-2026/001","account":1,"data_center":"eu-frankfurt","package":"std-5y","quantity":40,"product_key":null}`)
	replay.want(t, http.StatusOK)
	if !bytes.Equal(replay.body, first.body) {
		t.Errorf("replay body\n%s\ndiffers from the first\n%s", replay.body, first.body)
	}
	lic := f.call(t, http.MethodGet, "/api/v1/accounts/1/licenses?data_center=eu-frankfurt", "").want(t, http.StatusOK)
	wantFields(t, lic, map[string]any{"data_center": "eu-frankfurt", "total": 50, "consumed": 0, "available": 0,
		"unassigned":          []any{map[string]any{"package": "std-1y", "quantity": 10}, map[string]any{"package": "std-5y", "quantity": 40}},
		"near_expiry_devices": 0, "waiting_devices": 0})
}

func TestPurchase_WithAProductKeyCreditsTheProduct(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 0)
	created := f.call(t, http.MethodPost, "/api/v1/purchases",
		`{"order_no":"SO-1","account":"owner@acme.example","data_center":"eu-frankfurt","package":"std-5y","quantity":3,"product_key":"PK-1"}`).
		want(t, http.StatusCreated)
	if created["product_key"] != "PK-1" {
		t.Errorf("product_key %v", created["product_key"])
	}
	wantFields(t, f.call(t, http.MethodGet, "/api/v1/products/PK-1", "").want(t, http.StatusOK), map[string]any{
		"product_key": "PK-1", "name": "Product PK-1", "data_center": "eu-frankfurt", "package": "std-5y",
		"total": 3, "consumed": 0, "available": 3, "auto_renew": true})
}

func TestPurchase_RefusesOtherContentUnderAKnownOrderNumber(t *testing.T) {
	f := newAPI(t)
	base := `"order_no":"SO-1","account":"owner@acme.example","data_center":"eu-frankfurt","package":"std-5y"`
	f.call(t, http.MethodPost, "/api/v1/purchases", `{`+base+`,"quantity":5}`).want(t, http.StatusCreated)
	f.call(t, http.MethodPost, "/api/v1/purchases", `{`+base+`,"quantity":6}`).wantError(t, http.StatusConflict, "order_conflict", "")
	f.product(t, "PK-1", 0)
	f.call(t, http.MethodPost, "/api/v1/purchases", `{`+base+`,"quantity":5,"product_key":"PK-1"}`).
		wantError(t, http.StatusConflict, "order_conflict", "")
	lic := f.call(t, http.MethodGet, "/api/v1/accounts/1/licenses?data_center=eu-frankfurt", "").want(t, http.StatusOK)
	if lic["total"] != float64(15) {
		t.Errorf("total %v, want 10 free + 5 bought once", lic["total"])
	}
}

func TestPurchase_RefusesAnotherPackageForAProduct(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 2) // std-1y
	f.call(t, http.MethodPost, "/api/v1/purchases",
		`{"order_no":"SO-1","account":"owner@acme.example","data_center":"eu-frankfurt","package":"std-5y","quantity":3,"product_key":"PK-1"}`).
		wantError(t, http.StatusConflict, "package_mismatch", "")
	if p := f.call(t, http.MethodGet, "/api/v1/products/PK-1", "").want(t, http.StatusOK); p["total"] != float64(2) {
		t.Errorf("total %v, want 2", p["total"])
	}
}

func TestPurchase_RefusesWhatItDoesNotKnow(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 0)
	cases := []struct{ name, body, code string }{
		{"unknown package", `{"order_no":"SO-1","account":"owner@acme.example","data_center":"eu-frankfurt","package":"gold-9y","quantity":3}`, "unknown_package"},
		{"unknown account", `{"order_no":"SO-1","account":"nobody@acme.example","data_center":"eu-frankfurt","package":"std-1y","quantity":3}`, "unknown_account"},
		{"unknown product", `{"order_no":"SO-1","account":1,"data_center":"eu-frankfurt","package":"std-1y","quantity":3,"product_key":"PK-none"}`, "unknown_product"},
		{"product of another data center", `{"order_no":"SO-1","account":1,"data_center":"cn-shanghai","package":"std-1y","quantity":3,"product_key":"PK-1"}`, "unknown_product"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.call(t, http.MethodPost, "/api/v1/purchases", c.body).wantError(t, http.StatusNotFound, c.code, "")
		})
	}
	// None of them recorded the order number.
	f.call(t, http.MethodPost, "/api/v1/purchases", `{"order_no":"SO-1","account":1,"data_center":"eu-frankfurt","package":"std-1y","quantity":3}`).
		want(t, http.StatusCreated)
}
