package store_test

import (
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
