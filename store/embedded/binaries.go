package embedded

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
)

// binaries is a bin directory holding initdb, pg_ctl and postgres.
type binaries struct {
	dir     string
	version string // full version, e.g. "15.20"
	major   string // e.g. "15" (or "9.6")
}

func (b binaries) path(name string) string { return filepath.Join(b.dir, name) }

var serverPrograms = []string{"initdb", "pg_ctl", "postgres"}

// findBinaries picks the PostgreSQL installation to run. want is the major
// version of an existing cluster ("" for a new one): a cluster can only be
// run by binaries of the major version that created it.
func findBinaries(ctx context.Context, dataDir, want string, logf func(string, ...any)) (binaries, error) {
	var found []binaries
	for _, dir := range candidateBinDirs(ctx) {
		b, err := inspectBinDir(ctx, dir)
		if err != nil {
			continue
		}
		if want == "" || b.major == want {
			return b, nil
		}
		found = append(found, b)
	}
	major := want
	if major == "" {
		major = "15"
	}
	dir, dlErr := downloadBinaries(ctx, downloadRoot(dataDir), major, logf)
	if dlErr == nil {
		if b, err := inspectBinDir(ctx, dir); err == nil {
			return b, nil
		} else {
			dlErr = err
		}
	}
	if len(found) > 0 {
		var have []string
		for _, b := range found {
			have = append(have, fmt.Sprintf("%s in %s", b.version, b.dir))
		}
		return binaries{}, fmt.Errorf("embedded: the cluster in %s was created by PostgreSQL %s but only PostgreSQL %s is installed, and %v; install PostgreSQL %s or set DATABASE_URL",
			filepath.Join(dataDir, "postgres"), want, strings.Join(have, ", "), dlErr, want)
	}
	return binaries{}, fmt.Errorf("embedded: no PostgreSQL installed (looked at `pg_config --bindir`, initdb/pg_ctl on PATH and /usr/lib/postgresql/*/bin) and %v; install PostgreSQL (e.g. apt-get install postgresql) or set DATABASE_URL", dlErr)
}

// candidateBinDirs lists bin directories in order of preference, without
// duplicates. Any of them may turn out to be unusable.
func candidateBinDirs(ctx context.Context) []string {
	var dirs []string
	add := func(d string) {
		if d == "" {
			return
		}
		if r, err := filepath.EvalSymlinks(d); err == nil {
			d = r
		}
		for _, have := range dirs {
			if have == d {
				return
			}
		}
		dirs = append(dirs, d)
	}
	if pgConfig, err := exec.LookPath("pg_config"); err == nil {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if pgConfig, err = trustedExecutable(pgConfig); err == nil {
			out, err := exec.CommandContext(ctx, pgConfig, "--bindir").Output()
			if err == nil {
				add(strings.TrimSpace(string(out)))
			}
		}
		cancel()
	}
	// Distributions often put symlinks on PATH (Debian's /usr/local/bin/pg_ctl
	// -> /usr/lib/postgresql/15/bin/pg_ctl): the real directory is the one
	// that also holds postgres.
	for _, prog := range []string{"pg_ctl", "initdb"} {
		if p, err := exec.LookPath(prog); err == nil {
			if r, err := filepath.EvalSymlinks(p); err == nil {
				p = r
			}
			add(filepath.Dir(p))
		}
	}
	versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versioned, func(i, j int) bool { // highest version first
		return versionLess(filepath.Base(filepath.Dir(versioned[j])), filepath.Base(filepath.Dir(versioned[i])))
	})
	for _, d := range versioned {
		add(d)
	}
	return dirs
}

// versionLess compares dotted numeric versions ("9.6" < "15").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

