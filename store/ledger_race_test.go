package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

// The races of assigning, consuming and renewing codes (docs/codes.md,
// "Assigning codes" and "Consuming codes"; docs/renewal.md, "The worker"),
// with truly concurrent goroutines. These tests use large pools of
// connections, so they do not run in parallel with each other (the server
// allows 100 connections).

// together runs fn(i) for i in [0, n) in n goroutines released at once.
func together(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// raceFixture is newFixture on a store with a larger pool.
func raceFixture(t *testing.T, poolSize int) *fixture {
	t.Helper()
	return newFixture(t, storetest.WithStoreOptions(store.WithPoolSize(poolSize)))
}

func TestConnect_ConcurrentDevicesNeverConsumeMoreThanTheProductHas(t *testing.T) {
	const devices = 200
	for _, codes := range []int64{0, 1, 5, 50} {
		t.Run(fmt.Sprintf("%d codes", codes), func(t *testing.T) {
			f := raceFixture(t, 40)
			if codes > 0 {
				if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-1", AccountID: f.account.ID, DataCenter: "eu-frankfurt",
					PackageCode: "std-1y", Quantity: codes, ProductKey: "PK-1"}); err != nil {
					t.Fatal(err)
				}
			}
			var mu sync.Mutex
			results := map[string]int{}
			together(devices, func(i int) {
				r, err := f.st.Connect(f.ctx, "PK-1", fmt.Sprintf("dev-%03d", i), "eu-frankfurt")
				key := r.Result
				if err != nil {
					key = "error " + err.Error()
					if e, ok := store.AsError(err); ok {
						key = e.Code
					}
				}
				mu.Lock()
				results[key]++
				mu.Unlock()
			})
			want := map[string]int{}
			if activated := min(int(codes), devices); activated > 0 {
				want[store.ResultActivated] = activated
			}
			if devices > int(codes) {
				want[store.CodeNoActivationCode] = devices - int(codes)
			}
			if fmt.Sprint(results) != fmt.Sprint(want) {
				t.Errorf("results = %v, want %v", results, want)
			}
			if p := f.productNow(t); p.Consumed != min(codes, devices) || p.Available != codes-min(codes, devices) {
				t.Errorf("product = %+v", p)
			}
			if l := f.licenses(t, "eu-frankfurt"); l.WaitingDevices != int64(devices)-min(codes, devices) {
				t.Errorf("waiting devices = %d, want %d", l.WaitingDevices, int64(devices)-min(codes, devices))
			}
			if n := countRows(t, f.st, `SELECT count(*) FROM devices`); n != devices {
				t.Errorf("device rows = %d, want %d", n, devices)
			}
			verifyClean(t, f.st)
		})
	}
}

func TestConnect_ConcurrentConnectsOfOneDeviceConsumeOnce(t *testing.T) {
	f := raceFixture(t, 25)
	f.assign(t, f.product.ID, 5)
	const n = 20
	results := make([]store.ConnectResult, n)
	errs := make([]error, n)
	together(n, func(i int) {
		results[i], errs[i] = f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
	})
	activated := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("connect %d: %v", i, errs[i])
		}
		if r.Result == store.ResultActivated {
			activated++
		} else if r.Result != store.ResultValid {
			t.Errorf("connect %d: result %s", i, r.Result)
		}
		if !r.ActivatedAt.Equal(results[0].ActivatedAt) || !r.ExpiresAt.Equal(results[0].ExpiresAt) {
			t.Errorf("connect %d: %+v, but connect 0 answered %+v", i, r, results[0])
		}
	}
	if activated != 1 {
		t.Errorf("%d answers say activated, want 1", activated)
	}
	if p := f.productNow(t); p.Consumed != 1 || p.Available != 4 {
		t.Errorf("product = %+v, want exactly one code consumed", p)
	}
	verifyClean(t, f.st)
}

func TestAssign_ConcurrentAssignmentsNeverExceedThePool(t *testing.T) {
	f := raceFixture(t, 10)
	second := f.newProduct(t, "eu-frankfurt", "PK-2")
	for round := 0; round < 10; round++ {
		// The pool holds 10 codes at the start of every round; each side asks for 6.
		if left := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y").Unassigned; left < 10 {
			f.buy(t, fmt.Sprintf("SO-%d", round), "std-1y", 10-left)
		}
		products := []int64{f.product.ID, second.ID}
		errs := make([]error, 2)
		together(2, func(i int) {
			_, errs[i] = f.st.Assign(f.ctx, f.scope(),
				store.AssignInput{ProductID: products[i], PackageCode: "std-1y", Quantity: 6, Actor: store.SystemActor(fmt.Sprint("user ", i))})
		})
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				wantCode(t, err, store.CodeNotEnoughCodes)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d assignments succeeded, want exactly 1", round, ok)
		}
		if p := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y"); p.Unassigned != 4 {
			t.Fatalf("round %d: pool = %+v, want 4 left", round, p)
		}
	}
	if n := countRows(t, f.st, `SELECT coalesce(sum(quantity), 0) FROM assignments`); n != 60 {
		t.Errorf("assigned %d codes in all, want 60", n)
	}
	verifyClean(t, f.st)
}

