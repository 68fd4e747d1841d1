package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

func TestNormalizeEmail_FoldsEverySpellingOfOneAddress(t *testing.T) {
	for _, spelling := range []string{
		"owner@acme.example", "Owner@ACME.example", "  owner@acme.example\u00a0", "\towner@acme.example\n",
		"ｏｗｎｅｒ＠ａｃｍｅ．ｅｘａｍｐｌｅ", // full-width forms
		"OWNER@ACME.EXAMPLE",
	} {
		got, err := store.NormalizeEmail(spelling)
		if err != nil || got != "owner@acme.example" {
			t.Errorf("%q: %q, %v", spelling, got, err)
		}
	}
}

func TestNormalizeEmail_RefusesWhatCannotBeStored(t *testing.T) {
	for name, in := range map[string]string{
		"NUL byte":      "owner\x00@acme.example",
		"invalid UTF-8": "owner\xff@acme.example",
		"10 kB":         strings.Repeat("a", 10_000) + "@acme.example",
		"255 bytes":     strings.Repeat("a", 243) + "@acme.example",
		"empty":         " \t ",
		"control":       "owner\u0085@acme.example",
	} {
		if got, err := store.NormalizeEmail(in); err == nil {
			t.Errorf("%s: accepted as %q", name, got)
		}
	}
}

func TestCreateUser_StoresTheNormalFormOfTheEmail(t *testing.T) {
	f := newFixture(t)
	u, err := f.st.CreateUser(f.ctx, store.NewUser{Role: store.RoleSupport, Email: " Help@Platform.EXAMPLE ", Password: "a long enough password"})
	if err != nil || u.Email != "help@platform.example" {
		t.Fatalf("created %q, %v", u.Email, err)
	}
	if _, err := f.st.CreateUser(f.ctx, store.NewUser{Role: store.RoleSupport, Email: "ＨＥＬＰ@platform.example", Password: "a long enough password"}); !store.HasCode(err, store.CodeExists) {
		t.Fatalf("another spelling of the same address: %v", err)
	}
}

func TestSignIn_CountsAFailureWhoseAuditFails(t *testing.T) {
	f := newFixture(t)
	// The audit insert of a failed sign-in fails; the failure must still count.
	if _, err := f.st.DB().ExecContext(f.ctx, `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'audit refused'; END $$;
		CREATE TRIGGER refuse BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.operation = 'sign-in failed') EXECUTE FUNCTION refuse()`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SignIn(f.ctx, "owner@acme.example", "a wrong guess", "198.51.100.7"); err == nil || errors.Is(err, store.ErrBadCredentials) {
		t.Fatalf("the failing audit was not reported: %v", err)
	}
	var n int
	if err := f.st.DB().GetContext(f.ctx, &n, `SELECT count(*) FROM sign_in_failures WHERE email = 'owner@acme.example'`); err != nil || n != 1 {
		t.Fatalf("failures counted: %d, %v", n, err)
	}
}

func TestSignIn_WaitsForAPasswordSlotThenAnswersBusyAndCountsNothing(t *testing.T) {
	slots := make(chan struct{}, 1)
	f := storetest.NewFixture(t, storetest.WithStoreOptions(store.WithPasswordSlots(slots, 50*time.Millisecond)))
	st, ctx := f.Store, f.Ctx
	slots <- struct{}{} // every slot busy
	start := time.Now()
	if _, err := st.SignIn(ctx, "owner@acme.example", "correct horse battery", "198.51.100.7"); !errors.Is(err, store.ErrBusy) || !store.IsUnavailable(err) {
		t.Fatalf("all slots busy: %v", err)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Fatalf("gave up after %v without waiting", waited)
	}
	if _, err := st.SignIn(ctx, "owner@acme.example", "a wrong guess", "198.51.100.7"); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("a wrong password with all slots busy: %v", err)
	}
	var n int
	if err := st.DB().GetContext(ctx, &n, `SELECT count(*) FROM sign_in_failures`); err != nil || n != 0 {
		t.Fatalf("failures counted while nothing was checked: %d, %v", n, err)
	}
	// A slot freed while waiting is taken.
	go func() { time.Sleep(20 * time.Millisecond); <-slots }()
	if _, err := st.SignIn(ctx, "owner@acme.example", "correct horse battery", "198.51.100.7"); err != nil {
		t.Fatalf("after a slot was freed: %v", err)
	}
}

func TestSignIn_FindsAUserStoredBeforeEmailsWereNormalized(t *testing.T) {
	f := newFixture(t)
	// Migration 00009 lowercases stored e-mails; a row it left as it was
	// (lower() may differ from Go's for some scripts) still signs in.
	if _, err := f.st.DB().ExecContext(f.ctx, `UPDATE users SET email = 'Owner@ACME.example' WHERE role = 'owner'`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SignIn(f.ctx, " OWNER@acme.example", "correct horse battery", "198.51.100.7"); err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if _, err := f.st.SignIn(f.ctx, "owner@acme.example", "a wrong guess", "198.51.100.7"); !errors.Is(err, store.ErrBadCredentials) {
		t.Fatalf("a wrong password: %v", err)
	}
	p, err := f.st.AuditLog(f.ctx, f.account.ID, store.AuditFilter{Type: "sign-in"}, store.PageRequest{})
	if err != nil || len(p.Rows) != 1 {
		t.Fatalf("the failure in the account's audit log: %d rows, %v", len(p.Rows), err)
	}
}
