package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"activation-console/store/storetest"
)

// A SIGTERM in the middle of a steady stream of API and page requests: every
// request that started before it is answered (none with a 5xx, none cut
// off), the process exits 0 within the drain timeout, the renewal worker
// stops at a safe point, and the ledger is consistent afterwards.
func TestServe_SIGTERMDrainsEveryRequestStartedBeforeIt(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the console binary")
	}
	env := consoleEnv(t, storetest.NewDatabase(t))
	runConsole(t, env, "package", "create", "--code", "drain-1y", "--name", "Drain", "--validity", "1y", "--messages-per-day", "100")
	srv := startServe(t, env, "--renew-interval", "200ms")
	f := newAPIFixture(t, env, srv.url, "drain-1y", 10000)

	var (
		stopping atomic.Bool // set just before the signal: no request starts after it
		started  atomic.Int64
		answered atomic.Int64
		mu       sync.Mutex
		failures []string
		wg       sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	ctx := context.Background()
	for w := range 6 {
		wg.Go(func() {
			c := f.client(srv.url)
			for i := 0; !stopping.Load(); i++ {
				started.Add(1)
				var code int
				var err error
				var what string
				switch {
				case w%3 == 2: // pages
					path := []string{"/signin", "/healthz", "/readyz", "/metrics"}[i%4]
					what = "GET " + path
					var resp *http.Response
					if resp, err = c.http.Get(srv.url + path); err == nil {
						code = resp.StatusCode
						resp.Body.Close()
					}
				case i%2 == 0: // a new device
					what = fmt.Sprintf("connect new dev-%d-%d", w, i)
					code, _, err = f.connect(ctx, c, fmt.Sprintf("dev-%d-%d", w, i))
				default: // a known one
					what = fmt.Sprintf("connect known dev-%d-%d", w, i-1)
					code, _, err = f.connect(ctx, c, fmt.Sprintf("dev-%d-%d", w, i-1))
				}
				switch {
				case err != nil:
					fail("%s: %v", what, err)
				case code >= 500 || (code != http.StatusOK && strings.HasPrefix(what, "connect")):
					fail("%s: status %d", what, code)
				default:
					answered.Add(1)
				}
			}
		})
	}
	time.Sleep(2 * time.Second) // a steady stream, and a few renewal passes
	stopping.Store(true)
	code, took := srv.stop(t)
	wg.Wait()

	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d requests started, %d answered; exit %d after %v", started.Load(), answered.Load(), code, took.Round(time.Millisecond))
	if answered.Load() < 20 {
		t.Errorf("only %d requests answered before the signal: no steady stream", answered.Load())
	}
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0\n%s", code, srv.stderr())
	}
	if took > shutdownTimeout {
		t.Errorf("the exit took %v, more than the drain timeout %v", took, shutdownTimeout)
	}
	log := srv.stderr()
	for _, want := range []string{"stopping: draining requests", "stopped at a safe point", "msg=stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if out := runConsole(t, env, "verify"); !strings.Contains(out, "no violations") {
		t.Errorf("verify after the drain: %s", out)
	}
}

// A second signal during the drain ends the process at once, with exit 1.
func TestServe_SecondSignalExitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the console binary")
	}
	srv := startServe(t, consoleEnv(t, storetest.NewDatabase(t)))
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(srv.stderr(), "stopping: draining requests"); {
		if time.Now().After(deadline) {
			t.Fatalf("no drain 10 s after SIGTERM\n%s", srv.stderr())
		}
		time.Sleep(10 * time.Millisecond)
	}
	code, took := srv.stop(t) // the second SIGTERM, within the drain's first second
	if code != 1 || took > drainGrace/2 || !strings.Contains(srv.stderr(), "second signal") {
		t.Errorf("exit %d after %v; want 1 at once and a word about the second signal\n%s", code, took, srv.stderr())
	}
}

// Without DATABASE_URL the console runs its embedded PostgreSQL; a SIGTERM
// stops it too: exit 0, the server process gone and its pid file removed.
func TestServe_SIGTERMStopsTheEmbeddedDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the console binary and a PostgreSQL cluster")
	}
	dataDir := embeddedDataDir(t)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "CONSOLE_DATA_DIR=" + dataDir}
	srv := startServe(t, env, "--renew-interval", "200ms")
	pid := postmasterPID(t, dataDir)
	resp, err := http.Get(srv.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: %d before the signal", resp.StatusCode)
	}

	if code, _ := srv.stop(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0\n%s", code, srv.stderr())
	}
	// pg_ctl stop -w returns once the pid file is gone, which the postmaster
	// removes just before it exits: on a busy machine it may take a moment.
	for deadline := time.Now().Add(10 * time.Second); processRuns(pid) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if processRuns(pid) {
		t.Errorf("PostgreSQL (pid %d) still runs 10 s after the console exited\n%s", pid, srv.stderr())
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postgres", "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("postmaster.pid left behind (%v)", err)
	}
	if log := srv.stderr(); !strings.Contains(log, "PostgreSQL stopped") {
		t.Errorf("the log does not say PostgreSQL stopped:\n%s", log)
	}
}

// processRuns tells whether pid is a process that has not exited: a zombie
// (its parent, here pid 1 of a container, has not reaped it yet) has.
func processRuns(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil // no /proc: whether it exists
	}
	// "pid (comm) S ...": the state follows the last ')'.
	rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
	return !strings.HasPrefix(strings.TrimSpace(rest), "Z")
}
