package store_test

import (
	"fmt"
	"testing"

	"activation-console/store"
	"activation-console/store/demo"
)

// expiryCountsDrift lists the keys whose maintained expiry count differs from
// a recount of the devices: per product and UTC day, per account and UTC hour.
const expiryCountsDrift = `WITH kept AS (
		SELECT account_id, dc, product_id, day::timestamp AS at, sum(devices) AS n FROM expiry_counts GROUP BY 1, 2, 3, 4 HAVING sum(devices) <> 0
		UNION ALL
		SELECT account_id, dc, 0, hour AT TIME ZONE 'UTC', sum(devices) FROM expiry_hour_counts GROUP BY 1, 2, 4 HAVING sum(devices) <> 0
	), actual AS (
		SELECT account_id, dc, product_id, (expires_at AT TIME ZONE 'UTC')::date::timestamp AS at, count(*) AS n
		FROM devices WHERE expires_at IS NOT NULL AND lapsed_at IS NULL AND deleted_at IS NULL GROUP BY 1, 2, 3, 4
		UNION ALL
		SELECT account_id, dc, 0, date_trunc('hour', expires_at AT TIME ZONE 'UTC'), count(*)
		FROM devices WHERE expires_at IS NOT NULL AND lapsed_at IS NULL AND deleted_at IS NULL GROUP BY 1, 2, 4
	)
	SELECT count(*) FROM ((SELECT * FROM kept EXCEPT SELECT * FROM actual) UNION ALL (SELECT * FROM actual EXCEPT SELECT * FROM kept)) x`

// consumptionDrift lists the product-days whose maintained consumption (all
// codes, and those of first activations) differs from a recount of the
// activations.
const consumptionDrift = `WITH kept AS (
		SELECT product_id, day, sum(codes) AS codes, sum(first_codes) AS first_codes FROM consumption_days GROUP BY 1, 2
	), actual AS (
		SELECT product_id, (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS codes, count(*) FILTER (WHERE kind = 'first') AS first_codes
		FROM activations GROUP BY 1, 2
	)
	SELECT count(*) FROM ((SELECT * FROM kept EXCEPT SELECT * FROM actual) UNION ALL (SELECT * FROM actual EXCEPT SELECT * FROM kept)) x`

