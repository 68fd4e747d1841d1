package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/lib/pq"

	"activation-console/store/storetest"
)

// facts describe the machine and server the numbers come from.
type facts struct {
	cores    int
	memory   string
	server   string
	load     string
	loadEnd  string
	started  time.Time
	database string // the server measured, without credentials
	settings string // the server's settings that decide the figures
}

// serverSettings are the settings printed with the results: the console, its
// renewals and seed, and pgbench all run on the server with these.
var serverSettings = []string{"shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem", "max_wal_size",
	"checkpoint_timeout", "wal_compression", "synchronous_commit", "fsync", "full_page_writes", "random_page_cost", "jit", "autovacuum", "max_connections", "wal_level", "max_wal_senders"}

func machineFacts(ctx context.Context, adminURL string) (facts, error) {
	f := facts{cores: runtime.NumCPU(), started: time.Now(), load: loadAverage(), database: redact(adminURL)}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if m := regexp.MustCompile(`MemTotal:\s+(\d+) kB`).FindSubmatch(b); m != nil {
			var kb int64
			fmt.Sscan(string(m[1]), &kb)
			f.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	db, err := sql.Open("postgres", adminURL)
	if err != nil {
		return f, err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, `SELECT split_part(version(), ' on ', 1)`).Scan(&f.server); err != nil {
		return f, err
	}
	err = db.QueryRowContext(ctx, `SELECT string_agg(format('%s %s', name, current_setting(name)), ', ' ORDER BY array_position($1, name))
		FROM pg_settings WHERE name = ANY($1)`, pq.Array(serverSettings)).Scan(&f.settings)
	return f, err
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// redact drops a password from a connection URL.
func redact(u string) string {
	return regexp.MustCompile(`//([^:@/]+):[^@/]*@`).ReplaceAllString(u, "//$1:***@")
}

// createDatabase makes a fresh empty database on the admin connection's server.
func createDatabase(ctx context.Context, adminURL, name string) (string, error) {
	db, err := sql.Open("postgres", adminURL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		return "", err
	}
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		return "", err
	}
	return storetest.WithDatabase(adminURL, name), nil
}

// checkpoint writes every dirty page of the server now (CHECKPOINT needs
// the superuser the bench connects as).
func checkpoint(ctx context.Context, adminURL string) error {
	db, err := sql.Open("postgres", adminURL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `CHECKPOINT`)
	return err
}

func dropDatabase(adminURL, name string) {
	db, err := sql.Open("postgres", adminURL)
	if err != nil {
		return
	}
	defer db.Close()
	db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
}

// consoleCLI runs the console binary's subcommands against the bench database.
type consoleCLI struct {
	bin     string
	env     []string
	dataDir string
	log     io.Writer
	logName string // the file in $TMPDIR a started server logs to; "" console-bench-serve.log
}

func buildConsole(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "console")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/console")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return bin, cmd.Run()
}

// run runs one subcommand and returns its standard output, trimmed.
func (c consoleCLI) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.bin, append(args, "--data-dir", c.dataDir)...)
	cmd.Env = append(os.Environ(), c.env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, c.log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("console %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(out.String()), nil
}

// sessionKeys makes a signing and an encryption key, in CONSOLE_SESSION_KEYS
// form, so the bench's in-process console opens the cookies of the real one.
func sessionKeys() (env string, keys [][]byte) {
	sign, enc := make([]byte, 64), make([]byte, 32)
	rand.Read(sign)
	rand.Read(enc)
	return base64.StdEncoding.EncodeToString(sign) + "," + base64.StdEncoding.EncodeToString(enc), [][]byte{sign, enc}
}

// server is a running `console serve`.
type server struct {
	cmd  *exec.Cmd
	base string
	pid  int
	done chan error
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startServer starts `console serve` and waits until it is ready. Its
// renewal worker runs once at start (nothing is due after a seed) and then
// hourly: the renewal benchmark drives the pass itself.
func (c consoleCLI) startServer(ctx context.Context, keysEnv string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.bin, "serve", "--addr", addr, "--data-dir", c.dataDir, "--renew-interval", "1h")
	cmd.Env = append(os.Environ(), append(c.env, "CONSOLE_SESSION_KEYS="+keysEnv)...)
	// The console's own log (requests, alert mails written to the log) goes to
	// $TMPDIR/console-bench-serve.log (or logName), kept after the run.
	logFile, err := os.Create(filepath.Join(os.TempDir(), orDefault(c.logName, "console-bench-serve.log")))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = io.Discard, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr, pid: cmd.Process.Pid, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("console serve exited: %v", err)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(s.base + readyzPath); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.stop()
	return nil, fmt.Errorf("console serve was not ready within a minute")
}

// stop asks the console to drain and stop, as Ctrl-C does.
func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
	}
}
