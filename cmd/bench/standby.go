package main

// The standby phase: a streaming standby of the measured server, made the
// way the tests make theirs (store/storetest/standby.go: pg_basebackup from
// the same PostgreSQL programs, as the server account when the bench runs
// as root), a second `console serve` whose pages and valid-code checks read
// there (DATABASE_REPLICA_URL, docs/scaling.md "A standby for reads"), and
// the same page and valid-connect runs against it, printed beside the runs
// without it.

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"activation-console/store"
	"activation-console/store/embedded"
)

// standbyResult is what the standby phase measured, or why it did not run.
type standbyResult struct {
	skipped      string // why there was no standby; "" when it ran
	programs     string // the PostgreSQL programs the standby ran from
	settings     string // the standby's settings, as the primary's are printed
	copied       int64  // bytes of the server that pg_basebackup copied
	backupTook   time.Duration
	pages        []standbyPage
	valid        connectResult // the valid-code connects through the console that reads on the standby
	primaryValid connectResult // the same without it
	lag          lagSample     // the largest seen while the runs went on
	fallbacks    map[string]float64
	transactions int64 // committed on the standby's copy of the database during the runs
}

// standbyPage is a page measured through both consoles.
type standbyPage struct {
	primary, standby pageResult
}

// lagSample is how far the standby was behind, as the primary and the
// console see it.
type lagSample struct {
	bytes   int64         // the primary's WAL not replayed yet (pg_stat_replication)
	replay  time.Duration // the primary's replay_lag
	console float64       // console_db_standby_lag_seconds, seconds
}

// standbyCopiedSettings are the primary's settings the standby runs with:
// the ones printed for the primary, and those a hot standby must have at
// least as high as its primary.
var standbyCopiedSettings = []string{"shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem", "max_wal_size",
	"checkpoint_timeout", "wal_compression", "fsync", "full_page_writes", "random_page_cost", "jit", "max_connections",
	"max_worker_processes", "max_wal_senders", "max_prepared_transactions", "max_locks_per_transaction"}

// standbySettings are printed for the standby: the primary's list and those
// deciding how a standby serves reads.
var standbySettings = append(slices.Clone(serverSettings), "hot_standby", "hot_standby_feedback", "max_standby_streaming_delay")

// standbyName is the standby's application_name on the primary (pg_stat_replication).
var standbyName = "console_bench_standby_" + runID

// connParams splits a connection string, URL or key=value form, into its
// parameters (what lib/pq accepts; key=value values may be single-quoted).
func connParams(conn string) (map[string]string, error) {
	p := map[string]string{}
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return nil, err
		}
		if h := u.Hostname(); h != "" {
			p["host"] = h
		}
		if port := u.Port(); port != "" {
			p["port"] = port
		}
		if u.User != nil {
			p["user"] = u.User.Username()
			if pw, ok := u.User.Password(); ok {
				p["password"] = pw
			}
		}
		if db := strings.TrimPrefix(u.Path, "/"); db != "" {
			p["dbname"] = db
		}
		for k, v := range u.Query() {
			p[k] = v[0]
		}
		return p, nil
	}
	s := strings.TrimSpace(conn)
	for s != "" {
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("connection string: %q has no =", s)
		}
		key, rest = strings.TrimSpace(key), strings.TrimLeft(rest, " ")
		var val strings.Builder
		if strings.HasPrefix(rest, "'") {
			i := 1
			for ; i < len(rest) && rest[i] != '\''; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				val.WriteByte(rest[i])
			}
			if i >= len(rest) {
				return nil, fmt.Errorf("connection string: unterminated quote in %s", key)
			}
			rest = rest[i+1:]
		} else {
			end := strings.IndexAny(rest, " \t\n")
			if end < 0 {
				end = len(rest)
			}
			val.WriteString(rest[:end])
			rest = rest[end:]
		}
		p[key] = val.String()
		s = strings.TrimSpace(rest)
	}
	return p, nil
}

