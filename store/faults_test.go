package store_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"activation-console/store"
	"activation-console/store/storetest"
)

// Database faults, as a crash, a restart or an operator's kill causes them:
// a backend killed in the middle of a ledger transaction leaves the operation
// whole or absent, never half, and the operation's error is one the handlers
// answer with 503, so the caller knows it may simply try again.

// faultFixture is the store fixture with long timeouts (the test kills the
// waiting backend before a timeout would end it) and a second connection,
// outside the store, that holds row locks.
type faultFixture struct {
	*fixture
	locker *sql.DB
}

func newFaultFixture(t *testing.T, statement, lock time.Duration) *faultFixture {
	t.Helper()
	f := newFixture(t, storetest.WithStoreOptions(store.WithTimeouts(statement, lock), store.WithPoolSize(8)))
	locker, err := sql.Open("postgres", f.base.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locker.Close() })
	return &faultFixture{fixture: f, locker: locker}
}

// hold locks the rows query selects (it ends in FOR UPDATE) in a transaction
// of the locker connection; release rolls it back.
func (f *faultFixture) hold(t *testing.T, query string, args ...any) (release func()) {
	t.Helper()
	tx, err := f.locker.BeginTx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := tx.QueryContext(f.ctx, query, args...)
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	done := false
	release = func() {
		if !done {
			done = true
			tx.Rollback()
		}
	}
	t.Cleanup(release)
	return release
}

// killWaiter terminates the backend of this database that waits for a lock,
// once one does, and reports whether it found one before the deadline.
func (f *faultFixture) killWaiter(t *testing.T, within time.Duration) bool {
	t.Helper()
	for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if f.killWaiting(t) > 0 {
			return true
		}
	}
	return false
}

// killWaiting terminates the backends of this database that wait for a lock
// now, and returns how many.
func (f *faultFixture) killWaiting(t *testing.T) int {
	t.Helper()
	var killed int
	err := f.locker.QueryRowContext(f.ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`).Scan(&killed)
	if err != nil {
		t.Fatal(err)
	}
	return killed
}

// killAll terminates every backend of this database but the locker's.
func (f *faultFixture) killAll(t *testing.T) {
	t.Helper()
	var killed int
	if err := f.locker.QueryRowContext(f.ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no backend of the store to kill")
	}
}

// run starts op and returns a channel with its error.
func run(op func() error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- op() }()
	return done
}

// wantUnavailable waits for op's error and fails unless the store classes it as unavailable.
func wantUnavailable(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if !store.IsUnavailable(err) {
			t.Fatalf("got %v, want an error classed as unavailable", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the operation did not return after its backend was killed")
	}
}

func TestFaults_ConnectKilledMidTransactionLeavesNothing(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, 30*time.Second, 20*time.Second)
	f.assign(t, f.product.ID, 3)
	f.connect(t, "dk-1")
	f.clock.Advance(days(400)) // dk-1's code expired: its connect renews on the general path
	before, activations := f.productNow(t), countRows(t, f.st, `SELECT count(*) FROM activations`)
	lastConnect := func() time.Time {
		var at time.Time
		if err := f.st.DB().QueryRowContext(f.ctx, `SELECT last_connect_at FROM devices WHERE device_key = 'dk-1'`).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	connectedAt := lastConnect()

	release := f.hold(t, `SELECT id FROM products WHERE id = $1 FOR UPDATE`, f.product.ID)
	done := run(func() error { _, err := f.st.Connect(f.ctx, "PK-1", "dk-1", "eu-frankfurt"); return err })
	if !f.killWaiter(t, 10*time.Second) {
		t.Fatal("the connect never waited for the product's lock")
	}
	wantUnavailable(t, done)
	release()

	if after := f.productNow(t); after.Available != before.Available || after.Consumed != before.Consumed {
		t.Errorf("product counters moved: %+v, before %+v", after, before)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM activations`); n != activations {
		t.Errorf("%d activations, before %d", n, activations)
	}
	if at := lastConnect(); !at.Equal(connectedAt) {
		t.Errorf("the device's last connect moved to %v from %v: half a transaction stayed", at, connectedAt)
	}
	verifyClean(t, f.st)
	if r := f.connect(t, "dk-1"); r.Result != store.ResultRenewed {
		t.Errorf("connect after the fault: %s, want renewed", r.Result)
	}
	verifyClean(t, f.st)
}

