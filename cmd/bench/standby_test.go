package main

import (
	"bufio"
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"activation-console/store/storetest"
)

func TestConnParams_URLAndKeyValue(t *testing.T) {
	p, err := connParams("postgres://bench:s3cr%27t@127.0.0.1:5432/console_x?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"host": "127.0.0.1", "port": "5432", "user": "bench", "password": "s3cr't", "dbname": "console_x", "sslmode": "disable"}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %q, want %q", k, p[k], v)
		}
	}
	// The key=value form, as conninfo writes it, reads back the same.
	back, err := connParams(conninfo(p))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if back[k] != v {
			t.Errorf("round trip: %s = %q, want %q", k, back[k], v)
		}
	}
	kv, err := connParams("host='/tmp/pg run' port=5433  user=postgres dbname='it\\'s' sslmode=disable")
	if err != nil || kv["host"] != "/tmp/pg run" || kv["port"] != "5433" || kv["dbname"] != "it's" || kv["sslmode"] != "disable" {
		t.Errorf("key=value: %v %v", kv, err)
	}
	moved, err := withServer("postgres://postgres@127.0.0.1:5432/console_x?sslmode=disable", "127.0.0.1", 40001)
	if err != nil || moved != "dbname='console_x' host='127.0.0.1' port='40001' sslmode='disable' user='postgres'" {
		t.Errorf("withServer = %q, %v", moved, err)
	}
}

// The measured server's pg_hba.conf as this machine's PostgreSQL has it:
// "all" does not cover replication connections.
var noReplication = []hbaRule{
	{typ: "local", databases: []string{"all"}, users: []string{"all"}, method: "trust"},
	{typ: "host", databases: []string{"all"}, users: []string{"all"}, address: "127.0.0.1", netmask: "255.255.255.255", method: "trust"},
}

func TestReplicationBlocker_SaysWhy(t *testing.T) {
	why := replicationBlocker("replica", 10, 0, "/etc/postgresql/15/main/pg_hba.conf", noReplication, "postgres", "127.0.0.1")
	if !strings.Contains(why, "pg_hba.conf (/etc/postgresql/15/main/pg_hba.conf)") || !strings.Contains(why, "host replication postgres 127.0.0.1/32 trust") {
		t.Errorf("no replication line: %q", why)
	}
	if why := replicationBlocker("replica", 10, 0, "hba", noReplication, "postgres", "/var/run/postgresql"); !strings.Contains(why, "local replication postgres trust") {
		t.Errorf("over the socket: %q", why)
	}
	withLine := append(noReplication, hbaRule{typ: "host", databases: []string{"replication"}, users: []string{"postgres"},
		address: "127.0.0.0", netmask: "255.0.0.0", method: "scram-sha-256"})
	if why := replicationBlocker("replica", 10, 0, "hba", withLine, "postgres", "127.0.0.1"); why != "" {
		t.Errorf("a replication line for 127/8: %q", why)
	}
	for _, c := range []struct {
		host, user string
		ok         bool
	}{{"127.0.0.1", "postgres", true}, {"10.0.0.1", "postgres", false}, {"127.0.0.1", "bench", false}, {"/run/pg", "postgres", false}, {"db.example", "postgres", true}} {
		if got := replicationBlocker("replica", 10, 0, "hba", withLine, c.user, c.host) == ""; got != c.ok {
			t.Errorf("%s@%s: allowed %v, want %v", c.user, c.host, got, c.ok)
		}
	}
	rejected := []hbaRule{{typ: "host", databases: []string{"replication"}, users: []string{"all"}, address: "all", method: "reject"}}
	if why := replicationBlocker("replica", 10, 0, "hba", rejected, "postgres", "127.0.0.1"); why == "" {
		t.Error("a reject line let replication in")
	}
	if why := replicationBlocker("minimal", 10, 0, "hba", withLine, "postgres", "127.0.0.1"); !strings.Contains(why, "wal_level is minimal") {
		t.Errorf("wal_level minimal: %q", why)
	}
	if why := replicationBlocker("replica", 3, 2, "hba", withLine, "postgres", "127.0.0.1"); !strings.Contains(why, "1 of its max_wal_senders 3 free") {
		t.Errorf("senders: %q", why)
	}
	if got := withLine[2].line(); got != "host replication postgres 127.0.0.0 255.0.0.0 scram-sha-256" {
		t.Errorf("line %q", got)
	}
	if got := noReplication[0].line(); got != "local all all trust" {
		t.Errorf("line %q", got)
	}
}