// conninfo renders parameters in key=value form, in a fixed order, each
// value quoted.
func conninfo(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		v := strings.ReplaceAll(strings.ReplaceAll(p[k], `\`, `\\`), `'`, `\'`)
		parts = append(parts, k+"='"+v+"'")
	}
	return strings.Join(parts, " ")
}

// withServer is a connection string to the same database and user at
// another server.
func withServer(conn, host string, port int) (string, error) {
	p, err := connParams(conn)
	if err != nil {
		return "", err
	}
	p["host"], p["port"] = host, strconv.Itoa(port)
	return conninfo(p), nil
}

// hbaRule is a line of the server's pg_hba.conf, as pg_hba_file_rules shows it.
type hbaRule struct {
	typ, address, netmask, method string
	databases, users, options     []string
}

// line renders the rule back in pg_hba.conf form.
func (r hbaRule) line() string {
	f := []string{r.typ, strings.Join(r.databases, ","), strings.Join(r.users, ",")}
	if r.typ != "local" {
		f = append(f, r.address)
		if r.netmask != "" {
			f = append(f, r.netmask)
		}
	}
	f = append(f, r.method)
	return strings.Join(append(f, r.options...), " ")
}

// lets tells whether the rule may admit a replication connection of user
// from host (a unix socket directory when it starts with /, else an
// address or name). A host name in the rule or the connection may match;
// pg_basebackup decides.
func (r hbaRule) lets(user, host string) bool {
	if !slices.Contains(r.databases, "replication") || r.method == "reject" {
		return false
	}
	if !slices.Contains(r.users, "all") && !slices.Contains(r.users, user) {
		return false
	}
	if strings.HasPrefix(host, "/") || host == "" {
		return r.typ == "local"
	}
	if r.typ == "local" {
		return false
	}
	ip := net.ParseIP(host)
	if ip == nil || r.address == "all" || r.address == "samehost" || r.address == "samenet" {
		return true
	}
	ruleIP := net.ParseIP(r.address)
	if ruleIP == nil {
		return true // a host name
	}
	mask := net.IPMask(net.ParseIP(r.netmask))
	if len(ruleIP.To4()) == net.IPv4len {
		ruleIP, mask = ruleIP.To4(), mask[len(mask)-net.IPv4len:]
	}
	if ip4 := ip.To4(); ip4 != nil {
		ip = ip4
	}
	return len(ip) == len(ruleIP) && len(mask) == len(ip) && ip.Mask(mask).Equal(ruleIP.Mask(mask))
}

// serverHBA reads the server's pg_hba.conf rules.
func serverHBA(ctx context.Context, db *sql.DB) ([]hbaRule, error) {
	rows, err := db.QueryContext(ctx, `SELECT type, database, user_name, coalesce(address, ''), coalesce(netmask, ''), auth_method,
		coalesce(options, '{}'), coalesce(error, '') FROM pg_hba_file_rules ORDER BY line_number`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rules []hbaRule
	for rows.Next() {
		var r hbaRule
		var bad string
		if err := rows.Scan(&r.typ, pq.Array(&r.databases), pq.Array(&r.users), &r.address, &r.netmask, &r.method,
			pq.Array(&r.options), &bad); err != nil {
			return nil, err
		}
		if bad != "" {
			return nil, fmt.Errorf("pg_hba.conf has an error: %s", bad)
		}
		rules = append(rules, r)
	}
	return rules, rows.Err()
}

// replicationBlocker says why the server cannot stream to a standby of the
// bench ("" when nothing known stands in the way): its WAL level, its free
// WAL senders, its pg_hba.conf.
func replicationBlocker(walLevel string, maxSenders, senders int, hbaFile string, rules []hbaRule, user, host string) string {
	if walLevel == "minimal" {
		return "the server's wal_level is minimal: its WAL cannot be replayed by a standby (it needs replica)"
	}
	// pg_basebackup -X stream holds two WAL senders; the standby, one.
	if free := maxSenders - senders; free < 2 {
		return fmt.Sprintf("the server has %d of its max_wal_senders %d free; pg_basebackup needs 2", max(free, 0), maxSenders)
	}
	for _, r := range rules {
		if r.lets(user, host) {
			return ""
		}
	}
	from, example := "from "+host, fmt.Sprintf("host replication %s %s/32 trust", user, host)
	if strings.HasPrefix(host, "/") || host == "" {
		from, example = "on its unix socket", "local replication "+user+" trust"
	} else if ip := net.ParseIP(host); ip == nil || ip.To4() == nil {
		example = fmt.Sprintf("host replication %s %s trust", user, host)
	}
	return fmt.Sprintf("the server's pg_hba.conf (%s) has no line that lets a replication connection of %s in %s; "+
		"to allow one, add a line such as `%s` (or with your authentication method) and reload the server", hbaFile, user, from, example)
}

// standby is a running streaming standby of the measured server.
type standby struct {
	progs      *embedded.Programs
	dir        string // everything of it: removed at the end
	data       string
	port       int
	backupTook time.Duration
	params     map[string]string // how the bench reaches it (postgres database)
	adminDB    *sql.DB           // the primary
	logf       func(string, ...any)
}

// startStandby checks that the server can stream to a standby, and makes
// and starts one. A non-empty skip says why there is none (then err is nil
// and there is nothing to stop).
func startStandby(ctx context.Context, adminURL string, logf func(string, ...any)) (sb *standby, skip string, err error) {
	params, err := connParams(adminURL)
	if err != nil {
		return nil, "", err
	}
	db, err := sql.Open("postgres", adminURL)
	if err != nil {
		return nil, "", err
	}
	var walLevel, hbaFile, major string
	var maxSenders, senders int
	if err := db.QueryRowContext(ctx, `SELECT current_setting('wal_level'), current_setting('max_wal_senders')::int,
		(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'), current_setting('hba_file'),
		(current_setting('server_version_num')::int / 10000)::text`).Scan(&walLevel, &maxSenders, &senders, &hbaFile, &major); err != nil {
		db.Close()
		return nil, "", err
	}
	rules, err := serverHBA(ctx, db)
	if err != nil {
		db.Close()
		return nil, "reading the server's pg_hba.conf: " + err.Error(), nil
	}
	user := orDefault(params["user"], "postgres")
	if why := replicationBlocker(walLevel, maxSenders, senders, hbaFile, rules, user, params["host"]); why != "" {
		db.Close()
		return nil, why, nil
	}
	progs, err := embedded.InstalledPrograms(ctx, major)
	if err != nil {
		db.Close()
		return nil, fmt.Sprintf("no PostgreSQL %s programs on this machine to run a standby of the server: %v", major, err), nil
	}
	sb = &standby{progs: progs, adminDB: db, logf: logf}
	defer func() {
		if err != nil || skip != "" {
			sb.remove()
			sb = nil
		}
	}()
	// A short path: the socket's must fit a unix socket address.
	if sb.dir, err = os.MkdirTemp("", "benchsb"); err != nil {
		return sb, "", err
	}
	if err = os.Chmod(sb.dir, 0o755); err != nil {
		return sb, "", err
	}
	if err = progs.CheckReachable(sb.dir); err != nil {
		return sb, "", err
	}
	sb.data = filepath.Join(sb.dir, "data")
	sockets := filepath.Join(sb.dir, "run")
	for _, d := range []string{sb.data, sockets} {
		if err = os.Mkdir(d, 0o700); err != nil {
			return sb, "", err
		}
		if err = progs.Own(d); err != nil {
			return sb, "", err
		}
	}
	// The standby listens where the primary does for the console (TCP on
	// 127.0.0.1), with the primary's pg_hba.conf rules, so the console
	// reaches both alike.
	addr, err := freeAddr()
	if err != nil {
		return sb, "", err
	}
	_, portText, _ := net.SplitHostPort(addr)
	sb.port, _ = strconv.Atoi(portText)

	// pg_basebackup as the server account; a password travels in the
	// environment, not on the command line (docs/SECURITY.md, "Credentials").
	conn := map[string]string{"application_name": standbyName}
	for _, k := range []string{"host", "port", "user", "sslmode"} {
		if v := params[k]; v != "" {
			conn[k] = v
		}
	}
	logf("standby: pg_basebackup of the server into %s (it copies every database of the server; stop it with `pg_ctl stop -D %s` if the bench is killed)", sb.data, sb.data)
	t0 := time.Now()
	cmd := progs.Command(ctx, "pg_basebackup", "-D", sb.data, "-R", "-X", "stream", "-c", "fast", "-d", conninfo(conn))
	if pw := params["password"]; pw != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+pw)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return sb, fmt.Sprintf("pg_basebackup from the server failed: %s", firstLineOf(string(out), err)), nil
	}
	sb.backupTook = time.Since(t0)

	// The server's own configuration files may live outside its data
	// directory (Debian's do), so the standby gets its own: the primary's
	// settings that decide the figures, its pg_hba.conf rules.
	var conf strings.Builder
	conf.WriteString("# Written by cmd/bench: the primary's settings, and a hot standby's.\n")
	for _, name := range standbyCopiedSettings {
		var v string
		if err := db.QueryRowContext(ctx, `SELECT current_setting($1)`, name).Scan(&v); err != nil {
			return sb, "", err
		}
		fmt.Fprintf(&conf, "%s = '%s'\n", name, strings.ReplaceAll(v, "'", "''"))
	}
	// The primary's pg_stat_replication names the standby by its cluster_name.
	fmt.Fprintf(&conf, "hot_standby = on\nhot_standby_feedback = on\ncluster_name = '%s'\n", standbyName)
	var hba strings.Builder
	hba.WriteString("# Written by cmd/bench: the primary's rules.\n")
	for _, r := range rules {
		hba.WriteString(r.line() + "\n")
	}
	for name, text := range map[string]string{"postgresql.conf": conf.String(), "pg_hba.conf": hba.String(), "pg_ident.conf": ""} {
		path := filepath.Join(sb.data, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return sb, "", err
		}
		if err := progs.Own(path); err != nil {
			return sb, "", err
		}
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories='%s'", sb.port, sockets)
	logFile := filepath.Join(sockets, "standby.log") // a directory the server account owns
	if out, err := progs.Command(ctx, "pg_ctl", "start", "-D", sb.data, "-w", "-t", "600", "-l", logFile,
		"-o", opts).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(logFile)
		return sb, "", fmt.Errorf("starting the standby: %v\n%s%s", err, out, log)
	}
	sb.params = maps(params, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(sb.port), "dbname": "postgres"})
	logf("standby: copied in %s, listening on 127.0.0.1:%d", sb.backupTook.Round(time.Millisecond), sb.port)
	return sb, "", nil
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// maps is a copy of base with over's entries set.
func maps(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

func firstLineOf(out string, err error) string {
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return err.Error()
}

// url is a connection string to database db on the standby.
func (sb *standby) url(db string) string {
	return conninfo(maps(sb.params, map[string]string{"dbname": db}))
}

// waitReplayed returns once the standby has replayed all the primary has
// written so far.
func (sb *standby) waitReplayed(ctx context.Context, timeout time.Duration) error {
	var lsn string
	if err := sb.adminDB.QueryRowContext(ctx, `SELECT pg_current_wal_insert_lsn()::text`).Scan(&lsn); err != nil {
		return err
	}
	db, err := sql.Open("postgres", sb.url("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(timeout)
	for {
		var done bool
		err := db.QueryRowContext(ctx, `SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn).Scan(&done)
		if err == nil && done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the standby had not replayed %s after %s (%v)", lsn, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// remove stops the standby and deletes all of it, whatever state it is in.
func (sb *standby) remove() {
	if sb.dir != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if _, err := os.Stat(filepath.Join(sb.data, "postmaster.pid")); err == nil {
			if out, err := sb.progs.Command(ctx, "pg_ctl", "stop", "-D", sb.data, "-m", "fast", "-w").CombinedOutput(); err != nil {
				sb.logf("standby: pg_ctl stop: %v %s", err, out)
				if out, err := sb.progs.Command(ctx, "pg_ctl", "stop", "-D", sb.data, "-m", "immediate", "-w").CombinedOutput(); err != nil {
					sb.logf("standby: pg_ctl stop -m immediate: %v %s; it may still run", err, out)
				}
			}
		}
		os.RemoveAll(sb.dir)
		sb.logf("standby: stopped and removed %s", sb.dir)
	}
	sb.adminDB.Close()
}

// watchLag samples the standby's lag every interval until stop is closed.
func (sb *standby) watchLag(base string, interval time.Duration) (stop func() lagSample) {
	var mu sync.Mutex
	var worst lagSample
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			var bytes int64
			var replay float64
			if err := sb.adminDB.QueryRow(`SELECT coalesce(pg_current_wal_lsn() - replay_lsn, 0)::bigint,
				coalesce(extract(epoch FROM replay_lag), 0)::float8 FROM pg_stat_replication WHERE application_name = $1`,
				standbyName).Scan(&bytes, &replay); err != nil {
				bytes, replay = 0, 0
			}
			m, _ := scrapeStandby(base)
			mu.Lock()
			worst.bytes = max(worst.bytes, bytes)
			worst.replay = max(worst.replay, time.Duration(replay*float64(time.Second)))
			worst.console = max(worst.console, m.lag)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(interval):
			}
		}
	}()
	return func() lagSample {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return worst
	}
}

// standbyMetrics are the standby series of a console's /metrics.
type standbyMetrics struct {
	lag       float64            // the largest console_db_standby_lag_seconds
	fallbacks map[string]float64 // console_db_standby_fallbacks_total by reason
}

var (
	lagLine      = regexp.MustCompile(`^console_db_standby_lag_seconds\{[^}]*\} (\S+)$`)
	fallbackLine = regexp.MustCompile(`^console_db_standby_fallbacks_total\{reason="([^"]+)"\} (\S+)$`)
)

// scrapeStandby reads the standby series of a console's /metrics.
func scrapeStandby(base string) (standbyMetrics, error) {
	m := standbyMetrics{fallbacks: map[string]float64{}}
	resp, err := http.Get(base + metricsPath)
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	return parseStandbyMetrics(bufio.NewScanner(resp.Body))
}

func parseStandbyMetrics(sc *bufio.Scanner) (standbyMetrics, error) {
	m := standbyMetrics{fallbacks: map[string]float64{}}
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if g := lagLine.FindStringSubmatch(sc.Text()); g != nil {
			v, _ := strconv.ParseFloat(g[1], 64)
			m.lag = max(m.lag, v)
		} else if g := fallbackLine.FindStringSubmatch(sc.Text()); g != nil {
			v, _ := strconv.ParseFloat(g[2], 64)
			m.fallbacks[g[1]] = v
		}
	}
	return m, sc.Err()
}

// benchStandby measures the pages and the valid-code connects through a
// second console that reads on a streaming standby of the server, beside
// the same through the console without one (the pages and connect phases'
// figures when they ran, else measured here). The standby is stopped and
// removed at the end, whatever happens.
func benchStandby(ctx context.Context, cfg config, res *results, st *store.Store, srv *server, cli consoleCLI, keysEnv, dbName, token string,
	large store.Account, logf func(string, ...any)) error {
	r := &res.standby
	sb, skip, err := startStandby(ctx, cfg.adminURL, logf)
	if err != nil {
		return fmt.Errorf("standby: %w", err)
	}
	if skip != "" {
		r.skipped = skip
		logf("standby: SKIPPED, no standby for this run: %s", skip)
		return nil
	}
	defer sb.remove()
	r.programs = sb.progs.Dir() + " (" + sb.progs.Version() + ")"
	r.backupTook = sb.backupTook
	if err := sb.waitReplayed(ctx, 10*time.Minute); err != nil {
		return err
	}
	sdb, err := sql.Open("postgres", sb.url(dbName))
	if err != nil {
		return err
	}
	defer sdb.Close()
	if err := sdb.QueryRowContext(ctx, `SELECT string_agg(format('%s %s', name, current_setting(name)), ', ' ORDER BY array_position($1, name))
		FROM pg_settings WHERE name = ANY($1)`, pq.Array(standbySettings)).Scan(&r.settings); err != nil {
		return err
	}
	if err := sdb.QueryRowContext(ctx, `SELECT sum(pg_database_size(datname))::bigint FROM pg_database`).Scan(&r.copied); err != nil {
		return err
	}

	// The second console: the same database, its reads on the standby.
	replica := sb.url(dbName)
	withReplica := cli
	withReplica.env = append(slices.Clone(cli.env), "DATABASE_REPLICA_URL="+replica)
	withReplica.dataDir = filepath.Join(cli.dataDir, "standby-console")
	withReplica.logName = "console-bench-serve-standby.log"
	if err := os.MkdirAll(withReplica.dataDir, 0o700); err != nil {
		return err
	}
	srv2, err := withReplica.startServer(ctx, keysEnv)
	if err != nil {
		return err
	}
	defer srv2.stop()

	// The pages the pages phase measured, the very same paths (its deep
	// page's cursor), else the list anew.
	var pages []page
	// By path and viewer's zone: the near-expiry chart is measured at two.
	type pageKey struct{ path, zone string }
	primaryOf := map[pageKey]pageResult{}
	for _, p := range res.pages {
		pages = append(pages, p.page)
		primaryOf[pageKey{p.path, p.zone}] = p
	}
	if len(pages) == 0 {
		if pages, res.bigProduct, err = largeAccountPages(ctx, st, large.ID, large.HomeDC); err != nil {
			return err
		}
	}
	sign := func(base string) ([]*browser, error) {
		users := make([]*browser, cfg.users)
		for i := range users {
			if users[i], err = signIn(base, largeOwner, password); err != nil {
				return nil, err
			}
		}
		return users, nil
	}
	onStandby, err := sign(srv2.base)
	if err != nil {
		return err
	}
	var onPrimary []*browser
	if len(res.pages) == 0 {
		if onPrimary, err = sign(srv.base); err != nil {
			return err
		}
	}
	// The sign-ins are changes: their sessions read the primary until the
	// standby has replayed them (docs/scaling.md, "Guarantees").
	if err := sb.waitReplayed(ctx, time.Minute); err != nil {
		return err
	}
	xacts := func() (n int64) {
		sdb.QueryRowContext(ctx, `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()`).Scan(&n)
		return n
	}
	before, err := scrapeStandby(srv2.base)
	if err != nil {
		return err
	}
	xactsBefore := xacts()
	stopLag := sb.watchLag(srv2.base, 500*time.Millisecond)
	for _, p := range pages {
		restoreZone, err := viewerZone(ctx, st, p.zone)
		if err != nil {
			stopLag()
			return err
		}
		if err := sb.waitReplayed(ctx, time.Minute); err != nil {
			stopLag()
			return err
		}
		prim, ok := primaryOf[pageKey{p.path, p.zone}]
		if !ok {
			if prim, err = measureOn(ctx, onPrimary, srv.base, p, cfg.pageTime); err != nil {
				stopLag()
				return fmt.Errorf("%s: %w", p.name, err)
			}
		}
		sr, err := measureOn(ctx, onStandby, srv2.base, p, cfg.pageTime)
		if err != nil {
			stopLag()
			return fmt.Errorf("%s on the standby: %w", p.name, err)
		}
		if err := restoreZone(); err != nil {
			stopLag()
			return err
		}
		logf("%-45s p50 %s p99 %s reading on the standby; without it p50 %s p99 %s", p.name, ms(sr.p50), ms(sr.p99), ms(prim.p50), ms(prim.p99))
		r.pages = append(r.pages, standbyPage{primary: prim, standby: sr})
	}
	known, err := validDevices(ctx, st, large.ID)
	if err != nil {
		stopLag()
		return err
	}
	pick := func(rnd *rand.Rand, _, _ int) (string, string) {
		k := known[rnd.IntN(len(known))]
		return k.PK, k.DK
	}
	r.primaryValid = res.valid
	if r.primaryValid.requests == 0 {
		logf("connect: %d clients, %d devices with valid codes, %s, without the standby", cfg.clients, len(known), cfg.connectTime)
		r.primaryValid = runDevices(ctx, newAPI(srv.base, token, cfg.clients), large.HomeDC, cfg.clients, cfg.connectTime, 0, pick)
	}
	logf("connect: %d clients, %d devices with valid codes, %s, reading on the standby", cfg.clients, len(known), cfg.connectTime)
	r.valid = runDevices(ctx, newAPI(srv2.base, token, cfg.clients), large.HomeDC, cfg.clients, cfg.connectTime, 0, pick)
	r.lag = stopLag()
	r.transactions = xacts() - xactsBefore
	after, err := scrapeStandby(srv2.base)
	if err != nil {
		return err
	}
	r.fallbacks = map[string]float64{}
	for reason, n := range after.fallbacks {
		r.fallbacks[reason] = n - before.fallbacks[reason]
	}
	logf("standby: valid connects %.0f/s on it, %.0f/s without; lag at most %s (%d bytes), fallbacks %v, %d transactions on it",
		r.valid.rps, r.primaryValid.rps, r.lag.replay, r.lag.bytes, r.fallbacks, r.transactions)
	return nil
}

// measureOn measures a page through one console, with its /metrics p99.
func measureOn(ctx context.Context, users []*browser, base string, p page, d time.Duration) (pageResult, error) {
	before, err := scrapeDurations(base)
	if err != nil {
		return pageResult{}, err
	}
	r, err := measurePage(ctx, users, p, d)
	if err != nil {
		return r, err
	}
	after, err := scrapeDurations(base)
	if err != nil {
		return r, err
	}
	r.metricsP99 = quantile(before[routePattern(p.route)], after[routePattern(p.route)], 0.99)
	return r, nil
}

// errNoValidDevices: the account has no device whose code is valid to connect.
var errNoValidDevices = errors.New("no device of the large account has a valid code")
