package demo_test

import (
	"context"
	"testing"

	"activation-console/store"
	"activation-console/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// fixture is an account in eu-frankfurt with one product on a fresh database whose clock the
// test controls, for a seed to load into.
type fixture struct {
	st      *store.Store
	account store.Account
	ctx     context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := storetest.NewFixture(t, storetest.WithProduct("PK-1", "Thermostat", 0))
	return &fixture{st: f.Store, account: f.Account, ctx: f.Ctx}
}

// licenses reads the fixture account's figures in dc.
func (f *fixture) licenses(t *testing.T, dc string) store.LicenseSummary {
	t.Helper()
	l, err := f.st.Licenses(f.ctx, store.Scope{AccountID: f.account.ID, DC: dc})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// verifyClean fails the test when the ledger invariants do not hold.
func verifyClean(t *testing.T, st *store.Store) {
	t.Helper()
	v, err := st.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range v {
		t.Error("ledger violation:", line)
	}
}

// countRows runs a SELECT count(*) query.
func countRows(t *testing.T, st *store.Store, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := st.DB().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
