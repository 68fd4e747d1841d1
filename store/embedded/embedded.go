// Package embedded runs a private PostgreSQL cluster for the console when no
// DATABASE_URL is configured.
//
// # Layout
//
// Everything lives in the console's data directory (Options.DataDir) and is
// kept between runs:
//
//	postgres/             the cluster, created once with initdb
//	postgres.passwords    the superuser's and the application role's passwords (0600)
//	postgres.log          the server log (pg_ctl -l)
//	postgres.start.lock   flock: serialises start and stop decisions
//	postgres.users.lock   flock: held shared by every process using the cluster
//	run/                  the unix socket directory (see below)
//	postgres-binaries/    only for a console not run as root, when no PostgreSQL
//	                      is installed: downloaded binaries
//
// # Authentication and roles
//
// The server listens on a unix socket only (listen_addresses is empty), in a
// directory of mode 0700 owned by the server user. Every connection, on the
// socket or over TCP should someone enable it, authenticates with
// scram-sha-256: initdb gets a generated superuser password, and the console
// itself logs in as the role "console", which owns the database "console"
// and its schema (so it runs the migrations) but is no superuser. URL
// returns that role's connection string, AdminURL the superuser's (see
// auth.go). A cluster created by an earlier console with "trust" is refused
// with instructions.
//
// The socket directory is DataDir/run unless that would make the socket path
// too long for a unix socket address; then it is a directory under
// os.TempDir() named from a hash of the data directory, so every process
// working on the same data directory finds the same socket.
//
// # Binaries
//
// The installed PostgreSQL is preferred: the bin directory named by
// `pg_config --bindir`, then initdb/pg_ctl found on PATH (symlinks resolved),
// then the highest /usr/lib/postgresql/*/bin. An existing cluster pins its
// major version: the first candidate of that version is used. Only when no
// suitable installation exists are binaries fetched with
// github.com/fergusstrange/embedded-postgres (see binaries.go): as root into
// /var/cache/activation-console, never into the data directory. Before any
// of them runs, the program and every directory above it must belong to root
// (or to the console's own user) and be writable by nobody else (trust.go):
// a program another user could have planted or replaced is skipped.
//
// # Running as root
//
// PostgreSQL refuses to run as root. When the console runs as root, initdb,
// pg_ctl and the server run as a dedicated system account, set through
// exec.Cmd.SysProcAttr.Credential (no su/sudo): "postgres" where it exists,
// else "console-postgres", which the console creates (useradd --system).
// Never the shared "nobody", and never whoever happens to own a file in the
// data directory. The data directory and its parents must then be root's
// and writable by nobody else, and files the console creates there are
// created without following symlinks; handing a cluster to the server user
// walks it by descriptors and refuses symlinks and hard links (trust.go).
// The server user must be able to reach the cluster, so Start checks every
// ancestor of the data directory for search permission and fails with a
// message naming the blocking directory rather than letting initdb fail
// obscurely. The data directory itself belongs to the console, so when only
// it lacks the search bit Start adds o+x to it: that lets the server user
// walk through to its own postgres/ directory (mode 0700) without being able
// to list the data directory or read files whose own modes forbid it (such
// as postgres.passwords). Root still connects to the 0700 socket because
// root bypasses file permissions.
//
// # Several processes and crashes
//
// Any number of console processes (a `console serve` and one-off subcommands)
// may use the same data directory at once. Start and Stop take
// postgres.start.lock exclusively while deciding; a process using the cluster
// holds postgres.users.lock shared for as long as it does. Stop drops its
// shared lock and stops the server only when a non-blocking exclusive lock on
// postgres.users.lock then succeeds, i.e. when nobody else uses it.
//
// flocks die with their process, so nothing needs cleaning up after a crash:
// a console killed with SIGKILL leaves a running server, which the next Start
// adopts and the last Stop stops. If the server was killed too, its
// postmaster.pid is left behind; PostgreSQL itself ignores one whose process
// is gone, and Start removes one whose pid now belongs to some other process
// (a reused pid, or an unreaped zombie), retrying a start that fails while the
// old server's children are still exiting.
//
// The server runs in its own session, so a Ctrl-C in the console's terminal
// does not reach it; the console stops it through Stop.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options configure Start.
type Options struct {
	// DataDir is the console's data directory; the cluster lives in DataDir/postgres.
	DataDir string
	// Logf receives progress lines ("initialising database cluster...",
	// "started PostgreSQL 15 from /usr/lib/..."); nil means silent.
	Logf func(format string, args ...any)
	// Fast trades durability for speed, for tests: fsync, synchronous_commit
	// and full_page_writes are turned off (and initdb skips its fsync). It
	// only applies when this Start is the one that starts the server.
	Fast bool
}

const (
	// superuser is the role initdb creates; appRole the role the console
	// logs in as, owner of dbName, the database it uses.
	superuser = "postgres"
	appRole   = "console"
	dbName    = "console"

	// stopLockTimeout bounds how long Stop waits for another process's start
	// or stop decision (a start may legitimately take up to a minute).
	stopLockTimeout = 2 * time.Minute
)