func TestParseStandbyMetrics(t *testing.T) {
	text := `# HELP console_db_standby_lag_seconds How stale
console_db_standby_lag_seconds{standby="127.0.0.1:4000/x"} 0.25
console_db_standby_lag_seconds{standby="127.0.0.1:4001/x"} 1.5
console_db_standby_fallbacks_total{reason="down"} 0
console_db_standby_fallbacks_total{reason="own_writes"} 12
console_http_requests_total{route="/x"} 9
`
	m, err := parseStandbyMetrics(bufio.NewScanner(strings.NewReader(text)))
	if err != nil || m.lag != 1.5 || m.fallbacks["own_writes"] != 12 || m.fallbacks["down"] != 0 || len(m.fallbacks) != 2 {
		t.Errorf("%+v %v", m, err)
	}
}

// TestStandby_StartsReplaysAndIsRemoved makes a standby of a primary the
// way the bench makes one of the measured server, checks it replays the
// primary's writes with the primary's settings, and that nothing of it is
// left after remove.
func TestStandby_StartsReplaysAndIsRemoved(t *testing.T) {
	pair := storetest.StartPair(t)
	ctx := context.Background()
	admin := strings.Replace(pair.PrimaryURL, "dbname=console", "dbname=postgres", 1)
	sb, skip, err := startStandby(ctx, admin, t.Logf)
	if err != nil || skip != "" {
		t.Fatalf("startStandby: %v %q", err, skip)
	}
	removed := false
	defer func() {
		if !removed {
			sb.remove()
		}
	}()
	primary, err := sql.Open("postgres", pair.PrimaryURL)
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	if _, err := primary.Exec(`CREATE TABLE bench_probe (n int); INSERT INTO bench_probe VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	if err := sb.waitReplayed(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	standbyDB, err := sql.Open("postgres", sb.url("console"))
	if err != nil {
		t.Fatal(err)
	}
	defer standbyDB.Close()
	var n int
	var inRecovery bool
	var buffers, sender string
	if err := standbyDB.QueryRow(`SELECT (SELECT n FROM bench_probe), pg_is_in_recovery(), current_setting('shared_buffers')`).Scan(&n, &inRecovery, &buffers); err != nil {
		t.Fatal(err)
	}
	if n != 42 || !inRecovery || buffers != "32MB" {
		t.Errorf("on the standby: probe %d, in recovery %v, shared_buffers %s (the primary's: 32MB)", n, inRecovery, buffers)
	}
	// (The pair's own standby streams from the primary too.)
	if err := primary.QueryRow(`SELECT string_agg(application_name, ',' ORDER BY application_name) FROM pg_stat_replication`).Scan(&sender); err != nil ||
		!strings.Contains(","+sender+",", ","+standbyName+",") {
		t.Errorf("the primary streams to %q (%v), want %q among them", sender, err, standbyName)
	}
	if _, err := standbyDB.Exec(`INSERT INTO bench_probe VALUES (1)`); err == nil {
		t.Error("the standby took a write")
	}
	standbyDB.Close()
	dir := sb.dir
	sb.remove()
	removed = true
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the standby's directory is still there: %v", err)
	}
	// The primary's WAL sender ends when it sees the standby gone.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if err := primary.QueryRow(`SELECT count(*) FROM pg_stat_replication WHERE application_name = $1`, standbyName).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bench's standby still streams a minute after remove")
		}
	}
}
