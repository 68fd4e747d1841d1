package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"activation-console/store/embedded"
)

// recoveryLimit is how soon after PostgreSQL answers again the console must
// serve connects and report ready: a database restart or failover costs
// devices seconds of refused connects, never an outage that lasts until
// someone restarts the console (README.md, "Reliability").
const recoveryLimit = 5 * time.Second

// PostgreSQL restarted under load, once cleanly (fast shutdown) and once as
// a crash (immediate shutdown, crash recovery on start): while it is down
// every answer is a 503 with Retry-After, never a 500 or a hang; /readyz says
// 503 meanwhile; within 5 s of the server's return connects succeed and
// /readyz says 200 again; and every connect and purchase the console
// acknowledged is in the database afterwards.
//
// The test runs its own durable cluster (store/embedded, fsync and
// synchronous_commit on) so that it can stop and start the server.
func TestServe_DatabaseRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a PostgreSQL cluster")
	}
	dataDir := embeddedDataDir(t)
	ctx := context.Background()
	startCluster := func() *embedded.Cluster {
		t.Helper()
		c, err := embedded.Start(ctx, embedded.Options{DataDir: dataDir, Logf: t.Logf})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Stop() }) // later clusters stop first: each Stop releases its share
		return c
	}
	cluster := startCluster()
	env := consoleEnv(t, cluster.URL())
	console := startServe(t, env, "--renew-interval", "1s")
	f := newAPIFixture(t, env, console.url, "std-1y", 50_000) // std-1y: a package the migrations create

	load := startRestartLoad(t, console.url, f)
	restarts := []struct {
		name string
		down func()
	}{
		{"fast shutdown", func() {
			if err := cluster.Stop(); err != nil {
				t.Fatal(err)
			}
		}},
		{"crash (immediate shutdown)", func() { crashPostmaster(t, dataDir) }},
	}
	for _, r := range restarts {
		time.Sleep(2 * time.Second) // load on a healthy database first
		load.mark("down")
		r.down()
		time.Sleep(2 * time.Second)
		cluster = startCluster()
		up := time.Now()
		load.mark("up")
		connectAt, readyAt := load.waitRecovered(up, 3*recoveryLimit)
		t.Logf("%s: connects succeed %v and /readyz is 200 %v after PostgreSQL is back",
			r.name, connectAt.Round(time.Millisecond), readyAt.Round(time.Millisecond))
		if connectAt > recoveryLimit || readyAt > recoveryLimit {
			t.Errorf("%s: recovery took %v (connects) and %v (/readyz); want at most %v",
				r.name, connectAt, readyAt, recoveryLimit)
		}
	}
	time.Sleep(time.Second)
	load.stop()

	load.check(t)
	checkAcknowledged(t, cluster.URL(), f, load)
	if out := runConsole(t, env, "verify"); !strings.Contains(out, "no violations") {
		t.Errorf("console verify after the restarts: %s", out)
	}
}

// embeddedDataDir is a fresh data directory for an embedded cluster. As root
// the server runs as its own system user, who must reach it through the 0700 directories
// t.TempDir makes.
func embeddedDataDir(t *testing.T) string {
	t.Helper()
	dataDir := filepath.Join(t.TempDir(), "pg")
	for d := filepath.Dir(dataDir); d != os.TempDir() && strings.HasPrefix(d, os.TempDir()); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return dataDir
}

// postmasterPID is the pid in the cluster's postmaster.pid.
func postmasterPID(t *testing.T, dataDir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "postgres", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

// crashPostmaster sends the cluster's postmaster SIGQUIT (immediate
// shutdown: no checkpoint, crash recovery at the next start) and waits until
// it has gone.
func crashPostmaster(t *testing.T, dataDir string) {
	t.Helper()
	pid := postmasterPID(t, dataDir)
	if err := syscall.Kill(pid, syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); processRuns(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("postmaster %d still runs 30 s after SIGQUIT", pid)
		}
	}
}

// restartLoad sends connects of new devices, purchases and /readyz probes
// until stopped, and records every answer.
type restartLoad struct {
	base string
	f    apiFixture
	http *http.Client
	done chan struct{}
	wg   sync.WaitGroup

	mu        sync.Mutex
	phase     string // "", "down" or "up": set by the test around each restart
	answers   map[string]map[int]int
	failures  []string        // answers no request may get
	acked     []activationAck // connects answered "activated"
	orders    []string        // purchases answered 201
	lastOK    time.Time
	lastReady time.Time
}

type activationAck struct{ device, activatedAt string }

func startRestartLoad(t *testing.T, base string, f apiFixture) *restartLoad {
	l := &restartLoad{base: base, f: f, http: &http.Client{Timeout: 30 * time.Second},
		done: make(chan struct{}), answers: map[string]map[int]int{}}
	for w := range 4 {
		l.wg.Go(func() { l.drive(w) })
	}
	l.wg.Go(l.probeReady)
	t.Cleanup(l.stop)
	return l
}

func (l *restartLoad) stop() {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	l.wg.Wait()
}

func (l *restartLoad) mark(phase string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.phase = phase
}

