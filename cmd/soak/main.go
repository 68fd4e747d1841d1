// Command soak runs several console instances on one fresh database, drives
// mixed load at them while it injects faults (terminated database backends,
// an instance killed with SIGKILL and restarted), and then checks that the
// ledger is consistent and that every connect the console acknowledged is
// in the activations table. Beside the load it runs the randomized ledger
// test (store's TestLedger_RandomOperations, through `go test`) at
// --ledger-ops operations, 1,000,000 by default. It exits 1 on any
// violation or a failed randomized test.
//
//	go run ./cmd/soak --duration 5m --instances 3 --devices 2000 --ledger-ops 1000000
//
// It talks only to 127.0.0.1 and to the PostgreSQL of DATABASE_URL (default:
// the machine's own on 127.0.0.1:5432), where it creates a database
// soak_<time> and drops it at the end (--keep keeps it).
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/lib/pq"
)

const (
	dataCenter = "eu-frankfurt"
	products   = 4
)

type options struct {
	duration  time.Duration
	instances int
	devices   int
	workers   int
	ledgerOps int
	keep      bool
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 5*time.Minute, "how long to drive load")
	flag.IntVar(&o.instances, "instances", 3, "console instances on the one database")
	flag.IntVar(&o.devices, "devices", 2000, "distinct devices the load connects")
	flag.IntVar(&o.workers, "workers", 6, "goroutines sending requests")
	flag.IntVar(&o.ledgerOps, "ledger-ops", 1_000_000, "operations of the randomized ledger test run beside the load (0: none)")
	flag.BoolVar(&o.keep, "keep", false, "keep the database afterwards")
	flag.Parse()
	if o.instances < 1 || o.devices < 1 || o.workers < 1 || o.ledgerOps < 0 {
		fmt.Fprintln(os.Stderr, "soak: --instances, --devices and --workers must be positive, --ledger-ops not negative")
		os.Exit(2)
	}
	violations, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	if violations > 0 {
		os.Exit(1)
	}
}

// soak is one run's state.
type soak struct {
	o        options
	bin      string
	dbURL    string
	adminURL string
	db       *sql.DB
	token    string
	account  string
	tmp      string

	mu        sync.Mutex
	instances []*instance

	ops, errorsSeen, terminated, killed atomic.Int64
	acked                               sync.Map // ack -> struct{}
	ackCount, ackTotal                  atomic.Int64
	nextDevice                          atomic.Int64
}

// ack is a connect the console answered with 200: its activation must exist.
type ack struct{ product, device, activatedAt string }

type instance struct {
	n      int
	addr   string // 127.0.0.1:PORT
	cmd    *exec.Cmd
	exited chan struct{}
}

func run(o options) (int, error) {
	s := &soak{o: o}
	var err error
	if s.tmp, err = os.MkdirTemp("", "soak-"); err != nil {
		return 0, err
	}
	defer os.RemoveAll(s.tmp)
	s.bin = filepath.Join(s.tmp, "console")
	fmt.Println("building the console")
	if out, err := exec.Command("go", "build", "-o", s.bin, "./cmd/console").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build ./cmd/console (run from the repository root): %v\n%s", err, out)
	}
	drop, err := s.createDatabase()
	if err != nil {
		return 0, err
	}
	if !o.keep {
		defer drop()
	}
	defer s.db.Close()
	if err := s.setUp(); err != nil {
		return 0, err
	}
	for i := range o.instances {
		in, err := s.start(i, "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		s.instances = append(s.instances, in)
	}
	defer func() { // whatever is still running
		for _, in := range s.instances {
			in.cmd.Process.Kill()
		}
	}()
	if err := s.buyCodes(); err != nil {
		return 0, err
	}

	randomized := s.startRandomized()
	fmt.Printf("driving load for %v at %d instances, %d devices, %d workers\n", o.duration, o.instances, o.devices, o.workers)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	var wg sync.WaitGroup
	for w := range o.workers {
		wg.Go(func() { s.drive(ctx, w) })
	}
	faultsDone := make(chan error, 1)
	go func() { faultsDone <- s.injectFaults(ctx) }()
	wg.Wait()
	faultErr := <-faultsDone
	elapsed := time.Since(start)

	var stopErrs []error
	for _, in := range s.instances {
		if err := in.stop(); err != nil {
			stopErrs = append(stopErrs, err)
		}
	}
	var violations []string
	if faultErr != nil {
		violations = append(violations, "fault injection: "+faultErr.Error())
	}
	for _, err := range stopErrs {
		violations = append(violations, err.Error())
	}
	violations = append(violations, s.verify()...)
	violations = append(violations, s.checkAcks()...)
	randomSummary := "not run (--ledger-ops 0)"
	if randomized != nil {
		fmt.Printf("waiting for the randomized ledger test (%d operations)\n", o.ledgerOps)
		r := <-randomized
		violations = append(violations, r.violations...)
		randomSummary = r.summary
	}

	fmt.Printf("\nsoak: %v, %d instances\n", elapsed.Round(time.Second), o.instances)
	fmt.Printf("  operations        %d (%.0f/s), %d failed during faults\n", s.ops.Load(), float64(s.ops.Load())/elapsed.Seconds(), s.errorsSeen.Load())
	fmt.Printf("  acknowledged      %d connects, %d distinct activations (each checked)\n", s.ackTotal.Load(), s.ackCount.Load())
	fmt.Printf("  faults injected   %d backend terminations, %d instance kills\n", s.terminated.Load(), s.killed.Load())
	fmt.Printf("  randomized ledger %s\n", randomSummary)
	fmt.Printf("  violations        %d\n", len(violations))
	for _, v := range violations {
		fmt.Println("    " + v)
	}
	return len(violations), nil
}

