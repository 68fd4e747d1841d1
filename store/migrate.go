package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"activation-console/migrations"
)

// migrator builds goose's provider over the embedded migrations. The session
// locker (a PostgreSQL advisory lock) makes concurrent starts of several
// console instances apply each migration once.
func (s *Store) migrator() (*goose.Provider, error) { return s.migratorOn(s.db.DB) }

// migratorOn is migrator over the pool db.
func (s *Store) migratorOn(db *sql.DB) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	// Migrations are numbered when work starts and may land out of order
	// (00017 before 00016): a database that has a later one still gets an
	// earlier one that arrives after it.
	return goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithSessionLocker(locker), goose.WithAllowOutofOrder(true))
}

// untimed is a small pool on the store's database without its statement and
// lock timeouts: a migration of a large database may take minutes. It is
// the store's own pool when the store was made by OpenDB.
func (s *Store) untimed() (*sql.DB, func()) {
	if s.connector == nil {
		return s.db.DB, func() {}
	}
	db := sql.OpenDB(s.connector)
	db.SetMaxOpenConns(2)
	return db, func() { db.Close() }
}

// Migrate applies every pending migration and returns how many it applied.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	db, done := s.untimed()
	defer done()
	p, err := s.migratorOn(db)
	if err != nil {
		return 0, fmt.Errorf("store: migrate: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: migrate: %w", err)
	}
	return len(results), nil
}

// SchemaCurrent tells whether every migration has been applied, for /readyz.
func (s *Store) SchemaCurrent(ctx context.Context) (bool, error) {
	p, err := s.migrator()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	return !pending, err
}
