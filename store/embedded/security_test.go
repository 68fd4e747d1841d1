package embedded

import (
	"context"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"activation-console/store"
)

// These tests pin down docs/SECURITY.md, "The embedded database": what a
// console started as root refuses to run, follow or hand over, the account
// the server runs as, and who may connect as whom.

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("only a root console runs the server as another user")
	}
}

func ownerOf(t *testing.T, path string) uint32 {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Uid
}

func nobodyIDs(t *testing.T) (int, int) {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid
}

// procUID is the real uid of a running process, from /proc/<pid>/status.
func procUID(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "Uid:" {
			uid, _ := strconv.Atoi(f[1])
			return uid
		}
	}
	t.Fatalf("no Uid line in /proc/%d/status", pid)
	return -1
}

// plantScript writes a shell script that leaves a marker file when run.
func plantScript(t *testing.T, path, marker string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho planted >> '"+marker+"'\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestStart_RunsTheServerAsADedicatedUserNeverNobody(t *testing.T) {
	requireRoot(t)
	dataDir := newDataDir(t)
	c := start(t, dataDir)
	pid := postmasterPID(dataDir)
	uid := procUID(t, pid)
	want, err := lookupServerUser(serverUserNames[0])
	if err != nil {
		want, err = lookupServerUser(serverUserNames[1])
	}
	if err != nil {
		t.Fatalf("no dedicated user exists after Start: %v", err)
	}
	nobody, _ := nobodyIDs(t)
	if uid != int(want.uid) || uid == nobody || uid == 0 {
		t.Errorf("server runs as uid %d; want %s (uid %d), never nobody (%d) or root", uid, want.name, want.uid, nobody)
	}
	if owner := ownerOf(t, c.clusterDir); owner != want.uid {
		t.Errorf("cluster owned by uid %d, want %d", owner, want.uid)
	}
	fi, err := os.Lstat(filepath.Join(dataDir, passwordsName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("%s: mode %v uid %d, want 0600 and root", passwordsName, fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid)
	}
}

// A cluster listening on TCP (as an operator might configure it) asks for
// the password there, and so does the socket: nothing is "trust".
func TestStart_EveryConnectionNeedsThePassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	oldPort, oldListen := port, listenAddresses
	t.Cleanup(func() { port, listenAddresses = oldPort, oldListen })
	port, listenAddresses = tcpPort, "127.0.0.1"

	dataDir := newDataDir(t)
	c := start(t, dataDir)
	tcp := func(user, password string) string {
		dsn := "host=127.0.0.1 port=" + strconv.Itoa(tcpPort) + " user=" + user + " dbname=postgres sslmode=disable connect_timeout=5"
		if password != "" {
			dsn += " password=" + password
		}
		return dsn
	}
	socket := func(user, password string) string {
		dsn := "host=" + connValue(c.socketDir) + " port=" + strconv.Itoa(tcpPort) + " user=" + user + " dbname=postgres sslmode=disable connect_timeout=5"
		if password != "" {
			dsn += " password=" + password
		}
		return dsn
	}
	ctx := context.Background()
	for _, dsn := range []string{
		tcp(superuser, ""), tcp(appRole, ""), tcp(superuser, "wrong"), tcp(appRole, c.creds.admin),
		socket(superuser, ""), socket(appRole, ""), socket(superuser, "wrong"),
	} {
		if err := ping(ctx, dsn); err == nil {
			t.Errorf("connected without the right password: %s", dsn)
		}
	}
	// The same connections with the password get in, so the refusals above
	// are about the password, not about the network.
	for _, dsn := range []string{tcp(superuser, c.creds.admin), tcp(appRole, c.creds.app), socket(appRole, c.creds.app)} {
		if err := ping(ctx, dsn); err != nil {
			t.Errorf("%s: %v", strings.ReplaceAll(dsn, c.creds.admin, "…"), err)
		}
	}
	hba, err := os.ReadFile(filepath.Join(c.clusterDir, "pg_hba.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if hbaTrusts(hba) {
		t.Errorf("pg_hba.conf has a trust rule:\n%s", hba)
	}
}

// The console's role is no superuser, yet owns its database and schema and
// runs every migration (00001 creates the btree_gist extension).
func TestStart_AppRoleIsNoSuperuserButOwnsItsSchemaAndMigrates(t *testing.T) {
	c := start(t, newDataDir(t))
	ctx := context.Background()
	st, err := store.Open(ctx, c.URL(), store.WithPoolSize(2))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.Migrate(ctx)
	if err != nil || n == 0 {
		t.Fatalf("migrations as %s: %d applied, %v", appRole, n, err)
	}
	db := open(t, c.URL())
	var super, createdb bool
	var dbOwner, schemaOwner, extOwner string
	var foreign int
	if err := db.QueryRow(`SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user`).Scan(&super, &createdb); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()`).Scan(&dbOwner); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'`).Scan(&schemaOwner); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT pg_get_userbyid(extowner) FROM pg_extension WHERE extname = 'btree_gist'`).Scan(&extOwner); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> current_user`).Scan(&foreign); err != nil {
		t.Fatal(err)
	}
	if super || !createdb || dbOwner != appRole || schemaOwner != appRole || extOwner != appRole || foreign != 0 {
		t.Errorf("rolsuper %v, rolcreatedb %v, database owner %q, schema owner %q, btree_gist owner %q, %d tables owned by others; want false, true, %s everywhere, 0",
			super, createdb, dbOwner, schemaOwner, extOwner, foreign, appRole)
	}
	if _, err := db.Exec(`SELECT rolpassword FROM pg_authid`); err == nil {
		t.Error("the application role reads pg_authid")
	}
	if strings.Contains(c.URL(), "user="+superuser+" ") || !strings.Contains(c.URL(), "sslmode=disable") {
		t.Errorf("URL %q: want the application role and an explicit sslmode", c.URL())
	}
}

