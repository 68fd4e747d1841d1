package store

import (
	"time"

	"github.com/jmoiron/sqlx"
)

// OpenDB makes a Store on a pool opened elsewhere: the benchmark's, whose
// connections report each statement's plan and time (cmd/bench).
func OpenDB(db *sqlx.DB, opts ...Option) *Store {
	s := &Store{db: db, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}
