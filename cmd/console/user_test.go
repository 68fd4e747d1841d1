package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"activation-console/store"
)

// consoleWithInput runs a command line with stdin as given.
func consoleWithInput(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	code = runWithInput(context.Background(), args, strings.NewReader(stdin), &out, &errs)
	return code, out.String(), errs.String()
}

func TestPasswordFlags_StillWorkButWarnThatTheProcessListShowsThem(t *testing.T) {
	st := useNewDatabase(t)
	t.Setenv(passwordEnv, "")
	code, _, errs := console(t, "account", "create", "--name", "Globex", "--type", "enterprise", "--data-center", "eu-frankfurt",
		"--owner-email", "owner@globex.example", "--owner-password", "correct horse battery")
	if code != 0 {
		t.Fatalf("account create: exit %d, %s", code, errs)
	}
	if !strings.Contains(errs, "warning: --owner-password shows the password") || !strings.Contains(errs, "process list") {
		t.Errorf("stderr %q; want a warning that the process list shows the password", errs)
	}
	if _, err := st.Authenticate(context.Background(), "owner@globex.example", "correct horse battery"); err != nil {
		t.Errorf("the owner cannot sign in with the flag's password: %v", err)
	}
}

func TestPasswords_ComeFromStdinOrTheEnvironmentWithoutAWarning(t *testing.T) {
	st := useNewDatabase(t)
	ctx := context.Background()
	t.Setenv(passwordEnv, "")

	code, _, errs := consoleWithInput(t, "support staff secret\r\n", "user", "create", "--role", "support", "--email", "help@platform.example", "--password-stdin")
	if code != 0 || errs != "" {
		t.Fatalf("user create --password-stdin: exit %d, stderr %q; want 0 and nothing on stderr", code, errs)
	}
	if _, err := st.Authenticate(ctx, "help@platform.example", "support staff secret"); err != nil {
		t.Errorf("the password read from stdin (without its line ending) does not sign in: %v", err)
	}

	t.Setenv(passwordEnv, "owner password from env")
	code, _, errs = console(t, "account", "create", "--name", "Initech", "--type", "individual", "--data-center", "eu-frankfurt",
		"--owner-email", "owner@initech.example")
	if code != 0 || errs != "" {
		t.Fatalf("account create with %s: exit %d, stderr %q", passwordEnv, code, errs)
	}
	if _, err := st.Authenticate(ctx, "owner@initech.example", "owner password from env"); err != nil {
		t.Errorf("the password from %s does not sign in: %v", passwordEnv, err)
	}

	t.Setenv(passwordEnv, "")
	for name, args := range map[string][]string{
		"no password at all": {"user", "password", "--email", "help@platform.example"},
		"flag and stdin":     {"user", "password", "--email", "help@platform.example", "--password", "a long new password", "--password-stdin"},
	} {
		if code, _, errs := consoleWithInput(t, "a long new password\n", args...); code != 2 || !strings.Contains(errs, "--password-stdin") {
			t.Errorf("%s: exit %d, %q; want 2 and how to give the password", name, code, errs)
		}
	}
	if code, _, errs := consoleWithInput(t, "\n", "user", "password", "--email", "help@platform.example", "--password-stdin"); code != 2 {
		t.Errorf("an empty stdin: exit %d, %q; want 2", code, errs)
	}
}

func TestUserPassword_SetsTheNewPasswordAndEndsEverySessionOfTheUser(t *testing.T) {
	st := useNewDatabase(t)
	ctx := context.Background()
	support, err := st.CreateUser(ctx, store.NewUser{Role: store.RoleSupport, Email: "help@platform.example", Password: "the old password"})
	if err != nil {
		t.Fatal(err)
	}
	session, err := st.CreateSession(ctx, support.ID)
	if err != nil {
		t.Fatal(err)
	}

	code, _, errs := consoleWithInput(t, "the new password\n", "user", "password", "--email", "Help@Platform.example", "--password-stdin")
	if code != 0 {
		t.Fatalf("user password: exit %d, %s", code, errs)
	}
	if _, err := st.Authenticate(ctx, "help@platform.example", "the old password"); err == nil {
		t.Error("the old password still signs in")
	}
	if _, err := st.Authenticate(ctx, "help@platform.example", "the new password"); err != nil {
		t.Errorf("the new password does not sign in: %v", err)
	}
	if _, err := st.SessionByID(ctx, session, time.Hour, time.Hour); !store.HasCode(err, "no_session") {
		t.Errorf("the session from before the reset still works: %v", err)
	}

	if code, _, errs := consoleWithInput(t, "short\n", "user", "password", "--email", "help@platform.example", "--password-stdin"); code != 1 || !strings.Contains(errs, "at least 12") {
		t.Errorf("a short password: exit %d, %q", code, errs)
	}
	if code, _, errs := consoleWithInput(t, "the new password\n", "user", "password", "--email", "nobody@platform.example", "--password-stdin"); code != 1 || !strings.Contains(errs, "no user") {
		t.Errorf("an unknown e-mail: exit %d, %q", code, errs)
	}
}

func TestUserDisable_StopsSignInAndEndsSessionsOfSupportAndOwners(t *testing.T) {
	st := useNewDatabase(t)
	ctx := context.Background()
	if _, err := st.CreateUser(ctx, store.NewUser{Role: store.RoleSupport, Email: "help@platform.example", Password: "support password"}); err != nil {
		t.Fatal(err)
	}
	acc, err := st.CreateAccount(ctx, store.NewAccount{Name: "Acme", Type: "enterprise", DataCenter: "eu-frankfurt",
		OwnerEmail: "owner@acme.example", OwnerPassword: "owner password"})
	if err != nil {
		t.Fatal(err)
	}
	for email, password := range map[string]string{"help@platform.example": "support password", "owner@acme.example": "owner password"} {
		u, err := st.Authenticate(ctx, email, password)
		if err != nil {
			t.Fatal(err)
		}
		session, err := st.CreateSession(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if code, _, errs := console(t, "user", "disable", "--email", email); code != 0 {
			t.Fatalf("user disable %s: exit %d, %s", email, code, errs)
		}
		if _, err := st.Authenticate(ctx, email, password); err == nil {
			t.Errorf("%s signs in after being disabled", email)
		}
		// Re-enabling does not bring the ended session back.
		if code, _, errs := console(t, "user", "enable", "--email", email); code != 0 {
			t.Fatalf("user enable %s: exit %d, %s", email, code, errs)
		}
		if _, err := st.SessionByID(ctx, session, time.Hour, time.Hour); !store.HasCode(err, "no_session") {
			t.Errorf("%s's session survived being disabled: %v", email, err)
		}
		if _, err := st.Authenticate(ctx, email, password); err != nil {
			t.Errorf("%s cannot sign in after being enabled again: %v", email, err)
		}
	}
	var audited int
	if err := st.DB().Get(&audited, `SELECT count(*) FROM audit_log WHERE account_id = $1 AND operation IN ('disable', 'enable')`, acc.ID); err != nil || audited != 2 {
		t.Errorf("the owner's account audit log has %d rows of disable/enable (%v); want 2", audited, err)
	}
}
