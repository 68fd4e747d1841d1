package embedded

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run real PostgreSQL servers from the installed binaries. Run
// as root (as CI does) they exercise running the server as a dedicated user.

const helperEnv = "EMBEDDED_TEST_HELPER_DATADIR"

// TestHelperProcess is not a test: it is the "console" child process the
// crash tests start and kill. It starts the cluster, reports READY and waits;
// should the test die first, its stdin closes and it stops cleanly.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for other tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := Start(ctx, Options{DataDir: dir, Fast: true})
	if err != nil {
		fmt.Printf("ERROR %v\n", strings.ReplaceAll(err.Error(), "\n", " | "))
		os.Exit(1)
	}
	fmt.Printf("READY %s\n", c.URL())
	io.Copy(io.Discard, os.Stdin)
	c.Stop()
	os.Exit(0)
}

// newDataDir returns a fresh data directory that the server user can reach: the
// directories t.TempDir makes are 0700.
func newDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "data")
}

func start(t *testing.T, dataDir string) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := Start(ctx, Options{DataDir: dataDir, Fast: true, Logf: t.Logf})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	// Never leave a server behind, whatever the test did.
	t.Cleanup(func() { c.Stop() })
	return c
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := openDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec1(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func count(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("counting %s: %v", table, err)
	}
	return n
}

// postmasterPID reads the pid the running server recorded, 0 if none.
func postmasterPID(dataDir string) int {
	b, err := os.ReadFile(filepath.Join(dataDir, "postgres", "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(line)
	return pid
}

// alive tells whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	state := strings.TrimSpace(s[strings.LastIndexByte(s, ')')+1:])
	return !strings.HasPrefix(state, "Z") && !strings.HasPrefix(state, "X")
}

// assertStopped checks that no server runs: no pid file, the old pid gone,
// and the socket refusing connections.
func assertStopped(t *testing.T, dataDir string, pid int, url string) {
	t.Helper()
	if p := postmasterPID(dataDir); p != 0 {
		t.Errorf("postmaster.pid still names pid %d", p)
	}
	// pg_ctl stop -w returns once the pid file is gone, which the postmaster
	// removes just before it exits: on a busy machine it may take a moment.
	for deadline := time.Now().Add(10 * time.Second); pid != 0 && alive(pid) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if pid != 0 && alive(pid) {
		t.Errorf("server process %d still alive 10 s after the stop", pid)
	}
	if err := ping(context.Background(), url); err == nil {
		t.Errorf("server still accepts connections")
	}
}

func TestStartStopKeepsData(t *testing.T) {
	dataDir := newDataDir(t)
	c := start(t, dataDir)

	db := open(t, c.URL())
	var dbname, user, listen string
	if err := db.QueryRow("SELECT current_database(), current_user, current_setting('listen_addresses')").Scan(&dbname, &user, &listen); err != nil {
		t.Fatal(err)
	}
	if dbname != "console" || user != "console" || listen != "" {
		t.Errorf("got database %q, user %q, listen_addresses %q; want console, console, empty", dbname, user, listen)
	}
	if !strings.Contains(c.URL(), "sslmode=disable") || !strings.Contains(c.AdminURL(), "dbname=postgres") {
		t.Errorf("URL %q, AdminURL %q", c.URL(), c.AdminURL())
	}
	exec1(t, open(t, c.AdminURL()), "CREATE DATABASE scratch") // what tests do through AdminURL
	exec1(t, db, "CREATE TABLE kept (n int)")
	exec1(t, db, "INSERT INTO kept VALUES (1), (2)")
	db.Close()

	pid := postmasterPID(dataDir)
	if pid == 0 {
		t.Fatal("no postmaster.pid while running")
	}
	checkPrivate(t, c, pid)

	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	assertStopped(t, dataDir, pid, c.AdminURL())

	c2 := start(t, dataDir)
	if n := count(t, open(t, c2.URL()), "kept"); n != 2 {
		t.Errorf("after restart: %d rows, want 2", n)
	}
	if err := c2.Stop(); err != nil {
		t.Fatal(err)
	}
}

// checkPrivate checks the socket directory mode and, as root, that the
// server runs as an unprivileged user owning the cluster.
func checkPrivate(t *testing.T, c *Cluster, pid int) {
	t.Helper()
	fi, err := os.Stat(c.socketDir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("socket directory mode %v, want 0700", fi.Mode().Perm())
	}
	if os.Geteuid() != 0 {
		return
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "Uid:") {
			if f := strings.Fields(line); len(f) < 2 || f[1] == "0" {
				t.Errorf("server runs as root: %s", line)
			}
		}
	}
	ci, err := os.Stat(c.clusterDir)
	if err != nil {
		t.Fatal(err)
	}
	if ci.Sys().(*syscall.Stat_t).Uid == 0 {
		t.Errorf("cluster directory owned by root")
	}
}