// A cluster made by an earlier console (trust authentication, owned by
// nobody, no passwords file) is refused with instructions, before anything
// in it is started or changes owner.
func TestStart_RefusesAnOldTrustCluster(t *testing.T) {
	dataDir := newDataDir(t)
	c := start(t, dataDir)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	hbaPath := filepath.Join(c.clusterDir, "pg_hba.conf")
	trustHBA := "local all all trust\nhost all all 127.0.0.1/32 trust\n"
	if err := os.WriteFile(hbaPath, []byte(trustHBA), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dataDir, passwordsName)); err != nil {
		t.Fatal(err)
	}
	owner := ownerOf(t, c.clusterDir)
	if os.Geteuid() == 0 {
		uid, gid := nobodyIDs(t)
		for _, dir := range []string{c.clusterDir, c.socketDir} {
			if err := chownTree(dir, &serverUser{uid: uint32(uid), gid: uint32(gid), name: "nobody"}); err != nil {
				t.Fatal(err)
			}
		}
		owner = uint32(uid)
	}

	_, err := Start(context.Background(), Options{DataDir: dataDir, Fast: true})
	if err == nil || !strings.Contains(err.Error(), "trust") || !strings.Contains(err.Error(), "README") {
		t.Fatalf("got %v, want a refusal naming trust and pointing to the README", err)
	}
	if pid := postmasterPID(dataDir); pid != 0 {
		t.Errorf("a server (pid %d) was started on the trust cluster", pid)
	}
	if got := ownerOf(t, c.clusterDir); got != owner {
		t.Errorf("cluster owner changed from %d to %d", owner, got)
	}
	if b, _ := os.ReadFile(hbaPath); string(b) != trustHBA {
		t.Errorf("pg_hba.conf changed:\n%s", b)
	}

	// What the README says to do: move it aside and start again.
	if err := os.Rename(c.clusterDir, c.clusterDir+".old"); err != nil {
		t.Fatal(err)
	}
	c2 := start(t, dataDir)
	exec1(t, open(t, c2.URL()), "CREATE TABLE fresh (n int)")
}

// A planted postgres.log symlink, and a symlink and a hard link planted in
// a cluster that must change hands, never make root chown what they point
// to.
func TestStart_NeverChownsThroughALink(t *testing.T) {
	requireRoot(t)
	// A root-owned file standing in for /etc/passwd, one per case.
	newTarget := func(t *testing.T) string {
		target := filepath.Join(t.TempDir(), "passwd")
		if err := os.WriteFile(target, []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return target
	}

	t.Run("log file", func(t *testing.T) {
		target := newTarget(t)
		dataDir := newDataDir(t)
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dataDir, "postgres.log")); err != nil {
			t.Fatal(err)
		}
		c, err := Start(context.Background(), Options{DataDir: dataDir, Fast: true})
		if err == nil {
			c.Stop()
			t.Error("Start used a postgres.log that is a symlink")
		}
		if uid := ownerOf(t, target); uid != 0 {
			t.Errorf("the symlink's target now belongs to uid %d", uid)
		}
	})

	// As if root had copied the cluster in: it must change hands, and one
	// link of each kind sits in it.
	for name, plant := range map[string]func(target, clusterDir string) error{
		"hard link": func(target, clusterDir string) error {
			return os.Link(target, filepath.Join(clusterDir, "base", "hardlink"))
		},
		"symlink": func(target, clusterDir string) error {
			return os.Symlink(target, filepath.Join(clusterDir, "base", "symlink"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			target := newTarget(t)
			dataDir := newDataDir(t)
			c := start(t, dataDir)
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := chownTree(c.clusterDir, &serverUser{name: "root"}); err != nil {
				t.Fatal(err)
			}
			if err := plant(target, c.clusterDir); err != nil {
				t.Fatal(err)
			}
			c2, err := Start(context.Background(), Options{DataDir: dataDir, Fast: true})
			if err == nil {
				c2.Stop()
				t.Error("Start handed over a cluster with a link to a file outside it")
			}
			if uid := ownerOf(t, target); uid != 0 {
				t.Errorf("the linked file now belongs to uid %d", uid)
			}
		})
	}
}

