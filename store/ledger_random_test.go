package store_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

var (
	randomSeed = flag.Uint64("seed", 0, "seed of TestLedger_RandomOperations (0: its fixed default seed)")
	randomOps  = flag.Int("ledger.ops", 0, "operations of TestLedger_RandomOperations in all (0: $LEDGER_RANDOM_OPS, else 2000)")
)

const (
	defaultRandomSeed = 20260101
	defaultRandomOps  = 2000
	// randomSequenceOps is the most operations one sequence runs: a larger
	// run is split into up to maxRandomSequences sequences side by side.
	randomSequenceOps  = 2000
	maxRandomSequences = 4
)

// randomRunOps is the number of operations asked for: -ledger.ops, else
// LEDGER_RANDOM_OPS, else 2000.
func randomRunOps(t *testing.T) int {
	if *randomOps > 0 {
		return *randomOps
	}
	if v := os.Getenv("LEDGER_RANDOM_OPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("LEDGER_RANDOM_OPS=%q: want a positive whole number", v)
		}
		return n
	}
	return defaultRandomOps
}

// TestLedger_RandomOperations runs seeded random sequences of the ledger's
// operations over 2 accounts x 2 DCs x 2 packages against a shadow model of
// the ledger's rules (docs/codes.md, docs/renewal.md) written here in Go. 2000 operations (the default) are
// one sequence; more (-ledger.ops N or LEDGER_RANDOM_OPS=N) are split into
// up to 4 sequences, each with its own seed and database, run in parallel.
//
// After every step a sequence compares every answer with the model, and
// every product's and pool's counters too (after step 2000, at every 10th
// step: with hundreds of products they would dominate). Every device's row
// is compared and st.Verify runs every 10th step up to step 2000, then
// every 500th (their cost grows with the data), and at the end; the license
// figures are compared every 20th step up to 2000, then every 500th, and at
// the end.
// The sequences run side by side only as far as -parallel allows (default
// GOMAXPROCS): pass -parallel 4 for all four. A failure names its
// sequence's subtest; reproduce it with
// `go test ./store/ -run 'RandomOperations/seed=S' -seed BASE -ledger.ops N`
// (the same BASE and N as the failing run).
func TestLedger_RandomOperations(t *testing.T) {
	t.Parallel()
	base := *randomSeed
	if base == 0 {
		base = defaultRandomSeed
	}
	total := randomRunOps(t)
	sequences := min(maxRandomSequences, (total+randomSequenceOps-1)/randomSequenceOps)
	t.Logf("seed %d, %d operations in %d sequences", base, total, sequences)
	for i := range sequences {
		steps := total / sequences
		if i < total%sequences {
			steps++
		}
		seed := base + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			if sequences > 1 {
				t.Parallel()
			}
			runRandomSequence(t, seed, steps)
		})
	}
}

// checkEvery tells whether a check that runs every n steps early in a
// sequence runs at step, out of steps: every n up to step 2000, then every
// 500th, and always at the last.
func checkEvery(step, steps, n int) bool {
	if step == steps {
		return true
	}
	if step <= 2000 {
		return step%n == 0
	}
	return step%500 == 0
}

// runRandomSequence runs one seeded sequence of steps operations.
func runRandomSequence(t *testing.T, seed uint64, steps int) {
	start := time.Now()
	r := newRandomRun(t, seed)
	ops := []struct {
		weight int
		name   string
		run    func()
	}{
		{34, "connect", r.connect},
		{9, "purchase", r.purchase},
		{3, "replay", r.replay},
		{2, "order conflict", r.orderConflict},
		{10, "assign", r.assign},
		{4, "delete device", r.deleteDevice},
		{1, "delete product", r.deleteProduct},
		{2, "create product", r.createProduct},
		{3, "set auto renew", r.setAutoRenew},
		{4, "blacklist", r.blacklist},
		{6, "advance clock", r.advance},
		{6, "renewal pass", r.pass},
		{4, "renew now", r.renewNow},
	}
	total := 0
	for _, op := range ops {
		total += op.weight
	}
	counts := map[string]int{}
	for r.step = 1; r.step <= steps; r.step++ {
		n := r.rng.IntN(total)
		for _, op := range ops {
			if n -= op.weight; n < 0 {
				counts[op.name]++
				op.run()
				break
			}
		}
		if checkEvery(r.step, steps, 1) || r.step%10 == 0 {
			r.compareCounters()
		}
		if checkEvery(r.step, steps, 10) {
			r.compareDevices()
			r.verify()
		}
		if checkEvery(r.step, steps, 20) {
			r.compareLicenses()
		}
	}
	t.Logf("seed %d, %d operations in %v: %v; outcomes: %v", seed, steps, time.Since(start).Round(time.Millisecond), counts, r.outcomes)
	t.Logf("final: %d products, %d devices, clock at %s", len(r.m.products), len(r.m.devices), r.m.now.Format(time.DateOnly))
}

