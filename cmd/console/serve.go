package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"activation-console/handlers"
	"activation-console/store"
	"activation-console/store/demo"
)

// shutdownTimeout bounds how long in-flight requests may take to finish.
const shutdownTimeout = 15 * time.Second

// drainGrace is how long the console keeps accepting requests after the
// signal, each answered with "Connection: close", before it closes its
// listener and its idle connections: requests that a client or load balancer
// sent just as the signal came are served rather than refused or reset.
const drainGrace = time.Second

// The HTTP server's timeouts: a slow or stalled client cannot hold a
// connection for ever. The write timeout runs from the end of the request's
// header to the end of the answer, so it exceeds the handlers' request
// timeout (15 s, then a 503) with room to write the answer.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
)

// runServe runs the console until ctx is cancelled (SIGINT, SIGTERM), then
// drains in-flight requests, stops the renewal worker and the embedded cluster.
func runServe(ctx context.Context, s streams, args []string) error {
	cfg, err := parseServeSettings(args, s.errs)
	if err != nil {
		return err
	}
	keys, err := loadSessionKeys(cfg)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(s.errs, nil))
	opts := []store.Option{store.WithWebhookGuard(store.WebhookGuard{AllowPrivate: cfg.webhooksPrivate})}
	if len(cfg.replicas) > 0 {
		opts = append(opts, store.WithStandbys(cfg.replicas, cfg.maxLag, log))
	}
	db, err := openDatabase(ctx, cfg.dataDir, s.errs, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkDataCenters(ctx, db.store, cfg.dcs); err != nil {
		return err
	}
	signIns, err := demoOnFirstRun(ctx, db, log)
	if err != nil {
		return err
	}

	tcp, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	ln := &onceCloseListener{Listener: tcp}
	sender, mailServer := newMailSender(cfg, db.store, log)
	h := handlers.New(handlers.Config{Store: db.store, Logger: log, SessionKeys: keys, PublicURL: cfg.publicURL, MailServer: mailServer,
		IdleTimeout: cfg.sessionIdle, SessionLifetime: cfg.sessionLife, SecureCookies: strings.HasPrefix(cfg.publicURL, "https://"),
		TrustedProxies: cfg.proxies, DataCenters: cfg.dcs})
	var draining atomic.Bool
	unused := newUnusedConns()
	srv := &http.Server{
		ConnState:         unused.track,
		Handler:           closeWhileDraining(&draining, handlers.NewServer(h)),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	workerCtx, stopWorker := context.WithCancel(context.Background())
	var worker sync.WaitGroup
	worker.Go(func() { renewalWorker(workerCtx, db.store, cfg.dcs, cfg.renewInterval, log, h.ObserveRenewalPass) })
	worker.Go(func() { sender.Run(workerCtx) })                                  // resource alert mails: digest and deliver (docs/alerts.md, "How they travel")
	worker.Go(func() { newWebhookDeliverer(cfg, db.store, log).Run(workerCtx) }) // webhook events (docs/webhooks.md, "Delivery")
	worker.Go(func() { janitor(workerCtx, db.store, cfg.sessionIdle, cfg.sessionLife, janitorInterval, log) })

	printWelcome(s, ln.Addr(), signIns)

	select {
	case <-ctx.Done():
		log.Info("stopping: draining requests")
		draining.Store(true)
		select {
		case <-time.After(drainGrace):
		case err = <-served:
		}
	case err = <-served: // the listener failed
	}
	stopWorker()
	// Shutdown waits 5 s for a connection on which no request ever came (a
	// client's or a load balancer's spare); such a connection is idle too.
	ln.Close()
	unused.closeAll()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if shutdownErr := srv.Shutdown(shutdownCtx); shutdownErr != nil {
		err = errors.Join(err, fmt.Errorf("draining requests: %w", shutdownErr))
	}
	worker.Wait()
	log.Info("renewal worker, mail sender and webhook deliverer stopped at a safe point")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("stopped")
	return err
}

// closeWhileDraining asks every client to close its connection once the
// drain has begun, so that none is left idle to be cut while it sends.
func closeWhileDraining(draining *atomic.Bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// onceCloseListener may be closed by the drain and again by Shutdown.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

// unusedConns are the connections on which no request has come yet.
type unusedConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func newUnusedConns() *unusedConns { return &unusedConns{conns: map[net.Conn]struct{}{}} }

// track is the server's ConnState hook.
func (u *unusedConns) track(c net.Conn, state http.ConnState) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if state == http.StateNew {
		u.conns[c] = struct{}{}
	} else {
		delete(u.conns, c)
	}
}

// closeAll closes them; call it once the listener is closed.
func (u *unusedConns) closeAll() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for c := range u.conns {
		c.Close()
	}
}

// loadSessionKeys takes CONSOLE_SESSION_KEYS when set (every instance behind
// one load balancer needs the same keys), else the keys of the data directory.
func loadSessionKeys(cfg serveSettings) ([][]byte, error) {
	if cfg.sessionKeys != "" {
		keys, err := parseSessionKeys(cfg.sessionKeys)
		if err != nil {
			return nil, fmt.Errorf("CONSOLE_SESSION_KEYS: %w", err)
		}
		return keys, nil
	}
	return sessionKeys(cfg.dataDir)
}

