package store_test

import (
	"testing"
	"time"

	"activation-console/store"
)

// The session is read with the account it reads, in one statement: the
// owner's own account; for support staff none until they open one, then
// that one. Each is the account Account reads.
func TestSessionByID_CarriesTheAccountItReads(t *testing.T) {
	f := newFixture(t)
	want, err := f.st.Account(f.ctx, f.account.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ownerID int64
	if err := f.st.DB().GetContext(f.ctx, &ownerID, `SELECT id FROM users WHERE account_id = $1 AND role = 'owner'`, want.ID); err != nil {
		t.Fatal(err)
	}
	sid, _ := f.st.CreateSession(f.ctx, ownerID)
	s, err := f.st.SessionByID(f.ctx, sid, time.Hour, time.Hour)
	if err != nil || s.Account == nil || *s.Account != want {
		t.Fatalf("owner's session: %+v, want account %+v (%v)", s.Account, want, err)
	}
	sup, err := f.st.CreateUser(f.ctx, store.NewUser{Role: store.RoleSupport, Email: "help@platform.example", Password: "support long password"})
	if err != nil {
		t.Fatal(err)
	}
	sid, _ = f.st.CreateSession(f.ctx, sup.ID)
	if s, err = f.st.SessionByID(f.ctx, sid, time.Hour, time.Hour); err != nil || s.Account != nil {
		t.Fatalf("support session before opening an account: %+v (%v)", s.Account, err)
	}
	if err := f.st.OpenSupportView(f.ctx, sid, sup, f.account.ID); err != nil {
		t.Fatal(err)
	}
	if s, err = f.st.SessionByID(f.ctx, sid, time.Hour, time.Hour); err != nil || s.Account == nil || *s.Account != want {
		t.Fatalf("support session with the account opened: %+v, want %+v (%v)", s.Account, want, err)
	}
}
