package store

import (
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// OpenDB makes a Store on a pool opened elsewhere: the benchmark's, whose
// connections report each statement's plan and time (cmd/bench). The
// pool's connections keep their own timeouts: WithTimeouts has no effect.
func OpenDB(db *sqlx.DB, opts ...Option) *Store {
	s := &Store{db: db, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.poolSize > 0 {
		db.SetMaxOpenConns(s.poolSize)
		db.SetMaxIdleConns(s.poolSize)
	}
	return s
}

// oneRoundTrip asks lib/pq to send a statement with its parameters in one
// round trip (Parse, Bind and Execute together) instead of two (the
// statement first, to learn its parameter types, then the values): pages
// run several statements a request, and the connect path runs on round
// trips. The parameters go as text, as before, and []byte ones as binary,
// which is what the console's bytea columns take. A connection string that
// names binary_parameters itself is left as it is.
func oneRoundTrip(conn string) string {
	if strings.Contains(conn, "binary_parameters") {
		return conn
	}
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		if u, err := url.Parse(conn); err == nil {
			q := u.Query()
			q.Set("binary_parameters", "yes")
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return conn + " binary_parameters=yes"
}