// inspectBinDir checks that dir holds the three programs, that no other
// user could have planted or replaced them (trustedExecutable; the
// directory itself too, since pg_ctl and initdb run the postgres next to
// them), and asks postgres for its version. The returned dir has its
// symlinks resolved.
func inspectBinDir(ctx context.Context, dir string) (binaries, error) {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return binaries{}, err
	}
	if err := checkTrustedChain(dir); err != nil {
		return binaries{}, fmt.Errorf("embedded: refusing the programs in %s: %w", dir, err)
	}
	for _, prog := range serverPrograms {
		if _, err := trustedExecutable(filepath.Join(dir, prog)); err != nil {
			return binaries{}, fmt.Errorf("embedded: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		return binaries{}, fmt.Errorf("embedded: %s --version: %w", filepath.Join(dir, "postgres"), err)
	}
	version, major, ok := parseVersion(string(out))
	if !ok {
		return binaries{}, fmt.Errorf("embedded: unexpected output of %s --version: %q", filepath.Join(dir, "postgres"), out)
	}
	return binaries{dir: dir, version: version, major: major}, nil
}

// parseVersion reads "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)".
// The major version is the first number from 10 on, the first two before.
func parseVersion(s string) (version, major string, ok bool) {
	const marker = "(PostgreSQL) "
	i := strings.Index(s, marker)
	if i < 0 {
		return "", "", false
	}
	fields := strings.Fields(s[i+len(marker):])
	if len(fields) == 0 {
		return "", "", false
	}
	version = fields[0]
	parts := strings.Split(version, ".")
	digits := strings.IndexFunc(parts[0], func(r rune) bool { return r < '0' || r > '9' })
	if digits < 0 {
		digits = len(parts[0])
	}
	n, err := strconv.Atoi(parts[0][:digits])
	if err != nil {
		return "", "", false
	}
	major = strconv.Itoa(n)
	if n < 10 && len(parts) > 1 {
		major += "." + parts[1]
	}
	return version, major, true
}

// embeddedVersions maps a major version to the release embedded-postgres fetches.
var embeddedVersions = map[string]embeddedpostgres.PostgresVersion{
	"18": embeddedpostgres.V18, "17": embeddedpostgres.V17, "16": embeddedpostgres.V16,
	"15": embeddedpostgres.V15, "14": embeddedpostgres.V14, "13": embeddedpostgres.V13,
	"12": embeddedpostgres.V12, "11": embeddedpostgres.V11, "10": embeddedpostgres.V10,
	"9.6": embeddedpostgres.V9,
}

// downloadRoot is where downloaded binaries go: as root a system directory
// only root can write to, never the data directory, where another user may
// have planted programs for root to run; otherwise dataDir/postgres-binaries.
func downloadRoot(dataDir string) string {
	if os.Geteuid() == 0 {
		return "/var/cache/activation-console/postgres-binaries"
	}
	return filepath.Join(dataDir, "postgres-binaries")
}

// downloadBinaries fetches PostgreSQL with embedded-postgres into
// root/<version> and returns its bin directory; inspectBinDir checks it
// like any other before it runs.
//
// embedded-postgres exports no "just download" call: its Start downloads
// the archive (into CachePath), extracts it (into BinariesPath), runs initdb
// and starts a server on TCP. We want only the first two steps, so Start is
// called with an encoding initdb rejects before it touches anything: Start
// then fails right after extracting, whoever we run as (as root initdb fails
// anyway). Extraction goes to a scratch directory that is renamed into place
// only once the programs are there, because the library extracts file by
// file and an interrupted run would otherwise leave a partial tree that
// looks usable. The caller holds the start lock, so no other console
// process downloads at the same time.
//
// The library's download cannot be cancelled (plain http.Get), so it runs
// in a goroutine that is abandoned when ctx ends; its scratch directory is
// then left for the next download to remove.
func downloadBinaries(ctx context.Context, root, major string, logf func(string, ...any)) (string, error) {
	version, ok := embeddedVersions[major]
	if !ok {
		return "", fmt.Errorf("embedded-postgres offers no PostgreSQL %s", major)
	}
	final := filepath.Join(root, string(version))
	if hasPrograms(filepath.Join(final, "bin")) {
		return filepath.Join(final, "bin"), nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", root, err)
	}
	// Our extraction must not happen where another user could swap files.
	if err := checkTrustedChain(root); err != nil {
		return "", fmt.Errorf("refusing to download PostgreSQL into %s: %w", root, err)
	}
	if old, _ := filepath.Glob(filepath.Join(root, "extract-*")); len(old) > 0 {
		for _, d := range old { // abandoned or interrupted earlier downloads
			os.RemoveAll(d)
		}
	}
	scratch, err := os.MkdirTemp(root, "extract-")
	if err != nil {
		return "", fmt.Errorf("creating a directory for the download: %w", err)
	}

	logf("no PostgreSQL installed: downloading PostgreSQL %s with embedded-postgres into %s...", version, root)
	extracted := filepath.Join(scratch, "pgsql")
	ep := embeddedpostgres.NewDatabase(embeddedpostgres.DefaultConfig().
		Version(version).
		Port(0). // only used for a "port free?" probe before the download
		CachePath(filepath.Join(root, "cache")).
		BinariesPath(extracted).
		RuntimePath(filepath.Join(scratch, "runtime")).
		DataPath(filepath.Join(scratch, "runtime", "data")).
		Encoding("NOT-AN-ENCODING"). // stop Start at initdb, see above
		Logger(nil))
	done := make(chan error, 1)
	go func() {
		err := ep.Start()
		if err == nil { // cannot happen with that encoding; never leave it running
			_ = ep.Stop()
		}
		done <- err
	}()
	var startErr error
	select {
	case startErr = <-done:
	case <-ctx.Done():
		return "", fmt.Errorf("downloading PostgreSQL %s with embedded-postgres did not finish: %w", version, ctx.Err())
	}
	defer os.RemoveAll(scratch)
	if !hasPrograms(filepath.Join(extracted, "bin")) {
		return "", fmt.Errorf("downloading PostgreSQL %s with embedded-postgres failed (is its binary repository reachable?): %v", version, startErr)
	}
	// When a console running as root runs the server as another user, that
	// user must be able to read and run what root extracted.
	if err := filepath.WalkDir(extracted, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		m := (fi.Mode().Perm() | 0o444) &^ 0o022
		if d.IsDir() || fi.Mode().Perm()&0o100 != 0 {
			m |= 0o111
		}
		return os.Chmod(p, m)
	}); err != nil {
		return "", fmt.Errorf("making downloaded PostgreSQL readable: %w", err)
	}
	if err := os.RemoveAll(final); err != nil {
		return "", err
	}
	if err := os.Rename(extracted, final); err != nil {
		return "", fmt.Errorf("installing downloaded PostgreSQL: %w", err)
	}
	logf("downloaded PostgreSQL %s into %s", version, final)
	return filepath.Join(final, "bin"), nil
}

func hasPrograms(dir string) bool {
	for _, prog := range serverPrograms {
		if _, err := os.Stat(filepath.Join(dir, prog)); err != nil {
			return false
		}
	}
	return true
}
