package store

// Reads past one server (docs/scaling.md, "A standby for reads"): the pages,
// the CSV exports and the valid-code check of device connects may read from
// PostgreSQL streaming standbys; every write, and every read that decides a
// write, stays on the primary. Whether a read may go to a standby is the
// caller's decision, carried by its context (StandbyReads); which standby,
// and whether one is fit at all, is decided here, per read, from a picture
// of the standbys at most refreshEvery old.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// DefaultMaxStandbyLag is how far behind the primary a standby may be and
// still serve reads, unless WithStandbys says otherwise.
const DefaultMaxStandbyLag = 5 * time.Second

// refreshEvery is how long a picture of the standbys serves before the next
// read asks for a new one: the primary's WAL position and each standby's
// replayed position cost one tiny query each, at most this often.
const refreshEvery = 10 * time.Millisecond

// probeTimeout bounds one look at a standby; one that does not answer by
// then is down. A standby found down is asked again downRetry later, not
// at every look.
const (
	probeTimeout = time.Second
	downRetry    = 250 * time.Millisecond
)

// Why a read that could have gone to a standby went to the primary: the
// label of the fallback counter (console_db_standby_fallbacks_total).
const (
	FallbackDown       = "down"        // the standby does not answer (or failed this read)
	FallbackNotStandby = "not_standby" // it is no longer in recovery: promoted, or the primary itself
	FallbackLag        = "lag"         // it is further behind than the setting allows, or by how much is not known yet
	FallbackOwnWrites  = "own_writes"  // it has not replayed this session's latest change yet
)

// fallbackReasons are the labels, in a fixed order.
var fallbackReasons = []string{FallbackDown, FallbackNotStandby, FallbackLag, FallbackOwnWrites}

// WithStandbys names PostgreSQL streaming standbys of the primary
// (lib/pq connection strings with an explicit sslmode) for the reads
// StandbyReads allows, and how far behind the primary one may be and still
// serve them (0: DefaultMaxStandbyLag). log receives a line when a standby
// becomes unusable or usable again; nil: slog's default.
func WithStandbys(urls []string, maxLag time.Duration, log *slog.Logger) Option {
	return func(s *Store) {
		s.standbyURLs = urls
		s.maxLag = maxLag
		s.standbyLog = log
	}
}

// standbys are the store's standbys and what it knows of them.
type standbys struct {
	primary *sqlx.DB
	list    []*standby
	maxLag  time.Duration
	log     *slog.Logger
	next    atomic.Uint64 // round robin over the usable ones
	falls   [4]atomic.Uint64

	refreshMu sync.Mutex // one look at a time
	running   sync.WaitGroup

	mu         sync.Mutex
	samples    []walSample // the primary's flushed WAL position over time, oldest first
	checked    time.Time   // when the picture was last taken
	refreshing bool        // a look is on its way
}

// standby is one standby's pool and its last picture.
type standby struct {
	name   string // host:port/database, never the password
	db     *sqlx.DB
	seen   standbyState // guarded by standbys.mu
	probed time.Time    // when it was last asked (guarded by standbys.mu)

	fastMu sync.Mutex
	fast   *sqlx.Stmt // the connect path's valid-code check, prepared here (standby_connect.go)

	planOnce    *sqlx.DB           // the charts' reads here (preparedReads, prepared.go)
	planOnceSts preparedStatements // statements prepared on planOnce
}

// standbyState is what the last look at a standby found.
type standbyState struct {
	known    bool   // it was looked at
	up       bool   // it answered
	inRecov  bool   // it is a standby (pg_is_in_recovery)
	replayed uint64 // its last replayed WAL position
	lag      time.Duration
	lagKnown bool // the samples reach back far enough to bound lag
	err      error
}

// walSample is the primary's flushed WAL position at a time.
type walSample struct {
	at  time.Time
	lsn uint64
}