func TestAssign_ConcurrentFirstAssignmentsFixOnePackage(t *testing.T) {
	f := raceFixture(t, 10)
	f.buy(t, "SO-5Y", "std-5y", 10)
	for round := 0; round < 10; round++ {
		p := f.newProduct(t, "eu-frankfurt", fmt.Sprintf("PK-R%d", round))
		errs := make([]error, 2)
		together(2, func(i int) {
			if i == 0 {
				_, errs[i] = f.st.Assign(f.ctx, f.scope(),
					store.AssignInput{ProductID: p.ID, PackageCode: "std-5y", Quantity: 1, Actor: store.SystemActor("test")})
				return
			}
			_, _, errs[i] = f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: fmt.Sprintf("SO-R%d", round), AccountID: f.account.ID,
				DataCenter: "eu-frankfurt", PackageCode: "std-1y", Quantity: 1, ProductKey: p.ProductKey})
		})
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: assign %v, purchase %v; want exactly one to succeed", round, errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil {
				wantCode(t, err, store.CodePackageMismatch)
			}
		}
	}
	verifyClean(t, f.st)
}

func TestPurchase_ConcurrentReplaysCreditOnce(t *testing.T) {
	f := raceFixture(t, 15)
	const n = 10
	replayed := make([]bool, n)
	errs := make([]error, n)
	together(n, func(i int) {
		_, replayed[i], errs[i] = f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-RACE", AccountID: f.account.ID,
			DataCenter: "eu-frankfurt", PackageCode: "std-1y", Quantity: 7, ProductKey: "PK-1"})
	})
	fresh := 0
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("purchase %d: %v", i, errs[i])
		}
		if !replayed[i] {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d purchases credited, want 1", fresh)
	}
	if p := f.productNow(t); p.Assigned != 7 {
		t.Errorf("product = %+v, want 7 codes", p)
	}
	verifyClean(t, f.st)
}

func TestRenewal_ConcurrentRequestsForOneDeviceSpendOneCode(t *testing.T) {
	const n = 10
	t.Run("renew now", func(t *testing.T) {
		f := raceFixture(t, 15)
		f.assign(t, f.product.ID, 1)
		f.connect(t, "dev-1")
		f.clock.Set(year(epoch).Add(days(1)))
		f.pass(t) // lapses: no code left
		f.assign(t, f.product.ID, 5)
		id := f.device(t, "dev-1").ID
		errs := make([]error, n)
		together(n, func(i int) {
			_, errs[i] = f.st.RenewNow(f.ctx, f.scope(), store.RenewNowInput{DeviceID: id, Actor: store.SystemActor("owner")})
		})
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				wantCode(t, err, store.CodeNotLapsed)
			}
		}
		if p := f.productNow(t); ok != 1 || p.Consumed != 2 || p.Available != 4 {
			t.Errorf("%d renewals succeeded, product %+v; want one code spent", ok, p)
		}
		verifyClean(t, f.st)
	})
	t.Run("connects and passes of an expired device", func(t *testing.T) {
		f := raceFixture(t, 15)
		f.assign(t, f.product.ID, 5)
		f.connect(t, "dev-1")
		f.clock.Set(year(epoch).Add(days(1)))
		results := make([]string, n)
		together(n, func(i int) {
			if i%3 == 0 {
				if _, err := f.st.RenewalPass(f.ctx); err != nil {
					results[i] = err.Error()
				}
				return
			}
			r, err := f.st.Connect(f.ctx, "PK-1", "dev-1", "eu-frankfurt")
			results[i] = r.Result
			if err != nil {
				results[i] = err.Error()
			}
			if err == nil && !r.ActivatedAt.Equal(year(epoch)) {
				t.Errorf("connect %d = %+v, want the renewal from the old expiry", i, r)
			}
		})
		for i, r := range results {
			if r != "" && r != store.ResultRenewed && r != store.ResultValid {
				t.Errorf("goroutine %d: %s", i, r)
			}
		}
		if p := f.productNow(t); p.Consumed != 2 {
			t.Errorf("consumed = %d, want 2: the device renewed exactly once", p.Consumed)
		}
		verifyClean(t, f.st)
	})
}