// createDatabase creates soak_<time> on the server of DATABASE_URL and
// returns a function that drops it.
func (s *soak) createDatabase() (func(), error) {
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	u, err := url.Parse(admin)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	s.adminURL = admin
	adminDB, err := sql.Open("postgres", admin)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("soak_%d", time.Now().UnixNano())
	if _, err := adminDB.Exec("CREATE DATABASE " + name); err != nil {
		adminDB.Close()
		return nil, fmt.Errorf("creating the database: %w", err)
	}
	u.Path = "/" + name
	s.dbURL = u.String()
	if s.db, err = sql.Open("postgres", s.dbURL); err != nil {
		return nil, err
	}
	fmt.Println("database", name)
	return func() {
		s.db.Close()
		if _, err := adminDB.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "soak: dropping the database:", err)
		}
		adminDB.Close()
	}, nil
}

func (s *soak) env(dataDir string) []string {
	return []string{"DATABASE_URL=" + s.dbURL, "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"CONSOLE_DATA_DIR=" + dataDir}
}

// console runs one console command and returns its stdout.
func (s *soak) console(args ...string) (string, error) {
	return s.consoleWithEnv(nil, args...)
}

// consoleWithEnv runs one console command with extra environment variables.
func (s *soak) consoleWithEnv(env []string, args ...string) (string, error) {
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(s.env(filepath.Join(s.tmp, "cli")), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("console %s: %v: %s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

func (s *soak) setUp() error {
	if _, err := s.console("package", "create", "--code", "soak-1y", "--name", "Soak", "--validity", "1y", "--messages-per-day", "100"); err != nil {
		return err
	}
	var err error
	// The password travels in the environment, not on the command line.
	if s.account, err = s.consoleWithEnv([]string{"CONSOLE_PASSWORD=correct horse battery"}, "account", "create", "--name", "Soak",
		"--type", "enterprise", "--data-center", dataCenter, "--owner-email", "owner@soak.example"); err != nil {
		return err
	}
	s.token, err = s.console("token", "create", "soak")
	return err
}

// start runs `console serve` instance n on addr and waits until it listens.
func (s *soak) start(n int, addr string) (*instance, error) {
	cmd := exec.Command(s.bin, "serve", "--addr", addr, "--renew-interval", "1s")
	cmd.Env = s.env(filepath.Join(s.tmp, fmt.Sprintf("instance-%d", n)))
	logFile, err := os.OpenFile(filepath.Join(s.tmp, fmt.Sprintf("instance-%d.log", n)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	in := &instance{n: n, cmd: cmd, exited: make(chan struct{})}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Activation code console: http://"); ok {
				listening <- strings.TrimSuffix(u, "/")
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { cmd.Wait(); logFile.Close(); close(in.exited) }()
	select {
	case in.addr = <-listening:
		return in, nil
	case <-in.exited:
		return nil, fmt.Errorf("instance %d exited on start; its log: %s", n, logFile.Name())
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		return nil, fmt.Errorf("instance %d did not listen within a minute", n)
	}
}

// stop drains the instance with SIGTERM; it must exit 0.
func (in *instance) stop() error {
	select {
	case <-in.exited:
		return nil // killed by the fault injector and not restarted
	default:
	}
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(30 * time.Second):
		in.cmd.Process.Kill()
		return fmt.Errorf("instance %d did not stop within 30s of SIGTERM", in.n)
	}
	if code := in.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("instance %d exited %d after SIGTERM", in.n, code)
	}
	return nil
}

func (s *soak) pick() *instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.instances[rand.IntN(len(s.instances))]
}

var client = &http.Client{Timeout: 30 * time.Second}

// call sends one API request to a random instance.
func (s *soak) call(ctx context.Context, method, path string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.pick().addr+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m, err
}

func productKey(i int) string { return fmt.Sprintf("SOAK-%d", i) }

// buyCodes registers the products and credits each with codes.
func (s *soak) buyCodes() error {
	ctx := context.Background()
	for i := range products {
		if code, m, err := s.call(ctx, "POST", "/api/v1/products", map[string]any{
			"account": s.account, "data_center": dataCenter, "product_key": productKey(i), "name": "Soak " + productKey(i)}); err != nil || code != http.StatusCreated {
			return fmt.Errorf("creating product %s: %d %v %v", productKey(i), code, m, err)
		}
		if err := s.purchase(ctx, fmt.Sprintf("initial-%d", i), i, s.o.devices); err != nil {
			return err
		}
	}
	return nil
}

func (s *soak) purchase(ctx context.Context, order string, product, quantity int) error {
	code, m, err := s.call(ctx, "POST", "/api/v1/purchases", map[string]any{
		"order_no": order, "account": s.account, "data_center": dataCenter, "package": "soak-1y",
		"quantity": quantity, "product_key": productKey(product)})
	if err != nil || code >= 300 {
		return fmt.Errorf("purchase %s: %d %v %v", order, code, m, err)
	}
	return nil
}

// drive sends mixed requests until ctx ends: connects of new and known
// devices, purchases, device deletions and page views.
func (s *soak) drive(ctx context.Context, w int) {
	for i := 0; ctx.Err() == nil; i++ {
		var err error
		var code int
		product := rand.IntN(products)
		switch r := rand.IntN(100); {
		case r < 40: // a new device, while there are
			n := int(s.nextDevice.Add(1))
			if n > s.o.devices {
				n = rand.IntN(s.o.devices) + 1
			}
			code, err = s.connect(ctx, product, n)
		case r < 75: // a known device
			code, err = s.connect(ctx, product, rand.IntN(max(1, int(min(s.nextDevice.Load(), int64(s.o.devices)))))+1)
		case r < 80:
			err = s.purchase(ctx, fmt.Sprintf("w%d-%d", w, i), product, 5)
			code = http.StatusOK
		case r < 85:
			code, _, err = s.call(ctx, "DELETE", fmt.Sprintf("/api/v1/products/%s/devices/dev-%d", productKey(product), rand.IntN(s.o.devices)+1), nil)
		default:
			path := []string{"/signin", "/healthz", "/readyz", "/metrics", "/api/v1/products/" + productKey(product)}[rand.IntN(5)]
			code, _, err = s.call(ctx, "GET", path, nil)
		}
		if ctx.Err() != nil {
			return
		}
		s.ops.Add(1)
		if err != nil || code >= 500 {
			s.errorsSeen.Add(1) // expected while a fault is injected; the ledger must still hold
		}
	}
}

// connect connects device n of a product and records an acknowledged answer.
func (s *soak) connect(ctx context.Context, product, n int) (int, error) {
	code, m, err := s.call(ctx, "POST", "/api/v1/devices/connect", map[string]any{
		"product_key": productKey(product), "device_key": fmt.Sprintf("dev-%d", n), "data_center": dataCenter})
	if err != nil || code != http.StatusOK {
		return code, err
	}
	switch result, _ := m["result"].(string); result {
	case "activated", "renewed", "restored", "valid":
		at, _ := m["activated_at"].(string)
		s.ackTotal.Add(1)
		if _, loaded := s.acked.LoadOrStore(ack{productKey(product), fmt.Sprintf("dev-%d", n), at}, struct{}{}); !loaded {
			s.ackCount.Add(1)
		}
	}
	return code, nil
}

// injectFaults terminates random console backends or kills and restarts an
// instance, at random moments, until ctx ends.
func (s *soak) injectFaults(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Duration(2000+rand.IntN(6000)) * time.Millisecond):
		}
		if rand.IntN(3) > 0 {
			res, err := s.db.ExecContext(context.Background(), `SELECT pg_terminate_backend(pid) FROM (
				SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
				ORDER BY random() LIMIT 1 + floor(random() * 3)::int) p`)
			if err != nil {
				return fmt.Errorf("pg_terminate_backend: %w", err)
			}
			n, _ := res.RowsAffected()
			s.terminated.Add(n)
			continue
		}
		s.mu.Lock()
		i := rand.IntN(len(s.instances))
		victim := s.instances[i]
		s.mu.Unlock()
		victim.cmd.Process.Kill()
		<-victim.exited
		s.killed.Add(1)
		time.Sleep(time.Duration(200+rand.IntN(1000)) * time.Millisecond)
		var in *instance
		var err error
		for try := 0; try < 10; try++ { // the port may linger a moment
			if in, err = s.start(victim.n, victim.addr); err == nil {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if err != nil {
			return fmt.Errorf("restarting instance %d: %w", victim.n, err)
		}
		s.mu.Lock()
		s.instances[i] = in
		s.mu.Unlock()
	}
}

// verify runs `console verify`; each line it prints is a violation.
func (s *soak) verify() []string {
	out, err := s.console("verify")
	if err == nil {
		return nil
	}
	var v []string
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		v = append(v, "verify: "+line)
	}
	if len(v) == 0 {
		v = append(v, err.Error())
	}
	return v
}

// checkAcks looks up every acknowledged activation in the activations table.
func (s *soak) checkAcks() []string {
	var v []string
	s.acked.Range(func(k, _ any) bool {
		a := k.(ack)
		var n int
		err := s.db.QueryRow(`SELECT count(*) FROM activations a JOIN devices d ON d.id = a.device_id
			JOIN products p ON p.id = a.product_id
			WHERE p.product_key = $1 AND d.device_key = $2 AND a.activated_at = $3::timestamptz`, a.product, a.device, a.activatedAt).Scan(&n)
		switch {
		case err != nil:
			v = append(v, fmt.Sprintf("looking up %v: %v", a, err))
		case n != 1:
			v = append(v, fmt.Sprintf("acknowledged activation %s/%s at %s: %d rows", a.product, a.device, a.activatedAt, n))
		}
		return len(v) < 50
	})
	return v
}

// randomizedResult is the outcome of the randomized ledger test.
type randomizedResult struct {
	summary    string
	violations []string
}

// startRandomized starts store's randomized ledger test at --ledger-ops
// operations (4 seeded sequences side by side, each on a database of its
// own on the soak's server) and returns where its outcome will arrive; nil
// with --ledger-ops 0. Its output goes to randomized.log in the soak's
// directory; a failure's lines become violations.
func (s *soak) startRandomized() <-chan randomizedResult {
	if s.o.ledgerOps == 0 {
		return nil
	}
	out := make(chan randomizedResult, 1)
	logPath := filepath.Join(s.tmp, "randomized.log")
	fmt.Printf("randomized ledger test: %d operations beside the load (go test ./store/ -run TestLedger_RandomOperations)\n", s.o.ledgerOps)
	go func() {
		start := time.Now()
		cmd := exec.Command("go", "test", "-count=1", "-run", "^TestLedger_RandomOperations$", "-parallel", "4",
			"-timeout", "6h", "-v", "./store/", "-ledger.ops", strconv.Itoa(s.o.ledgerOps))
		cmd.Env = append(os.Environ(), "TEST_DATABASE_URL="+s.adminURL)
		b, err := cmd.CombinedOutput()
		os.WriteFile(logPath, b, 0o600)
		took := time.Since(start).Round(time.Second)
		if err == nil {
			out <- randomizedResult{summary: fmt.Sprintf("%d operations in %v: passed (%s)", s.o.ledgerOps, took, sequenceLines(b))}
			return
		}
		r := randomizedResult{summary: fmt.Sprintf("%d operations: FAILED after %v: %v", s.o.ledgerOps, took, err)}
		for line := range strings.SplitSeq(string(b), "\n") {
			if t := strings.TrimSpace(line); strings.HasPrefix(t, "ledger_random_test.go") || strings.HasPrefix(t, "--- FAIL") {
				r.violations = append(r.violations, "randomized ledger test: "+t)
			}
			if len(r.violations) == 30 {
				break
			}
		}
		if len(r.violations) == 0 {
			r.violations = []string{"randomized ledger test failed: " + err.Error()}
		}
		out <- r
	}()
	return out
}

// sequenceLines picks the per-sequence "N operations in T" figures out of
// the test's -v output.
func sequenceLines(b []byte) string {
	var parts []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if _, rest, ok := strings.Cut(line, "ledger_random_test.go"); ok && strings.Contains(rest, "operations in") && !strings.Contains(rest, "sequences") {
			if _, fig, ok := strings.Cut(rest, "seed "); ok {
				fig, _, _ = strings.Cut(fig, ":")
				parts = append(parts, "seed "+fig)
			}
		}
	}
	return strings.Join(parts, "; ")
}
