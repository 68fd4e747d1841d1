package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"

	"activation-console/store/embedded"
)

func TestDemo_RefusesDatabaseURLUnlessAllowed(t *testing.T) {
	st := useNewDatabase(t)
	code, out, errs := console(t, "demo")
	if code != 1 || out != "" || !strings.Contains(errs, "DATABASE_URL is set") || !strings.Contains(errs, "--allow-database-url") {
		t.Errorf("demo on DATABASE_URL: exit %d, stdout %q, stderr %q; want 1, nothing loaded and how to proceed", code, out, errs)
	}
	var users int
	if err := st.DB().Get(&users, `SELECT count(*) FROM users`); err != nil || users != 0 {
		t.Errorf("%d users after the refusal (%v); want none", users, err)
	}
}

// demoLine matches a printed sign-in: role, e-mail, password.
var demoLine = regexp.MustCompile(`(?m)^  (\w+)\s+(\S+@\S+)\s+(\S+)$`)

func TestServeFirstRun_PrintsGeneratedDemoPasswordsOnceAndNeverAgain(t *testing.T) {
	st := useNewDatabase(t)
	ctx := context.Background()
	// The first run on an embedded database: the demo is loaded then.
	db := &database{store: st, cluster: &embedded.Cluster{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}

	signIns, err := demoOnFirstRun(ctx, db, log)
	if err != nil {
		t.Fatal(err)
	}
	var first bytes.Buffer
	printWelcome(streams{out: &first}, addr, signIns)
	printed := demoLine.FindAllStringSubmatch(first.String(), -1)
	if len(printed) != 3 {
		t.Fatalf("the first run printed %q; want three sign-ins with passwords", first.String())
	}
	var passwords []string
	for _, p := range printed {
		email, password := p[2], p[3]
		u, err := st.Authenticate(ctx, email, password)
		if err != nil {
			t.Errorf("%s cannot sign in with the printed password %q: %v", email, password, err)
			continue
		}
		if strings.Contains(u.PasswordHash, password) {
			t.Errorf("%s's password is stored in plain text", email)
		}
		passwords = append(passwords, password)
	}

	// Every later start: the e-mails, never a password.
	signIns, err = demoOnFirstRun(ctx, db, log)
	if err != nil {
		t.Fatal(err)
	}
	var later bytes.Buffer
	printWelcome(streams{out: &later}, addr, signIns)
	for _, pw := range passwords {
		if strings.Contains(later.String(), pw) {
			t.Errorf("a later start printed a demo password:\n%s", later.String())
		}
	}
	if !strings.Contains(later.String(), "owner@acme-devices.example") || !strings.Contains(later.String(), "console user password") {
		t.Errorf("a later start printed %q; want the demo's e-mails and how to set a new password", later.String())
	}

	// Against DATABASE_URL nothing demo is created, even on an empty database.
	other := useNewDatabase(t)
	signIns, err = demoOnFirstRun(ctx, &database{store: other}, log)
	if err != nil || len(signIns) != 0 {
		t.Errorf("a first run on DATABASE_URL returned %v (%v); want no demo", signIns, err)
	}
	if has, err := other.HasAccounts(ctx); err != nil || has {
		t.Errorf("a first run on DATABASE_URL created accounts: %v %v", has, err)
	}
}

func TestDemoCommand_PrintsThePasswordsOnlyAtTheLoadThatMadeThem(t *testing.T) {
	st := useNewDatabase(t)
	code, out, errs := console(t, "demo", "--allow-database-url")
	if code != 0 {
		t.Fatalf("demo: exit %d, %s", code, errs)
	}
	printed := demoLine.FindAllStringSubmatch(out, -1)
	if len(printed) != 3 {
		t.Fatalf("demo printed %q; want three sign-ins", out)
	}
	for _, p := range printed {
		if u, err := st.Authenticate(context.Background(), p[2], p[3]); err != nil || string(u.Role) != p[1] {
			t.Errorf("%s cannot sign in with the printed password: %+v %v", p[2], u, err)
		}
	}
	code, again, errs := console(t, "demo", "--allow-database-url")
	if code != 0 {
		t.Fatalf("demo again: exit %d, %s", code, errs)
	}
	for _, p := range printed {
		if strings.Contains(again, p[3]) {
			t.Errorf("loading again printed a password: %q", again)
		}
	}
	if !strings.Contains(again, "printed when the demo was loaded") {
		t.Errorf("loading again printed %q; want a word on where the passwords went", again)
	}
}
