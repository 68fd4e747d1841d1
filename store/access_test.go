package store_test

import (
	"testing"
	"time"

	"activation-console/store"
)

func TestMembers_CreateWithChosenProductsAndScope(t *testing.T) {
	f := newFixture(t)
	other, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-2", Name: "Doorbell"})
	if err != nil {
		t.Fatal(err)
	}
	owner := store.Actor{Name: "owner@acme.example"}
	m, err := f.st.CreateMember(f.ctx, store.Scope{AccountID: f.account.ID},
		store.MemberInput{Actor: owner, Name: "Kim", Email: "kim@acme.example",
			Password: "a long enough password", AllProducts: false, ProductIDs: []int64{other.ID}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.st.Authenticate(f.ctx, "kim@acme.example", "a long enough password")
	if err != nil || u.Role != store.RoleMember || u.ManageLicenses {
		t.Fatalf("member signs in: %+v %v", u, err)
	}
	ids, err := f.st.ScopeProducts(f.ctx, u)
	if err != nil || len(ids) != 1 || ids[0] != other.ID || len(m.ProductIDs) != 1 {
		t.Fatalf("scope: %v %v", ids, err)
	}
	// A product of another account cannot be put in the scope.
	acme2, err := f.st.CreateAccount(f.ctx, store.NewAccount{Name: "Beta", Type: "enterprise", DataCenter: "eu-frankfurt",
		OwnerEmail: "owner@beta.example", OwnerPassword: "another long password"})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: acme2.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-B", Name: "Beta thing"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.st.UpdateMember(f.ctx, store.Scope{AccountID: f.account.ID},
		store.MemberInput{ID: m.ID, Actor: owner, Name: "Kim", ProductIDs: []int64{foreign.ID}})
	if e, ok := store.AsError(err); !ok || e.Field != "products" {
		t.Fatalf("foreign product in scope: %v", err)
	}
	// Nor can Beta's owner edit Acme's sub-account.
	if _, err := f.st.UpdateMember(f.ctx, store.Scope{AccountID: acme2.ID},
		store.MemberInput{ID: m.ID, Actor: owner, Name: "X", AllProducts: true}); !store.HasCode(err, "unknown_user") {
		t.Fatalf("cross-account edit: %v", err)
	}
}

func TestMembers_RefusedForIndividualAccountsAndDuplicates(t *testing.T) {
	f := newFixture(t)
	solo, err := f.st.CreateAccount(f.ctx, store.NewAccount{Name: "Solo", Type: "individual", DataCenter: "cn-shanghai",
		OwnerEmail: "solo@example.com", OwnerPassword: "solo long password"})
	if err != nil {
		t.Fatal(err)
	}
	in := store.MemberInput{Name: "Kim", Email: "kim@acme.example", Password: "a long enough password", AllProducts: true,
		Actor: store.Actor{Name: "o"}}
	if _, err := f.st.CreateMember(f.ctx, store.Scope{AccountID: solo.ID}, in); !store.HasCode(err, "not_enterprise") {
		t.Fatalf("individual account: %v", err)
	}
	if _, err := f.st.CreateMember(f.ctx, store.Scope{AccountID: f.account.ID}, in); err != nil {
		t.Fatal(err)
	}
	in.Email = "KIM@acme.example"
	if _, err := f.st.CreateMember(f.ctx, store.Scope{AccountID: f.account.ID}, in); !store.HasCode(err, store.CodeExists) {
		t.Fatalf("duplicate e-mail: %v", err)
	}
	in.Email, in.Password = "lee@acme.example", "short"
	if _, err := f.st.CreateMember(f.ctx, store.Scope{AccountID: f.account.ID}, in); err == nil {
		t.Fatal("a short password was accepted")
	}
}

func TestSessions_DisableAndPasswordChangeEndThem(t *testing.T) {
	f := newFixture(t)
	m, err := f.st.CreateMember(f.ctx, store.Scope{AccountID: f.account.ID},
		store.MemberInput{Actor: store.Actor{Name: "o"}, Name: "Kim", Email: "kim@acme.example",
			Password: "a long enough password", AllProducts: true})
	if err != nil {
		t.Fatal(err)
	}
	live := func(id string) bool {
		_, err := f.st.SessionByID(f.ctx, id, time.Hour, 12*time.Hour)
		return err == nil
	}
	s1, _ := f.st.CreateSession(f.ctx, m.ID)
	if !live(s1) {
		t.Fatal("a new session is not live")
	}
	if err := f.st.DisableMember(f.ctx, store.Scope{AccountID: f.account.ID},
		store.MemberStatusInput{ID: m.ID, Actor: store.Actor{Name: "o"}}); err != nil {
		t.Fatal(err)
	}
	if live(s1) {
		t.Fatal("a disabled sub-account's session still works")
	}
	if _, err := f.st.Authenticate(f.ctx, "kim@acme.example", "a long enough password"); err == nil {
		t.Fatal("a disabled sub-account signed in")
	}
	if err := f.st.EnableMember(f.ctx, store.Scope{AccountID: f.account.ID},
		store.MemberStatusInput{ID: m.ID, Actor: store.Actor{Name: "o"}}); err != nil {
		t.Fatal(err)
	}
	a, _ := f.st.CreateSession(f.ctx, m.ID)
	b, _ := f.st.CreateSession(f.ctx, m.ID)
	if _, err := f.st.ChangePassword(f.ctx, m.ID, "wrong", "a new long password"); !store.HasCode(err, store.CodeInvalid) {
		t.Fatalf("wrong old password: %v", err)
	}
	fresh, err := f.st.ChangePassword(f.ctx, m.ID, "a long enough password", "a new long password")
	if err != nil {
		t.Fatal(err)
	}
	if live(a) || live(b) || !live(fresh) {
		t.Fatalf("after a password change: old sessions %v %v, new %v", live(a), live(b), live(fresh))
	}
	// Idle and absolute timeouts.
	f.clock.Advance(31 * time.Minute)
	if _, err := f.st.SessionByID(f.ctx, fresh, 30*time.Minute, 12*time.Hour); err == nil {
		t.Fatal("an idle session outlived the idle timeout")
	}
	s, _ := f.st.CreateSession(f.ctx, m.ID)
	for i := 0; i < 13; i++ {
		f.clock.Advance(59 * time.Minute)
		if _, err := f.st.SessionByID(f.ctx, s, 2*time.Hour, 12*time.Hour); err != nil && i < 12 {
			t.Fatalf("an active session ended after %d hours: %v", i+1, err)
		}
	}
	if _, err := f.st.SessionByID(f.ctx, s, 2*time.Hour, 12*time.Hour); err == nil {
		t.Fatal("a session outlived the absolute lifetime")
	}
}

func TestSignInThrottle_CountsPerEmailAndPerAddress(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 10; i++ {
		if err := f.st.RecordSignInFailure(f.ctx, "owner@acme.example", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	if th, _ := f.st.SignInThrottled(f.ctx, " OWNER@acme.example", "10.0.0.1"); !th {
		t.Fatal("ten failures for an e-mail from one address do not throttle it there")
	}
	if th, _ := f.st.SignInThrottled(f.ctx, "owner@acme.example", "10.0.0.2"); th {
		t.Fatal("ten failures from one address lock the e-mail out at another")
	}
	if th, _ := f.st.SignInThrottled(f.ctx, "other@acme.example", "10.0.0.2"); th {
		t.Fatal("another e-mail from another address is throttled")
	}
	f.clock.Advance(16 * time.Minute)
	if th, _ := f.st.SignInThrottled(f.ctx, "owner@acme.example", "10.0.0.1"); th {
		t.Fatal("the throttle outlived its window")
	}
	// The failures of the owner's e-mail are in the account's audit log.
	p, err := f.st.AuditLog(f.ctx, f.account.ID, store.AuditFilter{Type: "sign-in"}, store.PageRequest{})
	if err != nil || len(p.Rows) != 10 {
		t.Fatalf("audit of failed sign-ins: %d rows, %v", len(p.Rows), err)
	}
}

func TestSupport_FindAccountsAndOpenOneReadOnly(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 1)
	if _, err := f.st.Connect(f.ctx, "PK-1", "dev-42", "eu-frankfurt"); err != nil {
		t.Fatal(err)
	}
	for query, by := range map[string]string{"acm": "name", "OWNER@ACME.EXAMPLE": "owner e-mail", "PK-1": "ProductKey", "dev-42": "DeviceKey"} {
		ms, err := f.st.FindAccounts(f.ctx, query)
		if err != nil || len(ms) != 1 || ms[0].ID != f.account.ID || ms[0].MatchedBy != by {
			t.Fatalf("find %q: %+v %v", query, ms, err)
		}
	}
	if ms, _ := f.st.FindAccounts(f.ctx, "%"); len(ms) != 0 {
		t.Fatalf("a LIKE wildcard matched: %+v", ms)
	}
	sup, err := f.st.CreateUser(f.ctx, store.NewUser{Role: store.RoleSupport, Email: "help@platform.example", Password: "support long password"})
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := f.st.CreateSession(f.ctx, sup.ID)
	if err := f.st.OpenSupportView(f.ctx, sid, sup, f.account.ID); err != nil {
		t.Fatal(err)
	}
	s, err := f.st.SessionByID(f.ctx, sid, time.Hour, time.Hour)
	if err != nil || s.SupportAccountID == nil || *s.SupportAccountID != f.account.ID {
		t.Fatalf("support session: %+v %v", s, err)
	}
	p, _ := f.st.AuditLog(f.ctx, f.account.ID, store.AuditFilter{Type: "support"}, store.PageRequest{})
	if len(p.Rows) != 1 || p.Rows[0].Actor != "help@platform.example" || p.Rows[0].Type != store.AuditSupport {
		t.Fatalf("support view not audited: %+v", p.Rows)
	}
}
