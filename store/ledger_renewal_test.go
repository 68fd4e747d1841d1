package store_test

import (
	"testing"
	"time"

	"activation-console/store"
)

// Expiry and automatic renewal (docs/renewal.md).

func TestRenewalPass_RenewsContinuouslyFromTheOldExpiry(t *testing.T) {
	t.Parallel()
	for _, late := range []time.Duration{0, time.Minute, days(2)} {
		t.Run("late by "+late.String(), func(t *testing.T) {
			f := newFixture(t)
			f.assign(t, f.product.ID, 2)
			f.connect(t, "dev-1")
			old := year(epoch)
			f.clock.Set(old.Add(-time.Second))
			if s := f.pass(t); s != (store.RenewalStats{}) {
				t.Fatalf("pass before expiry = %+v, want nothing", s)
			}
			f.clock.Set(old.Add(late))
			if s := f.pass(t); s != (store.RenewalStats{Renewed: 1}) {
				t.Fatalf("pass = %+v, want one renewal", s)
			}
			d := f.device(t, "dev-1")
			if !d.ActivatedAt.Equal(old) || !d.ExpiresAt.Equal(year(old)) || *d.LastKind != store.ActivationRenewal || d.Activations != 2 || d.Status != store.StatusActive {
				t.Errorf("device = %+v, want a renewal from %v to %v", d, old, year(old))
			}
			if n := countRows(t, f.st, `SELECT count(*) FROM activations WHERE device_id = $1 AND kind = 'renewal' AND activated_at = $2`, d.ID, old); n != 1 {
				t.Errorf("renewal rows starting at the old expiry = %d, want 1", n)
			}
			if r := f.connect(t, "dev-1"); r.Result != store.ResultValid || !r.ActivatedAt.Equal(old) {
				t.Errorf("connect = %+v, want valid", r)
			}
			if s := f.pass(t); s != (store.RenewalStats{}) {
				t.Errorf("second pass = %+v, want nothing", s)
			}
			if p := f.productNow(t); p.Consumed != 2 || p.Available != 0 {
				t.Errorf("product = %+v, want 2 consumed", p)
			}
			verifyClean(t, f.st)
		})
	}
}

func TestConnect_ExpiredDeviceBeforeThePassRenewsFromTheOldExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 2)
	f.connect(t, "dev-1")
	old := year(epoch)
	f.clock.Set(old.Add(days(3)))
	r := f.connect(t, "dev-1")
	if r.Result != store.ResultRenewed || !r.ActivatedAt.Equal(old) || !r.ExpiresAt.Equal(year(old)) {
		t.Errorf("connect = %+v, want renewed from the old expiry %v", r, old)
	}
	if s := f.pass(t); s != (store.RenewalStats{}) {
		t.Errorf("pass = %+v, want nothing left to do", s)
	}
	verifyClean(t, f.st)
}

