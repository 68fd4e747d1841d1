package embedded

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
)

const (
	// startAttempts bounds retries of pg_ctl start after a crash: the killed
	// server's children may hold its shared memory for a moment longer.
	startAttempts = 3
	// defaultReadyTimeout applies when Start's context has no deadline.
	defaultReadyTimeout = 90 * time.Second
)

// ensureRunning brings the cluster to "running, database console exists",
// reusing a server another process (or a killed console) left running. The
// caller holds the start lock.
func (c *Cluster) ensureRunning(ctx context.Context, fast bool) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultReadyTimeout)
		defer cancel()
	}
	want, err := clusterMajor(c.clusterDir)
	if err != nil {
		return err
	}
	if c.bin, err = findBinaries(ctx, c.dataDir, want, c.logf); err != nil {
		return err
	}
	if c.runAs != nil {
		if err := checkReachable(c.dataDir, c.runAs); err != nil {
			return err
		}
		if err := checkUsable(c.bin, c.runAs); err != nil {
			return err
		}
	}
	// Passwords first: a cluster of an earlier console is refused with
	// instructions before anything of it is touched.
	if c.creds, err = c.credentialsFor(want == ""); err != nil {
		return err
	}
	if err := prepareSocketDir(c.socketDir, c.runAs, filepath.Dir(c.socketDir) == c.dataDir); err != nil {
		return err
	}
	if want == "" {
		if err := c.initCluster(ctx, fast); err != nil {
			return err
		}
	} else if c.runAs != nil {
		if err := c.ownCluster(); err != nil {
			return err
		}
	}

	if pid := c.serverPID(); pid != 0 {
		c.logf("using the PostgreSQL server already running on %s (pid %d)", c.clusterDir, pid)
		err := c.waitReady(ctx)
		if err == nil {
			return c.ensureDatabase(ctx)
		}
		if c.serverPID() != 0 { // running but unusable: do not start a second one
			return err
		}
		c.logf("that server went away; starting a new one")
	}
	c.startedHere = true
	if err := c.startServer(ctx, fast); err != nil {
		return err
	}
	if err := c.waitReady(ctx); err != nil {
		return err
	}
	c.logf("started PostgreSQL %s from %s (socket in %s)", c.bin.version, c.bin.dir, c.socketDir)
	return c.ensureDatabase(ctx)
}

