package embedded

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// A console started as root must never run a program, or follow a path,
// that another local user could have put in its way (docs/SECURITY.md, "The
// embedded database"). "Trusted" below means: owned by root or by this
// process's user, and not writable by group or others; and the same for
// every directory up to "/", except that a sticky directory such as /tmp may
// be world-writable (nobody else can rename or remove what we own in it).

// trustedOwner reports whether uid may own something we run or walk through.
func trustedOwner(uid uint32) bool { return uid == 0 || uid == uint32(os.Geteuid()) }

// checkTrustedChain checks path (already free of symlinks) and every
// directory above it. path itself must not be group/other-writable even if
// it is a sticky directory.
func checkTrustedChain(path string) error {
	for p := path; ; p = filepath.Dir(p) {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s became a symbolic link", p)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no owner information", p)
		}
		if !trustedOwner(st.Uid) {
			return fmt.Errorf("%s belongs to uid %d, neither root nor us", p, st.Uid)
		}
		sticky := p != path && fi.IsDir() && fi.Mode()&fs.ModeSticky != 0
		if fi.Mode().Perm()&0o022 != 0 && !sticky {
			return fmt.Errorf("%s is writable by group or others (mode %v)", p, fi.Mode().Perm())
		}
		if p == "/" || p == "." {
			return nil
		}
	}
}

// trustedExecutable resolves symlinks in path and checks the program it
// names (see checkTrustedChain); callers execute the returned path, never
// the one they passed in, so a symlink cannot be swapped after the check.
func trustedExecutable(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable file", resolved)
	}
	if err := checkTrustedChain(resolved); err != nil {
		return "", fmt.Errorf("refusing to run %s: %w", path, err)
	}
	return resolved, nil
}

// checkDataDir refuses, for a root console, a data directory that another
// user owns or could write to (or could swap for another through a parent
// directory): everything the console creates there, and the decision which
// cluster to run, must be root's alone. A console run by an ordinary user
// keeps working in whatever directory that user chose.
func checkDataDir(dataDir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	if err := checkTrustedChain(dataDir); err != nil {
		return fmt.Errorf("embedded: the data directory %s is not safe for a console running as root: %v; use a directory only root can write to (e.g. chown root and chmod go-w it)", dataDir, err)
	}
	return nil
}

// readNoFollow reads a file without following a symlink in its last
// component: files in the cluster directory belong to the server user, who
// must not be able to make root read, say, /etc/shadow into an error message.
func readNoFollow(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link", path)
		}
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return io.ReadAll(io.LimitReader(f, 1<<20))
}

// createPrivateFile creates (or opens) path for appending without following
// a symlink, mode 0600, and hands it to u when u is not nil. The handover is
// done on the open descriptor, so whatever path points to afterwards, only
// the file we opened changes owner.
func createPrivateFile(path string, u *serverUser) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0o600)
	if err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Sys().(*syscall.Stat_t).Nlink != 1 {
		return fmt.Errorf("embedded: %s is not a plain file of its own; remove it", path)
	}
	if u != nil {
		if err := f.Chown(int(u.uid), int(u.gid)); err != nil {
			return fmt.Errorf("embedded: %w", err)
		}
	}
	return f.Chmod(0o600)
}

// chownTree hands dir and everything in it to u without ever following a
// symbolic link: it walks with directory descriptors (openat with
// O_NOFOLLOW) and changes owners on open descriptors, so a link planted in
// the tree, or a directory swapped for one while we walk, cannot redirect
// the change to a file outside it. Symbolic links and hard-linked files
// make it fail instead: a cluster the console made has neither.
func chownTree(dir string, u *serverUser) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", dir, err)
	}
	return chownDirFD(fd, dir, u)
}

func chownDirFD(fd int, path string, u *serverUser) error {
	d := os.NewFile(uintptr(fd), path)
	defer d.Close()
	if err := unix.Fchown(fd, int(u.uid), int(u.gid)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, name := range names {
		p := filepath.Join(path, name)
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if err := chownDirFD(sub, p, u); err != nil {
				return err
			}
		case unix.S_IFREG:
			if err := chownFileAt(fd, name, p, u); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s is a symbolic link or special file; refusing to hand it over", p)
		}
	}
	return nil
}

func chownFileAt(dirfd int, name, path string, u *serverUser) error {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// A hard link to a file elsewhere (/etc/shadow, say) would be chowned
	// with it.
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 1 {
		return fmt.Errorf("%s has other hard links or changed type; refusing to hand it over", path)
	}
	if err := unix.Fchown(fd, int(u.uid), int(u.gid)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