// Two Starts in one process behave like two console processes (the locks
// are per open file): the first Stop leaves the server to the second.
func TestSharedUntilLastStop(t *testing.T) {
	// Spaces and quotes must survive pg_ctl's shell, the socket directory
	// list and the connection string.
	dataDir := filepath.Join(filepath.Dir(newDataDir(t)), "my 'data dir")
	// A data directory the console made private: as root, Start gives it
	// just the search bit the server user needs.
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	c1 := start(t, dataDir)
	c2 := start(t, dataDir)
	pid := postmasterPID(dataDir)

	if fi, err := os.Stat(dataDir); err != nil {
		t.Fatal(err)
	} else if want := os.FileMode(0o700); os.Geteuid() == 0 {
		want = 0o701
		if fi.Mode().Perm() != want {
			t.Errorf("data directory mode %v, want %v", fi.Mode().Perm(), want)
		}
	}

	if err := c1.Stop(); err != nil {
		t.Fatal(err)
	}
	db := open(t, c2.URL())
	exec1(t, db, "CREATE TABLE t (n int)")
	if p := postmasterPID(dataDir); p != pid {
		t.Fatalf("server changed from pid %d to %d", pid, p)
	}
	db.Close()

	if err := c2.Stop(); err != nil {
		t.Fatal(err)
	}
	assertStopped(t, dataDir, pid, c2.AdminURL())
}

// helper is a child console process started by startHelper.
type helper struct {
	cmd   *exec.Cmd
	stdin io.Closer
	url   string
}

// startHelpers starts n child consoles on dataDir at once and waits until
// all of them have the cluster.
func startHelpers(t *testing.T, dataDir string, n int) []*helper {
	t.Helper()
	hs := make([]*helper, n)
	lines := make(chan error, n)
	for i := range hs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), helperEnv+"="+dataDir)
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, to kill it whole
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		h := &helper{cmd: cmd, stdin: stdin}
		hs[i] = h
		t.Cleanup(func() { h.kill() })
		go func() {
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if url, ok := strings.CutPrefix(strings.TrimSpace(line), "READY "); ok {
				h.url = url
				lines <- nil
				io.Copy(io.Discard, stdout)
				return
			}
			lines <- fmt.Errorf("helper: %q %v", line, err)
		}()
	}
	timeout := time.After(60 * time.Second)
	for range hs {
		select {
		case err := <-lines:
			if err != nil {
				t.Fatal(err)
			}
		case <-timeout:
			t.Fatal("helpers did not start in time")
		}
	}
	return hs
}

// kill kills the child's whole process group with SIGKILL, as a crash or
// `kill -9 -PGID` would. The server is in its own session and survives.
func (h *helper) kill() {
	if h.cmd.ProcessState != nil {
		return
	}
	syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
	h.stdin.Close()
	h.cmd.Wait()
}

// A console killed with SIGKILL (here two of them, which also raced to
// initialise the cluster) leaves its server running: the next Start adopts
// it and the last Stop stops it.
func TestKilledConsolesServerIsAdopted(t *testing.T) {
	dataDir := newDataDir(t)
	hs := startHelpers(t, dataDir, 2)
	if hs[0].url != hs[1].url {
		t.Fatalf("helpers disagree on the URL: %q vs %q", hs[0].url, hs[1].url)
	}
	pid := postmasterPID(dataDir)
	exec1(t, open(t, hs[0].url), "CREATE TABLE adopted (n int)")
	for _, h := range hs {
		h.kill()
	}
	if !alive(pid) {
		t.Fatalf("server %d died with the consoles", pid)
	}

	c := start(t, dataDir)
	if p := postmasterPID(dataDir); p != pid {
		t.Fatalf("Start started a new server (pid %d) instead of adopting %d", p, pid)
	}
	if n := count(t, open(t, c.URL()), "adopted"); n != 0 {
		t.Errorf("adopted: %d rows", n)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	assertStopped(t, dataDir, pid, c.AdminURL())
}

// After the console and its server were both killed with SIGKILL, the
// stale postmaster.pid must not stop the next Start, not even when its pid
// has since been reused by another process.
func TestStartAfterCrash(t *testing.T) {
	dataDir := newDataDir(t)
	hs := startHelpers(t, dataDir, 1)
	db := open(t, hs[0].url)
	// The test cluster runs with synchronous_commit=off; make these commits
	// reach the WAL before the crash.
	exec1(t, db, "SET synchronous_commit = on")
	exec1(t, db, "CREATE TABLE survived (n int)")
	exec1(t, db, "INSERT INTO survived SELECT generate_series(1, 100)")
	db.Close()

	pid := postmasterPID(dataDir)
	hs[0].kill()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); alive(pid); {
		if time.Now().After(deadline) {
			t.Fatal("server did not die")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if postmasterPID(dataDir) != pid {
		t.Fatal("expected a stale postmaster.pid after SIGKILL")
	}

	// Pretend the pid was reused: point postmaster.pid at a live process
	// that is not postgres, running as the server user so that PostgreSQL's
	// own liveness check (kill 0) would see it too.
	sleeper := exec.Command("sleep", "60")
	if os.Geteuid() == 0 {
		fi, err := os.Stat(filepath.Join(dataDir, "postgres"))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		sleeper.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: st.Uid, Gid: st.Gid}}
	}
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	pidFile := filepath.Join(dataDir, "postgres", "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "\n")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(sleeper.Process.Pid)+"\n"+rest), 0o600); err != nil {
		t.Fatal(err)
	}

	c := start(t, dataDir)
	if n := count(t, open(t, c.URL()), "survived"); n != 100 {
		t.Errorf("after crash: %d rows, want 100", n)
	}
	if !alive(sleeper.Process.Pid) {
		t.Error("the process named in the stale pid file was harmed")
	}
	newPID := postmasterPID(dataDir)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	assertStopped(t, dataDir, newPID, c.AdminURL())
}

