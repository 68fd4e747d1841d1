package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/lib/pq"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/store/demo"
	"activation-console/store/storetest"
)

// runID tells this run's products, devices and token from an earlier run's.
var runID = time.Now().UTC().Format("150405")

// The people and accounts the bench creates.
const (
	largeOwner  = "owner@large-fleet.example"
	exportOwner = "owner@one-product.example"
	password    = "bench-owner-password-2026"
)

// results is everything the table shows.
type results struct {
	facts
	seedTook, exportSeedTook time.Duration
	seed                     demo.SeedReport
	bigProduct               string
	pages                    []pageResult
	charts                   []chartResult
	many, hot, scarce, valid connectResult
	scarceCodes              int
	scarceConsumed           int64
	pgbench, pgbenchSelect   pgbenchResult
	renewalWAL               int64 // bytes of WAL the renewal pass wrote
	renewal                  store.RenewalStats
	renewalTook              time.Duration
	renewalHooks             store.RenewalStats // a pass of as many expiries with a webhook endpoint registered
	renewalHooksTook         time.Duration
	hookEvents               int64 // the events that pass wrote
	exportRows               int64
	exportTook               time.Duration
	exportRSSBefore          int64
	exportRSSPeak            int64
	rssPages, rssConnect     int64
	standby                  standbyResult
	violations               []string
}

