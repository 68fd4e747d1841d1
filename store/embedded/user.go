package embedded

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// serverUser is the unprivileged account a root console runs PostgreSQL as.
type serverUser struct {
	uid, gid uint32
	name     string
}

// chooseServerUser returns nil when the server can run as this process's
// user, i.e. unless we are root. As root it picks the owner of an existing
// cluster directory if that is not root (PostgreSQL insists that the server
// user owns the cluster, and that user already owns all of its data, so
// nothing is gained by moving it to someone else), and "nobody" otherwise.
func chooseServerUser(clusterDir string) (*serverUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if fi, err := os.Stat(clusterDir); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
			name := "uid " + strconv.Itoa(int(st.Uid))
			if u, err := user.LookupId(strconv.Itoa(int(st.Uid))); err == nil {
				name = u.Username
			}
			return &serverUser{uid: st.Uid, gid: st.Gid, name: name}, nil
		}
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("embedded: PostgreSQL refuses to run as root and there is no user \"nobody\" to run it as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("embedded: user nobody has unusable ids %s:%s", u.Uid, u.Gid)
	}
	return &serverUser{uid: uint32(uid), gid: uint32(gid), name: u.Username}, nil
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
// server user. Mode 0700 is what keeps other local users out despite "trust"
// authentication, so an existing directory (under a shared /tmp someone else
// could have created it first) must be a real directory owned by the right
// user, never a symlink.
func prepareSocketDir(dir string, u *serverUser) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("embedded: creating socket directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("embedded: socket directory %s is not a directory", dir)
	}
	want := uint32(os.Geteuid())
	if u != nil {
		want = u.uid
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if ok && st.Uid != want {
		if os.Geteuid() != 0 {
			return fmt.Errorf("embedded: socket directory %s belongs to uid %d, not to us", dir, st.Uid)
		}
		if err := os.Chown(dir, int(u.uid), int(u.gid)); err != nil {
			return fmt.Errorf("embedded: %w", err)
		}
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("embedded: %w", err)
		}
	}
	return nil
}

// chownTree hands dir and everything in it to u, for a cluster directory a
// root console finds owned by root (copied in as root, say).
func chownTree(dir string, u *serverUser) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(u.uid), int(u.gid))
	})
}