// openStandbys opens a pool per standby URL. A standby that is down now is
// no reason to fail: reads go to the primary until it answers.
func (s *Store) openStandbys() error {
	if len(s.standbyURLs) == 0 {
		return nil
	}
	set := &standbys{primary: s.db, maxLag: s.maxLag, log: s.standbyLog}
	if set.maxLag <= 0 {
		set.maxLag = DefaultMaxStandbyLag
	}
	if set.log == nil {
		set.log = slog.Default()
	}
	for _, u := range s.standbyURLs {
		connector, err := pq.NewConnector(oneRoundTrip(u))
		if err != nil {
			set.close()
			return fmt.Errorf("store: standby %s: %w", standbyName(u), err)
		}
		db := sqlx.NewDb(sql.OpenDB(timeoutConnector{Connector: connector, t: s.timeouts}), "postgres")
		db.SetMaxOpenConns(s.poolSize)
		db.SetMaxIdleConns(s.poolSize)
		db.SetConnMaxIdleTime(5 * time.Minute)
		set.list = append(set.list, &standby{name: standbyName(u), db: db,
			planOnce: openPlanOnce(connector, s.timeouts, s.poolSize)})
	}
	s.standbys = set
	return nil
}

// standbyName is a standby's host, port and database, for logs and metrics.
func standbyName(conn string) string {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		if u, err := url.Parse(conn); err == nil {
			return u.Host + u.Path
		}
		return "standby"
	}
	kv := map[string]string{}
	for _, f := range strings.Fields(conn) {
		if k, v, ok := strings.Cut(f, "="); ok {
			kv[k] = strings.Trim(v, "'")
		}
	}
	return kv["host"] + ":" + kv["port"] + "/" + kv["dbname"]
}

func (set *standbys) close() {
	if set == nil {
		return
	}
	set.running.Wait()
	for _, sb := range set.list {
		sb.db.Close()
		sb.planOnce.Close()
	}
}

// standbyReadsKey marks a context whose reads may go to a standby.
type standbyReadsKey struct{}

// StandbyReads lets the store's page, export and valid-code reads made with
// ctx go to a standby that has replayed at least WAL position after (the
// session's last change, 0 for none; see Session.WroteLSN). Writes, and
// reads made with any other context, go to the primary.
func StandbyReads(ctx context.Context, after uint64) context.Context {
	return context.WithValue(ctx, standbyReadsKey{}, after)
}

// reader runs reads on one chosen standby, retrying a read that fails there
// on the primary; with no standby it is the primary.
type reader struct {
	s  *Store
	sb *standby // nil: the primary
}

// reads chooses where the reads made with ctx go (see StandbyReads).
func (s *Store) reads(ctx context.Context) *reader {
	after, ok := ctx.Value(standbyReadsKey{}).(uint64)
	if !ok || s.standbys == nil {
		return &reader{s: s}
	}
	return &reader{s: s, sb: s.standbys.choose(after)}
}

// choose picks a usable standby that has replayed after, round robin, or
// nil (counting the fallback) when none is.
func (set *standbys) choose(after uint64) *standby {
	set.maybeRefresh()
	set.mu.Lock()
	defer set.mu.Unlock()
	start := set.next.Add(1)
	reason := ""
	for i := range set.list {
		sb := set.list[(int(start)+i)%len(set.list)]
		why := set.unusable(sb.seen)
		if why == "" && sb.seen.replayed < after {
			why = FallbackOwnWrites
		}
		if why == "" {
			return sb
		}
		if reason == "" || why == FallbackOwnWrites {
			reason = why
		}
	}
	set.fell(reason)
	return nil
}

// unusable says why a standby in this state may not serve reads, or "".
func (set *standbys) unusable(st standbyState) string {
	switch {
	case !st.known || !st.up:
		return FallbackDown
	case !st.inRecov:
		return FallbackNotStandby
	case !st.lagKnown || st.lag > set.maxLag:
		return FallbackLag
	}
	return ""
}

func (set *standbys) fell(reason string) {
	for i, r := range fallbackReasons {
		if r == reason {
			set.falls[i].Add(1)
		}
	}
}