// A data directory whose socket path would be too long gets its socket in
// the temp directory; and a cluster directory left without PG_VERSION (an
// interrupted initdb) is replaced by a fresh cluster.
func TestLongPathAndUnfinishedCluster(t *testing.T) {
	dataDir := filepath.Join(newDataDir(t), strings.Repeat("long-directory-name-", 6))
	if err := os.MkdirAll(filepath.Join(dataDir, "postgres", "base"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "postgres", "postgresql.conf"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := start(t, dataDir)
	if strings.HasPrefix(c.socketDir, dataDir) {
		t.Errorf("socket directory %s inside the long data directory", c.socketDir)
	}
	exec1(t, open(t, c.URL()), "CREATE TABLE fresh (n int)")
	pid := postmasterPID(dataDir)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	assertStopped(t, dataDir, pid, c.AdminURL())
	os.Remove(c.socketDir)
}

// As root, a data directory the server user cannot reach is refused up front with
// a message that says what to do.
func TestUnreachableDataDirAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs the server as another user")
	}
	closed := filepath.Join(newDataDir(t), "closed")
	if err := os.MkdirAll(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{DataDir: filepath.Join(closed, "data"), Fast: true})
	if err == nil || !strings.Contains(err.Error(), "cannot reach") || !strings.Contains(err.Error(), closed) {
		t.Fatalf("got %v, want a 'cannot reach %s' error", err, closed)
	}
	if _, statErr := os.Stat(filepath.Join(closed, "data", "postgres")); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("a cluster was created anyway (%v)", statErr)
	}
}

// pg_ctl puts the data directory in double quotes for /bin/sh without
// escaping it, so paths it would mangle are refused up front.
func TestShellHostilePathRefused(t *testing.T) {
	dataDir := filepath.Join(newDataDir(t), `a"b`)
	_, err := Start(context.Background(), Options{DataDir: dataDir})
	if err == nil || !strings.Contains(err.Error(), "pg_ctl") {
		t.Fatalf("got %v", err)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string][2]string{
		"postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n": {"15.20", "15"},
		"postgres (PostgreSQL) 9.6.24\n":                         {"9.6.24", "9.6"},
		"postgres (PostgreSQL) 17beta1\n":                        {"17beta1", "17"},
	} {
		v, m, ok := parseVersion(in)
		if !ok || v != want[0] || m != want[1] {
			t.Errorf("parseVersion(%q) = %q, %q, %v; want %q, %q", in, v, m, ok, want[0], want[1])
		}
	}
	if !versionLess("9.6", "15") || versionLess("16", "15") {
		t.Error("versionLess")
	}
}

// The download path cannot run end to end here (the binary repository is
// not reachable from CI), but its failure must be clear and leave nothing
// half-installed behind. Where the repository is reachable the same test
// checks the downloaded binaries instead.
func TestDownloadBinaries(t *testing.T) {
	dataDir := newDataDir(t)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The library leaves a log file in the temp directory on every call.
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "embedded_postgres_log*"))
	defer func() {
		after, _ := filepath.Glob(filepath.Join(os.TempDir(), "embedded_postgres_log*"))
		for _, f := range after {
			if !slices.Contains(before, f) {
				os.Remove(f)
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir, err := downloadBinaries(ctx, filepath.Join(dataDir, "postgres-binaries"), "15", t.Logf)
	if err != nil {
		t.Logf("download failed as expected without network: %v", err)
		if !strings.Contains(err.Error(), "embedded-postgres") || !strings.Contains(err.Error(), "15.") {
			t.Errorf("unclear error: %v", err)
		}
		left, _ := filepath.Glob(filepath.Join(dataDir, "postgres-binaries", "*", "bin"))
		scratch, _ := filepath.Glob(filepath.Join(dataDir, "postgres-binaries", "extract-*"))
		if len(left)+len(scratch) > 0 {
			t.Errorf("failed download left %v %v", left, scratch)
		}
		return
	}
	b, err := inspectBinDir(ctx, dir)
	if err != nil || b.major != "15" {
		t.Fatalf("downloaded binaries in %s: %+v, %v", dir, b, err)
	}
}

func TestMissingPostgresIsExplained(t *testing.T) {
	if _, err := downloadBinaries(context.Background(), t.TempDir(), "8.4", t.Logf); err == nil || !strings.Contains(err.Error(), "8.4") {
		t.Errorf("got %v", err)
	}
}
