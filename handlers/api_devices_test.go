package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"activation-console/store"
)

func TestConnect_AnswersEachResult(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 3)
	oneYear := epoch.AddDate(1, 0, 0)

	wantFields(t, f.connect(t, "PK-1", "d1").want(t, http.StatusOK),
		map[string]any{"result": "activated", "activated_at": rfc3339(epoch), "expires_at": rfc3339(oneYear)})

	f.clock.Advance(time.Hour)
	wantFields(t, f.connect(t, "PK-1", "d1").want(t, http.StatusOK),
		map[string]any{"result": "valid", "activated_at": rfc3339(epoch), "expires_at": rfc3339(oneYear)})

	// Deleted, then back within its code's validity: restored, nothing consumed.
	f.call(t, http.MethodDelete, "/api/v1/products/PK-1/devices/d1", "").want(t, http.StatusNoContent)
	wantFields(t, f.connect(t, "PK-1", "d1").want(t, http.StatusOK),
		map[string]any{"result": "restored", "activated_at": rfc3339(epoch), "expires_at": rfc3339(oneYear)})

	// Expired before the worker came by: renewed from the old expiry, so coverage is continuous.
	f.clock.Set(oneYear.Add(time.Hour))
	wantFields(t, f.connect(t, "PK-1", "d1").want(t, http.StatusOK),
		map[string]any{"result": "renewed", "activated_at": rfc3339(oneYear), "expires_at": rfc3339(oneYear.AddDate(1, 0, 0))})

	if p := f.call(t, http.MethodGet, "/api/v1/products/PK-1", "").want(t, http.StatusOK); p["consumed"] != float64(2) || p["available"] != float64(1) {
		t.Errorf("consumed %v available %v, want 2 and 1", p["consumed"], p["available"])
	}
}

func TestConnect_RefusesADeviceWhenTheProductHasNoCode(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 1)
	f.connect(t, "PK-1", "d1").want(t, http.StatusOK)
	f.connect(t, "PK-1", "d2").wantError(t, http.StatusConflict, "no_activation_code", "")
	// A retry is refused again, and the device waits for a code.
	f.connect(t, "PK-1", "d2").wantError(t, http.StatusConflict, "no_activation_code", "")
	d := f.call(t, http.MethodGet, "/api/v1/products/PK-1/devices/d2", "").want(t, http.StatusOK)
	delete(d, "outlook") // a device without a code has no renewal to foresee; see TestGetDevice_ShowsWhyItWillNotRenew
	wantFields(t, d, map[string]any{"product_key": "PK-1", "device_key": "d2", "status": "waiting",
		"activated_at": nil, "expires_at": nil, "activations": 0})
}

func TestConnect_RefusesAnUnknownProduct(t *testing.T) {
	f := newAPI(t)
	f.connect(t, "PK-none", "d1").wantError(t, http.StatusNotFound, "unknown_product", "")
}