// checkDataCenters refuses a --dc naming a data center that does not exist.
func checkDataCenters(ctx context.Context, st *store.Store, want []string) error {
	all, err := st.DataCenters(ctx)
	if err != nil {
		return err
	}
	var known []string
	for _, dc := range all {
		known = append(known, dc.Code)
	}
	for _, dc := range want {
		if !slices.Contains(known, dc) {
			return fmt.Errorf("--dc: there is no data center %q; there are %s", dc, strings.Join(known, ", "))
		}
	}
	return nil
}

// demoOnFirstRun loads the demo data set when the console runs its own
// PostgreSQL and the database has no account yet (docs/running.md, "One
// command on a bare machine"), and
// returns the demo's sign-ins whenever the demo account exists: with the
// passwords it generated at the run that loaded it, without them afterwards
// (docs/SECURITY.md, "Credentials"). Nothing demo is created on DATABASE_URL.
func demoOnFirstRun(ctx context.Context, db *database, log *slog.Logger) (demo.SignIns, error) {
	if db.Embedded() {
		has, err := db.store.HasAccounts(ctx)
		if err != nil {
			return nil, err
		}
		if !has {
			log.Info("first run: loading the demo data set")
			start := time.Now()
			signIns, err := demo.Load(ctx, db.store, db.store.Now())
			if err != nil {
				return nil, err
			}
			log.Info("demo data loaded", "took", time.Since(start).Round(time.Millisecond))
			return signIns, nil
		}
	}
	signIns, _, err := demo.SignInsIfLoaded(ctx, db.store)
	return signIns, err
}

// renewalWorker runs a renewal pass over the data centers dcs (nil: all) at
// start and then every interval until ctx is cancelled, each followed by the
// making of the forecasts that are not current (store.PrepareForecasts) and
// the evaluation of the resource alerts that time brings about
// (docs/alerts.md, "What raises an alert"). A pass cut short by the cancellation rolls
// its current batch back whole; those expiries stay due for the next start.
func renewalWorker(ctx context.Context, st *store.Store, dcs []string, interval time.Duration, log *slog.Logger,
	observe func(store.RenewalStats, time.Duration, error)) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		start := time.Now()
		stats, err := st.RenewalPassIn(ctx, dcs)
		if ctx.Err() != nil {
			return
		}
		observe(stats, time.Since(start), err) // for /metrics
		switch {
		case err != nil:
			log.Error("renewal pass failed; retrying at the next interval", "err", err)
		case stats.Renewed+stats.Lapsed+stats.Swept > 0:
			log.Info("renewal pass", "renewed", stats.Renewed, "lapsed", stats.Lapsed, "deleted_with_product", stats.Swept)
		}
		// The day's forecasts, after 00:00 UTC, and those a fold of the pass
		// or a blacklist change made stale (docs/renewal.md, "The forecast").
		if _, err := st.PrepareForecasts(ctx, dcs); err != nil && ctx.Err() == nil {
			log.Error("preparing the forecasts failed; retrying at the next interval", "err", err)
		}
		if raised, err := st.EvaluateAlerts(ctx); err != nil && ctx.Err() == nil {
			log.Error("alert evaluation failed; retrying at the next interval", "err", err)
		} else if raised > 0 {
			log.Info("resource alerts raised", "triggers", raised)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// printWelcome tells the person who started the console where it is and how
// to sign in.
func printWelcome(s streams, addr net.Addr, signIns demo.SignIns) {
	fmt.Fprintf(s.out, "Activation code console: %s\n", consoleURL(addr))
	printDemoSignIns(s.out, signIns)
	fmt.Fprintln(s.out, "Press Ctrl-C to stop.")
}

// printDemoSignIns prints the demo's sign-ins: their passwords at the run
// that generated them, the one time they exist outside their hashes; later,
// the e-mails and how to set a new password.
func printDemoSignIns(w io.Writer, signIns demo.SignIns) {
	if len(signIns) == 0 {
		return
	}
	if signIns.HavePasswords() {
		fmt.Fprintln(w, "Demo sign-ins (e-mail / password), generated for this data directory and shown only this once:")
	} else {
		fmt.Fprintln(w, "Demo sign-ins (their passwords were printed when the demo was loaded):")
	}
	for _, si := range signIns {
		password := si.Password
		if password == "" && signIns.HavePasswords() {
			password = "(existed before the demo: password unchanged)"
		}
		fmt.Fprintf(w, "  %-8s %-32s %s\n", si.Role, si.Email, password)
	}
	if !signIns.HavePasswords() {
		fmt.Fprintln(w, "To set a new password: console user password --email E-MAIL --password-stdin")
	}
}

// consoleURL is the address to open in a browser: an unspecified listen
// address (":8080", "0.0.0.0:8080") is reachable as localhost.
func consoleURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
