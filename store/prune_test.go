package store_test

import (
	"testing"
	"time"
)

func TestPrune_DeletesUnusableSessionsAndFailuresPastTheWindowInBatches(t *testing.T) {
	f := newFixture(t)
	var owner int64
	if err := f.st.DB().Get(&owner, `SELECT id FROM users WHERE account_id = $1 AND role = 'owner'`, f.account.ID); err != nil {
		t.Fatal(err)
	}
	const idle, lifetime = 30 * time.Minute, 12 * time.Hour
	ids := map[string]string{}
	for _, name := range []string{"live", "idle", "old", "signed out"} {
		id, err := f.st.CreateSession(f.ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	now := f.clock.Now()
	age := func(id, column string, d time.Duration) {
		if _, err := f.st.DB().Exec(`UPDATE sessions SET `+column+` = $2 WHERE id_hash = sha256(convert_to($1, 'UTF8'))`, id, now.Add(-d)); err != nil {
			t.Fatal(err)
		}
	}
	age(ids["idle"], "last_seen_at", idle+time.Second)
	age(ids["old"], "created_at", lifetime+time.Second) // seen just now, but past its lifetime
	if err := f.st.EndSession(f.ctx, ids["signed out"]); err != nil {
		t.Fatal(err)
	}
	// 2,500 failures past the throttle's 15 minutes (more than two batches), 3 within it.
	if _, err := f.st.DB().Exec(`INSERT INTO sign_in_failures (email, client_ip, at)
		SELECT 'x' || n || '@example.com', '192.0.2.1', $1::timestamptz - interval '16 minutes' FROM generate_series(1, 2500) n
		UNION ALL SELECT 'y@example.com', '192.0.2.2', $1::timestamptz - interval '5 minutes' FROM generate_series(1, 3)`, now); err != nil {
		t.Fatal(err)
	}

	got, err := f.st.Prune(f.ctx, idle, lifetime)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sessions != 3 || got.SignInFailures != 2500 {
		t.Errorf("pruned %+v, want 3 sessions and 2500 failures", got)
	}
	if _, err := f.st.SessionByID(f.ctx, ids["live"], idle, lifetime); err != nil {
		t.Errorf("the live session: %v", err)
	}
	var sessions, failures int
	f.st.DB().Get(&sessions, `SELECT count(*) FROM sessions`)
	f.st.DB().Get(&failures, `SELECT count(*) FROM sign_in_failures WHERE email = 'y@example.com'`)
	if sessions != 1 || failures != 3 {
		t.Errorf("left %d sessions and %d recent failures, want 1 and 3", sessions, failures)
	}
}
