package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lib/pq"
)

// The ledger invariants (docs/codes.md, "Invariants"), as the database and Verify
// keep them.

func TestLedger_RecordsAreAppendOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.buy(t, "SO-1", "std-1y", 5)
	f.assign(t, f.product.ID, 3)
	f.connect(t, "dev-1")
	for table, change := range map[string]string{
		"assignments": "quantity = quantity - 1",
		"activations": "expires_at = expires_at + interval '1 year'",
		"credits":     "quantity = quantity + 1",
		"audit_log":   "description = ''",
	} {
		before := countRows(t, f.st, `SELECT count(*) FROM `+table)
		if before == 0 {
			t.Fatalf("%s: no rows to try", table)
		}
		for _, stmt := range []string{
			`UPDATE ` + table + ` SET ` + change,
			`UPDATE ` + table + ` SET account_id = account_id`,
			`DELETE FROM ` + table,
		} {
			_, err := f.st.DB().ExecContext(f.ctx, stmt)
			var pqErr *pq.Error
			if !errors.As(err, &pqErr) || pqErr.Code != "42501" {
				t.Errorf("%s: got %v, want the append-only refusal (42501)", stmt, err)
			}
		}
		if after := countRows(t, f.st, `SELECT count(*) FROM `+table); after != before {
			t.Errorf("%s: %d rows, want %d", table, after, before)
		}
	}
	// Counters cannot go back either: codes are never returned.
	for _, stmt := range []string{
		`UPDATE products SET assigned = assigned - 1, available = available - 1 WHERE id = $1`,
		`UPDATE products SET consumed = consumed - 1, available = available + 1 WHERE id = $1`,
	} {
		if _, err := f.st.DB().ExecContext(f.ctx, stmt, f.product.ID); err == nil {
			t.Errorf("%s: the database accepted it", stmt)
		}
	}
	verifyClean(t, f.st)
}

func TestLedger_ActivationsOfADeviceNeverOverlap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.assign(t, f.product.ID, 2)
	f.connect(t, "dev-1")
	d := f.device(t, "dev-1")
	for _, start := range []string{"$2::timestamptz", "$2::timestamptz + interval '364 days'", "$2::timestamptz - interval '1 day'"} {
		_, err := f.st.DB().ExecContext(f.ctx, `INSERT INTO activations (account_id, product_id, device_id, kind, activated_at, expires_at)
			VALUES ($1, $3, $4, 'renewal', `+start+`, `+start+` + interval '1 year')`, f.account.ID, epoch, f.product.ID, d.ID)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "23P01" {
			t.Errorf("overlapping activation from %s: got %v, want an exclusion violation", start, err)
		}
	}
	// Back to back is not an overlap.
	if _, err := f.st.DB().ExecContext(f.ctx, `INSERT INTO activations (account_id, product_id, device_id, kind, activated_at, expires_at)
		VALUES ($1, $2, $3, 'renewal', $4, $5)`, f.account.ID, f.product.ID, d.ID, year(epoch), year(year(epoch))); err != nil {
		t.Errorf("adjacent activation: %v", err)
	}
}

func TestVerify_NamesEachViolation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, tamper, check string
	}{
		{"codes credited without a credit", `UPDATE pools SET purchased = purchased + 1, unassigned = unassigned + 1`, "credits"},
		{"a consumption without an activation", `UPDATE products SET consumed = consumed + 1, available = available - 1`, "consumption"},
		{"a device's expiry without an activation", `UPDATE devices SET expires_at = expires_at + interval '1 day'`, "device activations"},
		{"a product's codes out of step with its assignments", `UPDATE products SET assigned = assigned + 1, available = available + 1`, "assignments"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.assign(t, f.product.ID, 3)
			f.connect(t, "dev-1")
			if _, err := f.st.DB().ExecContext(f.ctx, c.tamper); err != nil {
				t.Fatal(err)
			}
			v, err := f.st.Verify(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, line := range v {
				found = found || strings.HasPrefix(line, c.check+": ")
			}
			if !found {
				t.Errorf("violations = %q, want one of %q", v, c.check)
			}
		})
	}
}