// The shadow model.

type mProduct struct {
	id        int64
	pk        string
	account   int
	dc        string
	pkg       string
	autoRenew bool
	assigned  int64
	available int64
	consumed  int64
	forfeited int64
	deleted   bool
	blacklist map[string]bool
}

type mDevice struct {
	seq          int // the order rows were created in, like their ids
	id           int64
	product      *mProduct
	dk           string
	activatedAt  time.Time // zero until the first code
	expiresAt    time.Time
	kind         string
	activations  int
	waitingSince time.Time // zero unless waiting
	lapsedAt     time.Time // zero unless lapsed
	reason       string
	deleted      bool
}

func (d *mDevice) String() string {
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format(time.RFC3339)
	}
	return fmt.Sprintf("%s/%s: activated %s expires %s kind %q activations %d waiting %s lapsed %s %q deleted %v", d.product.pk, d.dk,
		at(d.activatedAt), at(d.expiresAt), d.kind, d.activations, at(d.waitingSince), at(d.lapsedAt), d.reason, d.deleted)
}

func (d *mDevice) validAt(now time.Time) bool {
	return !d.expiresAt.IsZero() && d.expiresAt.After(now) && d.lapsedAt.IsZero() && !d.deleted
}

type mPool struct{ purchased, granted, unassigned, assigned int64 }

type poolKey struct {
	account int
	dc, pkg string
}

type mDeviceKey struct {
	product int64
	dk      string
}

type ledgerModel struct {
	now      time.Time
	accounts []store.Account
	products []*mProduct // deleted ones too
	pools    map[poolKey]*mPool
	devices  map[mDeviceKey]*mDevice
	created  []*mDevice            // the same devices in the order they were created (seq)
	orders   []store.PurchaseOrder // as recorded
	validity map[string]time.Duration
	seq      int
}

func (m *ledgerModel) live(pk string) *mProduct {
	for _, p := range m.products {
		if p.pk == pk && !p.deleted {
			return p
		}
	}
	return nil
}

func (m *ledgerModel) pool(account int, dc, pkg string) *mPool {
	k := poolKey{account, dc, pkg}
	if m.pools[k] == nil {
		m.pools[k] = &mPool{}
	}
	return m.pools[k]
}

// consume spends one of p's codes on d, from 'from' unless that would already be over.
func (m *ledgerModel) consume(d *mDevice, p *mProduct, kind string, from time.Time) {
	v := m.validity[p.pkg]
	if !from.Add(v).After(m.now) {
		from = m.now
	}
	p.available--
	p.consumed++
	d.activatedAt, d.expiresAt, d.kind = from, from.Add(v), kind
	d.activations++
	d.waitingSince, d.lapsedAt, d.reason, d.deleted = time.Time{}, time.Time{}, "", false
}

func (m *ledgerModel) blocker(p *mProduct, dk string) string {
	switch {
	case !p.autoRenew:
		return string(store.ReasonAutoRenewOff)
	case p.blacklist[dk]:
		return string(store.ReasonBlacklisted)
	case p.available == 0:
		return string(store.ReasonNoCode)
	}
	return ""
}

// The run: one database, one model, one random source.

type randomRun struct {
	t        *testing.T
	ctx      context.Context
	st       *store.Store
	clock    *storetest.Clock
	rng      *rand.Rand
	m        ledgerModel
	step     int
	orderNo  int
	pkNo     int
	outcomes map[string]int
}

var randomPackages = []string{"r30", "r90"}

