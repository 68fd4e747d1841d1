package store_test

import (
	"fmt"
	"testing"

	"activation-console/store"
	"activation-console/store/demo"
)

// expiryCountsDrift lists the keys whose maintained expiry count differs from
// a recount of the devices, per product and per account.
const expiryCountsDrift = `WITH kept AS (
		SELECT account_id, dc, product_id, day, sum(devices) AS n FROM expiry_counts GROUP BY 1, 2, 3, 4 HAVING sum(devices) <> 0
	), actual AS (
		SELECT account_id, dc, coalesce(product_id, 0) AS product_id, (expires_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
		FROM devices WHERE expires_at IS NOT NULL AND lapsed_at IS NULL AND deleted_at IS NULL
		GROUP BY GROUPING SETS ((account_id, dc, product_id, 4), (account_id, dc, 4))
	)
	SELECT count(*) FROM ((SELECT * FROM kept EXCEPT SELECT * FROM actual) UNION ALL (SELECT * FROM actual EXCEPT SELECT * FROM kept)) x`

// consumptionDrift lists the product-days whose maintained consumption
// differs from a recount of the activations.
const consumptionDrift = `SELECT count(*) FROM (
		(SELECT product_id, day, sum(codes) FROM consumption_days GROUP BY 1, 2
		EXCEPT SELECT product_id, (created_at AT TIME ZONE 'UTC')::date, count(*) FROM activations GROUP BY 1, 2)
		UNION ALL
		(SELECT product_id, (created_at AT TIME ZONE 'UTC')::date, count(*) FROM activations GROUP BY 1, 2
		EXCEPT SELECT product_id, day, sum(codes) FROM consumption_days GROUP BY 1, 2)) x`

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
		countRows(t, f.st, `SELECT count(*) FROM consumption_days WHERE NOT compacted`); n != 0 {
		t.Errorf("%d rows left uncompacted after the pass", n)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM (SELECT 1 FROM expiry_counts GROUP BY account_id, dc, product_id, day HAVING count(*) > 1) x`); n != 0 {
		t.Errorf("%d keys have more than one row after the compaction", n)
	}
	if err := f.st.DeleteProduct(f.ctx, f.product.ProductKey); err != nil {
		t.Fatal(err)
	}
	check("after deleting a product")
	verifyClean(t, f.st)
}