// lapsedFixture makes dev-1 lapse at one day after its expiry for reason.
func lapsedFixture(t *testing.T, reason store.LapseReason) *fixture {
	t.Helper()
	f := newFixture(t)
	codes := int64(2)
	if reason == store.ReasonNoCode {
		codes = 1
	}
	f.assign(t, f.product.ID, codes)
	f.connect(t, "dev-1")
	switch reason {
	case store.ReasonAutoRenewOff:
		if err := f.st.SetAutoRenew(f.ctx, f.scope(),
			store.AutoRenewInput{ProductID: f.product.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
			t.Fatal(err)
		}
	case store.ReasonBlacklisted:
		if _, err := f.st.SetBlacklisted(f.ctx, f.scope(),
			store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"dev-1"}, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Set(year(epoch).Add(days(1)))
	if s := f.pass(t); s != (store.RenewalStats{Lapsed: 1}) {
		t.Fatalf("pass = %+v, want one lapse", s)
	}
	return f
}

var lapseReasons = []store.LapseReason{store.ReasonAutoRenewOff, store.ReasonBlacklisted, store.ReasonNoCode}

func TestRenewalPass_LapsesWithTheReason(t *testing.T) {
	t.Parallel()
	for _, reason := range lapseReasons {
		t.Run(string(reason), func(t *testing.T) {
			f := lapsedFixture(t, reason)
			d := f.device(t, "dev-1")
			if d.Status != store.StatusLapsed || d.LapseReason == nil || *d.LapseReason != reason || !d.LapsedAt.Equal(f.st.Now()) {
				t.Errorf("device = %+v, want lapsed now for %s", d, reason)
			}
			consumed := f.productNow(t).Consumed
			for i := 0; i < 2; i++ {
				_, err := f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
				if e := wantCode(t, err, store.CodeExpired); e.Reason != reason {
					t.Errorf("refusal reason = %q, want %q", e.Reason, reason)
				}
			}
			if p := f.productNow(t); p.Consumed != consumed || p.Consumed != 1 {
				t.Errorf("consumed = %d, want 1", p.Consumed)
			}
			verifyClean(t, f.st)
		})
	}
}

func TestConnect_LapsedDeviceComingBackRenewsFromNow(t *testing.T) {
	t.Parallel()
	for _, reason := range lapseReasons {
		t.Run(string(reason), func(t *testing.T) {
			f := lapsedFixture(t, reason)
			switch reason { // make it renewable again
			case store.ReasonAutoRenewOff:
				if err := f.st.SetAutoRenew(f.ctx, f.scope(),
					store.AutoRenewInput{ProductID: f.product.ID, On: true, Actor: store.SystemActor("test")}); err != nil {
					t.Fatal(err)
				}
			case store.ReasonBlacklisted:
				if n, err := f.st.SetBlacklisted(f.ctx, f.scope(),
					store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"dev-1"}, Blacklisted: false, Actor: store.SystemActor("test")}); err != nil || n != 1 {
					t.Fatalf("blacklist remove: %d %v", n, err)
				}
			case store.ReasonNoCode:
				f.assign(t, f.product.ID, 1)
			}
			f.clock.Advance(days(40))
			now := f.st.Now()
			r := f.connect(t, "dev-1")
			if r.Result != store.ResultRenewed || !r.ActivatedAt.Equal(now) || !r.ExpiresAt.Equal(year(now)) {
				t.Errorf("connect = %+v, want renewed from now %v", r, now)
			}
			d := f.device(t, "dev-1")
			if d.LapsedAt != nil || d.LapseReason != nil || *d.LastKind != store.ActivationRenewal || d.Activations != 2 || d.Status != store.StatusActive {
				t.Errorf("device = %+v, want active on a renewal", d)
			}
			if p := f.productNow(t); p.Consumed != 2 || p.Available != 0 {
				t.Errorf("product = %+v, want 2 consumed", p)
			}
			verifyClean(t, f.st)
		})
	}
}

func TestConnect_ExpiredDeviceNotRenewableLapsesOnConnect(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 1)
	f.connect(t, "dev-1")
	f.clock.Set(year(epoch).Add(time.Hour))
	_, err := f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
	if e := wantCode(t, err, store.CodeExpired); e.Reason != store.ReasonNoCode {
		t.Errorf("reason = %q", e.Reason)
	}
	if d := f.device(t, "dev-1"); d.Status != store.StatusLapsed || *d.LapseReason != store.ReasonNoCode {
		t.Errorf("device = %+v, want lapsed for no_activation_code", d)
	}
	if s := f.pass(t); s != (store.RenewalStats{}) {
		t.Errorf("pass = %+v, want nothing", s)
	}
	verifyClean(t, f.st)
}

func TestRenewalPass_NeverSpendsCodesOnLapsedDevicesThatStayAway(t *testing.T) {
	t.Parallel()
	f := lapsedFixture(t, store.ReasonNoCode)
	f.assign(t, f.product.ID, 5)
	for i := 0; i < 3; i++ {
		f.clock.Advance(days(100))
		if s := f.pass(t); s != (store.RenewalStats{}) {
			t.Errorf("pass %d = %+v, want nothing", i, s)
		}
	}
	if p := f.productNow(t); p.Available != 5 || p.Consumed != 1 {
		t.Errorf("product = %+v, want the 5 new codes untouched", p)
	}
	if d := f.device(t, "dev-1"); d.Status != store.StatusLapsed {
		t.Errorf("status = %s, want lapsed", d.Status)
	}
	verifyClean(t, f.st)
}

