package store_test

import (
	"fmt"
	"sync"
	"testing"

	"activation-console/store"
)

// New devices of one product that connect at once are activated together;
// each gets exactly one code, its own data center, and a retried request of
// the same device in the same moment finds the code valid.
func TestConnect_NewDevicesAtOnceEachGetOneCode(t *testing.T) {
	f := raceFixture(t, 40)
	if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-1", AccountID: f.account.ID, DataCenter: "eu-frankfurt",
		PackageCode: "std-1y", Quantity: 1000, ProductKey: "PK-1"}); err != nil {
		t.Fatal(err)
	}
	const devices = 120
	var mu sync.Mutex
	results := map[string]int{}
	together(devices+20, func(i int) {
		dk, dc := fmt.Sprintf("dev-%03d", i), "eu-frankfurt"
		if i >= devices {
			dk = fmt.Sprintf("dev-%03d", i-devices) // the same device again, at the same time
		}
		if i%2 == 1 {
			dc = "cn-shanghai"
		}
		r, err := f.st.Connect(f.ctx, "PK-1", dk, dc)
		if err != nil {
			t.Errorf("connect %s: %v", dk, err)
			return
		}
		mu.Lock()
		results[r.Result]++
		mu.Unlock()
	})
	if results[store.ResultActivated] != devices || results[store.ResultValid] != 20 {
		t.Errorf("results = %v, want %d activated and 20 valid", results, devices)
	}
	if p := f.productNow(t); p.Consumed != devices || p.Available != 1000-devices {
		t.Errorf("product consumed %d, available %d; want %d and %d", p.Consumed, p.Available, devices, 1000-devices)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM devices WHERE last_connect_dc = 'cn-shanghai' AND device_key < 'dev-120'
		AND right(device_key, 1) IN ('1', '3', '5', '7', '9')`); n != devices/2 {
		t.Errorf("%d devices record connecting through cn-shanghai, want %d", n, devices/2)
	}
	verifyClean(t, f.st)
}