// maybeRefresh starts a new look at the primary and the standbys when the
// picture is older than refreshEvery, in the background: reads meanwhile
// use the picture they have, which can only understate how far a standby
// has got (its replayed position only grows), so it never sends a read to
// a standby lacking the session's change. A read that finds a standby down
// marks it so itself (failed).
func (set *standbys) maybeRefresh() {
	set.mu.Lock()
	defer set.mu.Unlock()
	if set.checked.IsZero() {
		// The first look is waited for: until then nothing is known.
		set.mu.Unlock()
		set.refreshMu.Lock()
		set.mu.Lock()
		if set.checked.IsZero() {
			set.mu.Unlock()
			set.refresh(context.Background())
			set.mu.Lock()
		}
		set.refreshMu.Unlock()
		return
	}
	if set.refreshing || time.Since(set.checked) < refreshEvery {
		return
	}
	set.refreshing = true
	set.running.Add(1)
	go func() {
		defer set.running.Done()
		set.refreshMu.Lock()
		defer set.refreshMu.Unlock()
		set.refresh(context.Background())
	}()
}

// refresh takes a new picture: the primary's flushed WAL position first,
// then each standby's state (in parallel), then each standby's lag.
func (set *standbys) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var primaryLSN uint64
	primaryErr := set.primary.GetContext(ctx, &primaryLSN, `SELECT (pg_current_wal_flush_lsn() - '0/0')::bigint`)
	took := time.Now()
	states := make([]standbyState, len(set.list))
	var wg sync.WaitGroup
	set.mu.Lock()
	for i, sb := range set.list {
		if sb.seen.known && !sb.seen.up && time.Since(sb.probed) < downRetry {
			states[i] = sb.seen // down a moment ago: not asked again yet
			continue
		}
		sb.probed = time.Now()
		wg.Go(func() { states[i] = probe(ctx, sb.db) })
	}
	set.mu.Unlock()
	wg.Wait()

	set.mu.Lock()
	defer set.mu.Unlock()
	set.refreshing = false
	set.checked = time.Now()
	if primaryErr == nil {
		set.sample(walSample{at: took, lsn: primaryLSN})
	}
	for i, sb := range set.list {
		st := states[i]
		if st.up && st.inRecov {
			st.lag, st.lagKnown = set.lagOf(st.replayed, set.checked)
		}
		set.report(sb, st)
		sb.seen = st
	}
}

// probe looks at one standby.
func probe(ctx context.Context, db *sqlx.DB) standbyState {
	var row struct {
		InRecov  bool   `db:"in_recovery"`
		Replayed uint64 `db:"replayed"`
	}
	err := db.GetContext(ctx, &row, `SELECT pg_is_in_recovery() AS in_recovery,
		coalesce(pg_last_wal_replay_lsn() - '0/0', 0)::bigint AS replayed`)
	if err != nil {
		return standbyState{known: true, err: err}
	}
	return standbyState{known: true, up: true, inRecov: row.InRecov, replayed: row.Replayed}
}

// sample records the primary's position. Positions only grow: a sample
// equal to the last one just moves the last one's time forward, so the
// samples mark when the primary had each position last without any later
// one. Samples older than the window that bounds the lag go, except the
// newest of them.
func (set *standbys) sample(w walSample) {
	if n := len(set.samples); n > 0 && set.samples[n-1].lsn >= w.lsn {
		set.samples[n-1].at = w.at
		return
	}
	set.samples = append(set.samples, w)
	keep := w.at.Add(-2*set.maxLag - time.Second)
	drop := 0
	for drop < len(set.samples)-1 && set.samples[drop+1].at.Before(keep) {
		drop++
	}
	set.samples = set.samples[drop:]
}

