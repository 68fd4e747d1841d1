package demo

// The benchmark seed (docs/running.md, "Benchmarks"): a large synthetic data set loaded
// into one account in bulk. It tells the same kind of story as the demo
// (demo_sql.go) and reuses its set-based steps for the devices and their
// activation chains; the steps that summarise those rows (assignments,
// counters, purchases, pools) are written here for many products, each one
// pass over the rows. Everything is one transaction, and every counter is
// computed from the rows it summarises, so the ledger invariants hold.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"activation-console/store"
)

// SeedInput is what to load: Devices devices over Products products of an
// account, in its home data center.
type SeedInput struct {
	AccountID int64
	Devices   int
	Products  int
	// Progress, when set, hears of each step as it finishes.
	Progress func(step string, took time.Duration)
}

// SeedReport counts what a seed loaded.
type SeedReport struct {
	DataCenter  string
	Products    int64
	Devices     int64
	Activations int64
	Waiting     int64
	Lapsed      int64
	Blacklisted int64
	Assignments int64
	Took        time.Duration
}

// The largest seed: products get devices by a Zipf-like law, so a million
// devices over 2,000 products give a few products of tens of thousands.
const (
	maxSeedDevices  = 20_000_000
	maxSeedProducts = 100_000
	seedZipf        = 0.9
)

// seedKinds name the seed's products, with the prefix of their DeviceKeys.
var seedKinds = []struct{ name, code string }{
	{"Smart Thermostat", "ST"}, {"Water Meter", "WM"}, {"Air Quality Sensor", "AQ"}, {"Door Lock", "DL"},
	{"Parking Sensor", "PS"}, {"Fleet Tracker", "FT"}, {"Smart Plug", "SP"}, {"Gas Meter", "GM"},
	{"Leak Detector", "LD"}, {"Street Light Controller", "SL"}, {"Asset Tag", "AT"}, {"Cold Chain Logger", "CC"},
}

// seedProduct is one product's story, in the columns of demo_products.
type seedProduct struct {
	key, name, prefix, pkg       string // pkg "" leaves the product without codes
	devices, waiting             int
	launchDays, autoOffDays      int
	available                    int64
	blacklistRate, deletedRate   float64
	noCodeFromDays, noCodeToDays int
}

// seedShards is how many transactions load a seed side by side. Each holds
// whole products with everything that summarises them, so each commits a
// consistent ledger on its own. Twice the cores: a load also waits for the
// disk (WAL), and the cores then serve the other transactions.
var seedShards = min(8, 2*runtime.NumCPU())

// Seed loads a large synthetic data set into an account's home data center
// (docs/running.md, "Benchmarks"): products, devices with activation chains over the past
// years, lapsed, waiting, blacklisted and deleted devices, quarterly
// assignments, monthly purchases and the audit log of those changes. The
// products are loaded in a few transactions side by side, each a complete
// share of them: a seed cut short leaves fewer products, never a broken ledger.
func Seed(ctx context.Context, s *store.Store, in SeedInput) (SeedReport, error) {
	start := time.Now()
	if in.Devices < 1 || in.Devices > maxSeedDevices {
		return SeedReport{}, store.Invalid("devices", "err.demo_devices_range", "Max", maxSeedDevices)
	}
	if in.Products < 1 || in.Products > maxSeedProducts || in.Products > in.Devices {
		return SeedReport{}, store.Invalid("products", "err.demo_products_range", "Max", maxSeedProducts)
	}
	acc, err := s.Account(ctx, in.AccountID)
	if err != nil {
		return SeedReport{}, err
	}
	tag := make([]byte, 3)
	rand.Read(tag)
	stories := seedStories(in, hex.EncodeToString(tag))
	now := s.Now()
	var mu sync.Mutex
	step := func(name string, t0 time.Time) {
		if in.Progress != nil {
			mu.Lock()
			defer mu.Unlock()
			in.Progress(name, time.Since(t0))
		}
	}
	n := min(seedShards, len(stories))
	reports := make([]SeedReport, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		var share []seedProduct
		for i := k; i < len(stories); i += n {
			share = append(share, stories[i])
		}
		wg.Go(func() {
			shardTag := fmt.Sprintf("%s-%d", hex.EncodeToString(tag), k+1)
			label := func(name string, t0 time.Time) { step(fmt.Sprintf("%s [%d/%d]", name, k+1, n), t0) }
			reports[k], errs[k] = seedShard(ctx, s, acc, share, shardTag, now, label)
		})
	}
	wg.Wait()
	rep := SeedReport{DataCenter: acc.HomeDC}
	for _, r := range reports {
		rep.Products += r.Products
		rep.Devices += r.Devices
		rep.Activations += r.Activations
		rep.Waiting += r.Waiting
		rep.Lapsed += r.Lapsed
		rep.Blacklisted += r.Blacklisted
		rep.Assignments += r.Assignments
	}
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("demo: seed: %w", err)
	}
	// The maintained counts folded, statistics and the visibility map, as the
	// renewal worker and autovacuum would leave them, so that the pages are
	// measured in steady state, not on a cold load.
	t0 := time.Now()
	// Statistics first: without them the planner takes the million rows to
	// fold for a handful and joins them one by one.
	if _, err := s.DB().ExecContext(ctx, `ANALYZE expiry_counts, expiry_hour_counts, consumption_days`); err != nil {
		return rep, fmt.Errorf("demo: seed: %w", err)
	}
	if err := s.CompactExpiryCounts(ctx); err != nil {
		return rep, fmt.Errorf("demo: seed: %w", err)
	}
	step("compact counts", t0)
	t0 = time.Now()
	if err := s.Vacuum(ctx, `products, devices, activations, blacklist, assignments, credits, pools, audit_log, expiry_counts, expiry_hour_counts, expiry_window_sums, consumption_days`); err != nil {
		return rep, fmt.Errorf("demo: seed: vacuum: %w", err)
	}
	step("vacuum", t0)
	rep.Took = time.Since(start)
	return rep, nil
}