func run(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", args...) }
	f, err := machineFacts(ctx, cfg.adminURL)
	if err != nil {
		return fmt.Errorf("the server at %s: %w", redact(cfg.adminURL), err)
	}
	res := &results{facts: f}
	logf("measuring %s on %d cores, %s; load average %s", f.server, f.cores, f.memory, f.load)
	dir, err := os.MkdirTemp("", "console-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	name := "console_bench_" + time.Now().UTC().Format("20060102_150405")
	var dbURL string
	if cfg.reuse != "" {
		name, dbURL = cfg.reuse, storetest.WithDatabase(cfg.adminURL, cfg.reuse)
	} else {
		if dbURL, err = createDatabase(ctx, cfg.adminURL, name); err != nil {
			return err
		}
		if !cfg.keep {
			defer dropDatabase(cfg.adminURL, name)
		} else {
			logf("keeping database %s (measure it again with --reuse %s)", name, name)
		}
	}
	bin, err := buildConsole(ctx, dir)
	if err != nil {
		return err
	}
	cli := consoleCLI{bin: bin, env: []string{"DATABASE_URL=" + dbURL}, dataDir: dir, log: stderr}
	if cfg.reuse == "" {
		if err := seedAccounts(ctx, cfg, res, cli, logf); err != nil {
			return err
		}
		// The seed leaves gigabytes of pages to write: written now, not by a
		// checkpoint in the middle of whichever page is being measured.
		t0 := time.Now()
		if err := checkpoint(ctx, cfg.adminURL); err != nil {
			return err
		}
		logf("checkpoint after the seed: %s", time.Since(t0).Round(time.Second))
	}
	token, err := cli.run(ctx, "token", "create", "bench-"+runID)
	if err != nil {
		return err
	}

	st, err := store.Open(ctx, dbURL, store.WithPoolSize(8))
	if err != nil {
		return err
	}
	defer st.Close()
	large, err := st.FindAccount(ctx, largeOwner)
	if err != nil {
		return err
	}
	exportAcc, err := st.FindAccount(ctx, exportOwner)
	if err != nil {
		return err
	}
	res.seed, err = seedFigures(ctx, st, large.ID)
	if err != nil {
		return err
	}

	keysEnv, keys := sessionKeys()
	srv, err := cli.startServer(ctx, keysEnv)
	if err != nil {
		return err
	}
	defer srv.stop()
	mem := watchMemory(srv.pid)
	defer close(mem.stop)

	phase := cfg.ran
	if phase("pages") {
		if err := benchPages(ctx, cfg, res, st, srv, dbURL, keys, large, mem, logf); err != nil {
			return err
		}
	}
	if phase("connect") {
		if err := benchConnect(ctx, cfg, res, st, srv, token, large, mem, logf); err != nil {
			return err
		}
		pgURL, err := createDatabase(ctx, cfg.adminURL, name+"_pgbench")
		if err != nil {
			return err
		}
		defer dropDatabase(cfg.adminURL, name+"_pgbench")
		if err := initPgbench(ctx, pgURL, cfg.scale, stderr); err != nil {
			return err
		}
		logf("pgbench -N -c %d on the same server", cfg.clients)
		if res.pgbench, err = runPgbench(ctx, pgURL, "-N", cfg.clients, cfg.connectTime, dir, stderr); err != nil {
			return err
		}
		logf("pgbench -S -c %d on the same server", cfg.clients)
		if res.pgbenchSelect, err = runPgbench(ctx, pgURL, "-S", cfg.clients, cfg.connectTime, dir, stderr); err != nil {
			return err
		}
	}
	if phase("standby") {
		if err := benchStandby(ctx, cfg, res, st, srv, cli, keysEnv, name, token, large, logf); err != nil {
			return err
		}
	}
	if phase("export") {
		if err := benchExport(ctx, res, st, srv, exportAcc, mem, logf); err != nil {
			return err
		}
	}
	if phase("renewal") {
		if err := benchRenewal(ctx, cfg, res, dbURL, logf); err != nil {
			return err
		}
	}
	logf("verifying the ledger")
	if res.violations, err = st.Verify(ctx); err != nil {
		return err
	}
	res.loadEnd = loadAverage()
	table := res.table(cfg)
	fmt.Fprint(stdout, table)
	if cfg.out != "" {
		return os.WriteFile(cfg.out, []byte(table), 0o644)
	}
	return nil
}

// seedAccounts creates the large account and the one-product account whose
// devices are exported, and seeds both.
func seedAccounts(ctx context.Context, cfg config, res *results, cli consoleCLI, logf func(string, ...any)) error {
	// The password travels in the environment, not on a command line that
	// the process list shows (docs/SECURITY.md, "Credentials").
	withPassword := cli
	withPassword.env = append(slices.Clone(cli.env), "CONSOLE_PASSWORD="+password)
	for _, a := range []struct{ name, email string }{{"Large Fleet AG", largeOwner}, {"One Product GmbH", exportOwner}} {
		if _, err := withPassword.run(ctx, "account", "create", "--name", a.name, "--type", "enterprise", "--data-center", "eu-frankfurt",
			"--owner-email", a.email); err != nil {
			return err
		}
	}
	logf("seeding %d devices over %d products", cfg.devices, cfg.products)
	t0 := time.Now()
	out, err := cli.run(ctx, "seed", "--account", largeOwner, "--devices", strconv.Itoa(cfg.devices), "--products", strconv.Itoa(cfg.products))
	if err != nil {
		return err
	}
	res.seedTook = time.Since(t0)
	logf("%s", out)
	logf("seeding %d devices of one product", cfg.csvDevices)
	t0 = time.Now()
	if _, err := cli.run(ctx, "seed", "--account", exportOwner, "--devices", strconv.Itoa(cfg.csvDevices), "--products", "1"); err != nil {
		return err
	}
	res.exportSeedTook = time.Since(t0)
	return nil
}

// seedFigures reads what the large account holds, for the table's heading.
func seedFigures(ctx context.Context, st *store.Store, accountID int64) (demo.SeedReport, error) {
	var r demo.SeedReport
	err := st.DB().QueryRowxContext(ctx, `SELECT (SELECT count(*) FROM products WHERE account_id = $1),
		(SELECT count(*) FROM devices WHERE account_id = $1), (SELECT count(*) FROM activations WHERE account_id = $1),
		(SELECT count(*) FROM devices WHERE account_id = $1 AND waiting_since IS NOT NULL),
		(SELECT count(*) FROM devices WHERE account_id = $1 AND lapsed_at IS NOT NULL),
		(SELECT count(*) FROM blacklist WHERE account_id = $1), (SELECT count(*) FROM assignments WHERE account_id = $1)`,
		accountID).Scan(&r.Products, &r.Devices, &r.Activations, &r.Waiting, &r.Lapsed, &r.Blacklisted, &r.Assignments)
	return r, err
}

func benchPages(ctx context.Context, cfg config, res *results, st *store.Store, srv *server, dbURL string, keys [][]byte,
	large store.Account, mem *memory, logf func(string, ...any)) error {
	pages, big, err := largeAccountPages(ctx, st, large.ID, large.HomeDC)
	if err != nil {
		return err
	}
	res.bigProduct = big
	users := make([]*browser, cfg.users)
	explained := make([]*explainedUser, cfg.users)
	for i := range users {
		if users[i], err = signIn(srv.base, largeOwner, password); err != nil {
			return err
		}
		if explained[i], err = newExplainedUser(dbURL, keys, users[i].cookies()); err != nil {
			return err
		}
		defer explained[i].close()
	}
	plans, err := os.Create(cfg.plans)
	if err != nil {
		return err
	}
	defer plans.Close()
	mem.in("pages")
	for _, p := range pages {
		restoreZone, err := viewerZone(ctx, st, p.zone)
		if err != nil {
			return err
		}
		before, err := scrapeDurations(srv.base)
		if err != nil {
			return err
		}
		r, err := measurePage(ctx, users, p, cfg.pageTime)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		after, err := scrapeDurations(srv.base)
		if err != nil {
			return err
		}
		r.metricsP99 = quantile(before[routePattern(p.route)], after[routePattern(p.route)], 0.99)
		res.rssPages = max(res.rssPages, mem.peak("pages"))
		n := max(3, min(40, r.requests/cfg.users))
		var plan string
		r.sqlP50, r.sqlP99, r.statements, r.slowestStatementMs, plan, err = measureSQL(explained, p, n)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		if err := restoreZone(); err != nil {
			return err
		}
		fmt.Fprintf(plans, "== %s (%s)\n%s\n\n", p.name, p.path, plan)
		logf("%-45s p50 %s p99 %s (client %s, /metrics %s) | SQL p50 %s p99 %s, %d statements",
			p.name, ms(r.p50), ms(r.p99), ms(r.clientP99), ms(time.Duration(r.metricsP99*float64(time.Second))), ms(r.sqlP50), ms(r.sqlP99), r.statements)
		res.pages = append(res.pages, r)
	}
	res.rssPages = max(res.rssPages, mem.peak("pages"))
	logf("charts alone, one request at a time")
	if res.charts, err = timeCharts(ctx, st, dbURL, keys, users[0].cookies(), pages); err != nil {
		return err
	}
	for _, c := range res.charts {
		logf("%-45s alone: p50 %s p99 %s", c.name, ms(c.p50), ms(c.p99))
	}
	return nil
}

func benchConnect(ctx context.Context, cfg config, res *results, st *store.Store, srv *server, token string,
	large store.Account, mem *memory, logf func(string, ...any)) error {
	a := newAPI(srv.base, token, cfg.clients)
	// Many products: the large account's products that have codes to spend.
	var pks []string
	if err := st.DB().SelectContext(ctx, &pks, `SELECT product_key FROM products WHERE account_id = $1 AND deleted_at IS NULL
		AND available > 100 ORDER BY id`, large.ID); err != nil {
		return err
	}
	if len(pks) == 0 {
		return errors.New("no product of the large account has codes to spend")
	}
	// One hot product with a million codes, and one with a few to run out of.
	account := strconv.FormatInt(large.ID, 10)
	for _, p := range []struct {
		pk    string
		codes int
	}{{"bench-hot-" + runID, 1_000_000}, {"bench-scarce-" + runID, 500}} {
		if status, out, err := a.call(http.MethodPost, apiPath(routenames.APICreateProduct), map[string]any{"account": account, "data_center": large.HomeDC,
			"product_key": p.pk, "name": "Bench " + p.pk}); err != nil || status != http.StatusCreated {
			return fmt.Errorf("create %s: %d %v %v", p.pk, status, out, err)
		}
		if status, out, err := a.call(http.MethodPost, apiPath(routenames.APIPurchase), map[string]any{"order_no": "BENCH-" + p.pk, "account": account,
			"data_center": large.HomeDC, "package": "std-1y", "quantity": p.codes, "product_key": p.pk}); err != nil || status != http.StatusCreated {
			return fmt.Errorf("purchase for %s: %d %v %v", p.pk, status, out, err)
		}
	}
	res.scarceCodes = 500
	mem.in("connect")
	logf("connect: %d clients, new devices over %d products, %s", cfg.clients, len(pks), cfg.connectTime)
	res.many = runConnects(ctx, a, large.HomeDC, pks, cfg.clients, cfg.connectTime, "many-"+runID, 0)
	logf("connect: %d clients, new devices of one product, %s", cfg.clients, cfg.connectTime)
	res.hot = runConnects(ctx, a, large.HomeDC, []string{"bench-hot-" + runID}, cfg.clients, cfg.connectTime, "hot-"+runID, 0)
	// The commonest connect of all: a device whose code is valid, across the account.
	known, err := validDevices(ctx, st, large.ID)
	if err != nil {
		return err
	}
	logf("connect: %d clients, %d devices with valid codes, %s", cfg.clients, len(known), cfg.connectTime)
	res.valid = runDevices(ctx, a, large.HomeDC, cfg.clients, cfg.connectTime, 0, func(rnd *rand.Rand, _, _ int) (string, string) {
		k := known[rnd.IntN(len(known))]
		return k.PK, k.DK
	})
	// Oversell: more connects than codes, all at once.
	res.scarce = runConnects(ctx, a, large.HomeDC, []string{"bench-scarce-" + runID}, cfg.clients, time.Hour, "scarce-"+runID, 80)
	res.rssConnect = mem.peak("connect")
	p, err := st.ProductByKey(ctx, "bench-scarce-"+runID)
	if err != nil {
		return err
	}
	res.scarceConsumed = p.Consumed
	logf("connect: many %.0f/s, hot %.0f/s; scarce: %d activated of %d codes, consumed %d",
		res.many.rps, res.hot.rps, res.scarce.activated, res.scarceCodes, p.Consumed)
	return nil
}

// knownDevice is a device the platform connects again.
type knownDevice struct {
	PK string `db:"product_key"`
	DK string `db:"device_key"`
}

// validDevices are up to 50,000 devices of the account whose codes are
// valid for a day more, the newest first.
func validDevices(ctx context.Context, st *store.Store, accountID int64) ([]knownDevice, error) {
	var known []knownDevice
	if err := st.DB().SelectContext(ctx, &known, `SELECT p.product_key, d.device_key FROM devices d JOIN products p ON p.id = d.product_id
		WHERE d.account_id = $1 AND d.lapsed_at IS NULL AND d.deleted_at IS NULL AND d.expires_at > now() + interval '1 day'
		ORDER BY d.id DESC LIMIT 50000`, accountID); err != nil {
		return nil, err
	}
	if len(known) == 0 {
		return nil, errNoValidDevices
	}
	return known, nil
}

// benchExport downloads the device list of the one-product account as CSV.
func benchExport(ctx context.Context, res *results, st *store.Store, srv *server, acc store.Account, mem *memory, logf func(string, ...any)) error {
	var id int64
	if err := st.DB().GetContext(ctx, &id, `SELECT id FROM products WHERE account_id = $1`, acc.ID); err != nil {
		return err
	}
	b, err := signIn(srv.base, exportOwner, password)
	if err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond) // let the console settle
	res.exportRSSBefore = mem.in("export")
	logf("CSV export of product %d", id)
	t0 := time.Now()
	resp, err := b.client.Get(srv.base + reverse(acc.HomeDC, routenames.ProductDetails, id) + "?format=csv")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		res.exportRows++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	res.exportTook = time.Since(t0)
	res.exportRows-- // the header
	time.Sleep(100 * time.Millisecond)
	res.exportRSSPeak = mem.peak("export")
	logf("CSV: %d rows in %s", res.exportRows, res.exportTook)
	return nil
}

