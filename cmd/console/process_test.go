package main

// Helpers for the tests that run the console binary as a separate process:
// its signal handling, its drain and several instances on one database can
// only be seen from outside.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryDir  string
)

// consoleBinary builds the console once per test process and returns its path.
func consoleBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the console's binary: not in -short (task test:short)")
	}
	binaryOnce.Do(func() {
		binaryDir, binaryErr = os.MkdirTemp("", "console-bin-")
		if binaryErr != nil {
			return
		}
		binaryPath = filepath.Join(binaryDir, "console")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// removeConsoleBinary removes what consoleBinary built; TestMain calls it.
func removeConsoleBinary() {
	if binaryDir != "" {
		os.RemoveAll(binaryDir)
	}
}

// runConsole runs one console command line in env and returns its stdout;
// a failure fails the test.
func runConsole(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(consoleBinary(t), args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("console %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// consoleEnv is the environment of a console process on database url.
func consoleEnv(t *testing.T, url string, extra ...string) []string {
	env := []string{"DATABASE_URL=" + url, "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"CONSOLE_DATA_DIR=" + filepath.Join(t.TempDir(), "data")}
	return append(env, extra...)
}

// served is one running `console serve`.
type served struct {
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:PORT
	mu     sync.Mutex
	log    bytes.Buffer // stderr
	exited chan struct{}
	err    error // Wait's, once exited is closed
}

// startServe starts `console serve` on a free port and waits until it listens.
func startServe(t *testing.T, env []string, args ...string) *served {
	t.Helper()
	cmd := exec.Command(consoleBinary(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = env
	s := &served{cmd: cmd, exited: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = writerFunc(func(p []byte) (int, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.log.Write(p)
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Activation code console: "); ok {
				addr <- strings.TrimSuffix(u, "/")
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { s.err = cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			cmd.Process.Kill()
			<-s.exited
		}
	})
	select {
	case s.url = <-addr:
	case <-s.exited:
		t.Fatalf("console serve exited before listening: %v\n%s", s.err, s.stderr())
	case <-time.After(60 * time.Second):
		t.Fatalf("console serve did not listen within a minute\n%s", s.stderr())
	}
	return s
}

func (s *served) stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// stop sends SIGTERM and waits for the exit; it returns the exit code and
// how long the exit took.
func (s *served) stop(t *testing.T) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(shutdownTimeout + 10*time.Second):
		t.Fatalf("console serve still runs %v after SIGTERM\n%s", time.Since(start), s.stderr())
	}
	return s.cmd.ProcessState.ExitCode(), time.Since(start)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// apiClient calls the platform API of one console.
type apiClient struct {
	http  *http.Client
	base  string
	token string
}

// call sends a JSON request and returns the status and the decoded answer.
func (c apiClient) call(ctx context.Context, method, path string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m, nil
}

// mustCall is call for the set-up: anything but want fails the test.
func (c apiClient) mustCall(t *testing.T, want int, method, path string, body any) map[string]any {
	t.Helper()
	code, m, err := c.call(context.Background(), method, path, body)
	if err != nil || code != want {
		t.Fatalf("%s %s: %d %v %v; want %d", method, path, code, m, err, want)
	}
	return m
}

// apiFixture is an account with a product holding codes of package pkg, and
// an API token; the console commands create them in env.
type apiFixture struct {
	token, account, product, dc string
}

func newAPIFixture(t *testing.T, env []string, base, pkg string, codes int) apiFixture {
	t.Helper()
	f := apiFixture{dc: "eu-frankfurt", product: "PK-1"}
	f.account = strings.TrimSpace(runConsole(t, env, "account", "create", "--name", "Soak", "--type", "enterprise",
		"--data-center", f.dc, "--owner-email", "owner@soak.example", "--owner-password", "correct horse battery"))
	f.token = strings.TrimSpace(runConsole(t, env, "token", "create", "access-layer"))
	c := f.client(base)
	c.mustCall(t, http.StatusCreated, "POST", "/api/v1/products", map[string]any{
		"account": f.account, "data_center": f.dc, "product_key": f.product, "name": "Sensor"})
	f.purchase(t, c, "order-1", pkg, codes)
	return f
}

func (f apiFixture) client(base string) apiClient {
	return apiClient{http: &http.Client{Timeout: 30 * time.Second}, base: base, token: f.token}
}

func (f apiFixture) purchase(t *testing.T, c apiClient, order, pkg string, codes int) {
	t.Helper()
	code, m, err := c.call(context.Background(), "POST", "/api/v1/purchases", map[string]any{
		"order_no": order, "account": f.account, "data_center": f.dc, "package": pkg, "quantity": codes, "product_key": f.product})
	if err != nil || code >= 300 {
		t.Fatalf("purchase: %d %v %v", code, m, err)
	}
}

func (f apiFixture) connect(ctx context.Context, c apiClient, device string) (int, map[string]any, error) {
	return c.call(ctx, "POST", "/api/v1/devices/connect", map[string]any{
		"product_key": f.product, "device_key": device, "data_center": f.dc})
}
