package demo_test

import (
	"testing"

	"activation-console/store"
	"activation-console/store/demo"
)

func TestSeed_LoadsAConsistentLedger(t *testing.T) {
	f := newFixture(t)
	rep, err := demo.Seed(f.ctx, f.st, demo.SeedInput{AccountID: f.account.ID, Devices: 3000, Products: 40})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Products != 40 || rep.Devices != 3000 {
		t.Fatalf("seeded %d products and %d devices, want 40 and 3000", rep.Products, rep.Devices)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM devices WHERE account_id = $1`, f.account.ID); n != 3000 {
		t.Errorf("the account has %d devices, want 3000", n)
	}
	// About two activations per device, and some of every kind of story.
	if perDevice := float64(rep.Activations) / float64(rep.Devices); perDevice < 1.3 || perDevice > 3 {
		t.Errorf("%.2f activations per device, want about 2", perDevice)
	}
	if rep.Lapsed == 0 || rep.Waiting == 0 || rep.Blacklisted == 0 || rep.Assignments == 0 {
		t.Errorf("want lapsed, waiting, blacklisted devices and assignments: %+v", rep)
	}
	verifyClean(t, f.st)

	l := f.licenses(t, "eu-frankfurt")
	if l.Consumed != rep.Activations {
		t.Errorf("overview says %d consumed, the seed made %d activations", l.Consumed, rep.Activations)
	}
	if l.Available == 0 || l.NearExpiryDevices == 0 || l.WaitingDevices == 0 || l.UnassignedTotal() == 0 {
		t.Errorf("want available, near-expiry, waiting and unassigned figures: %+v", l)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM audit_log WHERE account_id = $1 AND operation = 'assign'`, f.account.ID); n != rep.Assignments {
		t.Errorf("%d assignments in the audit log, want %d", n, rep.Assignments)
	}

	// A second seed adds to the first, with products and orders of its own.
	if _, err := demo.Seed(f.ctx, f.st, demo.SeedInput{AccountID: f.account.ID, Devices: 500, Products: 5}); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM devices WHERE account_id = $1`, f.account.ID); n != 3500 {
		t.Errorf("after a second seed the account has %d devices, want 3500", n)
	}
	verifyClean(t, f.st)
}

func TestSeed_RefusesImpossibleSizes(t *testing.T) {
	f := newFixture(t)
	for _, in := range []demo.SeedInput{
		{AccountID: f.account.ID, Devices: 0, Products: 1},
		{AccountID: f.account.ID, Devices: 10, Products: 11},
		{AccountID: f.account.ID, Devices: 10, Products: 0},
	} {
		_, err := demo.Seed(f.ctx, f.st, in)
		if e, ok := store.AsError(err); !ok || e.Kind != store.KindInvalid {
			t.Errorf("Seed(%d devices, %d products) = %v, want an invalid-input error", in.Devices, in.Products, err)
		}
	}
	if _, err := demo.Seed(f.ctx, f.st, demo.SeedInput{AccountID: 999999, Devices: 10, Products: 1}); err == nil {
		t.Error("seeding an unknown account succeeded")
	}
}
