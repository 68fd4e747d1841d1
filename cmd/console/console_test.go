package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"activation-console/store"
	"activation-console/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.Cleanup()
	removeConsoleBinary() // process_test.go
	os.Exit(code)
}

// console runs a command line as the binary would and returns its exit code and output.
func console(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	code = run(context.Background(), args, &out, &errs)
	return code, out.String(), errs.String()
}

// useNewDatabase points DATABASE_URL at a fresh database and returns a store on it.
func useNewDatabase(t *testing.T) *store.Store {
	t.Helper()
	url := storetest.NewDatabase(t)
	t.Setenv("DATABASE_URL", url)
	st, err := store.Open(context.Background(), url, store.WithPoolSize(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestSubcommands_ChangeTheDatabaseTheyAreGiven(t *testing.T) {
	st := useNewDatabase(t)
	ctx := context.Background()

	if code, out, errs := console(t, "migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: exit %d, %q %q", code, out, errs)
	}

	code, out, errs := console(t, "account", "create", "--name", "Globex", "--type", "enterprise", "--data-center", "eu-frankfurt",
		"--owner-email", "owner@globex.example", "--owner-password", "correct horse battery")
	if code != 0 {
		t.Fatalf("account create: exit %d, %s", code, errs)
	}
	id, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil {
		t.Fatalf("account create printed %q, want the account id alone", out)
	}
	if a, err := st.FindAccount(ctx, "owner@globex.example"); err != nil || a.ID != id {
		t.Errorf("account create printed %d; the owner's account is %+v (%v)", id, a, err)
	}

	if code, _, errs := console(t, "package", "create", "--code", "pro-2y", "--name", "Pro, 2 years", "--validity", "24mo",
		"--messages-per-day", "5000", "--ota-per-month", "4", "--storage-days", "30"); code != 0 {
		t.Fatalf("package create: exit %d, %s", code, errs)
	}
	if p, err := st.PackageByCode(ctx, "pro-2y"); err != nil || p.Validity != "2 years" || p.MessagesPerDay != 5000 || p.StorageDays != 30 {
		t.Errorf("package create stored %+v (%v)", p, err)
	}

	code, out, errs = console(t, "token", "create", "access-layer")
	if code != 0 {
		t.Fatalf("token create: exit %d, %s", code, errs)
	}
	if ok, err := st.CheckToken(ctx, strings.TrimSpace(out)); err != nil || !ok {
		t.Errorf("token create printed %q, which the store does not accept (%v)", out, err)
	}

	if code, _, errs := console(t, "user", "create", "--role", "support", "--email", "help@platform.example", "--password", "support staff secret"); code != 0 {
		t.Fatalf("user create: exit %d, %s", code, errs)
	}
	if u, err := st.Authenticate(ctx, "help@platform.example", "support staff secret"); err != nil || u.Role != store.RoleSupport {
		t.Errorf("the support user cannot sign in: %+v %v", u, err)
	}

	if code, out, errs := console(t, "demo", "--allow-database-url"); code != 0 || !strings.Contains(out, "owner@acme-devices.example") {
		t.Fatalf("demo: exit %d, %q %s", code, out, errs)
	}
	if code, out, errs := console(t, "verify"); code != 0 || !regexp.MustCompile(`^ledger verified: \d+ checks, no violations\n$`).MatchString(out) {
		t.Errorf("verify: exit %d, %q %s", code, out, errs)
	}
}

func TestVerify_NamesEachViolationAndFails(t *testing.T) {
	st := useNewDatabase(t)
	// A pool that claims a purchase no credit records.
	if _, err := st.DB().Exec(`INSERT INTO accounts (name, type, home_dc) VALUES ('Broken', 'individual', 'eu-frankfurt');
		INSERT INTO pools (account_id, dc, package_id, purchased, unassigned)
		SELECT a.id, 'eu-frankfurt', k.id, 5, 5 FROM accounts a, packages k WHERE k.is_default`); err != nil {
		t.Fatal(err)
	}
	code, out, _ := console(t, "verify")
	if code != 1 || !strings.HasPrefix(out, "credits: ") {
		t.Errorf("verify on a broken ledger: exit %d, %q; want exit 1 and the violation", code, out)
	}
}

func TestAccountCreate_ShowsTheStoreMessageWithoutInternals(t *testing.T) {
	useNewDatabase(t)
	code, out, errs := consoleWithInput(t, "short\n", "account", "create", "--name", "Initech", "--type", "enterprise", "--data-center", "eu-frankfurt",
		"--owner-email", "owner@initech.example", "--password-stdin")
	if code != 1 || out != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing printed", code, out)
	}
	if want := "console account create: the password must have at least 12 characters\n"; errs != want {
		t.Errorf("stderr %q, want %q", errs, want)
	}
}

func TestDatabaseURL_WithoutSSLModeIsRefused(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://console@127.0.0.1:5432/console")
	code, _, errs := console(t, "migrate")
	if code != 1 || !strings.Contains(errs, "sslmode") {
		t.Errorf("exit %d, stderr %q; want 1 and a word about sslmode", code, errs)
	}
}

func TestHasSSLMode_ReadsBothConnectionStringForms(t *testing.T) {
	for conn, want := range map[string]bool{
		"postgres://u@h/db?sslmode=require":            true,
		"postgresql://u@h/db?application_name=x":       false,
		"host=/tmp port=5432 dbname=x sslmode=disable": true,
		"host=/tmp dbname=x":                           false,
		"host=/tmp sslmode=":                           false,
	} {
		if got := hasSSLMode(conn); got != want {
			t.Errorf("hasSSLMode(%q) = %v, want %v", conn, got, want)
		}
	}
}

func TestUsageErrors_ExitWithTwo(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"account", "delete"},
		{"account", "create", "--name", "X"},
		{"user", "create", "--role", "owner", "--email", "a@b.example", "--password", "long enough password"},
		{"token", "create"},
		{"migrate", "--no-such-flag"},
	} {
		if code, _, errs := console(t, args...); code != 2 || errs == "" {
			t.Errorf("console %s: exit %d, stderr %q; want 2 and an explanation", strings.Join(args, " "), code, errs)
		}
	}
}

