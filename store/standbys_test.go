package store_test

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

// Reads past one server (docs/scaling.md, "A standby for reads"), against a
// real primary and a streaming standby of it (storetest.StartPair).

// session signs the fixture's owner in and returns the session's id.
func (f *fixture) session(t *testing.T) string {
	t.Helper()
	u, err := f.st.SignIn(f.ctx, storetest.OwnerEmail, storetest.OwnerPassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	id, err := f.st.CreateSession(f.ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// pageContext is what a page request of session id reads with: the
// standby, once it has replayed the session's latest change.
func (f *fixture) pageContext(t *testing.T, id string) context.Context {
	t.Helper()
	sess, err := f.st.SessionByID(f.ctx, id, 10*365*24*time.Hour, 10*365*24*time.Hour) // the tests move the clock by years
	if err != nil {
		t.Fatal(err)
	}
	return store.StandbyReads(f.ctx, sess.WroteLSN)
}

// waitStandby polls the store's own view of the standby until want holds
// for it (a minute at most), and returns it with the fallback counts.
func (f *fixture) waitStandby(t *testing.T, what string, want func(store.StandbyStatus) bool) (store.StandbyStatus, map[string]uint64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		sts, falls := f.st.Standbys(f.ctx)
		if len(sts) != 1 {
			t.Fatalf("standbys = %+v, want one", sts)
		}
		if want(sts[0]) {
			return sts[0], falls
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for the standby to be %s: %+v", what, sts[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func usable(s store.StandbyStatus) bool { return s.Usable }

// productFound tells whether the product with this id is visible to reads made with ctx.
func (f *fixture) productFound(t *testing.T, ctx context.Context, id int64) bool {
	t.Helper()
	_, err := f.st.ScopedProduct(ctx, f.scope(), id)
	if store.HasCode(err, store.CodeUnknownProduct) {
		return false
	}
	if err != nil {
		t.Fatalf("reading product %d: %v", id, err)
	}
	return true
}

func TestStandbys_ReadYourWritesLagAndValidConnects(t *testing.T) {
	pair := storetest.StartPair(t)
	f := newFixture(t, storetest.OnPair(pair, time.Hour))
	f.assign(t, f.product.ID, 5)
	pair.WaitReplayed(t)
	f.waitStandby(t, "usable", usable)

	mine, theirs := f.session(t), f.session(t)
	pair.PauseReplay(t)

	t.Run("a session reads its own change at once; another reads the standby", func(t *testing.T) {
		p := f.newProduct(t, "eu-frankfurt", "PK-NEW")
		if err := f.st.NoteWrite(f.ctx, mine); err != nil {
			t.Fatal(err)
		}
		if !f.productFound(t, f.pageContext(t, mine), p.ID) {
			t.Error("the session that created the product does not see it")
		}
		// The standby replays nothing now: a session without changes reads
		// it there, so the product is not there yet.
		if f.productFound(t, f.pageContext(t, theirs), p.ID) {
			t.Error("another session saw the product: its read did not go to the standby")
		}
		_, falls := f.st.Standbys(f.ctx)
		if falls[store.FallbackOwnWrites] == 0 {
			t.Errorf("fallbacks = %v, want the own-writes read counted", falls)
		}
	})

	t.Run("valid codes are checked on the standby; a renewed code is not refused while it lags", func(t *testing.T) {
		ctx := store.StandbyReads(f.ctx, 0)
		pair.ResumeReplay(t)
		first, err := f.st.Connect(ctx, f.product.ProductKey, "dev-1", "eu-frankfurt")
		if err != nil || first.Result != store.ResultActivated {
			t.Fatalf("first connect = %+v, %v", first, err)
		}
		f.connect(t, "dev-2")
		pair.WaitReplayed(t)
		f.waitStandby(t, "usable", usable)
		pair.PauseReplay(t)

		// Deleted on the primary, dev-2 is still valid on the paused
		// standby, which answers the connect: the valid-code check reads the
		// standby (so a device may hear "valid" up to the lag setting after
		// its deletion; on the primary this connect would restore it).
		if err := f.st.DeleteDevice(f.ctx, f.product.ProductKey, "dev-2"); err != nil {
			t.Fatal(err)
		}
		if r, err := f.st.Connect(ctx, f.product.ProductKey, "dev-2", "eu-frankfurt"); err != nil || r.Result != store.ResultValid {
			t.Errorf("connect of the device deleted on the primary = %+v, %v; want the standby's valid", r, err)
		}

		// A year on, dev-1's code has expired; the connect renews it on the
		// primary, which the standby has not replayed: the next connect is
		// valid, decided on the primary, not refused.
		f.clock.Set(first.ExpiresAt.Add(time.Hour))
		renewed, err := f.st.Connect(ctx, f.product.ProductKey, "dev-1", "eu-frankfurt")
		if err != nil || renewed.Result != store.ResultRenewed {
			t.Fatalf("connect after expiry = %+v, %v, want renewed", renewed, err)
		}
		again, err := f.st.Connect(ctx, f.product.ProductKey, "dev-1", "eu-frankfurt")
		if err != nil || again.Result != store.ResultValid || !again.ExpiresAt.Equal(renewed.ExpiresAt) {
			t.Errorf("connect after the renewal = %+v, %v, want valid until %v", again, err, renewed.ExpiresAt)
		}
		if p := f.productNow(t); p.Consumed != 3 {
			t.Errorf("consumed = %d, want 3 (two first codes, one renewal): a valid connect consumes nothing", p.Consumed)
		}
	})
	pair.ResumeReplay(t)
	pair.WaitReplayed(t)

	t.Run("the session reads the standby again once it has replayed the change", func(t *testing.T) {
		f.waitStandby(t, "usable", usable)
		pair.PauseReplay(t)
		p := f.newProduct(t, "eu-frankfurt", "PK-LATER") // no NoteWrite: not this session's change
		if f.productFound(t, f.pageContext(t, mine), p.ID) {
			t.Error("the session read the primary although the standby had replayed its change")
		}
		pair.ResumeReplay(t)
	})

	// The charts' reads are prepared on pools of their own (prepared.go):
	// they go to the standby as the pages' other reads do.
	t.Run("the near-expiry and consumption charts read the standby", func(t *testing.T) {
		pair.WaitReplayed(t)
		f.waitStandby(t, "usable", usable)
		pair.PauseReplay(t)
		defer pair.ResumeReplay(t)
		r, err := f.st.Connect(f.ctx, f.product.ProductKey, "dev-chart", "eu-frankfurt")
		if err != nil || r.Result != store.ResultActivated {
			t.Fatalf("connect = %+v, %v", r, err)
		}
		f.clock.Set(r.ExpiresAt.Add(-5 * 24 * time.Hour)) // its code in the near-expiry window
		expiring := func(ctx context.Context) (n int64) {
			days, err := f.st.NearExpiryByDay(ctx, f.scope(), time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range days {
				n += d.Total()
			}
			return n
		}
		firsts := func(ctx context.Context) (n int64) {
			c, err := f.st.ProductConsumption(ctx, f.scope(), f.product.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range c.Months {
				n += m.First
			}
			return n
		}
		page := f.pageContext(t, theirs)
		if onPrimary, onStandby := expiring(f.ctx), expiring(page); onPrimary != onStandby+1 {
			t.Errorf("near-expiry chart: %d devices on the primary, %d for the page; want one fewer: the page read the standby", onPrimary, onStandby)
		}
		if onPrimary, onStandby := firsts(f.ctx), firsts(page); onPrimary != onStandby+1 {
			t.Errorf("consumption chart: %d first activations on the primary, %d for the page; want one fewer: the page read the standby", onPrimary, onStandby)
		}
	})
}

func TestStandbys_LaggingStandbyIsLeftForThePrimary(t *testing.T) {
	pair := storetest.StartPair(t)
	f := newFixture(t, storetest.OnPair(pair, 50*time.Millisecond))
	pair.WaitReplayed(t)
	f.waitStandby(t, "usable", usable)
	pair.PauseReplay(t)
	p := f.newProduct(t, "eu-frankfurt", "PK-LAG")
	st, before := f.waitStandby(t, "lagging", func(s store.StandbyStatus) bool { return s.Why == store.FallbackLag })
	if st.Lag <= 50*time.Millisecond {
		t.Errorf("lag = %v, want more than the setting", st.Lag)
	}
	if !f.productFound(t, f.pageContext(t, f.session(t)), p.ID) {
		t.Error("a read went to the lagging standby")
	}
	_, after := f.st.Standbys(f.ctx)
	if after[store.FallbackLag] <= before[store.FallbackLag] {
		t.Errorf("lag fallbacks %d -> %d, want the read counted", before[store.FallbackLag], after[store.FallbackLag])
	}
	pair.ResumeReplay(t)
	f.waitStandby(t, "usable again", usable)
}

func TestStandbys_StandbyStoppedRestartedAndPromotedUnderLoad(t *testing.T) {
	pair := storetest.StartPair(t)
	f := newFixture(t, storetest.OnPair(pair, time.Hour))
	f.assign(t, f.product.ID, 5)
	f.connect(t, "dev-1")
	pair.WaitReplayed(t)
	f.waitStandby(t, "usable", usable)

	// Readers read pages as sessions without changes would, all along.
	ctx := store.StandbyReads(f.ctx, 0)
	var reads, failures atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := f.st.Licenses(ctx, f.scope())
				if err == nil {
					_, err = f.st.ProductDevices(ctx, f.scope(), f.product, store.DeviceFilter{}, store.PageRequest{})
				}
				if err == nil {
					_, err = f.st.NearExpiryByDay(ctx, f.scope(), time.UTC)
				}
				if err == nil {
					_, err = f.st.ProductConsumption(ctx, f.scope(), f.product.ID)
				}
				if err == nil {
					_, err = f.st.Connect(ctx, f.product.ProductKey, "dev-1", "eu-frankfurt")
				}
				reads.Add(1)
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	loadFor := func(n int64) { // let the readers make n more rounds
		for start := reads.Load(); reads.Load() < start+n; {
			time.Sleep(time.Millisecond)
		}
	}
	loadFor(20)
	pair.StopStandby(t)
	f.waitStandby(t, "down", func(s store.StandbyStatus) bool { return s.Why == store.FallbackDown })
	loadFor(20)
	pair.StartStandby(t)
	f.waitStandby(t, "usable again", usable)
	loadFor(20)

	pair.Promote(t)
	f.waitStandby(t, "no standby any more", func(s store.StandbyStatus) bool { return s.Why == store.FallbackNotStandby })
	loadFor(20)
	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d page reads failed, the first: %v", n, reads.Load(), firstErr.Load())
	}

	// After the promotion the console writes to the primary only, and reads
	// there too: the promoted server never gets the new product.
	p := f.newProduct(t, "eu-frankfurt", "PK-AFTER")
	if !f.productFound(t, ctx, p.ID) {
		t.Error("a read after the promotion did not see the primary's new product")
	}
	promoted, err := sql.Open("postgres", pair.StandbyURL)
	if err != nil {
		t.Fatal(err)
	}
	defer promoted.Close()
	var n int
	if err := promoted.QueryRow(`SELECT count(*) FROM products WHERE product_key = 'PK-AFTER'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the promoted standby has %d rows of the new product (%v), want none", n, err)
	}
}
