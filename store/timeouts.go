package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"
)

// timeouts bound how long one statement may run and how long it may wait
// for a row lock, so a slow or stuck database answers with an error
// (IsUnavailable) instead of holding a request.
type timeouts struct {
	statement, lock time.Duration
}

// defaultTimeouts are the store's timeouts unless WithTimeouts says otherwise.
var defaultTimeouts = timeouts{statement: 10 * time.Second, lock: 3 * time.Second}

// WithTimeouts sets PostgreSQL's statement_timeout and lock_timeout on every
// connection of the store (default 10s and 3s); zero turns one off.
// Migrations run without them.
func WithTimeouts(statement, lock time.Duration) Option {
	return func(s *Store) { s.timeouts = timeouts{statement: statement, lock: lock} }
}

// timeoutConnector opens connections with the timeouts set. Setting them
// after connecting works whatever form the connection string has (a URL or
// key=value pairs, with or without options of its own).
type timeoutConnector struct {
	driver.Connector
	t     timeouts
	extra string // further settings of the connection's session, if any ("SET ...")
}

// Connect opens a connection and sets its timeouts.
func (c timeoutConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	exec, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("store: connect: the driver cannot set timeouts")
	}
	q := fmt.Sprintf(`SET statement_timeout = %d; SET lock_timeout = %d`, c.t.statement.Milliseconds(), c.t.lock.Milliseconds())
	if c.extra != "" {
		q += "; " + c.extra
	}
	if _, err := exec.ExecContext(ctx, q, nil); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}