func TestHelp_PrintsTheCommandsAndSucceeds(t *testing.T) {
	code, out, _ := console(t, "help")
	if code != 0 || !strings.Contains(out, "account create") || !strings.Contains(out, "verify") {
		t.Errorf("help: exit %d, %q", code, out)
	}
}

func TestSessionKeys_AreGeneratedPrivateAndReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := sessionKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || len(first[0]) != 32 || len(first[1]) != 32 {
		t.Fatalf("generated keys of lengths %d, want a pair of 32-byte keys", len(first))
	}
	info, err := os.Stat(filepath.Join(dir, sessionKeysFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("the key file has mode %v, want 0600", info.Mode().Perm())
	}
	again, err := sessionKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first[0], again[0]) || !bytes.Equal(first[1], again[1]) {
		t.Error("a later run got other keys: sessions would not survive a restart")
	}
}

func TestParseSessionKeys_RefusesKeysThatCannotWork(t *testing.T) {
	key32 := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	if keys, err := parseSessionKeys(key32 + "," + key32); err != nil || len(keys) != 2 {
		t.Errorf("a valid pair: %d keys, %v", len(keys), err)
	}
	for _, bad := range []string{"", key32, key32 + ",not-base64!", key32 + ",c2hvcnQ="} {
		if _, err := parseSessionKeys(bad); err == nil {
			t.Errorf("parseSessionKeys(%q) accepted it", bad)
		}
	}
}

func TestServe_AnswersProbesAndStopsCleanlyWhenCancelled(t *testing.T) {
	useNewDatabase(t)
	t.Setenv("CONSOLE_SESSION_KEYS", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var errs bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--renew-interval", "1h"}, outW, &errs)
		outW.Close()
		done <- code
	}()

	// The first line names the address; the listener is open by then.
	lines := bufio.NewScanner(outR)
	if !lines.Scan() {
		t.Fatalf("serve printed nothing; exit %d, stderr %s", <-done, errs.String())
	}
	url := regexp.MustCompile(`http://\S+/`).FindString(lines.Text())
	if url == "" {
		t.Fatalf("the first line %q has no URL", lines.Text())
	}
	go io.Copy(io.Discard, outR)

	for _, probe := range []string{"healthz", "readyz"} {
		resp, err := http.Get(url + probe)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("/%s: %s, want 200", probe, resp.Status)
		}
	}

	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve returned %d after cancellation, want 0; stderr:\n%s", code, errs.String())
	}
}