// loadExpiringDevices gives product 'codes' codes and activates 'devices' of
// them at the clock's time, in bulk: set-based inserts that keep every counter
// of the invariants in step (docs/codes.md, "Invariants").
func loadExpiringDevices(t *testing.T, f *fixture, devices, codes int64) {
	t.Helper()
	if _, _, err := f.st.Purchase(f.ctx, store.PurchaseOrder{OrderNo: "SO-BULK", AccountID: f.account.ID, DataCenter: "eu-frankfurt",
		PackageCode: "std-1y", Quantity: codes, ProductKey: f.product.ProductKey}); err != nil {
		t.Fatal(err)
	}
	now := f.st.Now()
	tx, err := f.st.DB().BeginTx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`SET LOCAL statement_timeout = 0`, nil}, // a bulk load on a loaded machine may take longer than a request may
		{`INSERT INTO devices (account_id, dc, product_id, device_key, activated_at, expires_at, last_kind, activations, last_connect_at, last_connect_dc)
			SELECT p.account_id, p.dc, p.id, 'dev-' || lpad(g::text, 6, '0'), $2::timestamptz, $2::timestamptz + k.validity, 'first', 1, $2::timestamptz, p.dc
			FROM products p JOIN packages k ON k.id = p.package_id, generate_series(1, $3::bigint) g WHERE p.id = $1`, []any{f.product.ID, now, devices}},
		{`INSERT INTO activations (account_id, product_id, device_id, kind, activated_at, expires_at, created_at)
			SELECT account_id, product_id, id, 'first', activated_at, expires_at, activated_at FROM devices WHERE product_id = $1`, []any{f.product.ID}},
		{`UPDATE products SET available = available - $2, consumed = consumed + $2 WHERE id = $1`, []any{f.product.ID, devices}},
	} {
		if _, err := tx.ExecContext(f.ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestRenewalPass_ConcurrentPassesHandleEachExpiryOnce(t *testing.T) {
	const devices, renewable = 10_000, 6_000
	f := newFixture(t, storetest.WithStoreOptions(store.WithPoolSize(4)))
	st, clock, ctx := f.st, f.clock, f.ctx
	// More stores on the same database, as instances of the console are.
	open := func() *store.Store {
		st, err := store.Open(ctx, f.base.URL, store.WithClock(clock.Now), store.WithPoolSize(4))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	loadExpiringDevices(t, f, devices, devices+renewable)
	verifyClean(t, st)

	// Three console instances, each with its own pool, run a pass at once,
	// while 200 of the expired devices, spread over the queue, connect through a fourth.
	clock.Set(year(epoch).Add(time.Hour))
	instances := []*store.Store{open(), open(), open()}
	api := open()
	const connectors, perConnector = 4, 50
	stats := make([]store.RenewalStats, len(instances))
	errs := make([]error, len(instances)+connectors)
	var mu sync.Mutex
	connects := map[string]int{}
	together(len(instances)+connectors, func(i int) {
		if i < len(instances) {
			stats[i], errs[i] = instances[i].RenewalPass(ctx)
			return
		}
		for j := 0; j < perConnector; j++ {
			r, err := api.Connect(ctx, "PK-1", fmt.Sprintf("dev-%06d", 1+50*((i-len(instances))+connectors*j)), "cn-shanghai")
			key := r.Result
			if e, ok := store.AsError(err); ok && e.Code == store.CodeExpired && e.Reason == store.ReasonNoCode {
				key = e.Code
			} else if err != nil {
				errs[i] = err
				return
			}
			mu.Lock()
			connects[key]++
			mu.Unlock()
		}
	})
	var total store.RenewalStats
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
	}
	for i := range instances {
		total.Renewed += stats[i].Renewed
		total.Lapsed += stats[i].Lapsed
		total.Swept += stats[i].Swept
	}
	t.Logf("passes: %+v; connects: %v", stats, connects)
	if connects[store.ResultRenewed]+connects[store.ResultValid]+connects[store.CodeExpired] != connectors*perConnector {
		t.Errorf("connects = %v, want only renewed, valid or activation_expired", connects)
	}
	if total.Renewed+connects[store.ResultRenewed] != renewable || total.Lapsed > devices-renewable || total.Swept != 0 {
		t.Errorf("passes handled %+v and connects renewed %d, want %d renewals in all and at most %d lapses",
			total, connects[store.ResultRenewed], renewable, devices-renewable)
	}
	var got struct {
		Renewed, Lapsed, Other int64
	}
	if err := st.DB().QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE d.activations = 2 AND a.n = 2 AND d.lapsed_at IS NULL AND d.activated_at = $1 AND d.last_kind = 'renewal'),
		count(*) FILTER (WHERE d.activations = 1 AND a.n = 1 AND d.lapse_reason = 'no_activation_code'),
		count(*) FILTER (WHERE NOT ((d.activations = 2 AND a.n = 2 AND d.lapsed_at IS NULL) OR (d.activations = 1 AND a.n = 1 AND d.lapsed_at IS NOT NULL)))
		FROM devices d JOIN (SELECT device_id, count(*) AS n FROM activations GROUP BY 1) a ON a.device_id = d.id`, year(epoch)).
		Scan(&got.Renewed, &got.Lapsed, &got.Other); err != nil {
		t.Fatal(err)
	}
	if got.Renewed != renewable || got.Lapsed != devices-renewable || got.Other != 0 {
		t.Errorf("devices: %+v, want %d renewed from the old expiry, %d lapsed, none else", got, renewable, devices-renewable)
	}
	if p := f.productNow(t); p.Available != 0 || p.Consumed != devices+renewable {
		t.Errorf("product = %+v, want every code consumed", p)
	}
	if s, err := st.RenewalPass(ctx); err != nil || s != (store.RenewalStats{}) {
		t.Errorf("another pass = %+v %v, want nothing", s, err)
	}
	verifyClean(t, st)
}
