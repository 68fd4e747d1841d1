package store_test

import (
	"strings"
	"testing"

	"activation-console/store"
)

// The support search by DeviceKey looks the key up in an index rather than
// reading every device of every account.
func TestFindAccounts_ByDeviceKeyUsesAnIndex(t *testing.T) {
	f := newFixture(t)
	f.buy(t, "O-1", "std-1y", 1)
	f.assign(t, f.product.ID, 1)
	f.connect(t, "dev-support-1")
	got, err := f.st.FindAccounts(f.ctx, "dev-support-1")
	if err != nil || len(got) != 1 || got[0].ID != f.account.ID || got[0].MatchedBy != "DeviceKey" {
		t.Fatalf("FindAccounts: %+v, %v", got, err)
	}
	conn, err := f.st.DB().Connx(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A test database is small enough to read whole; forbid that, as a
	// million devices would.
	if _, err := conn.ExecContext(f.ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(f.ctx, `RESET enable_seqscan`)
	var plan []string
	if err := conn.SelectContext(f.ctx, &plan, `EXPLAIN `+store.FindAccountsSQL, "dev-support-1", "dev-support-1"); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if strings.Contains(text, "Seq Scan on devices") || !strings.Contains(text, "devices_device_key") {
		t.Errorf("the search reads devices without its index:\n%s", text)
	}
}
