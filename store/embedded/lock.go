package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// The locks are flock(2) locks rather than lock files with pids in them
// because the kernel drops a flock when its process dies, however it dies:
// a crashed console never leaves a lock to clean up. flock locks belong to
// the open file description, so two Clusters in one process (two os.File)
// exclude each other just like two processes do. os.OpenFile sets
// O_CLOEXEC, so pg_ctl and the server never inherit (and keep) a lock.

func openLockFile(path string) (*os.File, error) {
	// No symlink following: as root, a link planted here would make us
	// create or lock a file elsewhere.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded: opening lock file: %w", err)
	}
	return f, nil
}

// lockExclusive waits for an exclusive lock on path until ctx is done. It
// polls with LOCK_NB because a blocking flock cannot be cancelled.
func lockExclusive(ctx context.Context, path string) (*os.File, error) {
	f, err := openLockFile(path)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("embedded: locking %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("embedded: waiting for another console process to finish starting or stopping PostgreSQL (%s): %w", path, ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// tryLockExclusive returns the locked file, or nil when another open file
// holds a lock on path.
func tryLockExclusive(path string) (*os.File, error) {
	f, err := openLockFile(path)
	if err != nil {
		return nil, err
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, nil
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("embedded: locking %s: %w", path, err)
	}
	return f, nil
}

// lockShared takes a shared lock on path. It only ever waits for a Stop that
// is deciding whether it is the last user, and callers hold the start lock,
// which that Stop also needs, so in practice it never waits.
func lockShared(path string) (*os.File, error) {
	f, err := openLockFile(path)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("embedded: locking %s: %w", path, err)
	}
	return f, nil
}