// clusterMajor returns the major version recorded in the cluster's
// PG_VERSION, or "" when there is no complete cluster. Only a PG_VERSION
// known not to exist means "no cluster": one we cannot read (a cluster owned
// by another user) must not be mistaken for a broken one and replaced.
func clusterMajor(clusterDir string) (string, error) {
	b, err := readNoFollow(filepath.Join(clusterDir, "PG_VERSION"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("embedded: cannot read the database cluster (%v); was it created by another user?", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// initCluster creates the cluster. initdb writes into a scratch directory
// that is renamed into place when initdb has succeeded, so PG_VERSION in
// DataDir/postgres always means a complete cluster, whatever killed an
// earlier attempt. A cluster directory without PG_VERSION is such a
// leftover (or never was a cluster) and is replaced.
func (c *Cluster) initCluster(ctx context.Context, fast bool) error {
	scratch := c.clusterDir + ".initdb"
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	if _, err := os.Lstat(c.clusterDir); err == nil {
		if pid := c.serverPID(); pid != 0 {
			return fmt.Errorf("embedded: %s has no PG_VERSION but a server (pid %d) runs in it; stop it and check the directory", c.clusterDir, pid)
		}
		c.logf("removing unfinished database cluster %s", c.clusterDir)
		if err := os.RemoveAll(c.clusterDir); err != nil {
			return fmt.Errorf("embedded: %w", err)
		}
	}
	// We create the directory (the server user may not be able to create
	// entries in the data directory); initdb accepts an empty one.
	if err := os.Mkdir(scratch, 0o700); err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	if c.runAs != nil {
		if err := os.Lchown(scratch, int(c.runAs.uid), int(c.runAs.gid)); err != nil {
			return fmt.Errorf("embedded: handing %s to %s: %w", scratch, c.runAs.name, err)
		}
	}
	pwfile, err := c.writeInitdbPassword(c.creds.admin)
	if err != nil {
		return err
	}
	defer os.Remove(pwfile)
	c.logf("initialising database cluster in %s with PostgreSQL %s...", c.clusterDir, c.bin.version)
	args := []string{"-D", scratch, "-U", superuser, "--pwfile=" + pwfile,
		"--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"}
	if fast {
		args = append(args, "--no-sync")
	}
	if out, err := c.command(ctx, "initdb", args...).CombinedOutput(); err != nil {
		os.RemoveAll(scratch)
		return fmt.Errorf("embedded: initdb failed: %v\n%s", err, out)
	}
	if err := os.Rename(scratch, c.clusterDir); err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	if !fast {
		// Make the rename durable before data goes into the cluster: after a
		// power loss the scratch name would otherwise come back, and the
		// next start would throw it away with that data in it.
		if d, err := os.Open(c.dataDir); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}

// ownCluster hands a cluster owned by someone else (root, having copied it
// in; or the other dedicated account) to the server user; PostgreSQL
// refuses a data directory its user does not own. chownTree never follows a
// symlink, so nothing outside the cluster changes owner.
func (c *Cluster) ownCluster() error {
	fi, err := os.Lstat(c.clusterDir)
	if err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != c.runAs.uid {
		c.logf("handing %s to user %s", c.clusterDir, c.runAs.name)
		if err := chownTree(c.clusterDir, c.runAs); err != nil {
			return fmt.Errorf("embedded: handing %s to %s: %w", c.clusterDir, c.runAs.name, err)
		}
	}
	return nil
}

// command prepares one of the PostgreSQL programs. It runs in its own
// session, so a Ctrl-C in the console's terminal reaches neither it nor the
// server it starts (pg_ctl also detaches the server itself); as the server
// user when we are root; from "/" since initdb fails when it cannot read its
// working directory (root's home, say); with a C locale so its messages are
// predictable; and without PG* variables, which would silently override our
// settings (PGPORT changes the server's port, for one).
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.bin.path(name), args...)
	cmd.Dir = "/"
	env := []string{"LC_ALL=C"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANG") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if c.runAs != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: c.runAs.uid, Gid: c.runAs.gid, Groups: []uint32{}}
	}
	// pg_ctl's child shell redirects the server's output to the log file, so
	// nothing should keep our pipes open; WaitDelay guards against it anyway.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Recommended are the server settings the console recommends for its
// PostgreSQL (README, "Server settings"), and the embedded cluster's. None
// weakens durability: fsync, synchronous_commit and full_page_writes stay
// on. A checkpoint after every gigabyte of WAL (the default max_wal_size)
// made each page's first change after it write the whole page into the
// WAL: a renewal pass of 100,000 expiries of the bench's seed wrote 40 KB
// of WAL per expiry on the defaults, 5 KB with shared_buffers 2GB,
// max_wal_size 16GB and wal_compression lz4 (not every build has lz4;
// every one has the compression of "on").
var Recommended = []string{
	"shared_buffers=512MB",
	"max_wal_size=8GB",
	"min_wal_size=1GB",
	"checkpoint_timeout=15min",
	"wal_compression=on",
	"random_page_cost=1.1",
	"jit=off",
}

// serverOptions are passed with pg_ctl -o, which hands them to /bin/sh, so
// each is quoted for the shell.
func (c *Cluster) serverOptions(fast bool) string {
	// unix_socket_directories is a list: double quotes keep a path with a
	// comma or spaces one element.
	sockets := `"` + strings.ReplaceAll(c.socketDir, `"`, `""`) + `"`
	settings := []string{
		"listen_addresses=" + listenAddresses, // no TCP at all, except in a test
		"port=" + strconv.Itoa(port),
		"unix_socket_directories=" + sockets,
		"unix_socket_permissions=0700",
		"max_connections=200",
	}
	settings = append(settings, Recommended...)
	if fast {
		settings = append(settings, "fsync=off", "synchronous_commit=off", "full_page_writes=off")
	}
	var b strings.Builder
	for i, s := range settings {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("-c " + shellQuote(s))
	}
	return b.String()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// startServer runs pg_ctl start, getting past what a crash leaves behind.
func (c *Cluster) startServer(ctx context.Context, fast bool) error {
	if err := c.prepareLogFile(); err != nil {
		return err
	}
	var err error
	for attempt := 1; ; attempt++ {
		c.clearStaleLocks()
		if err = c.pgctlStart(ctx, fast); err == nil {
			return nil
		}
		if attempt == startAttempts || ctx.Err() != nil {
			return err
		}
		c.logf("PostgreSQL did not start, retrying: %v", firstLine(err.Error()))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
		}
	}
}

// prepareLogFile creates the log for pg_ctl -l; the server user writes it
// (through pg_ctl's shell) but may not create files in the data directory.
func (c *Cluster) prepareLogFile() error { return createPrivateFile(c.logFile, c.runAs) }

func (c *Cluster) pgctlStart(ctx context.Context, fast bool) error {
	timeout := 60
	if dl, ok := ctx.Deadline(); ok {
		if s := int(time.Until(dl).Seconds()); s < timeout {
			timeout = max(s, 1)
		}
	}
	logStart := fileSize(c.logFile)
	out, err := c.command(ctx, "pg_ctl", "start", "-D", c.clusterDir, "-w", "-t", strconv.Itoa(timeout),
		"-l", c.logFile, "-o", c.serverOptions(fast)).CombinedOutput()
	if err == nil {
		return nil
	}
	return fmt.Errorf("embedded: could not start PostgreSQL %s from %s: %v\n%s%s",
		c.bin.version, c.bin.dir, err, out, c.logSince(logStart))
}

// clearStaleLocks removes lock files a crashed server left behind that
// PostgreSQL would not get past by itself: its postmaster.pid and the lock
// file next to its socket, when the pid they name is alive but is not this
// cluster's server, because the pid was reused after the crash or because
// the dead server is an unreaped zombie (containers whose init does not reap
// orphans keep those around; kill(pid, 0) still succeeds on them). A pid
// whose process is really gone is left to PostgreSQL, which then also
// checks that no old server process still uses the shared memory. The
// caller holds the start lock and found no server of ours running.
func (c *Cluster) clearStaleLocks() {
	pidFile := filepath.Join(c.clusterDir, "postmaster.pid")
	if pid := c.recordedPID(); pid != 0 && !c.isOurServer(pid) && processExists(pid) {
		c.logf("removing stale %s (pid %d is not this cluster's server)", pidFile, pid)
		os.Remove(pidFile)
	}
	socket := filepath.Join(c.socketDir, ".s.PGSQL."+strconv.Itoa(port))
	if pid := readPID(socket + ".lock"); pid != 0 && !c.isOurServer(pid) && processExists(pid) {
		c.logf("removing stale %s (pid %d is not this cluster's server)", socket+".lock", pid)
		os.Remove(socket + ".lock")
		os.Remove(socket)
	}
}

// recordedPID is the pid on the first line of postmaster.pid, or 0.
func (c *Cluster) recordedPID() int {
	return readPID(filepath.Join(c.clusterDir, "postmaster.pid"))
}

// readPID reads the pid on the first line of a PostgreSQL lock file, or 0.
func readPID(path string) int {
	b, err := readNoFollow(path)
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// followPidFile points the cluster at the socket directory the running
// server recorded on line 5 of postmaster.pid, and refuses a server on
// another port than ours (line 4), which was not started by this package.
func (c *Cluster) followPidFile() error {
	b, err := readNoFollow(filepath.Join(c.clusterDir, "postmaster.pid"))
	if err != nil {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) >= 4 && strings.TrimSpace(lines[3]) != "" && strings.TrimSpace(lines[3]) != strconv.Itoa(port) {
		return fmt.Errorf("embedded: the PostgreSQL server running on %s listens on port %s, not %d: it was not started by the console; stop it first",
			c.clusterDir, strings.TrimSpace(lines[3]), port)
	}
	if len(lines) >= 5 {
		if dir := strings.TrimSpace(lines[4]); dir != "" && dir != c.socketDir {
			c.logf("the running server has its socket in %s", dir)
			c.socketDir = dir
		}
	}
	return nil
}

// serverPID returns the pid of this cluster's running server, or 0.
func (c *Cluster) serverPID() int {
	if pid := c.recordedPID(); pid != 0 && c.isOurServer(pid) {
		return pid
	}
	return 0
}

func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// isOurServer reports whether pid is a live postgres process working in this
// cluster directory (the server chdirs into it). Without /proc (not Linux)
// it can only tell that the process exists.
func (c *Cluster) isOurServer(pid int) bool {
	if !processExists(pid) {
		return false
	}
	if runtime.GOOS != "linux" {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// "pid (comm) state ...": comm may contain anything, so split at the last ')'.
	s := string(stat)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return true
	}
	comm, rest := s[open+1:end], strings.TrimSpace(s[end+1:])
	if strings.HasPrefix(rest, "Z") || strings.HasPrefix(rest, "X") {
		return false // dead, waiting to be reaped
	}
	if comm != "postgres" && comm != "postmaster" {
		return false
	}
	if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err == nil && cwd != c.clusterDir {
		return false
	}
	return true
}

// waitReady waits until the server accepts connections, bailing out early
// when it dies. The socket directory is taken from postmaster.pid: a server
// adopted from another process may have been started with another one (the
// long-path fallback depends on TMPDIR).
func (c *Cluster) waitReady(ctx context.Context) error {
	logStart := fileSize(c.logFile)
	for {
		if err := c.followPidFile(); err != nil {
			return err
		}
		err := ping(ctx, c.AdminURL())
		if err == nil {
			return nil
		}
		if c.serverPID() == 0 {
			return fmt.Errorf("embedded: PostgreSQL is not running (%v)%s", err, c.logSince(logStart))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("embedded: PostgreSQL in %s did not accept connections on %s: %w (last error: %v)", c.clusterDir, c.socketDir, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func ping(ctx context.Context, dsn string) error {
	db, err := openDB(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var one int
	return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

func openDB(dsn string) (*sql.DB, error) {
	conn, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// stopServer stops the server if it runs: fast shutdown (open sessions are
// disconnected, work is checkpointed), waiting until it is down. The caller
// holds the start lock and the exclusive users lock.
func (c *Cluster) stopServer() error {
	pid := c.serverPID()
	if pid == 0 {
		return nil
	}
	if c.bin.dir == "" { // Start failed before finding binaries: nothing of ours runs
		return nil
	}
	c.logf("stopping PostgreSQL (pid %d)...", pid)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := c.command(ctx, "pg_ctl", "stop", "-D", c.clusterDir, "-m", "fast", "-w", "-t", "60").CombinedOutput()
	if err != nil && c.serverPID() != 0 {
		return fmt.Errorf("embedded: stopping PostgreSQL: %v\n%s", err, out)
	}
	c.logf("PostgreSQL stopped")
	return nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// logSince returns what the server logged from offset on (at most the last
// few KiB), formatted to append to an error.
func (c *Cluster) logSince(offset int64) string {
	f, err := os.OpenFile(c.logFile, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return ""
	}
	defer f.Close()
	const maxTail = 4 << 10
	if size := fileSize(c.logFile); size-offset > maxTail {
		offset = size - maxTail
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(f)
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	return "\n" + c.logFile + ":\n" + string(b)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