// seedShard loads some of the seed's products in one transaction.
func seedShard(ctx context.Context, s *store.Store, acc store.Account, products []seedProduct, tag string, now time.Time,
	step func(string, time.Time)) (SeedReport, error) {
	var rep SeedReport
	err := s.BulkLoad(ctx, func(tx *sqlx.Tx) error {
		// As the demo: calendar arithmetic in UTC, no JIT, room to sort; and a
		// load's statements take minutes, not the store's seconds.
		if _, err := tx.ExecContext(ctx, `SET LOCAL TimeZone = 'UTC'; SET LOCAL jit = off; SET LOCAL work_mem = '128MB';
			SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		t0 := time.Now()
		if err := insertSeedProducts(ctx, tx, acc, products, now); err != nil {
			return fmt.Errorf("products: %w", err)
		}
		step("products", t0)
		// The devices and their activations without a foreign-key check per
		// row and key: checked once, set-based, after them.
		off, err := store.ForeignKeysOff(ctx, tx)
		if err != nil {
			return err
		}
		for _, name := range []string{"plan", "devices", "activations"} {
			t0 := time.Now()
			st := demoStepNamed(name)
			if _, err := tx.ExecContext(ctx, st.query, st.args(acc.ID, now)...); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			step(name, t0)
		}
		if off {
			t0 := time.Now()
			if err := store.CheckForeignKeys(ctx, tx, `SELECT device_id FROM demo_plan`); err != nil {
				return err
			}
			step("foreign keys", t0)
		}
		t0 = time.Now()
		bl := demoStepNamed("blacklist")
		if _, err := tx.ExecContext(ctx, bl.query, bl.args(acc.ID, now)...); err != nil {
			return fmt.Errorf("blacklist: %w", err)
		}
		step("blacklist", t0)
		for _, st := range seedSteps {
			t0 := time.Now()
			args := []any{acc.ID, acc.HomeDC}
			if st.tagged {
				args = append(args, tag)
			}
			if _, err := tx.ExecContext(ctx, st.query, args...); err != nil {
				return fmt.Errorf("%s: %w", st.name, err)
			}
			step(st.name, t0)
		}
		return tx.QueryRowxContext(ctx, `SELECT (SELECT count(*) FROM demo_products),
			count(*), coalesce(sum(n_act), 0), count(*) FILTER (WHERE waiting_since IS NOT NULL),
			count(*) FILTER (WHERE lapsed_at IS NOT NULL), count(*) FILTER (WHERE blacklisted_at IS NOT NULL),
			(SELECT count(*) FROM assignments WHERE product_id IN (SELECT product_id FROM demo_products))
			FROM demo_plan`).Scan(&rep.Products, &rep.Devices, &rep.Activations, &rep.Waiting, &rep.Lapsed, &rep.Blacklisted, &rep.Assignments)
	})
	return rep, err
}

// demoStepNamed is one of the demo's steps.
func demoStepNamed(name string) demoStep {
	for _, st := range demoSteps {
		if st.name == name {
			return st
		}
	}
	panic("demo: no demo step " + name)
}

// seedStories draws every product's story, the same for the same input.
func seedStories(in SeedInput, tag string) []seedProduct {
	r := mrand.New(mrand.NewPCG(uint64(in.AccountID), uint64(in.Products)))
	// Products without a package yet, whose devices all wait: one in 200.
	unpackaged := in.Products / 200
	weights := make([]float64, in.Products)
	var sum float64
	for i := range weights {
		weights[i] = math.Pow(float64(i+1), -seedZipf)
		sum += weights[i]
	}
	// Each product gets its share, at least one device, and the first ones the remainder.
	counts := make([]int, in.Products)
	left := in.Devices - in.Products
	given := 0
	for i := range counts {
		counts[i] = 1 + int(float64(left)*weights[i]/sum)
		given += counts[i]
	}
	for i := 0; given < in.Devices; i = (i + 1) % in.Products {
		counts[i]++
		given++
	}
	out := make([]seedProduct, in.Products)
	for i := range out {
		// Shuffle which kind is large, so that the biggest products are not all thermostats.
		kind := seedKinds[(i*7+r.IntN(3))%len(seedKinds)]
		n := counts[i]
		p := seedProduct{
			key:    fmt.Sprintf("%s-%05d-%s", lowerASCII(kind.code), i+1, tag),
			name:   fmt.Sprintf("%s %s-%d", kind.name, kind.code, 100+i),
			prefix: fmt.Sprintf("%s%d", kind.code, i+1),
			pkg:    "std-1y",
			// Launched between two and eight years ago: about two codes per device.
			launchDays: 730 + r.IntN(6*365),
		}
		if r.Float64() < 0.1 {
			p.pkg = "std-5y"
		}
		switch u := r.Float64(); {
		case i >= in.Products-unpackaged:
			// A new product that has no codes yet: its devices wait.
			p.pkg, p.waiting, p.launchDays = "", n, 5+r.IntN(60)
		case u < 0.02:
			// Ran out of codes: the newest devices wait for one.
			p.waiting = max(1, n/50)
		case u < 0.07:
			// Nearly out: fewer codes than devices due to renew.
			p.available = int64(r.IntN(max(1, n/50)))
		default:
			p.available = int64(float64(n) * (0.12 + 0.3*r.Float64()))
		}
		p.devices = n - p.waiting
		if p.pkg != "" && r.Float64() < 0.03 {
			p.autoOffDays = 30 + r.IntN(400)
		}
		if r.Float64() < 0.3 {
			p.blacklistRate = 0.001 + 0.03*r.Float64()
		}
		if r.Float64() < 0.5 {
			p.deletedRate = 0.001 + 0.01*r.Float64()
		}
		if r.Float64() < 0.05 {
			p.noCodeFromDays = 60 + r.IntN(max(1, p.launchDays-60))
			p.noCodeToDays = max(1, p.noCodeFromDays-10-r.IntN(30))
		}
		out[i] = p
	}
	return out
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// insertSeedProducts creates the products and demo_products, their stories
// for the demo's steps, in one statement each.
func insertSeedProducts(ctx context.Context, tx *sqlx.Tx, acc store.Account, products []seedProduct, now time.Time) error {
	if _, err := tx.ExecContext(ctx, demoProductsTable); err != nil {
		return err
	}
	n := len(products)
	keys, names, prefixes, pkgs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	devices, waiting, launch, autoOff, noFrom, noTo := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	available := make([]int64, n)
	blacklist, deleted := make([]float64, n), make([]float64, n)
	for i, p := range products {
		keys[i], names[i], prefixes[i], pkgs[i] = p.key, p.name, p.prefix, p.pkg
		devices[i], waiting[i], launch[i], autoOff[i] = int64(p.devices), int64(p.waiting), int64(p.launchDays), int64(p.autoOffDays)
		noFrom[i], noTo[i], available[i] = int64(p.noCodeFromDays), int64(p.noCodeToDays), p.available
		blacklist[i], deleted[i] = p.blacklistRate, p.deletedRate
	}
	// Days before now become times; 0 days means never.
	_, err := tx.ExecContext(ctx, `WITH s AS (
			SELECT s.*, $3::timestamptz - s.launch_days * interval '1 day' AS launched_at,
				CASE WHEN s.auto_off_days > 0 THEN $3::timestamptz - s.auto_off_days * interval '1 day' END AS auto_off_at,
				k.id AS package_id, k.validity
			FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],
				$12::bigint[], $13::float8[], $14::float8[], $15::bigint[], $16::bigint[])
				AS s(key, name, prefix, pkg, devices, waiting, launch_days, auto_off_days, available, blacklist_rate, deleted_rate, nocode_from, nocode_to)
			LEFT JOIN packages k ON k.code = nullif(s.pkg, '')
		), p AS (
			INSERT INTO products (account_id, dc, product_key, name, package_id, auto_renew, created_at)
			SELECT $1, $2, s.key, s.name, s.package_id, s.auto_off_at IS NULL, s.launched_at - interval '5 days' FROM s
			RETURNING id, product_key
		)
		INSERT INTO demo_products
		SELECT p.id, $2, s.prefix, 0, s.devices, s.waiting, s.launched_at, s.validity, s.available, s.auto_off_at,
			s.blacklist_rate, s.deleted_rate,
			CASE WHEN s.nocode_from > 0 THEN $3::timestamptz - s.nocode_from * interval '1 day' END,
			CASE WHEN s.nocode_from > 0 THEN $3::timestamptz - s.nocode_to * interval '1 day' END
		FROM s JOIN p ON p.product_key = s.key`,
		acc.ID, acc.HomeDC, now, pq.Array(keys), pq.Array(names), pq.Array(prefixes), pq.Array(pkgs),
		pq.Array(devices), pq.Array(waiting), pq.Array(launch), pq.Array(autoOff), pq.Array(available),
		pq.Array(blacklist), pq.Array(deleted), pq.Array(noFrom), pq.Array(noTo))
	return err
}

// seedSteps summarise the rows of the demo's steps for the seed's products.
// Each takes $1 the account and $2 its data center; a tagged one also $3,
// the seed's tag, which makes its order numbers unique.
var seedSteps = []struct {
	name, query string
	tagged      bool
}{
	// Quarterly assignments that keep ahead of consumption, rounded up to
	// hundreds; the last leaves the product its target of available codes.
	// At most a million codes each, as every assignment.
	{"assignments", `INSERT INTO assignments (account_id, dc, product_id, package_id, quantity, user_id, operator, created_at)
		WITH q AS (
			SELECT product_id, quarter, sum(n) AS n FROM (
				SELECT a.product_id, date_trunc('quarter', a.created_at) AS quarter, count(*) AS n
				FROM activations a WHERE a.product_id IN (SELECT product_id FROM demo_products) GROUP BY 1, 2
				UNION ALL
				SELECT product_id, date_trunc('quarter', launched_at), 0 FROM demo_products WHERE validity IS NOT NULL) x
			GROUP BY 1, 2
		), c AS (
			SELECT q.product_id, q.quarter, sum(q.n) OVER w AS through, sum(q.n) OVER (PARTITION BY q.product_id) AS consumed,
				lead(q.quarter) OVER w IS NULL AS last
			FROM q WINDOW w AS (PARTITION BY q.product_id ORDER BY q.quarter)
		), t AS (
			SELECT c.product_id, c.quarter, CASE WHEN c.last THEN c.consumed + dp.target_available
				ELSE least(ceil(c.through / 100.0)::bigint * 100, c.consumed + dp.target_available) END AS target
			FROM c JOIN demo_products dp USING (product_id)
		), d AS (
			SELECT t.*, t.target - coalesce(lag(t.target) OVER (PARTITION BY t.product_id ORDER BY t.quarter), 0) AS quantity FROM t
		)
		SELECT $1, $2, d.product_id, p.package_id, least(d.quantity - part * 1000000, 1000000), o.id, o.email,
			greatest(d.quarter, p.created_at + interval '1 day') + part * interval '1 minute'
		FROM d JOIN products p ON p.id = d.product_id
		CROSS JOIN generate_series(0, (d.quantity - 1) / 1000000) part
		JOIN users o ON o.account_id = $1 AND o.role = 'owner'
		WHERE d.quantity > 0
		ORDER BY 8, 3`, false},

	{"product counters", `UPDATE products p SET assigned = a.total, consumed = coalesce(c.n, 0), available = a.total - coalesce(c.n, 0)
		FROM (SELECT product_id, sum(quantity) AS total FROM assignments WHERE product_id IN (SELECT product_id FROM demo_products) GROUP BY 1) a
		LEFT JOIN (SELECT product_id, count(*) AS n FROM activations WHERE product_id IN (SELECT product_id FROM demo_products) GROUP BY 1) c
			USING (product_id)
		WHERE p.id = a.product_id AND p.account_id = $1 AND p.dc = $2`, false},

	// Monthly purchase orders per package that keep ahead of the assignments,
	// rounded up to thousands, the last leaving 2% unassigned; credited to
	// the account's pools in the same statement.
	{"purchases and pools", `WITH m AS (
			SELECT a.package_id, date_trunc('month', a.created_at) AS month, sum(a.quantity) AS q
			FROM assignments a WHERE a.product_id IN (SELECT product_id FROM demo_products) GROUP BY 1, 2
		), c AS (
			SELECT m.package_id, m.month, sum(m.q) OVER w AS through, sum(m.q) OVER (PARTITION BY m.package_id) AS assigned,
				lead(m.month) OVER w IS NULL AS last
			FROM m WINDOW w AS (PARTITION BY m.package_id ORDER BY m.month)
		), t AS (
			SELECT c.*, ceil(c.assigned * 1.02 / 100.0)::bigint * 100 AS total FROM c
		), d AS (
			SELECT t.package_id, t.month, t.assigned, t.target - coalesce(lag(t.target) OVER (PARTITION BY t.package_id ORDER BY t.month), 0) AS quantity
			FROM (SELECT t.*, CASE WHEN t.last THEN t.total ELSE least(ceil(t.through / 1000.0)::bigint * 1000, t.total) END AS target FROM t) t
		), ins AS (
			INSERT INTO credits (kind, order_no, account_id, dc, package_id, quantity, created_at)
			SELECT 'purchase', format('SEED-%s-%s-%s-%s', upper($3::text), upper(k.code), to_char(d.month, 'YYYYMMDD'), part),
				$1, $2, d.package_id, least(d.quantity - part * 1000000, 1000000), d.month - interval '3 days' + interval '9 hours'
			FROM d JOIN packages k ON k.id = d.package_id CROSS JOIN generate_series(0, (d.quantity - 1) / 1000000) part
			WHERE d.quantity > 0 ORDER BY d.month, k.id
			RETURNING package_id, quantity
		)
		INSERT INTO pools (account_id, dc, package_id, purchased, granted, unassigned, assigned)
		SELECT $1, $2, b.package_id, b.purchased, 0, b.purchased - a.assigned, a.assigned
		FROM (SELECT package_id, sum(quantity) AS purchased FROM ins GROUP BY 1) b
		JOIN (SELECT package_id, max(assigned) AS assigned FROM d GROUP BY 1) a USING (package_id)
		ORDER BY b.package_id -- the same lock order in every shard
		ON CONFLICT (account_id, dc, package_id) DO UPDATE SET purchased = pools.purchased + EXCLUDED.purchased,
			unassigned = pools.unassigned + EXCLUDED.unassigned, assigned = pools.assigned + EXCLUDED.assigned`, true},

	// The audit log of the changes above, worded as the operations word them
	// (the description, and its message: store.AuditMessage).
	{"audit log", `INSERT INTO audit_log (account_id, at, user_id, actor, type, operation, description, message)
		SELECT $1, at, o.id, o.email, type, operation, description, jsonb_build_array(message) FROM (
			SELECT a.created_at AS at, 'license' AS type, 'assign' AS operation,
				format('assigned %s codes of package %s to %s (%s)', a.quantity, k.code, p.name, p.product_key) AS description,
				jsonb_build_object('id', 'audit.entry.assigned', 'nums', jsonb_build_object('Count', a.quantity),
					'args', jsonb_build_object('Package', k.code, 'Product', p.name, 'ProductKey', p.product_key)) AS message
			FROM assignments a JOIN packages k ON k.id = a.package_id JOIN products p ON p.id = a.product_id
			WHERE a.account_id = $1 AND a.dc = $2 AND a.product_id IN (SELECT product_id FROM demo_products)
			UNION ALL
			SELECT dp.auto_off_at, 'renewal', 'automatic renewal off', format('turned automatic renewal off for %s (%s)', p.name, p.product_key),
				jsonb_build_object('id', 'audit.entry.auto_renew_off', 'args', jsonb_build_object('Product', p.name, 'ProductKey', p.product_key))
			FROM demo_products dp JOIN products p ON p.id = dp.product_id WHERE dp.auto_off_at IS NOT NULL
			UNION ALL
			SELECT b.created_at, 'renewal', 'blacklist add',
				format('device %s was added to the renewal blacklist of %s (%s): %s', b.device_key, p.name, p.product_key, b.device_key),
				jsonb_build_object('id', 'audit.entry.blacklist_added', 'nums', jsonb_build_object('Count', 1),
					'args', jsonb_build_object('Devices', b.device_key, 'Product', p.name, 'ProductKey', p.product_key))
			FROM blacklist b JOIN products p ON p.id = b.product_id WHERE b.product_id IN (SELECT product_id FROM demo_products)) x
		JOIN users o ON o.account_id = $1 AND o.role = 'owner'
		ORDER BY at`, false},
}
