// Package storetest gives each test its own clean, migrated database, cloned
// from a template database so that a test pays for a copy, not for the
// migrations. The server is TEST_DATABASE_URL when set, else the embedded
// PostgreSQL of store/embedded in a data directory shared by every test
// process (docs/running.md, "Tests").
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver

	"activation-console/migrations"
	"activation-console/store"
	"activation-console/store/embedded"
)

var (
	serverOnce sync.Once
	adminURL   string // a connection string to a maintenance database, as a role that may create databases
	cluster    *embedded.Cluster
	serverErr  error

	templateOnce sync.Once
	templateName string
	templateErr  error
)

// Main runs a package's tests and then releases the embedded server, if this
// process started using one. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// Cleanup releases the embedded server, if this process started using one.
// A package whose TestMain must do more after its tests calls it instead of Main.
func Cleanup() {
	if cluster != nil {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "storetest:", err)
		}
	}
}

func server() (string, error) {
	serverOnce.Do(func() {
		if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
			adminURL = u
			return
		}
		// A new name for the clusters with passwords: the embedded package
		// refuses the trust clusters earlier versions left under the old one.
		dir := filepath.Join(os.TempDir(), "activation-console-test-pg")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cluster, serverErr = embedded.Start(ctx, embedded.Options{DataDir: dir, Fast: true})
		if serverErr == nil {
			// The application's own role (no superuser, but CREATEDB):
			// templates are built and migrated as it, as in production.
			adminURL = WithDatabase(cluster.URL(), "postgres")
		}
	})
	return adminURL, serverErr
}

// WithDatabase returns the connection string u pointed at database name;
// u may be a postgres:// URL or key=value pairs.
func WithDatabase(u, name string) string {
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		parsed, err := url.Parse(u)
		if err == nil {
			parsed.Path = "/" + name
			return parsed.String()
		}
	}
	return u + " dbname=" + name
}

// migrationsHash names the template after the migrations it holds, so a
// changed migration gets a new template instead of a stale one.
func migrationsHash() string {
	h := sha256.New()
	fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := migrations.FS.ReadFile(path)
			h.Write([]byte(path))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// template makes sure the migrated template database exists. Test processes
// of several packages may race here: an advisory lock lets one build it.
func template(admin string) (string, error) {
	templateOnce.Do(func() {
		templateName = "console_template_" + migrationsHash()
		templateErr = buildTemplate(admin, templateName)
	})
	return templateName, templateErr
}

func buildTemplate(admin, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := sql.Open("postgres", admin)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727001)`); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(727001)`)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := name + "_building"
	conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`)
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+building); err != nil {
		return err
	}
	st, err := store.Open(ctx, WithDatabase(admin, building), store.WithPoolSize(2))
	if err != nil {
		return err
	}
	_, err = st.Migrate(ctx)
	st.Close()
	if err != nil {
		return err
	}
	// Renamed only once complete, so a crash mid-way never leaves a half template.
	_, err = conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+name)
	return err
}

// NewDatabase creates a fresh migrated database for the test, dropped when
// the test ends, and returns its connection string.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin, err := server()
	if err != nil {
		t.Fatalf("storetest: no PostgreSQL server: %v", err)
	}
	tmpl, err := template(admin)
	if err != nil {
		t.Fatalf("storetest: template database: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "test_" + hex.EncodeToString(b)
	db, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + tmpl); err != nil {
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("postgres", admin)
		if err != nil {
			return
		}
		defer db.Close()
		if _, err := db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Logf("storetest: drop %s: %v", name, err)
		}
	})
	return WithDatabase(admin, name)
}

// New returns a Store on a fresh database of its own.
func New(t testing.TB, opts ...store.Option) *store.Store {
	t.Helper()
	opts = append([]store.Option{store.WithPoolSize(20)}, opts...)
	st, err := store.Open(context.Background(), NewDatabase(t), opts...)
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