func TestConnect_RefusesALapsedDeviceWithTheReason(t *testing.T) {
	cases := []struct {
		reason string
		codes  int64
		setup  func(t *testing.T, f *apiFixture, p store.Product)
	}{
		{"no_activation_code", 1, func(*testing.T, *apiFixture, store.Product) {}},
		{"auto_renew_off", 2, func(t *testing.T, f *apiFixture, p store.Product) {
			if err := f.st.SetAutoRenew(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
				store.AutoRenewInput{ProductID: p.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
				t.Fatal(err)
			}
		}},
		{"blacklisted", 2, func(t *testing.T, f *apiFixture, p store.Product) {
			if _, err := f.st.SetBlacklisted(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
				store.BlacklistInput{ProductID: p.ID, DeviceKeys: []string{"d1"}, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			f := newAPI(t)
			p := f.product(t, "PK-1", c.codes)
			f.connect(t, "PK-1", "d1").want(t, http.StatusOK)
			c.setup(t, f, p)
			f.clock.Advance(year)
			if st, err := f.st.RenewalPass(f.ctx); err != nil || st.Lapsed != 1 {
				t.Fatalf("renewal pass: %+v %v", st, err)
			}
			refused := f.connect(t, "PK-1", "d1").wantError(t, http.StatusConflict, "activation_expired", "")
			if refused["reason"] != c.reason {
				t.Errorf("reason %v, want %s", refused["reason"], c.reason)
			}
			d := f.call(t, http.MethodGet, "/api/v1/products/PK-1/devices/d1", "").want(t, http.StatusOK)
			if d["status"] != "lapsed" || d["activations"] != float64(1) {
				t.Errorf("device %v, want lapsed with 1 activation", d)
			}
		})
	}
}

func TestConnect_RenewsALapsedDeviceThatComesBackToCodes(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 1)
	f.connect(t, "PK-1", "d1").want(t, http.StatusOK)
	f.clock.Advance(year)
	if _, err := f.st.RenewalPass(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.call(t, http.MethodPost, "/api/v1/purchases",
		`{"order_no":"SO-1","account":1,"data_center":"eu-frankfurt","package":"std-1y","quantity":1,"product_key":"PK-1"}`).want(t, http.StatusCreated)
	f.clock.Advance(time.Hour)
	now := f.clock.Now()
	// A lapsed device renews from now, not from its old expiry.
	wantFields(t, f.connect(t, "PK-1", "d1").want(t, http.StatusOK),
		map[string]any{"result": "renewed", "activated_at": rfc3339(now), "expires_at": rfc3339(now.AddDate(1, 0, 0))})
}

func TestGetDevice_FollowsStatusAndOutlookThroughTime(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 1)
	f.connect(t, "PK-1", "d1").want(t, http.StatusOK)
	// outlook "" skips the outlook: it foresees a renewal, which a lapsed or deleted device is not waiting for.
	device := func(status, outlook string, activatedAt, expiresAt any, activations int) {
		t.Helper()
		got := f.call(t, http.MethodGet, "/api/v1/products/PK-1/devices/d1", "").want(t, http.StatusOK)
		want := map[string]any{"product_key": "PK-1", "device_key": "d1", "status": status, "outlook": outlook,
			"activated_at": activatedAt, "expires_at": expiresAt, "activations": activations}
		if outlook == "" {
			delete(got, "outlook")
			delete(want, "outlook")
		}
		wantFields(t, got, want)
	}
	from, until := rfc3339(epoch), rfc3339(epoch.AddDate(1, 0, 0))
	device("active", "will_renew", from, until, 1)
	// Within 30 days of expiry, with no code left for the renewal: at risk.
	f.clock.Advance(340 * 24 * time.Hour)
	device("expiring", "at_risk", from, until, 1)
	// Expired, the worker not yet by: still "expiring" to the platform.
	f.clock.Advance(30 * 24 * time.Hour)
	device("expiring", "at_risk", from, until, 1)
	if _, err := f.st.RenewalPass(f.ctx); err != nil {
		t.Fatal(err)
	}
	device("lapsed", "", from, until, 1)
	f.call(t, http.MethodDelete, "/api/v1/products/PK-1/devices/d1", "").want(t, http.StatusNoContent)
	device("deleted", "", from, until, 1)
}

func TestGetDevice_ShowsWhyItWillNotRenew(t *testing.T) {
	f := newAPI(t)
	p := f.product(t, "PK-1", 4)
	f.connect(t, "PK-1", "d1").want(t, http.StatusOK)
	f.connect(t, "PK-1", "d2").want(t, http.StatusOK)
	outlook := func(dk string) any {
		return f.call(t, http.MethodGet, "/api/v1/products/PK-1/devices/"+dk, "").want(t, http.StatusOK)["outlook"]
	}
	if _, err := f.st.SetBlacklisted(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
		store.BlacklistInput{ProductID: p.ID, DeviceKeys: []string{"d2"}, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if got := outlook("d1"); got != "will_renew" {
		t.Errorf("d1 outlook %v", got)
	}
	if got := outlook("d2"); got != "blacklisted" {
		t.Errorf("d2 outlook %v", got)
	}
	if err := f.st.SetAutoRenew(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
		store.AutoRenewInput{ProductID: p.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if got := outlook("d1"); got != "auto_renew_off" {
		t.Errorf("d1 outlook with the switch off %v", got)
	}
}

func TestGetDevice_RefusesUnknownDevicesAndProducts(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 1)
	f.call(t, http.MethodGet, "/api/v1/products/PK-1/devices/d-none", "").wantError(t, http.StatusNotFound, "unknown_device", "")
	f.call(t, http.MethodGet, "/api/v1/products/PK-none/devices/d1", "").wantError(t, http.StatusNotFound, "unknown_product", "")
}

func TestDeleteDevice_KeepsItsCodesConsumed(t *testing.T) {
	f := newAPI(t)
	f.product(t, "PK-1", 2)
	f.connect(t, "PK-1", "d1").want(t, http.StatusOK)
	f.call(t, http.MethodDelete, "/api/v1/products/PK-1/devices/d1", "").want(t, http.StatusNoContent)
	f.call(t, http.MethodDelete, "/api/v1/products/PK-1/devices/d1", "").wantError(t, http.StatusNotFound, "unknown_device", "")
	f.call(t, http.MethodDelete, "/api/v1/products/PK-1/devices/d-none", "").wantError(t, http.StatusNotFound, "unknown_device", "")
	f.call(t, http.MethodDelete, "/api/v1/products/PK-none/devices/d1", "").wantError(t, http.StatusNotFound, "unknown_product", "")
	if p := f.call(t, http.MethodGet, "/api/v1/products/PK-1", "").want(t, http.StatusOK); p["consumed"] != float64(1) || p["available"] != float64(1) {
		t.Errorf("consumed %v available %v, want 1 and 1", p["consumed"], p["available"])
	}
}
