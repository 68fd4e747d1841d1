package embedded

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// serverUser is the unprivileged account a root console runs PostgreSQL as.
type serverUser struct {
	uid, gid uint32
	name     string
}

// dedicatedUser is the account a root console creates to run PostgreSQL
// when the system has no "postgres" account.
const dedicatedUser = "console-postgres"

// serverUserNames are the accounts a root console runs PostgreSQL as, in
// order of preference. Never "nobody": every other daemon running as nobody
// could then connect to the socket and read or change the cluster's files;
// never whoever owns some file in the data directory, which another user
// may have arranged (docs/SECURITY.md, "The embedded database").
var serverUserNames = []string{"postgres", dedicatedUser}

// chooseServerUser returns nil when the server can run as this process's
// user, i.e. unless we are root. As root it picks, among serverUserNames,
// the one that already owns an existing cluster (so that installing
// PostgreSQL later does not move the cluster), else the first that exists,
// creating dedicatedUser when none does.
func chooseServerUser(clusterDir string, logf func(string, ...any)) (*serverUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var found []*serverUser
	for _, name := range serverUserNames {
		if u, err := lookupServerUser(name); err == nil {
			found = append(found, u)
		}
	}
	if fi, err := os.Lstat(clusterDir); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			for _, u := range found {
				if u.uid == st.Uid {
					return u, nil
				}
			}
		}
	}
	if len(found) > 0 {
		return found[0], nil
	}
	logf("creating system user %s to run PostgreSQL", dedicatedUser)
	if err := createSystemUser(dedicatedUser); err != nil {
		// Another console process may have created it meanwhile.
		if u, lerr := lookupServerUser(dedicatedUser); lerr == nil {
			return u, nil
		}
		return nil, fmt.Errorf("embedded: PostgreSQL refuses to run as root and creating the user %s to run it failed: %w; create a system user named postgres or %s", dedicatedUser, err, dedicatedUser)
	}
	return lookupServerUser(dedicatedUser)
}

// lookupServerUser returns the named account, refusing one with uid or gid 0.
func lookupServerUser(name string) (*serverUser, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("embedded: user %s has unusable ids %s:%s", name, u.Uid, u.Gid)
	}
	if uid == 0 || gid == 0 {
		return nil, fmt.Errorf("embedded: user %s has uid or gid 0", name)
	}
	return &serverUser{uid: uint32(uid), gid: uint32(gid), name: u.Username}, nil
}