func TestRenewNow_SpendsOneCodeFromNow(t *testing.T) {
	t.Parallel()
	owner := store.Actor{Name: "owner@acme.example"}
	t.Run("lapsed device", func(t *testing.T) {
		f := lapsedFixture(t, store.ReasonNoCode)
		d := f.device(t, "dev-1")
		_, err := f.st.RenewNow(f.ctx, f.scope(), store.RenewNowInput{DeviceID: d.ID, Actor: owner})
		wantCode(t, err, store.CodeNotEnoughCodes)
		f.assign(t, f.product.ID, 3)
		f.clock.Advance(days(9))
		now := f.st.Now()
		r, err := f.st.RenewNow(f.ctx, f.scope(), store.RenewNowInput{DeviceID: d.ID, Actor: owner})
		if err != nil {
			t.Fatal(err)
		}
		if r.Result != store.ResultRenewed || !r.ActivatedAt.Equal(now) || !r.ExpiresAt.Equal(year(now)) {
			t.Errorf("renew now = %+v, want from now %v", r, now)
		}
		d = f.device(t, "dev-1")
		if *d.LastKind != store.ActivationManual || d.Activations != 2 || d.LapsedAt != nil || d.Status != store.StatusActive {
			t.Errorf("device = %+v, want a manual activation", d)
		}
		if p := f.productNow(t); p.Consumed != 2 || p.Available != 2 {
			t.Errorf("product = %+v, want exactly one more code consumed", p)
		}
		_, err = f.st.RenewNow(f.ctx, f.scope(), store.RenewNowInput{DeviceID: d.ID, Actor: owner})
		wantCode(t, err, store.CodeNotLapsed)
		if n := countRows(t, f.st, `SELECT count(*) FROM audit_log WHERE operation = 'renew now'`); n != 1 {
			t.Errorf("audit rows = %d, want 1", n)
		}
		verifyClean(t, f.st)
	})
	t.Run("refused for an active device", func(t *testing.T) {
		f := newFixture(t)
		f.assign(t, f.product.ID, 3)
		f.connect(t, "dev-1")
		_, err := f.st.RenewNow(f.ctx, f.scope(), store.RenewNowInput{DeviceID: f.device(t, "dev-1").ID, Actor: owner})
		wantCode(t, err, store.CodeNotLapsed)
		if p := f.productNow(t); p.Consumed != 1 {
			t.Errorf("consumed = %d, want 1", p.Consumed)
		}
	})
	t.Run("an owner's decision overrides switch and blacklist", func(t *testing.T) {
		for _, reason := range []store.LapseReason{store.ReasonAutoRenewOff, store.ReasonBlacklisted} {
			f := lapsedFixture(t, reason)
			if _, err := f.st.RenewNow(f.ctx, f.scope(),
				store.RenewNowInput{DeviceID: f.device(t, "dev-1").ID, Actor: owner}); err != nil {
				t.Errorf("%s: %v", reason, err)
			}
		}
	})
	t.Run("unknown to other accounts and DCs", func(t *testing.T) {
		f := lapsedFixture(t, store.ReasonAutoRenewOff)
		other := f.newAccount(t, "enterprise", "eu-frankfurt", "other@example.com")
		id := f.device(t, "dev-1").ID
		_, err := f.st.RenewNow(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"},
			store.RenewNowInput{DeviceID: id, Actor: owner})
		wantCode(t, err, store.CodeUnknownDevice)
		_, err = f.st.RenewNow(f.ctx, store.Scope{AccountID: f.account.ID, DC: "cn-shanghai"},
			store.RenewNowInput{DeviceID: id, Actor: owner})
		wantCode(t, err, store.CodeUnknownDevice)
		if p := f.productNow(t); p.Consumed != 1 {
			t.Errorf("consumed = %d, want 1", p.Consumed)
		}
	})
}

func TestRenewalPass_EarliestExpiryFirstWhenCodesRunShort(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// The rows are created a, b, c (refused for lack of a code), then activated
	// c, b, a an hour apart: the expiry, not the id, must decide.
	for _, dk := range []string{"dev-a", "dev-b", "dev-c"} {
		_, err := f.st.Connect(f.ctx, "PK-1", dk, "eu-frankfurt")
		wantCode(t, err, store.CodeNoActivationCode)
	}
	f.assign(t, f.product.ID, 5)
	for i, dk := range []string{"dev-c", "dev-b", "dev-a"} {
		f.clock.Set(epoch.Add(time.Duration(i) * time.Hour))
		f.connect(t, dk)
	}
	f.clock.Set(year(epoch).Add(5 * time.Hour))
	if s := f.pass(t); s != (store.RenewalStats{Renewed: 2, Lapsed: 1}) {
		t.Fatalf("pass = %+v, want 2 renewed and 1 lapsed", s)
	}
	for i, dk := range []string{"dev-c", "dev-b"} {
		old := year(epoch.Add(time.Duration(i) * time.Hour))
		if d := f.device(t, dk); d.Status != store.StatusActive || !d.ActivatedAt.Equal(old) {
			t.Errorf("%s = %+v, want renewed from %v", dk, d, old)
		}
	}
	if d := f.device(t, "dev-a"); d.Status != store.StatusLapsed || *d.LapseReason != store.ReasonNoCode {
		t.Errorf("dev-a = %+v, want lapsed for no_activation_code", d)
	}
	verifyClean(t, f.st)
}