func newRandomRun(t *testing.T, seed uint64) *randomRun {
	clock := storetest.NewClock(epoch)
	r := &randomRun{t: t, ctx: context.Background(), clock: clock, rng: rand.New(rand.NewPCG(seed, seed^0x5eed)),
		st: openFastStore(t, clock), outcomes: map[string]int{}}
	r.m = ledgerModel{now: epoch, pools: map[poolKey]*mPool{}, devices: map[mDeviceKey]*mDevice{},
		validity: map[string]time.Duration{"r30": 720 * time.Hour, "r90": 2160 * time.Hour}}
	// Validities in hours, which PostgreSQL and Go add alike (no calendar months).
	for _, k := range []struct{ code, validity string }{{"r30", "720h"}, {"r90", "2160h"}} {
		if _, err := r.st.CreatePackage(r.ctx, store.NewPackage{Code: k.code, Name: "Random " + k.code, Validity: k.validity, MessagesPerDay: 100}); err != nil {
			t.Fatal(err)
		}
	}
	for i, a := range []store.NewAccount{
		{Name: "Alpha", Type: "enterprise", DataCenter: "eu-frankfurt", OwnerEmail: "alpha@example.com", OwnerPassword: "correct horse battery"},
		{Name: "Beta", Type: "individual", DataCenter: "cn-shanghai", OwnerEmail: "beta@example.com", OwnerPassword: "correct horse battery"},
	} {
		acc, err := r.st.CreateAccount(r.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		r.m.accounts = append(r.m.accounts, acc)
		r.m.pool(i, a.DataCenter, "std-1y").granted = map[string]int64{"enterprise": 10, "individual": 5}[a.Type]
		r.m.pool(i, a.DataCenter, "std-1y").unassigned = r.m.pool(i, a.DataCenter, "std-1y").granted
		for _, dc := range randomDCs {
			for j := 0; j < 2; j++ {
				r.newProduct(i, dc, r.nextPK())
			}
		}
	}
	r.step = 0
	r.compareCounters()
	r.verify()
	return r
}

var randomDCs = []string{"eu-frankfurt", "cn-shanghai"}

// openFastStore opens a store on a fresh database whose commits do not wait
// for the disk: a throwaway test database needs no durability, and the run
// commits a few thousand small transactions one after the other.
func openFastStore(t *testing.T, clock *storetest.Clock) *store.Store {
	t.Helper()
	url := storetest.NewDatabase(t)
	ctx := context.Background()
	setup, err := store.Open(ctx, url, store.WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = setup.DB().ExecContext(ctx, `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database()); END $$`)
	setup.Close()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, url, store.WithClock(clock.Now), store.WithPoolSize(4))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func (r *randomRun) nextPK() string {
	r.pkNo++
	return fmt.Sprintf("P%02d", r.pkNo)
}

func (r *randomRun) newProduct(account int, dc, pk string) {
	p, err := r.st.CreateProduct(r.ctx, store.Scope{AccountID: r.m.accounts[account].ID, DC: dc}, store.ProductInput{ProductKey: pk, Name: "Product " + pk})
	if err != nil {
		r.t.Fatalf("create product %s: %v", pk, err)
	}
	r.m.products = append(r.m.products, &mProduct{id: p.ID, pk: pk, account: account, dc: dc, autoRenew: true, blacklist: map[string]bool{}})
}

func (r *randomRun) fail(op string, format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("step %d (%s, clock %s): %s", r.step, op, r.m.now.Format(time.RFC3339), fmt.Sprintf(format, args...))
}

// codeOf names an outcome: "" for success, the store's code, or the whole of any other error.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := store.AsError(err); ok {
		if e.Reason != "" {
			return e.Code + "/" + string(e.Reason)
		}
		return e.Code
	}
	return "unexpected error: " + err.Error()
}

func (r *randomRun) expect(op string, err error, want string) {
	r.t.Helper()
	got := codeOf(err)
	if got != want {
		r.fail(op, "got %q, want %q", got, want)
	}
	if want == "" {
		want = "ok"
	}
	r.outcomes[want]++
}

func (r *randomRun) pick(n int) int { return r.rng.IntN(n) }

func (r *randomRun) chance(p float64) bool { return r.rng.Float64() < p }

// product picks a product: usually one of account/dc, sometimes any (maybe deleted).
func (r *randomRun) product(account int, dc string) *mProduct {
	var mine []*mProduct
	for _, p := range r.m.products {
		if p.account == account && p.dc == dc && !p.deleted {
			mine = append(mine, p)
		}
	}
	if len(mine) > 0 && r.chance(0.85) {
		return mine[r.pick(len(mine))]
	}
	return r.m.products[r.pick(len(r.m.products))]
}

// anyProduct picks a product of any account: a live one nine times out of ten.
func (r *randomRun) anyProduct() *mProduct {
	var live []*mProduct
	for _, p := range r.m.products {
		if !p.deleted {
			live = append(live, p)
		}
	}
	if len(live) > 0 && r.chance(0.9) {
		return live[r.pick(len(live))]
	}
	return r.m.products[r.pick(len(r.m.products))]
}

func (r *randomRun) deviceKey() string { return fmt.Sprintf("d%02d", r.pick(20)) }