// createSystemUser adds a system account with its own group, no home and no
// login shell: useradd where it exists (it knows the system's id ranges and
// locking), else busybox adduser, else appending to /etc/passwd and
// /etc/group ourselves.
func createSystemUser(name string) error {
	nologin := "/usr/sbin/nologin"
	if _, err := os.Stat(nologin); err != nil {
		nologin = "/bin/false"
	}
	if p, err := exec.LookPath("useradd"); err == nil {
		if p, err = trustedExecutable(p); err != nil {
			return err
		}
		out, err := exec.Command(p, "--system", "--user-group", "--no-create-home",
			"--home-dir", "/nonexistent", "--shell", nologin, name).CombinedOutput()
		if err != nil {
			return fmt.Errorf("useradd: %v: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if p, err := exec.LookPath("adduser"); err == nil {
		if p, err = trustedExecutable(p); err != nil {
			return err
		}
		out, err := exec.Command(p, "-S", "-D", "-H", "-h", "/nonexistent", "-s", nologin, name).CombinedOutput()
		if err != nil {
			return fmt.Errorf("adduser: %v: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	return appendSystemUser("/etc/passwd", "/etc/group", name, nologin)
}

// appendSystemUser adds name to passwd and group files with the same unused
// id in the system range (100-999).
func appendSystemUser(passwdPath, groupPath, name, shell string) error {
	used := map[string]bool{}
	for _, path := range []string{passwdPath, groupPath} {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Split(line, ":")
			if len(f) >= 3 {
				if f[0] == name {
					return fmt.Errorf("%s already has an entry %s", path, name)
				}
				used[f[2]] = true
			}
		}
	}
	id := 0
	for n := 999; n >= 100; n-- {
		if !used[strconv.Itoa(n)] {
			id = n
			break
		}
	}
	if id == 0 {
		return errors.New("no free system id between 100 and 999")
	}
	entries := map[string]string{
		passwdPath: fmt.Sprintf("%s:x:%d:%d:PostgreSQL for the console:/nonexistent:%s\n", name, id, id, shell),
		groupPath:  fmt.Sprintf("%s:x:%d:\n", name, id),
	}
	for _, path := range []string{groupPath, passwdPath} {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		_, err = f.WriteString(entries[path])
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// canSearch reports whether u may traverse a directory with this owner and
// mode. The server runs with no supplementary groups (see command), so only
// its primary group counts. ACLs are not considered.
func (u *serverUser) canSearch(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == u.uid:
		return perm&0o100 != 0
	case st.Gid == u.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// checkReachable makes sure u can get to dataDir, giving dataDir itself the
// search bit for others if that is all that is missing (see the package
// doc), and failing with a message naming the directory otherwise.
func checkReachable(dataDir string, u *serverUser) error {
	fi, err := os.Stat(dataDir)
	if err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	if !u.canSearch(fi) {
		if err := os.Chmod(dataDir, fi.Mode().Perm()|0o001); err != nil {
			return fmt.Errorf("embedded: PostgreSQL runs as %s, which cannot enter %s, and adding o+x failed: %w", u.name, dataDir, err)
		}
	}
	for dir := filepath.Dir(dataDir); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("embedded: %w", err)
		}
		if !u.canSearch(fi) {
			return fmt.Errorf("embedded: PostgreSQL cannot run as root, so it runs as %s, which cannot reach %s: %s (mode %v) is closed to it; choose a --data-dir elsewhere (e.g. under /var/lib or /srv) or allow it through with chmod o+x %s",
				u.name, dataDir, dir, fi.Mode().Perm(), dir)
		}
		if dir == "/" || dir == "." {
			return nil
		}
	}
}

// checkUsable makes sure u can run the programs in bin.
func checkUsable(bin binaries, u *serverUser) error {
	for dir := bin.dir; ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("embedded: %w", err)
		}
		if !u.canSearch(fi) {
			return fmt.Errorf("embedded: PostgreSQL runs as %s, which cannot reach the binaries in %s (%s is closed to it)", u.name, bin.dir, dir)
		}
		if dir == "/" || dir == "." {
			return nil
		}
	}
}

// maxSocketPath keeps the socket path well inside the 108 bytes (104 on
// BSDs) of sockaddr_un.sun_path.
const maxSocketPath = 100

// socketDirFor returns DataDir/run, or when the socket path in it would be
// too long, a directory under os.TempDir() that every process using the same
// data directory derives alike.
func socketDirFor(dataDir string) string {
	dir := filepath.Join(dataDir, "run")
	if len(dir)+len("/.s.PGSQL.")+len(strconv.Itoa(port)) < maxSocketPath {
		return dir
	}
	sum := sha256.Sum256([]byte(dataDir))
	return filepath.Join(os.TempDir(), "console-pg-"+hex.EncodeToString(sum[:8]))
}

// prepareSocketDir creates the socket directory with mode 0700, owned by the
// server user, so that no other local user can even reach the socket. An
// existing directory (under a shared /tmp someone else could have created
// it first, with a fake socket in it) must be a real directory owned by
// root, us or the server user, never a symlink; it is checked and changed
// through a descriptor opened without following links. One belonging to
// someone else inside the data directory (left by an earlier console that
// ran the server as nobody) is ours to replace: replaceable says so.
func prepareSocketDir(dir string, u *serverUser, replaceable bool) error {
	err := ownSocketDir(dir, u)
	if errors.Is(err, errForeignSocketDir) && replaceable {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("embedded: %w", err)
		}
		err = ownSocketDir(dir, u)
	}
	return err
}

var errForeignSocketDir = errors.New("belongs to another user")

func ownSocketDir(dir string, u *serverUser) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("embedded: creating socket directory: %w", err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("embedded: socket directory %s is not a directory of ours: %w", dir, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	want := uint32(os.Geteuid())
	if u != nil {
		want = u.uid
	}
	if st.Uid != want {
		if !trustedOwner(st.Uid) || u == nil {
			return fmt.Errorf("embedded: socket directory %s (uid %d) %w; remove it", dir, st.Uid, errForeignSocketDir)
		}
		if err := unix.Fchown(fd, int(u.uid), int(u.gid)); err != nil {
			return fmt.Errorf("embedded: %w", err)
		}
	}
	if st.Mode&0o777 != 0o700 {
		if err := unix.Fchmod(fd, 0o700); err != nil {
			return fmt.Errorf("embedded: %w", err)
		}
	}
	return nil
}