// As root, a data directory another user owns or may write to is refused:
// its owner could plant links and files for root to follow.
func TestStart_RefusesADataDirectoryOthersControl(t *testing.T) {
	requireRoot(t)
	uid, gid := nobodyIDs(t)
	owned := newDataDir(t)
	if err := os.MkdirAll(owned, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(owned, uid, gid); err != nil {
		t.Fatal(err)
	}
	open := newDataDir(t)
	if err := os.MkdirAll(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{owned, open} {
		if _, err := Start(context.Background(), Options{DataDir: dir, Fast: true}); err == nil || !strings.Contains(err.Error(), "not safe") {
			t.Errorf("%s: got %v, want a refusal", dir, err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "postgres")); err == nil {
			t.Errorf("%s: a cluster was created anyway", dir)
		}
	}
}

// Programs another user planted (on PATH, or behind a symlink from a
// directory root trusts) are never run: Start uses the installed ones.
func TestStart_NeverRunsPlantedPrograms(t *testing.T) {
	requireRoot(t)
	uid, gid := nobodyIDs(t)
	marker := filepath.Join(t.TempDir(), "ran")

	planted := filepath.Join(newDataDir(t), "bin")
	if err := os.MkdirAll(planted, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, prog := range []string{"pg_config", "pg_ctl", "initdb", "postgres"} {
		p := filepath.Join(planted, prog)
		plantScript(t, p, marker)
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	// Root's own directory, with symlinks to the planted programs.
	linked := filepath.Join(newDataDir(t), "bin")
	if err := os.MkdirAll(linked, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, prog := range serverPrograms {
		if err := os.Symlink(filepath.Join(planted, prog), filepath.Join(linked, prog)); err != nil {
			t.Fatal(err)
		}
	}
	// A directory anyone may write to, holding root-owned programs.
	writable := filepath.Join(newDataDir(t), "bin")
	if err := os.MkdirAll(writable, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(writable, 0o777)
	for _, prog := range serverPrograms {
		plantScript(t, filepath.Join(writable, prog), marker)
	}

	ctx := context.Background()
	for _, dir := range []string{planted, linked, writable} {
		if b, err := inspectBinDir(ctx, dir); err == nil {
			t.Errorf("%s accepted: %+v", dir, b)
		}
	}
	t.Setenv("PATH", planted+":"+linked+":"+writable+":"+os.Getenv("PATH"))
	c := start(t, newDataDir(t))
	if c.bin.dir == planted || c.bin.dir == linked || c.bin.dir == writable {
		t.Errorf("Start uses %s", c.bin.dir)
	}
	if b, err := os.ReadFile(marker); err == nil {
		t.Errorf("a planted program ran: %q", b)
	}
}

// Downloaded binaries of a root console go to a root-only system directory,
// never into the data directory.
func TestDownloadRoot_IsOutsideTheDataDirectoryForRoot(t *testing.T) {
	requireRoot(t)
	dataDir := "/srv/console-data"
	if root := downloadRoot(dataDir); strings.HasPrefix(root, dataDir) {
		t.Errorf("downloads go to %s", root)
	}
}

func TestAppendSystemUser_PicksAFreeSystemID(t *testing.T) {
	dir := t.TempDir()
	passwd, group := filepath.Join(dir, "passwd"), filepath.Join(dir, "group")
	os.WriteFile(passwd, []byte("root:x:0:0::/root:/bin/sh\nsys:x:999:999::/:/bin/false\n"), 0o644)
	os.WriteFile(group, []byte("root:x:0:\nother:x:998:\n"), 0o644)
	if err := appendSystemUser(passwd, group, dedicatedUser, "/usr/sbin/nologin"); err != nil {
		t.Fatal(err)
	}
	p, _ := os.ReadFile(passwd)
	g, _ := os.ReadFile(group)
	if !strings.HasSuffix(string(p), dedicatedUser+":x:997:997:PostgreSQL for the console:/nonexistent:/usr/sbin/nologin\n") ||
		!strings.HasSuffix(string(g), dedicatedUser+":x:997:\n") {
		t.Errorf("passwd:\n%s\ngroup:\n%s", p, g)
	}
	if err := appendSystemUser(passwd, group, dedicatedUser, "/usr/sbin/nologin"); err == nil {
		t.Error("added the user twice")
	}
}