func TestSetBlacklisted_RefusedWhileTheSwitchIsOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	set := func(keys []string, on bool) (int, error) {
		return f.st.SetBlacklisted(f.ctx, f.scope(),
			store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: keys, Blacklisted: on, Actor: store.SystemActor("test")})
	}
	if n, err := set([]string{"dev-1", "dev-2"}, true); err != nil || n != 2 {
		t.Fatalf("add: %d %v", n, err)
	}
	if n, err := set([]string{"dev-2", "dev-3"}, true); err != nil || n != 1 {
		t.Errorf("add again: %d %v, want 1 new entry", n, err)
	}
	if err := f.st.SetAutoRenew(f.ctx, f.scope(),
		store.AutoRenewInput{ProductID: f.product.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	_, err := set([]string{"dev-4"}, true)
	wantCode(t, err, store.CodeAutoRenewOff)
	_, err = set([]string{"dev-1"}, false)
	wantCode(t, err, store.CodeAutoRenewOff)
	if n := countRows(t, f.st, `SELECT count(*) FROM blacklist WHERE product_id = $1`, f.product.ID); n != 3 {
		t.Errorf("blacklist = %d entries, want 3 unchanged", n)
	}
	if err := f.st.SetAutoRenew(f.ctx, f.scope(),
		store.AutoRenewInput{ProductID: f.product.ID, On: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if n, err := set([]string{"dev-1", "dev-9"}, false); err != nil || n != 1 {
		t.Errorf("remove: %d %v, want 1 removed", n, err)
	}
	other := f.newAccount(t, "enterprise", "eu-frankfurt", "other@example.com")
	_, err = f.st.SetBlacklisted(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"},
		store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"dev-1"}, Blacklisted: true, Actor: store.SystemActor("test")})
	wantCode(t, err, store.CodeUnknownProduct)
}

func TestDeviceByKey_ShowsTheRenewalOutlook(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.buy(t, "SO-1", "std-1y", 20)
	products := map[string]int64{"PK-1": 6, "PK-OFF": 2, "PK-RISK": 3, "PK-ENOUGH": 4}
	ids := map[string]int64{"PK-1": f.product.ID}
	for pk, n := range products {
		if pk != "PK-1" {
			ids[pk] = f.newProduct(t, "eu-frankfurt", pk).ID
		}
		f.assign(t, ids[pk], n)
	}
	connect := func(pk, dk string) {
		if _, err := f.st.Connect(f.ctx, pk, dk, "eu-frankfurt"); err != nil {
			t.Fatalf("connect %s/%s: %v", pk, dk, err)
		}
	}
	connect("PK-1", "dev-will")
	connect("PK-1", "dev-black")
	connect("PK-OFF", "dev-off")
	connect("PK-RISK", "dev-r1")
	connect("PK-RISK", "dev-r2") // 2 due to renew, 1 code left
	connect("PK-ENOUGH", "dev-e1")
	connect("PK-ENOUGH", "dev-e2") // 2 due to renew, 2 codes left
	if _, err := f.st.SetBlacklisted(f.ctx, f.scope(),
		store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"dev-black"}, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetAutoRenew(f.ctx, f.scope(),
		store.AutoRenewInput{ProductID: ids["PK-OFF"], On: false, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	outlooks := func(when string, want map[[2]string]store.Outlook) {
		for key, outlook := range want {
			d, err := f.st.DeviceByKey(f.ctx, key[0], key[1])
			if err != nil {
				t.Fatal(err)
			}
			if d.Outlook != outlook {
				t.Errorf("%s: %s/%s outlook = %s, want %s", when, key[0], key[1], d.Outlook, outlook)
			}
		}
	}
	outlooks("a year ahead", map[[2]string]store.Outlook{
		{"PK-1", "dev-will"}:  store.OutlookWillRenew,
		{"PK-1", "dev-black"}: store.OutlookBlacklisted,
		{"PK-OFF", "dev-off"}: store.OutlookAutoRenewOff,
		{"PK-RISK", "dev-r1"}: store.OutlookWillRenew, // not due within 30 days yet
	})
	f.clock.Set(year(epoch).Add(-days(10)))
	outlooks("ten days ahead", map[[2]string]store.Outlook{
		{"PK-1", "dev-will"}:    store.OutlookWillRenew,
		{"PK-1", "dev-black"}:   store.OutlookBlacklisted,
		{"PK-OFF", "dev-off"}:   store.OutlookAutoRenewOff,
		{"PK-RISK", "dev-r1"}:   store.OutlookAtRisk,
		{"PK-RISK", "dev-r2"}:   store.OutlookAtRisk,
		{"PK-ENOUGH", "dev-e1"}: store.OutlookWillRenew,
		{"PK-ENOUGH", "dev-e2"}: store.OutlookWillRenew,
	})
	if d, _ := f.st.DeviceByKey(f.ctx, "PK-RISK", "dev-r1"); d.Status != store.StatusExpiring {
		t.Errorf("status = %s, want expiring", d.Status)
	}
	if l := f.licenses(t, "eu-frankfurt"); l.NearExpiryDevices != 7 {
		t.Errorf("near-expiry devices = %d, want 7", l.NearExpiryDevices)
	}
}