// port and listenAddresses are variables only so that a test can make a
// cluster listen on TCP too, to check that TCP asks for a password.
var (
	port            = 5432
	listenAddresses = "" // the unix socket only
)

// Cluster is a running (or adopted) cluster this process is using.
type Cluster struct {
	dataDir    string // absolute, symlinks resolved
	clusterDir string // dataDir/postgres
	socketDir  string
	logFile    string
	bin        binaries
	runAs      *serverUser // nil: the server runs as this process's user
	creds      credentials
	logf       func(format string, args ...any)

	// startedHere is set once Start has run pg_ctl start, so that a Start
	// failing after that stops the server again.
	startedHere bool

	mu    sync.Mutex
	users *os.File // holds the shared flock on postgres.users.lock; nil once stopped
}

// Start makes sure the cluster runs and returns it. Safe to call from several
// processes at once on the same DataDir.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.DataDir == "" {
		return nil, errors.New("embedded: Options.DataDir is empty")
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	abs, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	if err := checkShellSafe(abs); err != nil {
		return nil, err
	}
	runAs, err := chooseServerUser(filepath.Join(abs, "postgres"), logf)
	if err != nil {
		return nil, err
	}
	// The server user (when it is not us) must walk through the data
	// directory, so a directory we create for it gets the search bit.
	mode := os.FileMode(0o700)
	if runAs != nil {
		mode = 0o711
	}
	if err := os.MkdirAll(abs, mode); err != nil {
		return nil, fmt.Errorf("embedded: creating data directory: %w", err)
	}
	// Resolve symlinks once so that every process derives the same socket
	// directory and so the path can be compared with a server's /proc cwd.
	dataDir, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	if err := checkShellSafe(dataDir); err != nil {
		return nil, err
	}
	if err := checkDataDir(dataDir); err != nil {
		return nil, err
	}
	c := &Cluster{
		dataDir:    dataDir,
		clusterDir: filepath.Join(dataDir, "postgres"),
		socketDir:  socketDirFor(dataDir),
		logFile:    filepath.Join(dataDir, "postgres.log"),
		runAs:      runAs,
		logf:       logf,
	}

	start, err := lockExclusive(ctx, c.startLockPath())
	if err != nil {
		return nil, err
	}
	defer start.Close()

	// Take our share before starting anything: if starting fails half-way,
	// releaseLocked then stops whatever we started unless someone else uses it.
	if c.users, err = lockShared(c.usersLockPath()); err != nil {
		return nil, err
	}
	if err := c.ensureRunning(ctx, opts.Fast); err != nil {
		// Stop what this call started; a server that was already running
		// and that we could not use is left as we found it.
		if rerr := c.releaseLocked(c.startedHere); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return nil, err
	}
	return c, nil
}

// checkShellSafe refuses a data directory path pg_ctl would mangle: it hands
// the data directory and log paths to /bin/sh inside double quotes without
// escaping them.
func checkShellSafe(dataDir string) error {
	if i := strings.IndexAny(dataDir, "\"$`\\\n"); i >= 0 {
		return fmt.Errorf("embedded: the data directory %q contains %q, which pg_ctl cannot handle; choose another --data-dir", dataDir, dataDir[i])
	}
	return nil
}

// URL is a lib/pq connection string for the database "console" as role
// "console" (its owner, not a superuser) with its password, over the unix
// socket, with sslmode=disable explicit (there is no TLS on a unix socket).
// It holds a password: never log it.
func (c *Cluster) URL() string { return c.connString(appRole, c.creds.app, dbName) }

// AdminURL is a connection string for the database "postgres" as the
// superuser, for what needs one (Start itself creates the role and the
// database through it). The application never uses it.
func (c *Cluster) AdminURL() string { return c.connString(superuser, c.creds.admin, "postgres") }

func (c *Cluster) connString(user, password, db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable",
		connValue(c.socketDir), port, user, connValue(password), db)
}

// connValue quotes a libpq key/value connection string value when needed
// (a data directory path may contain spaces or quotes).
func connValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " '\\\t\n") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// Stop releases this process's use; the server is stopped (fast shutdown,
// waiting for it) only when no other process uses it. Idempotent.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopLockTimeout)
	defer cancel()
	start, err := lockExclusive(ctx, c.startLockPath())
	if err != nil {
		return err
	}
	defer start.Close()
	return c.releaseLocked(true)
}

// releaseLocked drops this process's shared lock and, if stop is set, stops
// the server if no other process holds one. The caller holds
// postgres.start.lock, so no other process can be between deciding to use
// the server and taking its share.
func (c *Cluster) releaseLocked(stop bool) error {
	if c.users == nil {
		return nil
	}
	c.users.Close() // closing the only descriptor drops the shared flock
	c.users = nil
	if !stop {
		return nil
	}
	last, err := tryLockExclusive(c.usersLockPath())
	if err != nil {
		return err
	}
	if last == nil {
		c.logf("PostgreSQL left running: another process still uses it")
		return nil
	}
	defer last.Close()
	return c.stopServer()
}

func (c *Cluster) startLockPath() string { return filepath.Join(c.dataDir, "postgres.start.lock") }
func (c *Cluster) usersLockPath() string { return filepath.Join(c.dataDir, "postgres.users.lock") }
