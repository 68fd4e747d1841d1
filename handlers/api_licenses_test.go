package handlers_test

import (
	"net/http"
	"testing"
	"time"
)

func TestLicenses_ShowsTheAccountsFiguresInOneDataCenter(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 4)
	f.product(t, "PK-empty", 0)
	f.call(t, http.MethodPost, "/api/v1/purchases",
		`{"order_no":"SO-1","account":1,"data_center":"eu-frankfurt","package":"std-5y","quantity":5}`).want(t, http.StatusCreated)
	f.connect(t, "PK-1", "d1").want(t, http.StatusOK)
	f.connect(t, "PK-1", "d2").want(t, http.StatusOK)
	f.connect(t, "PK-empty", "d3").wantError(t, http.StatusConflict, "no_activation_code", "")
	// 340 days on, d1 and d2 expire within 30 days.
	f.clock.Advance(340 * 24 * time.Hour)

	want := map[string]any{"data_center": "eu-frankfurt", "total": 19, "consumed": 2, "available": 2,
		"unassigned":          []any{map[string]any{"package": "std-1y", "quantity": 10}, map[string]any{"package": "std-5y", "quantity": 5}},
		"near_expiry_devices": 2, "waiting_devices": 1}
	for _, account := range []string{"1", "owner@acme.example", "owner%40acme.example"} {
		t.Run(account, func(t *testing.T) {
			got := f.call(t, http.MethodGet, "/api/v1/accounts/"+account+"/licenses?data_center=eu-frankfurt", "").want(t, http.StatusOK)
			wantFields(t, got, want)
		})
	}
	// Another data center holds nothing of this account's: an empty list, not null.
	wantFields(t, f.call(t, http.MethodGet, "/api/v1/accounts/1/licenses?data_center=cn-shanghai", "").want(t, http.StatusOK),
		map[string]any{"data_center": "cn-shanghai", "total": 0, "consumed": 0, "available": 0, "unassigned": []any{},
			"near_expiry_devices": 0, "waiting_devices": 0})
}

func TestLicenses_RefusesAnUnknownAccount(t *testing.T) {
	f := newAPI(t)
	for _, account := range []string{"999", "nobody@acme.example"} {
		f.call(t, http.MethodGet, "/api/v1/accounts/"+account+"/licenses?data_center=eu-frankfurt", "").
			wantError(t, http.StatusNotFound, "unknown_account", "")
	}
}