func TestExpiryCounts_FollowEveryChangeOfDevices(t *testing.T) {
	f := newFixture(t)
	if _, err := demo.Seed(f.ctx, f.st, demo.SeedInput{AccountID: f.account.ID, Devices: 2000, Products: 20}); err != nil {
		t.Fatal(err)
	}
	f.assign(t, f.product.ID, 10)
	for i := range 12 { // ten activate, two wait
		if _, err := f.st.Connect(f.ctx, f.product.ProductKey, fmt.Sprintf("dk-%d", i), "eu-frankfurt"); err != nil && i < 10 {
			t.Fatal(err)
		}
	}
	if err := f.st.DeleteDevice(f.ctx, f.product.ProductKey, "dk-3"); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		if n := countRows(t, f.st, expiryCountsDrift); n != 0 {
			t.Errorf("%s: %d expiry counts differ from the devices", when, n)
		}
		if n := countRows(t, f.st, consumptionDrift); n != 0 {
			t.Errorf("%s: %d consumption counts differ from the activations", when, n)
		}
		want := countRows(t, f.st, `SELECT count(*) FROM devices d JOIN products p ON p.id = d.product_id AND p.deleted_at IS NULL
			WHERE d.account_id = $1 AND d.dc = 'eu-frankfurt' AND d.lapsed_at IS NULL AND d.deleted_at IS NULL
			AND d.expires_at > $2 AND d.expires_at < $3`, f.account.ID, f.st.Now(), f.st.Now().Add(store.NearExpiryWindow))
		if got := f.licenses(t, "eu-frankfurt").NearExpiryDevices; got != want {
			t.Errorf("%s: overview says %d near-expiry devices, the devices say %d", when, got, want)
		}
		got, err := f.st.NearExpiryCount(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"})
		if err != nil || got != want {
			t.Errorf("%s: near-expiry page says %d (%v), the devices say %d", when, got, err, want)
		}
	}
	check("after the seed and connects")
	// A renewal pass a month and a half later renews (or lapses) and compacts.
	f.clock.Advance(days(45))
	if st := f.pass(t); st.Renewed == 0 {
		t.Fatalf("the pass renewed nothing: %+v", st)
	}
	check("after a renewal pass")
	if n := countRows(t, f.st, `SELECT count(*) FROM expiry_counts WHERE NOT compacted`) +
		countRows(t, f.st, `SELECT count(*) FROM expiry_hour_counts WHERE NOT compacted`) +
		countRows(t, f.st, `SELECT count(*) FROM consumption_days WHERE NOT compacted`); n != 0 {
		t.Errorf("%d rows left uncompacted after the pass", n)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM (SELECT 1 FROM expiry_counts GROUP BY account_id, dc, product_id, day HAVING count(*) > 1) x`) +
		countRows(t, f.st, `SELECT count(*) FROM (SELECT 1 FROM expiry_hour_counts GROUP BY account_id, dc, hour HAVING count(*) > 1) x`); n != 0 {
		t.Errorf("%d keys have more than one row after the compaction", n)
	}
	// A year on, the fixture's devices lapse for want of codes; an owner's
	// "renew now" of one is a renewal, not a first activation.
	f.clock.Advance(days(365))
	f.pass(t)
	if d := f.device(t, "dk-0"); d.Status != store.StatusLapsed {
		t.Fatalf("dk-0 is %s, want lapsed (its product had no code left)", d.Status)
	}
	f.assign(t, f.product.ID, 1)
	if _, err := f.st.RenewNow(f.ctx, f.scope(), store.RenewNowInput{DeviceID: f.device(t, "dk-0").ID, Actor: store.SystemActor("owner")}); err != nil {
		t.Fatal(err)
	}
	check("after a renewal by hand")
	if n := countRows(t, f.st, `SELECT count(*) FROM activations WHERE kind = 'manual'`); n != 1 {
		t.Errorf("%d manual renewals, want 1", n)
	}
	// Both kinds are counted (the recount above compares them): first activations and renewals.
	if n := countRows(t, f.st, `SELECT sum(first_codes) FROM consumption_days`); n == 0 {
		t.Error("no first activation counted")
	}
	if n := countRows(t, f.st, `SELECT sum(codes - first_codes) FROM consumption_days`); n == 0 {
		t.Error("no renewal counted")
	}
	if err := f.st.DeleteProduct(f.ctx, f.product.ProductKey); err != nil {
		t.Fatal(err)
	}
	check("after deleting a product")
	verifyClean(t, f.st)
}

// TestConsumptionDays_MigrationCountsFirstActivationsOfTheRowsThereAre writes
// activations of every kind, takes the database back to before migration
// 00015 (no first_codes, the trigger of 00008), appends one more there (a
// row not compacted) and migrates: the first activations of every
// product-day are counted from the activations.
func TestConsumptionDays_MigrationCountsFirstActivationsOfTheRowsThereAre(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 4)
	for i := range 3 {
		f.connect(t, fmt.Sprintf("dk-%d", i))
	}
	// A year on, the pass renews what it can and lapses the rest; one is renewed by hand.
	f.clock.Advance(days(366))
	f.pass(t)
	f.assign(t, f.product.ID, 3)
	for _, d := range []string{"dk-0", "dk-1", "dk-2"} {
		if dev := f.device(t, d); dev.Status == store.StatusLapsed {
			if _, err := f.st.RenewNow(f.ctx, f.scope(), store.RenewNowInput{DeviceID: dev.ID, Actor: store.SystemActor("owner")}); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if _, err := f.st.DB().ExecContext(f.ctx, `
		DELETE FROM goose_db_version WHERE version_id = 15;
		ALTER TABLE consumption_days DROP COLUMN first_codes;
		CREATE OR REPLACE FUNCTION activations_consumption_days() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			INSERT INTO consumption_days (product_id, day, codes)
			SELECT product_id, (created_at AT TIME ZONE 'UTC')::date, count(*) FROM new_rows GROUP BY 1, 2;
			RETURN NULL;
		END $$;`); err != nil {
		t.Fatal(err)
	}
	f.connect(t, "dk-3") // appended by the trigger of 00008
	if n := countRows(t, f.st, `SELECT count(DISTINCT kind) FROM activations`); n != 3 {
		t.Fatalf("%d kinds of activation, want first, renewal and manual", n)
	}
	if n, err := f.st.Migrate(f.ctx); err != nil || n != 1 {
		t.Fatalf("migrate: %d applied, %v; want 00015 alone", n, err)
	}
	if n := countRows(t, f.st, consumptionDrift); n != 0 {
		t.Errorf("%d consumption counts differ from the activations after the migration", n)
	}
	if n := countRows(t, f.st, `SELECT sum(first_codes) FROM consumption_days`); n != 4 {
		t.Errorf("%d first activations counted, want 4", n)
	}
	// And the trigger of 00015 counts the first activations that follow.
	f.connect(t, "dk-4")
	if n := countRows(t, f.st, consumptionDrift); n != 0 {
		t.Errorf("%d consumption counts differ from the activations after a connect", n)
	}
}