func (l *restartLoad) stopped() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// drive is one client: mostly connects of new devices, every tenth request a
// purchase of one code.
func (l *restartLoad) drive(w int) {
	for i := 0; !l.stopped(); i++ {
		var path string
		var body map[string]any
		if i%10 == 9 {
			path, body = "/api/v1/purchases", map[string]any{"order_no": fmt.Sprintf("restart-%d-%d", w, i),
				"account": l.f.account, "data_center": l.f.dc, "package": "std-1y", "quantity": 1, "product_key": l.f.product}
		} else {
			path, body = "/api/v1/devices/connect", map[string]any{"product_key": l.f.product,
				"device_key": fmt.Sprintf("dev-%d-%d", w, i), "data_center": l.f.dc}
		}
		sent := time.Now()
		code, m, retryAfter, err := l.post(path, body)
		l.record(path, sent, code, m, retryAfter, err, body)
		if code == http.StatusServiceUnavailable {
			time.Sleep(50 * time.Millisecond) // a real client backs off; not the full Retry-After, to see recovery
		}
	}
}

func (l *restartLoad) post(path string, body any) (int, map[string]any, string, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", l.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+l.f.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.http.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, resp.Header.Get("Retry-After"), nil
}

func (l *restartLoad) record(path string, sent time.Time, code int, m map[string]any, retryAfter string, err error, body map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := l.phase + " " + path
	if l.answers[key] == nil {
		l.answers[key] = map[int]int{}
	}
	l.answers[key][code]++
	switch {
	case err != nil:
		l.failures = append(l.failures, fmt.Sprintf("%s (%s): %v after %v", path, l.phase, err, time.Since(sent)))
	case code == http.StatusServiceUnavailable:
		if retryAfter == "" {
			l.failures = append(l.failures, fmt.Sprintf("%s (%s): 503 without Retry-After", path, l.phase))
		}
	case path == "/api/v1/purchases" && code == http.StatusCreated:
		l.orders = append(l.orders, body["order_no"].(string))
		l.lastOK = sent
	case path == "/api/v1/devices/connect" && code == http.StatusOK:
		if m["result"] != "activated" {
			l.failures = append(l.failures, fmt.Sprintf("connect of new device %v answered %v", body["device_key"], m))
		}
		at, _ := m["activated_at"].(string)
		l.acked = append(l.acked, activationAck{body["device_key"].(string), at})
		l.lastOK = sent
	default:
		l.failures = append(l.failures, fmt.Sprintf("%s (%s): %d %v", path, l.phase, code, m))
	}
}

// probeReady asks /readyz every 100 ms.
func (l *restartLoad) probeReady() {
	for !l.stopped() {
		sent := time.Now()
		resp, err := l.http.Get(l.base + "/readyz")
		l.mu.Lock()
		key := l.phase + " /readyz"
		if l.answers[key] == nil {
			l.answers[key] = map[int]int{}
		}
		switch {
		case err != nil:
			l.failures = append(l.failures, fmt.Sprintf("/readyz (%s): %v", l.phase, err))
		case resp.StatusCode == http.StatusOK:
			l.lastReady = sent
		case resp.StatusCode != http.StatusServiceUnavailable:
			l.failures = append(l.failures, fmt.Sprintf("/readyz (%s): %d", l.phase, resp.StatusCode))
		}
		if err == nil {
			l.answers[key][resp.StatusCode]++
			resp.Body.Close()
		}
		l.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
}

// waitRecovered waits until a write sent after up succeeded and a /readyz
// sent after up answered 200, and returns how long after up each was sent;
// it gives up after limit (each figure is then limit).
func (l *restartLoad) waitRecovered(up time.Time, limit time.Duration) (connect, ready time.Duration) {
	connect, ready = limit, limit
	for deadline := up.Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		l.mu.Lock()
		ok, r := l.lastOK, l.lastReady
		l.mu.Unlock()
		if ok.After(up) {
			connect = ok.Sub(up)
		}
		if r.After(up) {
			ready = r.Sub(up)
		}
		if connect < limit && ready < limit {
			break
		}
	}
	return connect, ready
}

// check fails the test on any answer other than success or 503 with
// Retry-After, and unless the outage was seen: 503s for connects and for
// /readyz while PostgreSQL was down.
func (l *restartLoad) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("answers by phase and request: %v", l.answers)
	t.Logf("acknowledged: %d connects, %d purchases", len(l.acked), len(l.orders))
	for i, f := range l.failures {
		if i == 20 {
			t.Errorf("... and %d more", len(l.failures)-20)
			break
		}
		t.Error(f)
	}
	for _, path := range []string{"/api/v1/devices/connect", "/readyz"} {
		if l.answers["down "+path][http.StatusServiceUnavailable] == 0 {
			t.Errorf("no 503 for %s while PostgreSQL was down: %v", path, l.answers["down "+path])
		}
	}
	if len(l.acked) == 0 || len(l.orders) == 0 {
		t.Error("the load got no connect or no purchase through")
	}
}

// checkAcknowledged looks up every acknowledged connect and purchase.
func checkAcknowledged(t *testing.T, url string, f apiFixture, l *restartLoad) {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	missing := 0
	for _, a := range l.acked {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM activations a JOIN devices d ON d.id = a.device_id
			JOIN products p ON p.id = a.product_id
			WHERE p.product_key = $1 AND d.device_key = $2 AND a.activated_at = $3::timestamptz`,
			f.product, a.device, a.activatedAt).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			missing++
			if missing <= 10 {
				t.Errorf("acknowledged activation of %s at %s: %d rows", a.device, a.activatedAt, n)
			}
		}
	}
	for _, order := range l.orders {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM credits WHERE order_no = $1`, order).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			missing++
			if missing <= 10 {
				t.Errorf("acknowledged purchase %s: %d rows", order, n)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d acknowledged writes are missing", missing)
	}
}