// TestFaults_NewDeviceKilledMidTransactionLeavesNothing covers the batched
// activation of new devices (ledger_connect_new.go): its transaction killed,
// the device goes the general path, which waits for the lock in turn; that
// backend killed too, the connect fails with nothing written.
func TestFaults_NewDeviceKilledMidTransactionLeavesNothing(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, 30*time.Second, 20*time.Second)
	f.assign(t, f.product.ID, 3)
	before := f.productNow(t)

	release := f.hold(t, `SELECT id FROM products WHERE id = $1 FOR UPDATE`, f.product.ID)
	done := run(func() error { _, err := f.st.Connect(f.ctx, "PK-1", "new-1", "eu-frankfurt"); return err })
	kills := 0
	var err error
	for end := time.Now().Add(20 * time.Second); ; {
		select {
		case err = <-done:
		case <-time.After(50 * time.Millisecond):
			if time.Now().After(end) {
				t.Fatal("the connect did not return after its backends were killed")
			}
			kills += f.killWaiting(t)
			continue
		}
		break
	}
	release()
	if !store.IsUnavailable(err) {
		t.Fatalf("got %v, want an error classed as unavailable", err)
	}
	t.Logf("backends killed before the connect failed: %d (the batch's, then the general path's)", kills)
	if after := f.productNow(t); after.Available != before.Available || after.Consumed != before.Consumed {
		t.Errorf("product counters moved: %+v, before %+v", after, before)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM devices`); n != 0 {
		t.Errorf("%d devices, want none", n)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM activations`); n != 0 {
		t.Errorf("%d activations, want none", n)
	}
	verifyClean(t, f.st)
	if r := f.connect(t, "new-1"); r.Result != store.ResultActivated {
		t.Errorf("connect after the fault: %s, want activated", r.Result)
	}
	verifyClean(t, f.st)
}

func TestFaults_AssignKilledMidTransactionLeavesNothing(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, 30*time.Second, 20*time.Second)
	pool := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y")
	audit := countRows(t, f.st, `SELECT count(*) FROM audit_log`)

	release := f.hold(t, `SELECT 1 FROM pools WHERE account_id = $1 FOR UPDATE`, f.account.ID)
	done := run(func() error {
		_, err := f.st.Assign(f.ctx, f.scope(),
			store.AssignInput{ProductID: f.product.ID, PackageCode: "std-1y", Quantity: 4, Actor: store.SystemActor("test")})
		return err
	})
	if !f.killWaiter(t, 10*time.Second) {
		t.Fatal("the assignment never waited for the pool's lock")
	}
	wantUnavailable(t, done)
	release()

	if got := poolOf(t, f.st, f.account.ID, "eu-frankfurt", "std-1y"); got != pool {
		t.Errorf("pool %+v, before %+v", got, pool)
	}
	if p := f.productNow(t); p.Assigned != 0 || p.Available != 0 || p.PackageCode != nil {
		t.Errorf("product %+v: half an assignment stayed", p)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM assignments`); n != 0 {
		t.Errorf("%d assignments, want none", n)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM audit_log`); n != audit {
		t.Errorf("%d audit entries, before %d", n, audit)
	}
	verifyClean(t, f.st)
}