// lagOf is how stale a standby that has replayed position replayed is: the
// age of the newest sample the standby has replayed, i.e. it holds
// everything the primary held then (0 when it has replayed the latest).
// Measured with the console's own clock on both sides, it does not depend
// on the servers' clocks agreeing, nor on the primary writing (an idle
// primary's standby is not "behind"). When the standby is behind every
// sample kept, the lag is at least the oldest sample's age, and it is only
// known once that reaches past the setting.
func (set *standbys) lagOf(replayed uint64, now time.Time) (time.Duration, bool) {
	n := len(set.samples)
	if n == 0 {
		return 0, false
	}
	if replayed >= set.samples[n-1].lsn {
		return 0, true
	}
	for i := n - 2; i >= 0; i-- {
		if replayed >= set.samples[i].lsn {
			return now.Sub(set.samples[i].at), true
		}
	}
	oldest := now.Sub(set.samples[0].at)
	return oldest, oldest > set.maxLag
}

// report logs a standby becoming unusable, or usable again.
func (set *standbys) report(sb *standby, st standbyState) {
	was, now := set.unusable(sb.seen), set.unusable(st)
	if !sb.seen.known || was == now {
		if !sb.seen.known && now == FallbackNotStandby {
			set.log.Error("store: the standby is not in recovery (a promoted standby, or the primary itself): reads stay on the primary and nothing is ever written to it", "standby", sb.name)
		}
		return
	}
	switch now {
	case "":
		set.log.Info("store: standby usable again: reads go to it", "standby", sb.name)
	case FallbackDown:
		set.log.Warn("store: standby down: reads go to the primary", "standby", sb.name, "err", st.err)
	case FallbackNotStandby:
		set.log.Error("store: the standby left recovery (promoted?): reads go to the primary, and nothing is ever written to it", "standby", sb.name)
	case FallbackLag:
		set.log.Warn("store: standby lags: reads go to the primary", "standby", sb.name, "lag", st.lag, "max", set.maxLag)
	}
}

// failed notes a read that failed on a standby: when the standby did not
// answer, it is down until the next look says otherwise.
func (set *standbys) failed(sb *standby, err error) {
	reason := FallbackDown
	set.mu.Lock()
	if IsUnavailable(err) {
		st := sb.seen
		st.up, st.err = false, err
		set.report(sb, st)
		sb.seen = st
	}
	set.mu.Unlock()
	set.fell(reason)
}

// StandbyStatus is what the store knows of one standby (for /metrics).
type StandbyStatus struct {
	Name     string
	Usable   bool
	Why      string        // why it is not usable: a Fallback reason
	Lag      time.Duration // how stale its data is (a lower bound when LagKnown is false)
	LagKnown bool
	Replayed uint64 // its last replayed WAL position
}

// Standbys takes a fresh look at the standbys and reports them, with the
// count of reads that went to the primary instead of a standby, by reason.
// A store without standbys reports none.
func (s *Store) Standbys(ctx context.Context) ([]StandbyStatus, map[string]uint64) {
	set := s.standbys
	if set == nil {
		return nil, nil
	}
	set.refreshMu.Lock()
	set.refresh(ctx)
	set.refreshMu.Unlock()

	set.mu.Lock()
	defer set.mu.Unlock()
	var out []StandbyStatus
	for _, sb := range set.list {
		why := set.unusable(sb.seen)
		out = append(out, StandbyStatus{Name: sb.name, Usable: why == "", Why: why, Lag: sb.seen.lag,
			LagKnown: sb.seen.lagKnown, Replayed: sb.seen.replayed})
	}
	falls := map[string]uint64{}
	for i, r := range fallbackReasons {
		falls[r] = set.falls[i].Load()
	}
	return out, falls
}

// HasStandbys tells whether the store was given standbys to read from.
func (s *Store) HasStandbys() bool { return s.standbys != nil }

// NoteWrite records in the session the primary's WAL position after the
// session's latest change, so that its later reads wait for a standby that
// has replayed it (StandbyReads). The position is taken after the change
// committed, so it is at or past the change's commit record. A store
// without standbys records nothing.
func (s *Store) NoteWrite(ctx context.Context, sessionID string) error {
	if s.standbys == nil || sessionID == "" {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET wrote_lsn = pg_current_wal_insert_lsn() WHERE id_hash = $1`, hashID(sessionID))
	return err
}
