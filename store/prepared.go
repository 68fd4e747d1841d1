package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// preparedStatements are statements prepared on the pool, by their text.
// database/sql prepares one on each connection the first time it runs
// there; PostgreSQL then keeps its plan, so a statement that every request
// runs is parsed once per connection, not once per run, and planned once
// unless plans for its parameters' values look cheaper (planOnceSetting)
// (a parse and a plan took 0.5-2 ms of each of the session read, the kept
// forecast and the charts' reads).
type preparedStatements struct {
	mu    sync.Mutex // held while one is prepared
	ready sync.Map   // text -> *sqlx.Stmt
}

// prepared returns the statement query prepared on the pool, preparing it
// on first use (and again after a failure, such as the database being
// unreachable).
func (s *Store) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	return s.stmts.get(ctx, s.db, query)
}

// get returns query prepared on db, preparing it on first use.
func (ps *preparedStatements) get(ctx context.Context, db *sqlx.DB, query string) (*sqlx.Stmt, error) {
	if st, ok := ps.ready.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if st, ok := ps.ready.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	st, err := db.PreparexContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	ps.ready.Store(query, st)
	return st, nil
}

// planOnceSetting makes a connection plan each prepared statement once.
// PostgreSQL plans a prepared statement anew on every run while the plans
// made for the values of its parameters are estimated cheaper than its
// generic plan: three of the charts' statements always were (the
// near-expiry screen, the account's hour counts, the forecast's products),
// 0.55 ms of the near-expiry chart's 4.2. Not for every statement: the
// near-expiry list's DK search took 2.6 s instead of 87 ms with a generic
// plan, so only preparedQueries' statements, on a pool of their own.
const planOnceSetting = `SET plan_cache_mode = force_generic_plan`

// openPlanOnce opens the pool of preparedQueries: a quarter of the store's
// connections (at least two), each with planOnceSetting.
func openPlanOnce(connector driver.Connector, t timeouts, poolSize int) *sqlx.DB {
	n := max(2, poolSize/4)
	db := sqlx.NewDb(sql.OpenDB(timeoutConnector{Connector: connector, t: t, extra: planOnceSetting}), "postgres")
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db
}

// preparedOnce returns query prepared on the pool of preparedQueries.
func (s *Store) preparedOnce(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if s.planOnce == nil { // a Store on a pool opened elsewhere (OpenDB)
		return s.prepared(ctx, query)
	}
	return s.planOnceSts.get(ctx, s.planOnce, query)
}

// preparedQueries is a sqlx.QueryerContext that runs each query prepared,
// and planned once, on a pool of its own (preparedOnce), for the reads of a
// chart, which run several statements a request: on the primary, or on a
// standby (preparedReads), where a read that fails runs again on the
// primary as the reader's do (standby_reader.go). Only for statements whose
// text is fixed: each text is kept for good.
type preparedQueries struct {
	s  *Store
	sb *standby // nil: the primary
}

// preparedReads is preparedQueries on the server that the reads made with
// ctx go to (Store.reads): for a chart's reads, which decide no write.
func (s *Store) preparedReads(ctx context.Context) preparedQueries {
	return preparedQueries{s: s, sb: s.reads(ctx).sb}
}

// onStandby prepares query on the chosen standby's own plan-once pool and
// runs it with run; it tells whether that settled the read (done), or
// whether the read is to run on the primary: no standby, or it failed
// there (reader.retry).
func onStandby[T any](ctx context.Context, p preparedQueries, query string, run func(*sqlx.Stmt) (T, error)) (out T, done bool, err error) {
	if p.sb == nil {
		return out, false, nil
	}
	st, err := p.sb.planOnceSts.get(ctx, p.sb.planOnce, query)
	if err == nil {
		out, err = run(st)
	}
	if (&reader{s: p.s, sb: p.sb}).retry(ctx, err) {
		return out, false, nil
	}
	return out, true, err
}

func (p preparedQueries) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if rows, done, err := onStandby(ctx, p, query, func(st *sqlx.Stmt) (*sql.Rows, error) {
		return st.QueryContext(ctx, args...)
	}); done {
		return rows, err
	}
	st, err := p.s.preparedOnce(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p preparedQueries) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	if rows, done, err := onStandby(ctx, p, query, func(st *sqlx.Stmt) (*sqlx.Rows, error) {
		return st.QueryxContext(ctx, args...)
	}); done {
		return rows, err
	}
	st, err := p.s.preparedOnce(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryxContext(ctx, args...)
}

func (p preparedQueries) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	if row, done, _ := onStandby(ctx, p, query, func(st *sqlx.Stmt) (*sqlx.Row, error) {
		row := st.QueryRowxContext(ctx, args...)
		return row, row.Err()
	}); done {
		return row
	}
	st, err := p.s.preparedOnce(ctx, query)
	if err != nil {
		return p.s.db.QueryRowxContext(ctx, query, args...) // unprepared, on the main pool, then
	}
	return st.QueryRowxContext(ctx, args...)
}
