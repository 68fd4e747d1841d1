package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"activation-console/store/embedded"
)

// Pair is a primary PostgreSQL cluster and a streaming standby of it, made
// with pg_basebackup -R, both run from the installed PostgreSQL 15 programs
// the way the embedded database runs its own (as the dedicated server
// account when the tests run as root), in a temporary directory, each on a
// free port of its own and reached through a unix socket in a private
// directory (trust authentication: nothing else can reach it). The
// database "console" on the primary is migrated by whoever opens a store
// on it first. Everything is stopped and removed when the test ends.
type Pair struct {
	PrimaryURL string // the console database on the primary, as superuser postgres
	StandbyURL string // the same on the standby

	progs   *embedded.Programs
	dir     string
	sockets string
	ports   [2]int
}

// StartPair starts a primary and its standby. It skips under -short (the
// pair costs a few seconds), and when PostgreSQL 15's programs are not
// installed, except under CI=true, where that fails the test.
func StartPair(t testing.TB) *Pair {
	t.Helper()
	if testing.Short() {
		t.Skip("a primary and a standby take seconds to start: not under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	progs, err := embedded.InstalledPrograms(ctx, "15")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("storetest: the standby tests need PostgreSQL 15's programs: %v", err)
		}
		t.Skipf("storetest: no PostgreSQL 15 installed: %v", err)
	}
	// A short path: the socket's must fit a unix socket address.
	dir, err := os.MkdirTemp("", "pgpair")
	if err != nil {
		t.Fatal(err)
	}
	p := &Pair{progs: progs, dir: dir, sockets: filepath.Join(dir, "run")}
	t.Cleanup(func() { p.stopAll(); os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := progs.CheckReachable(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{p.sockets, p.dataDir(0), p.dataDir(1)} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := progs.Own(d); err != nil {
			t.Fatal(err)
		}
	}
	p.ports = [2]int{freePort(t), freePort(t)}

	p.run(t, ctx, "initdb", "-D", p.dataDir(0), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	p.start(t, ctx, 0)
	admin := p.url(0, "postgres")
	p.exec(t, admin, `CREATE DATABASE console`)
	p.run(t, ctx, "pg_basebackup", "-D", p.dataDir(1), "-R", "-X", "stream", "-c", "fast",
		"-h", p.sockets, "-p", strconv.Itoa(p.ports[0]), "-U", "postgres")
	p.start(t, ctx, 1)
	p.PrimaryURL, p.StandbyURL = p.url(0, "console"), p.url(1, "console")
	var inRecovery bool
	if err := p.query(p.StandbyURL, `SELECT pg_is_in_recovery()`, &inRecovery); err != nil || !inRecovery {
		t.Fatalf("storetest: the standby is not in recovery (%v)", err)
	}
	return p
}

func (p *Pair) dataDir(i int) string { return filepath.Join(p.dir, []string{"primary", "standby"}[i]) }
func (p *Pair) logFile(i int) string {
	return filepath.Join(p.sockets, []string{"primary", "standby"}[i]+".log")
}

func (p *Pair) url(i int, db string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable", p.sockets, p.ports[i], db)
}

// freePort returns a TCP port nothing listens on now; the clusters listen on
// unix sockets named after it only, so a later taker of the port cannot clash.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (p *Pair) run(t testing.TB, ctx context.Context, name string, args ...string) {
	t.Helper()
	if out, err := p.progs.Command(ctx, name, args...).CombinedOutput(); err != nil {
		t.Fatalf("storetest: %s: %v\n%s", name, err, out)
	}
}

// start starts cluster i (0 the primary, 1 the standby). Durability is
// kept as the console recommends (synchronous_commit on): read-your-writes
// leans on a commit's WAL being written when the commit returns.
func (p *Pair) start(t testing.TB, ctx context.Context, i int) {
	t.Helper()
	opts := fmt.Sprintf("-c listen_addresses='' -c port=%d -c unix_socket_directories='%s' -c fsync=off -c max_connections=100 -c shared_buffers=32MB",
		p.ports[i], p.sockets)
	p.run(t, ctx, "pg_ctl", "start", "-D", p.dataDir(i), "-w", "-t", "60", "-l", p.logFile(i), "-o", opts)
}

func (p *Pair) exec(t testing.TB, url, stmt string) {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatalf("storetest: %s: %v", stmt, err)
	}
}

func (p *Pair) query(url, q string, dest ...any) error {
	db, err := sql.Open("postgres", url)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRow(q).Scan(dest...)
}

// PauseReplay stops the standby replaying WAL (it keeps receiving it), and
// returns once it has stopped.
func (p *Pair) PauseReplay(t testing.TB) {
	t.Helper()
	p.exec(t, p.StandbyURL, `SELECT pg_wal_replay_pause()`)
	p.waitFor(t, "replay to pause", p.StandbyURL, `SELECT pg_get_wal_replay_pause_state() = 'paused'`)
}

// ResumeReplay lets the standby replay again.
func (p *Pair) ResumeReplay(t testing.TB) {
	t.Helper()
	p.exec(t, p.StandbyURL, `SELECT pg_wal_replay_resume()`)
}

// WaitReplayed returns once the standby has replayed everything the
// primary has written so far.
func (p *Pair) WaitReplayed(t testing.TB) {
	t.Helper()
	var lsn string
	if err := p.query(p.PrimaryURL, `SELECT pg_current_wal_insert_lsn()::text`, &lsn); err != nil {
		t.Fatal(err)
	}
	p.waitFor(t, "the standby to replay "+lsn, p.StandbyURL, `SELECT pg_last_wal_replay_lsn() >= '`+lsn+`'::pg_lsn`)
}

// StopStandby shuts the standby down (fast: its sessions are cut).
func (p *Pair) StopStandby(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p.run(t, ctx, "pg_ctl", "stop", "-D", p.dataDir(1), "-m", "fast", "-w")
}

// StartStandby starts the standby again after StopStandby.
func (p *Pair) StartStandby(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p.start(t, ctx, 1)
}

// Promote makes the standby a primary of its own (it leaves recovery and
// accepts writes; the old primary goes on as before).
func (p *Pair) Promote(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p.run(t, ctx, "pg_ctl", "promote", "-D", p.dataDir(1), "-w")
}

// waitFor polls a boolean query until it is true (a minute at most).
func (p *Pair) waitFor(t testing.TB, what, url, q string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var ok bool
		err := p.query(url, q, &ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("storetest: waited a minute for %s (%v)", what, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stopAll stops both clusters, whatever state the test left them in.
func (p *Pair) stopAll() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 2 {
		if _, err := os.Stat(filepath.Join(p.dataDir(i), "postmaster.pid")); err == nil {
			p.progs.Command(ctx, "pg_ctl", "stop", "-D", p.dataDir(i), "-m", "immediate", "-w").Run()
		}
	}
}
