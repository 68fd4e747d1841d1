package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"activation-console/store"
)

// A bulk load without triggers still has its foreign keys checked: a device
// whose product does not exist fails the load, and nothing of it stays.
func TestBulkLoad_ChecksForeignKeysForeignKeysOff(t *testing.T) {
	f := newFixture(t)
	err := f.st.BulkLoad(f.ctx, func(tx *sqlx.Tx) error {
		off, err := store.ForeignKeysOff(f.ctx, tx)
		if err != nil {
			return err
		}
		if !off {
			t.Skip("the checks stay on for a role that is not a superuser (the embedded server's)")
		}
		if _, err := tx.ExecContext(f.ctx, `INSERT INTO devices (account_id, dc, product_id, device_key, activated_at, expires_at, last_kind, activations)
			VALUES ($1, 'eu-frankfurt', $2, 'orphan', now(), now() + interval '1 year', 'first', 1)`, f.account.ID, f.product.ID+1000); err != nil {
			return err
		}
		return store.CheckForeignKeys(f.ctx, tx, `SELECT id FROM devices WHERE device_key = 'orphan'`)
	})
	if err == nil || !strings.Contains(err.Error(), "refers to a missing") {
		t.Fatalf("BulkLoad = %v, want the missing product found", err)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM devices WHERE device_key = 'orphan'`); n != 0 {
		t.Errorf("%d orphan devices stayed", n)
	}
}

// indexDefs lists the indexes and constraints of devices and activations,
// as the catalog prints them.
const indexDefs = `SELECT string_agg(d, E'\n' ORDER BY d) FROM (
	SELECT 'index ' || indexrelid::regclass::text || ': ' || pg_get_indexdef(indexrelid) AS d FROM pg_index
	WHERE indrelid IN ('devices'::regclass, 'activations'::regclass)
	UNION ALL
	SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
	WHERE conrelid IN ('devices'::regclass, 'activations'::regclass)) x`

var errRollBack = errors.New("roll back")

// loadDeviceWithActivations inserts a device of the fixture's product and
// activations of it over the given years after now (each [from, to)).
func loadDeviceWithActivations(f *fixture, tx *sqlx.Tx, years ...[2]int) error {
	var id int64
	if err := tx.GetContext(f.ctx, &id, `INSERT INTO devices (account_id, dc, product_id, device_key, activated_at, expires_at, last_kind, activations)
		VALUES ($1, 'eu-frankfurt', $2, 'bulk-1', now(), now() + interval '1 year', 'first', 1) RETURNING id`, f.account.ID, f.product.ID); err != nil {
		return err
	}
	for _, y := range years {
		if _, err := tx.ExecContext(f.ctx, `INSERT INTO activations (account_id, product_id, device_id, kind, activated_at, expires_at)
			VALUES ($1, $2, $3, 'first', now() + $4 * interval '1 year', now() + $5 * interval '1 year')`,
			f.account.ID, f.product.ID, id, y[0], y[1]); err != nil {
			return err
		}
	}
	return nil
}

// Into empty tables, a load builds the indexes after its rows: they are gone
// while it loads and come back as the migrations made them, names and
// constraints included.
func TestBulkLoad_DeferredIndexesComeBackAsTheMigrationsMadeThem(t *testing.T) {
	f := newFixture(t)
	var before string
	if err := f.st.DB().GetContext(f.ctx, &before, indexDefs); err != nil {
		t.Fatal(err)
	}
	err := f.st.BulkLoad(f.ctx, func(tx *sqlx.Tx) error {
		d, err := store.IndexesDeferred(f.ctx, tx)
		if err != nil || d == nil {
			t.Fatalf("IndexesDeferred on empty tables = %v, %v", d, err)
		}
		var n int
		if err := tx.GetContext(f.ctx, &n, `SELECT count(*) FROM pg_index WHERE indrelid IN ('devices'::regclass, 'activations'::regclass)`); err != nil || n != 2 {
			t.Errorf("%d indexes while loading (%v), want the two primary keys", n, err)
		}
		if err := loadDeviceWithActivations(f, tx, [2]int{0, 1}, [2]int{1, 2}); err != nil {
			return err
		}
		if err := store.RestoreIndexes(f.ctx, tx, d); err != nil {
			return err
		}
		var after string
		if err := tx.GetContext(f.ctx, &after, indexDefs); err != nil {
			return err
		}
		if after != before {
			t.Errorf("indexes after the load\n%s\nwant\n%s", after, before)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The exclusion constraint built after the rows still refuses a device's
// overlapping activations: the load fails and nothing of it stays.
func TestBulkLoad_DeferredIndexesStillRefuseOverlappingActivations(t *testing.T) {
	f := newFixture(t)
	err := f.st.BulkLoad(f.ctx, func(tx *sqlx.Tx) error {
		d, err := store.IndexesDeferred(f.ctx, tx)
		if err != nil || d == nil {
			t.Fatalf("IndexesDeferred on empty tables = %v, %v", d, err)
		}
		if err := loadDeviceWithActivations(f, tx, [2]int{0, 2}, [2]int{1, 3}); err != nil {
			return err
		}
		return store.RestoreIndexes(f.ctx, tx, d)
	})
	if err == nil || !strings.Contains(err.Error(), "activations_device_id_tstzrange_excl") {
		t.Fatalf("BulkLoad = %v, want the exclusion constraint violated", err)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM devices`); n != 0 {
		t.Errorf("%d devices stayed", n)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM pg_constraint WHERE conname = 'activations_device_id_tstzrange_excl'`); n != 1 {
		t.Errorf("the exclusion constraint is missing after the failed load")
	}
}

// Tables that hold rows keep their indexes, and a load beside them leaves
// them unlocked for everyone else.
func TestBulkLoad_TablesWithRowsKeepTheirIndexesUnlocked(t *testing.T) {
	f := newFixture(t)
	f.buy(t, "O-1", "std-1y", 1)
	f.assign(t, f.product.ID, 1)
	f.connect(t, "dev-1")
	var before string
	if err := f.st.DB().GetContext(f.ctx, &before, indexDefs); err != nil {
		t.Fatal(err)
	}
	err := f.st.BulkLoad(f.ctx, func(tx *sqlx.Tx) error {
		d, err := store.IndexesDeferred(f.ctx, tx)
		if err != nil || d != nil {
			t.Fatalf("IndexesDeferred beside a device = %v, %v, want nothing dropped", d, err)
		}
		var locks int
		if err := f.st.DB().GetContext(f.ctx, &locks, `SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock'
			AND relation IN ('devices'::regclass, 'activations'::regclass)`); err != nil || locks != 0 {
			t.Errorf("%d exclusive locks on the tables (%v), want none", locks, err)
		}
		var during string
		if err := tx.GetContext(f.ctx, &during, indexDefs); err != nil || during != before {
			t.Errorf("indexes during the load (%v)\n%s\nwant\n%s", err, during, before)
		}
		return errRollBack
	})
	if !errors.Is(err, errRollBack) {
		t.Fatal(err)
	}
	verifyClean(t, f.st)
}