func TestFaults_RenewalPassKilledMidTransactionLeavesNothing(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, 30*time.Second, 20*time.Second)
	f.assign(t, f.product.ID, 4)
	f.connect(t, "dk-1")
	f.connect(t, "dk-2")
	f.clock.Advance(days(400))
	before, activations := f.productNow(t), countRows(t, f.st, `SELECT count(*) FROM activations`)

	release := f.hold(t, `SELECT id FROM products WHERE id = $1 FOR UPDATE`, f.product.ID)
	done := run(func() error { _, err := f.st.RenewalPass(f.ctx); return err })
	if !f.killWaiter(t, 10*time.Second) {
		t.Fatal("the renewal pass never waited for the product's lock")
	}
	wantUnavailable(t, done)
	release()

	if after := f.productNow(t); after.Available != before.Available || after.Consumed != before.Consumed {
		t.Errorf("product counters moved: %+v, before %+v", after, before)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM activations`); n != activations {
		t.Errorf("%d activations, before %d", n, activations)
	}
	if n := countRows(t, f.st, `SELECT count(*) FROM devices WHERE lapsed_at IS NOT NULL OR expires_at > $1`, f.clock.Now()); n != 0 {
		t.Errorf("%d devices renewed or lapsed by a killed pass", n)
	}
	verifyClean(t, f.st)
	if st := f.pass(t); st.Renewed != 2 {
		t.Errorf("the next pass renewed %d, want 2", st.Renewed)
	}
	verifyClean(t, f.st)
}

// TestFaults_RetryAfterBrokenConnectionConsumesOnce: a connect committed,
// then every connection of the store is killed (as when the answer is lost
// with the connection); the device's retry finds its code valid.
func TestFaults_RetryAfterBrokenConnectionConsumesOnce(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, 30*time.Second, 20*time.Second)
	f.assign(t, f.product.ID, 3)
	if r := f.connect(t, "dk-1"); r.Result != store.ResultActivated {
		t.Fatalf("first connect: %s", r.Result)
	}
	f.killAll(t)
	var r store.ConnectResult
	var err error
	for try := 0; try < 5; try++ {
		if r, err = f.st.Connect(f.ctx, "PK-1", "dk-1", "eu-frankfurt"); !store.IsUnavailable(err) {
			break
		}
		t.Logf("retry %d: %v", try+1, err)
	}
	if err != nil || r.Result != store.ResultValid {
		t.Fatalf("retry: %v %v, want valid", r.Result, err)
	}
	if p := f.productNow(t); p.Consumed != 1 || p.Available != 2 {
		t.Errorf("consumed %d, available %d; want 1 and 2", p.Consumed, p.Available)
	}
	verifyClean(t, f.st)
}

// TestFaults_LockTimeoutIsUnavailable: a connect stuck behind a lock gives up
// after the lock timeout, with an error classed as unavailable.
func TestFaults_LockTimeoutIsUnavailable(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, 10*time.Second, 200*time.Millisecond)
	f.assign(t, f.product.ID, 3)
	f.hold(t, `SELECT id FROM products WHERE id = $1 FOR UPDATE`, f.product.ID)
	start := time.Now()
	_, err := f.st.Connect(f.ctx, "PK-1", "new-1", "eu-frankfurt")
	if !store.IsUnavailable(err) {
		t.Fatalf("got %v, want an error classed as unavailable", err)
	}
	t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
}

func TestIsUnavailable(t *testing.T) {
	t.Parallel()
	for _, err := range []error{context.DeadlineExceeded, sql.ErrConnDone, driver.ErrBadConn, syscall.ECONNREFUSED,
		fmt.Errorf("store: x: %w", syscall.ECONNRESET), &net.OpError{Op: "dial", Err: errors.New("no route")},
		&pq.Error{Code: "57014"}, &pq.Error{Code: "55P03"}, &pq.Error{Code: "57P01"}, &pq.Error{Code: "57P02"},
		&pq.Error{Code: "57P03"}, fmt.Errorf("wrapped: %w", &pq.Error{Code: "40001"}), &pq.Error{Code: "40P01"}, &pq.Error{Code: "08006"}} {
		if !store.IsUnavailable(err) {
			t.Errorf("%v: not unavailable", err)
		}
	}
	for _, err := range []error{nil, sql.ErrNoRows, errors.New("boom"), &store.Error{Kind: store.KindConflict, Code: "x"},
		&pq.Error{Code: "23505"}, &pq.Error{Code: "42P01"}, &pq.Error{Code: "22P02"}, context.Canceled} {
		if store.IsUnavailable(err) {
			t.Errorf("%v: unavailable", err)
		}
	}
}
