package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/alexedwards/argon2id"
)

// Argon2id spends 19 MiB and a core for tens of milliseconds on every
// password. Unbounded, a flood of sign-ins would run thousands at once and
// exhaust the machine's memory (docs/SECURITY.md, "Resource limits"): at
// most one runs per core, the others queue for a free slot up to hashWait.

// hashWait is how long a password check waits for a slot before ErrBusy:
// well within a request's 15 seconds, so the answer is a clear "busy".
const hashWait = 5 * time.Second

// createWait is the longer wait of a new password's hash: only people
// already signed in (and the command line) set passwords.
const createWait = 30 * time.Second

// ErrBusy refuses a password check or hash that found no free slot in time;
// the same request a little later succeeds. It wraps context.DeadlineExceeded
// so that the handlers answer 503 with Retry-After (IsUnavailable).
var ErrBusy = fmt.Errorf("store: too many passwords are being checked at once: %w", context.DeadlineExceeded)

// hashGate holds the slots of a process's password hashing.
type hashGate struct {
	slots chan struct{}
	wait  time.Duration
}

// processHashing is shared by every Store of the process: the cores are.
var processHashing = &hashGate{slots: make(chan struct{}, runtime.GOMAXPROCS(0)), wait: hashWait}

// WithPasswordSlots bounds the store's concurrent password hashing to
// cap(slots) and the wait for one to wait; a test fills slots to stand
// for hashing under way.
func WithPasswordSlots(slots chan struct{}, wait time.Duration) Option {
	return func(s *Store) { s.hashing = &hashGate{slots: slots, wait: wait} }
}

func (s *Store) gate() *hashGate {
	if s.hashing != nil {
		return s.hashing
	}
	return processHashing
}

// run runs f in a slot, waiting for one until wait or ctx ends.
func (g *hashGate) run(ctx context.Context, wait time.Duration, f func()) error {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
	case <-timer.C:
		return ErrBusy
	case <-ctx.Done():
		return errors.Join(ErrBusy, ctx.Err())
	}
	defer func() { <-g.slots }()
	f()
	return nil
}

// comparePassword tells whether password matches the argon2id hash.
func (s *Store) comparePassword(ctx context.Context, password, hash string) (bool, error) {
	var ok bool
	g := s.gate()
	err := g.run(ctx, g.wait, func() { ok, _ = argon2id.ComparePasswordAndHash(password, hash) })
	return ok && err == nil, err
}

// createHash hashes a new password in one of the process's slots. It takes
// no context: its callers (accounts, members, the command line) are few.
func createHash(password string) (string, error) {
	var hash string
	var herr error
	if err := processHashing.run(context.Background(), createWait, func() { hash, herr = argon2id.CreateHash(password, argonParams) }); err != nil {
		return "", err
	}
	return hash, herr
}
