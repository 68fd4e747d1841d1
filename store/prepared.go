package store

import (
	"context"
	"database/sql"
	"sync"

	"github.com/jmoiron/sqlx"
)

// preparedStatements are statements prepared on the pool, by their text.
// database/sql prepares one on each connection the first time it runs
// there; PostgreSQL then keeps its plan, so a statement that every request
// runs is planned once per connection, not once per run (a parse and a
// plan took 0.5-2 ms of each of the session read, the kept forecast and
// the charts' reads).
type preparedStatements struct {
	mu    sync.Mutex // held while one is prepared
	ready sync.Map   // text -> *sqlx.Stmt
}

// prepared returns the statement query prepared on the pool, preparing it
// on first use (and again after a failure, such as the database being
// unreachable).
func (s *Store) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if st, ok := s.stmts.ready.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if st, ok := s.stmts.ready.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	st, err := s.db.PreparexContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	s.stmts.ready.Store(query, st)
	return st, nil
}

// preparedQueries is a sqlx.QueryerContext that runs each query prepared
// (Store.prepared), for the reads of a chart, which run several statements
// a request. Only for statements whose text is fixed: each text is kept
// for good.
type preparedQueries struct{ s *Store }

func (p preparedQueries) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p preparedQueries) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	st, err := p.s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryxContext(ctx, args...)
}

func (p preparedQueries) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	st, err := p.s.prepared(ctx, query)
	if err != nil {
		return p.s.db.QueryRowxContext(ctx, query, args...) // unprepared, then
	}
	return st.QueryRowxContext(ctx, args...)
}
