package demo_test

import (
	"context"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/demo"
	"activation-console/store/storetest"
)

// demoFigures are the counts a person trying the demo relies on.
type demoFigures struct {
	Devices      int64 `db:"devices"`
	Lapsed       int64 `db:"lapsed"`
	Blacklisted  int64 `db:"blacklisted"`
	AutoRenewOff int64 `db:"auto_renew_off"`
	NoCode       int64 `db:"no_code"`
	Waiting      int64 `db:"waiting"`
	Activations  int64 `db:"activations"`
	Assignments  int64 `db:"assignments"`
	ExpiringSoon int64 `db:"expiring_soon"`
	SwitchedOff  int64 `db:"switched_off"`
	ShanghaiPKs  int64 `db:"shanghai_products"`
}

func readDemoFigures(t *testing.T, st *store.Store, accountID int64, now time.Time) demoFigures {
	t.Helper()
	var f demoFigures
	err := st.DB().Get(&f, `SELECT
		(SELECT count(*) FROM devices WHERE account_id = $1) AS devices,
		(SELECT count(*) FROM devices WHERE account_id = $1 AND lapsed_at IS NOT NULL) AS lapsed,
		(SELECT count(*) FROM devices WHERE account_id = $1 AND lapse_reason = 'blacklisted') AS blacklisted,
		(SELECT count(*) FROM devices WHERE account_id = $1 AND lapse_reason = 'auto_renew_off') AS auto_renew_off,
		(SELECT count(*) FROM devices WHERE account_id = $1 AND lapse_reason = 'no_activation_code') AS no_code,
		(SELECT count(*) FROM devices WHERE account_id = $1 AND waiting_since IS NOT NULL AND activated_at IS NULL) AS waiting,
		(SELECT count(*) FROM activations WHERE account_id = $1) AS activations,
		(SELECT count(*) FROM assignments WHERE account_id = $1) AS assignments,
		(SELECT count(*) FROM devices WHERE account_id = $1 AND lapsed_at IS NULL AND deleted_at IS NULL
			AND expires_at > $2 AND expires_at < $2 + interval '30 days') AS expiring_soon,
		(SELECT count(*) FROM products WHERE account_id = $1 AND NOT auto_renew) AS switched_off,
		(SELECT count(*) FROM products WHERE account_id = $1 AND dc = 'cn-shanghai') AS shanghai_products`, accountID, now)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestLoadDemo_BuildsAConsistentRealisticAccountOnce(t *testing.T) {
	now := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	st := storetest.New(t, store.WithClock(storetest.NewClock(now).Now))
	ctx := context.Background()

	signIns, err := demo.Load(ctx, st, now)
	if err != nil {
		t.Fatal(err)
	}
	verifyClean(t, st)

	roles := map[store.Role]bool{}
	passwords := map[string]bool{}
	for _, s := range signIns {
		roles[s.Role] = true
		passwords[s.Password] = true
		if len(s.Password) < store.MinPasswordLength {
			t.Errorf("%s's demo password is shorter than %d characters", s.Email, store.MinPasswordLength)
		}
		if _, err := st.Authenticate(ctx, s.Email, s.Password); err != nil {
			t.Errorf("%s cannot sign in with the printed password: %v", s.Email, err)
		}
	}
	if len(passwords) != len(signIns) {
		t.Errorf("demo people share a password: %v", signIns)
	}
	for _, r := range []store.Role{store.RoleOwner, store.RoleMember, store.RoleSupport} {
		if !roles[r] {
			t.Errorf("no demo sign-in with role %s", r)
		}
	}

	account, err := st.FindAccount(ctx, signIns[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	f := readDemoFigures(t, st, account.ID, now)
	if f.Devices < 20000 {
		t.Errorf("the demo has %d devices, want tens of thousands", f.Devices)
	}
	if f.Blacklisted == 0 || f.AutoRenewOff == 0 || f.NoCode == 0 {
		t.Errorf("lapsed devices by reason: blacklisted %d, auto_renew_off %d, no_activation_code %d; want some of each",
			f.Blacklisted, f.AutoRenewOff, f.NoCode)
	}
	if f.Waiting == 0 || f.ExpiringSoon == 0 {
		t.Errorf("waiting %d, expiring within 30 days %d; want some of both", f.Waiting, f.ExpiringSoon)
	}
	if f.Activations <= f.Devices-f.Waiting {
		t.Errorf("%d activations for %d activated devices: want renewals on top of first activations", f.Activations, f.Devices-f.Waiting)
	}
	if f.SwitchedOff != 1 || f.ShanghaiPKs == 0 || f.Assignments < 10 {
		t.Errorf("products with renewal off %d (want 1), in cn-shanghai %d, assignments %d", f.SwitchedOff, f.ShanghaiPKs, f.Assignments)
	}

	sum, err := st.Licenses(ctx, store.Scope{AccountID: account.ID, DC: "eu-frankfurt"})
	if err != nil {
		t.Fatal(err)
	}
	unassigned := map[string]int64{}
	for _, u := range sum.Unassigned {
		unassigned[u.Code] = u.Quantity
	}
	if unassigned["std-1y"] == 0 || unassigned["std-5y"] == 0 {
		t.Errorf("unassigned codes in eu-frankfurt: %v; want some of std-1y and std-5y", unassigned)
	}
	if sum.WaitingDevices == 0 || sum.NearExpiryDevices == 0 {
		t.Errorf("license overview: %d waiting, %d near expiry; want both", sum.WaitingDevices, sum.NearExpiryDevices)
	}

	// One product nearly out of codes, with more devices due to renew than codes.
	ps9, err := st.ProductByKey(ctx, "acme-parking-ps9")
	if err != nil {
		t.Fatal(err)
	}
	var due int64
	if err := st.DB().Get(&due, `SELECT count(*) FROM devices WHERE product_id = $1 AND lapsed_at IS NULL AND deleted_at IS NULL
		AND expires_at < $2::timestamptz + interval '30 days'`, ps9.ID, now); err != nil {
		t.Fatal(err)
	}
	if ps9.Available >= 10 || due <= ps9.Available {
		t.Errorf("%s: %d available, %d due to renew within 30 days; want fewer than 10 available and more due", ps9.Name, ps9.Available, due)
	}

	// The renewal worker has nothing to catch up on: no live device is expired.
	if pass, err := st.RenewalPass(ctx); err != nil || pass.Renewed+pass.Lapsed+pass.Swept != 0 {
		t.Errorf("a renewal pass right after loading did %+v (%v); want nothing", pass, err)
	}

	again, err := demo.Load(ctx, st, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(signIns) || again[0].Email != signIns[0].Email || again.HavePasswords() {
		t.Errorf("loading again returned %v; want the same e-mails and no password, which only the first load knew", again)
	}
	if g := readDemoFigures(t, st, account.ID, now); g != f {
		t.Errorf("loading again changed the data:\nbefore %+v\nafter  %+v", f, g)
	}
	var accounts int
	if err := st.DB().Get(&accounts, `SELECT count(*) FROM accounts`); err != nil {
		t.Fatal(err)
	}
	if accounts != 1 {
		t.Errorf("%d accounts after loading twice, want 1", accounts)
	}
}

func TestLoadDemo_GeneratesOtherPasswordsForEachDatabase(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	first, err := demo.Load(ctx, storetest.New(t), now)
	if err != nil {
		t.Fatal(err)
	}
	other := storetest.New(t)
	// A support user of the platform exists already: the demo leaves it alone.
	if _, err := other.CreateUser(ctx, store.NewUser{Role: store.RoleSupport, Email: "Support@iot-platform.example", Password: "the platform's own password"}); err != nil {
		t.Fatal(err)
	}
	second, err := demo.Load(ctx, other, now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		if first[i].Role == store.RoleSupport {
			if second[i].Password != "" {
				t.Errorf("the demo printed a password for the support user that existed before it")
			}
			if _, err := other.Authenticate(ctx, "support@iot-platform.example", "the platform's own password"); err != nil {
				t.Errorf("the existing support user's password changed: %v", err)
			}
			continue
		}
		if first[i].Password == "" || first[i].Password == second[i].Password {
			t.Errorf("%s got the password %q in two databases: passwords must be drawn at each load", first[i].Email, first[i].Password)
		}
		if _, err := other.Authenticate(ctx, second[i].Email, first[i].Password); err == nil {
			t.Errorf("%s signs in to the second database with the first one's password", first[i].Email)
		}
	}
}
