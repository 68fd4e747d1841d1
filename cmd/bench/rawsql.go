package main

// The raw time of a page's SQL: the bench serves the same page in-process,
// through the real router and handlers, on connections where PostgreSQL's
// auto_explain reports each statement with EXPLAIN ANALYZE (TIMING OFF) as a
// notice. The sum of the executor times of one request's statements is its
// raw SQL time: what PostgreSQL spent executing exactly the SQL the page ran,
// without planning, round trips, Go or HTML. It needs a superuser connection
// (LOAD 'auto_explain').

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"activation-console/handlers"
	"activation-console/store"
)

const explainSetup = `LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on;
	SET auto_explain.log_timing = off; SET auto_explain.log_buffers = on; SET auto_explain.log_level = notice`

// setupConnector runs a setup statement on every new connection.
type setupConnector struct {
	driver.Connector
	setup string
}

func (c setupConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if ex, ok := conn.(driver.ExecerContext); ok {
		if _, err := ex.ExecContext(ctx, c.setup, nil); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// explainedUser is one user of the in-process console; its statements'
// notices add up to the request it is serving.
type explainedUser struct {
	srv     http.Handler
	st      *store.Store
	cookies []*http.Cookie
	mu      sync.Mutex
	sum     time.Duration
	n       int
	slowest time.Duration
	plan    string
}

func newExplainedUser(dbURL string, keys [][]byte, cookies []*http.Cookie) (*explainedUser, error) {
	base, err := pq.NewConnector(dbURL)
	if err != nil {
		return nil, err
	}
	u := &explainedUser{cookies: cookies}
	notices := pq.ConnectorWithNoticeHandler(base, u.notice)
	db := sqlx.NewDb(sql.OpenDB(setupConnector{Connector: notices, setup: explainSetup}), "postgres")
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(2)
	u.st = store.OpenDB(db)
	u.srv = handlers.NewServer(handlers.New(handlers.Config{Store: u.st, SessionKeys: keys,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	return u, nil
}

// notice reads "duration: 1.234 ms  plan: ..." from auto_explain.
func (u *explainedUser) notice(e *pq.Error) {
	rest, ok := strings.CutPrefix(e.Message, "duration: ")
	if !ok {
		return
	}
	v, _, _ := strings.Cut(rest, " ")
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return
	}
	d := time.Duration(f * float64(time.Millisecond))
	u.mu.Lock()
	defer u.mu.Unlock()
	u.sum += d
	u.n++
	if d > u.slowest {
		u.slowest, u.plan = d, e.Message
	}
}

// serve runs one request in-process and returns its raw SQL time and statements.
func (u *explainedUser) serve(path string, htmx bool) (time.Duration, int, int) {
	u.mu.Lock()
	u.sum, u.n = 0, 0
	u.mu.Unlock()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range u.cookies {
		req.AddCookie(c)
	}
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Target", "results")
	}
	rec := httptest.NewRecorder()
	u.srv.ServeHTTP(rec, req)
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.sum, u.n, rec.Code
}

func (u *explainedUser) close() { u.st.Close() }