// benchRenewal runs the renewal pass at the moment when exactly cfg.renewals
// live devices (of every account: the large one's and the exported
// product's) have expired and none was handled yet, with and without
// webhook endpoints, each twice.
func benchRenewal(ctx context.Context, cfg config, res *results, dbURL string, logf func(string, ...any)) error {
	st, err := store.Open(ctx, dbURL, store.WithPoolSize(8))
	if err != nil {
		return err
	}
	defer st.Close()
	// Four passes of cfg.renewals expiries each, over consecutive windows of
	// the expiry order: with a webhook endpoint of each account wanting
	// renewals and lapses (so each device the pass handles writes an event in
	// the pass's transactions), without, without, with. The order is symmetric, so what
	// drifts from window to window (the cache warms; products spend their
	// codes, so later windows lapse more and renew less) weighs on both sides
	// alike, and each side counts its better pass. The table compares them
	// by time per device handled, since their mixes of renewals and lapses
	// (and, where expiries tie at a window's edge, their sizes) differ.
	var at []time.Time
	if err := st.DB().SelectContext(ctx, &at, `SELECT expires_at FROM (SELECT expires_at, row_number() OVER (ORDER BY expires_at, id) AS n FROM devices
		WHERE lapsed_at IS NULL AND deleted_at IS NULL AND waiting_since IS NULL AND expires_at > now()) x
		WHERE n IN ($1::bigint, 2 * $1::bigint, 3 * $1::bigint, 4 * $1::bigint) ORDER BY n`, cfg.renewals); err != nil || len(at) != 4 {
		return fmt.Errorf("the %d-th to %d-th expiries, in steps of %[1]d: %v", cfg.renewals, 4*cfg.renewals, err)
	}
	pass := func(at time.Time) (store.RenewalStats, time.Duration, error) {
		clocked, err := store.Open(ctx, dbURL, store.WithPoolSize(8), store.WithClock(func() time.Time { return at }),
			store.WithWebhookGuard(store.WebhookGuard{AllowPrivate: true}))
		if err != nil {
			return store.RenewalStats{}, 0, err
		}
		defer clocked.Close()
		logf("renewal pass at %s", at.Format(time.RFC3339))
		t0 := time.Now()
		stats, err := clocked.RenewalPass(ctx)
		return stats, time.Since(t0), err
	}
	hooks := store.WithWebhookGuard(store.WebhookGuard{AllowPrivate: true})
	withHooks, err := store.Open(ctx, dbURL, store.WithPoolSize(2), hooks)
	if err != nil {
		return err
	}
	defer withHooks.Close()
	// Every account whose devices the passes handle gets an endpoint (a
	// window of the expiry order spans the accounts), so that each device
	// handled writes an event.
	var scopes []store.Scope
	if err := st.DB().SelectContext(ctx, &scopes, `SELECT a.id AS accountid, a.home_dc AS dc FROM accounts a
		WHERE EXISTS (SELECT 1 FROM devices d WHERE d.account_id = a.id) ORDER BY a.id`); err != nil {
		return err
	}
	actor := store.SystemActor("bench")
	hooked := func(at time.Time) error {
		// A receiver that is never there: the console's deliverer fails each
		// attempt at once and retries after its backoff, as for a dead endpoint.
		var ids []int64
		for _, sc := range scopes {
			e, _, err := withHooks.SaveWebhookEndpoint(ctx, sc, store.WebhookInput{URL: "http://127.0.0.1:9/bench", Enabled: true, Actor: actor,
				Events: []string{string(store.EventDeviceRenewed), string(store.EventDeviceLapsed)}})
			if err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		stats, took, err := pass(at)
		if err != nil {
			return err
		}
		var events int64
		if err := st.DB().GetContext(ctx, &events, `SELECT count(*) FROM webhook_events WHERE endpoint_id = ANY($1)`, pq.Array(ids)); err != nil {
			return err
		}
		logf("renewal with webhooks: %+v in %s, %d events", stats, took, events)
		if res.renewalHooksTook == 0 || perDevice(took, stats) < perDevice(res.renewalHooksTook, res.renewalHooks) {
			res.renewalHooks, res.renewalHooksTook, res.hookEvents = stats, took, events
		}
		for i, id := range ids {
			if _, err := withHooks.DeleteWebhookEndpoint(ctx, scopes[i], store.WebhookRef{ID: id, Actor: actor}); err != nil {
				return err
			}
		}
		// Their events went with them: the space they leave is reclaimed now,
		// not by an autovacuum in the middle of the next pass.
		_, err = st.DB().ExecContext(ctx, `VACUUM webhook_events`)
		return err
	}
	plain := func(at time.Time) error {
		var lsn string
		if err := st.DB().GetContext(ctx, &lsn, `SELECT pg_current_wal_lsn()::text`); err != nil {
			return err
		}
		stats, took, err := pass(at)
		if err != nil {
			return err
		}
		// The WAL it wrote (the server's, so other work on it counts too).
		var wal int64
		if err := st.DB().GetContext(ctx, &wal, `SELECT pg_current_wal_lsn() - $1::pg_lsn`, lsn); err != nil {
			return err
		}
		logf("renewal: %+v in %s, %d bytes of WAL", stats, took, wal)
		if res.renewalTook == 0 || perDevice(took, stats) < perDevice(res.renewalTook, res.renewal) {
			res.renewal, res.renewalTook, res.renewalWAL = stats, took, wal
		}
		return nil
	}
	for i, run := range []func(time.Time) error{hooked, plain, plain, hooked} {
		if err := run(at[i]); err != nil {
			return err
		}
	}
	return nil
}

// perDevice is a renewal pass's time per device it handled.
func perDevice(took time.Duration, st store.RenewalStats) time.Duration {
	return took / time.Duration(max(1, st.Renewed+st.Lapsed+st.Swept))
}
