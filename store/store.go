// Package store is the console's only door to PostgreSQL. The ledger rules
// (docs/codes.md, docs/renewal.md) live in ledger.go; the other files hold
// the queries of one aggregate each.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Store runs every query of the console.
type Store struct {
	db          *sqlx.DB
	now         func() time.Time
	activations activationQueue    // new devices waiting to be activated together (ledger_connect_new.go)
	stmts       preparedStatements // statements prepared on the pool (prepared.go)
	planOnce    *sqlx.DB           // the pool of preparedQueries; nil: db (prepared.go)
	planOnceSts preparedStatements // statements prepared on planOnce
	poolSize    int
	timeouts    timeouts      // every connection's statement and lock timeouts (timeouts.go)
	connector   *pq.Connector // the database, without the timeouts: for migrations
	hashing     *hashGate     // bounds concurrent password hashing (password_hashing.go)
	exportPage  int           // rows per query of a CSV export (export.go)

	// Standbys for reads (standbys.go): as given to WithStandbys, then opened.
	standbyURLs []string
	maxLag      time.Duration
	standbyLog  *slog.Logger
	standbys    *standbys // nil: every read goes to the primary
	// webhookGuard is where webhook endpoints may be (webhook_guard.go).
	webhookGuard WebhookGuard
}

// Option changes how a Store is built.
type Option func(*Store)

// WithClock replaces the wall clock, so tests can move time forward.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// WithPoolSize caps the connections the store opens (default 32).
func WithPoolSize(n int) Option {
	return func(s *Store) { s.poolSize = n }
}

// Open connects to the database at url (a lib/pq connection string with an
// explicit sslmode) and checks that it answers. Every connection runs with
// the statement and lock timeouts of WithTimeouts.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	s := &Store{now: time.Now, poolSize: 32, timeouts: defaultTimeouts}
	for _, o := range opts {
		o(s)
	}
	connector, err := pq.NewConnector(oneRoundTrip(url))
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	s.connector = connector
	db := sqlx.NewDb(sql.OpenDB(timeoutConnector{Connector: connector, t: s.timeouts}), "postgres")
	db.SetMaxOpenConns(s.poolSize)
	db.SetMaxIdleConns(s.poolSize)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.db = db
	s.planOnce = openPlanOnce(connector, s.timeouts, s.poolSize)
	if err := db.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := s.openStandbys(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connection pools.
func (s *Store) Close() error {
	s.standbys.close()
	if s.planOnce != nil {
		s.planOnce.Close()
	}
	return s.db.Close()
}

// DB exposes the pool for health checks, benchmarks and tests.
func (s *Store) DB() *sqlx.DB { return s.db }

// Now is the store's clock, truncated to what PostgreSQL keeps.
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Ping tells whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// inTx runs fn in one transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// notFound turns sql.ErrNoRows into the typed error e (or into no error when
// e is nil), leaving other errors alone.
func notFound(err error, e *Error) error {
	if errors.Is(err, sql.ErrNoRows) {
		if e == nil {
			return nil
		}
		return e
	}
	return err
}
