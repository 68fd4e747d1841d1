package embedded

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/lib/pq"
	"golang.org/x/sys/unix"
)

// Authentication (docs/SECURITY.md, "The embedded database"): initdb sets
// scram-sha-256 for the socket and TCP alike, with a generated password for
// the superuser; the application logs in as appRole, which owns its
// database and schema but is no superuser. Both passwords live in
// DataDir/postgres.passwords, mode 0600, owned by the console's user: the
// server user never sees that file, only the superuser password once, in a
// temporary file handed to initdb.

const passwordsName = "postgres.passwords"

// credentials are the passwords of the two roles.
type credentials struct {
	admin, app string
}

func newPassword() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// errNoPasswords means the cluster exists but the passwords file does not.
var errNoPasswords = errors.New("embedded: no passwords file")

// loadCredentials reads the passwords file, refusing one another user could
// have written or read.
func loadCredentials(path string) (credentials, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if errors.Is(err, os.ErrNotExist) {
		return credentials{}, errNoPasswords
	}
	if err != nil {
		return credentials{}, fmt.Errorf("embedded: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return credentials{}, fmt.Errorf("embedded: %w", err)
	}
	if st := fi.Sys().(*syscall.Stat_t); !fi.Mode().IsRegular() || st.Uid != uint32(os.Geteuid()) || fi.Mode().Perm()&0o077 != 0 {
		return credentials{}, fmt.Errorf("embedded: %s must be a file of ours with mode 0600 (it is %v, uid %d); refusing it", path, fi.Mode(), st.Uid)
	}
	var c credentials
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		switch k {
		case superuser:
			c.admin = v
		case appRole:
			c.app = v
		}
	}
	if c.admin == "" || c.app == "" || !safePassword(c.admin) || !safePassword(c.app) {
		return credentials{}, fmt.Errorf("embedded: %s is incomplete or damaged", path)
	}
	return c, nil
}

// safePassword keeps passwords to characters that need no quoting in a
// connection string or an SQL literal (ours are hex).
func safePassword(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// createCredentials writes fresh passwords, all or nothing (a temporary
// file renamed into place). Only called when there is no cluster yet.
func createCredentials(path string) (credentials, error) {
	c := credentials{admin: newPassword(), app: newPassword()}
	tmp := path + ".tmp"
	os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return credentials{}, fmt.Errorf("embedded: %w", err)
	}
	_, err = fmt.Fprintf(f, "%s=%s\n%s=%s\n", superuser, c.admin, appRole, c.app)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return credentials{}, fmt.Errorf("embedded: writing %s: %w", path, err)
	}
	return c, nil
}

// credentialsFor returns the passwords of an existing cluster, or creates
// them for a new one (fresh is true when there is no cluster yet).
func (c *Cluster) credentialsFor(fresh bool) (credentials, error) {
	path := filepath.Join(c.dataDir, passwordsName)
	creds, err := loadCredentials(path)
	if err == nil || !errors.Is(err, errNoPasswords) {
		return creds, err
	}
	if fresh {
		return createCredentials(path)
	}
	return credentials{}, c.refuseOldCluster(path)
}

// refuseOldCluster explains what to do with a cluster made by an earlier
// console, which authenticated everyone with "trust" and ran as nobody:
// converting it in place would mean changing the owner of every object from
// the bootstrap superuser, so the operator moves it aside and reloads its
// data instead (see the README).
func (c *Cluster) refuseOldCluster(path string) error {
	why := "its passwords file " + path + " is missing"
	if hba, err := readNoFollow(filepath.Join(c.clusterDir, "pg_hba.conf")); err == nil && hbaTrusts(hba) {
		why = "it was created by an earlier console with \"trust\" authentication, which lets any local process that reaches its socket in as superuser"
	}
	return fmt.Errorf("embedded: refusing to run the database cluster in %s: %s. Move it aside (mv %s %s.old), start the console again to create a new one, and reload your data into it as the README explains (\"Upgrading an embedded database created with trust\")",
		c.clusterDir, why, c.clusterDir, c.clusterDir)
}

// hbaTrusts reports whether a pg_hba.conf has a rule with method trust.
func hbaTrusts(hba []byte) bool {
	for _, line := range bytes.Split(hba, []byte("\n")) {
		line, _, _ = bytes.Cut(line, []byte("#"))
		f := strings.Fields(string(line))
		for _, w := range f {
			if w == "trust" {
				return true
			}
		}
	}
	return false
}

// writeInitdbPassword puts the superuser password in a file only the
// server user can read, for initdb --pwfile; the caller removes it. It lives
// in the data directory, which the server user can traverse (checkReachable)
// but not list, rather than in a temporary directory it may not reach.
func (c *Cluster) writeInitdbPassword(pw string) (string, error) {
	path := filepath.Join(c.dataDir, "postgres.initdb-password")
	os.Remove(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return "", fmt.Errorf("embedded: %w", err)
	}
	_, err = f.WriteString(pw + "\n")
	if err == nil && c.runAs != nil {
		err = f.Chown(int(c.runAs.uid), int(c.runAs.gid))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("embedded: %w", err)
	}
	return path, nil
}

// ensureDatabase makes sure the application role exists with its password,
// without superuser, and owns the console database and its public schema
// (created on first use, or if a crash came between initdb and this).
func (c *Cluster) ensureDatabase(ctx context.Context) error {
	db, err := openDB(c.AdminURL())
	if err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	defer db.Close()
	var roleExists, dbExists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1),
		EXISTS (SELECT 1 FROM pg_database WHERE datname = $2)`, appRole, dbName).Scan(&roleExists, &dbExists); err != nil {
		return fmt.Errorf("embedded: checking for role and database %s: %w", dbName, err)
	}
	verb := "ALTER"
	if !roleExists {
		verb = "CREATE"
	}
	// CREATEDB: the tests clone databases from a template as this role.
	stmt := fmt.Sprintf(`%s ROLE %s WITH LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS CREATEDB PASSWORD %s`,
		verb, pq.QuoteIdentifier(appRole), pq.QuoteLiteral(c.creds.app))
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET password_encryption = 'scram-sha-256'`); err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	if _, err := conn.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("embedded: %s role %s: %w", strings.ToLower(verb), appRole, err)
	}
	if !dbExists {
		c.logf("creating database %s", dbName)
		if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(dbName)+" OWNER "+pq.QuoteIdentifier(appRole)); err != nil {
			return fmt.Errorf("embedded: creating database %s: %w", dbName, err)
		}
	}
	// Before PostgreSQL 15 the public schema belongs to the bootstrap
	// superuser. Done at every start (a no-op once done) so that a crash
	// right after CREATE DATABASE cannot leave it undone.
	inDB, err := openDB(c.connString(superuser, c.creds.admin, dbName))
	if err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	defer inDB.Close()
	if _, err := inDB.ExecContext(ctx, "ALTER SCHEMA public OWNER TO "+pq.QuoteIdentifier(appRole)); err != nil {
		return fmt.Errorf("embedded: handing schema public to %s: %w", appRole, err)
	}
	return nil
}
