package main

// Settings (docs/running.md, "Commands and settings"): every flag's default comes from its environment
// variable when that is set, so a flag given on the command line wins.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"activation-console/cmd/console/mailer"
	"activation-console/handlers"
	"activation-console/store"
)

// envOr returns the environment variable name, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// newFlagSet makes a subcommand's flag set, with --data-dir, which every
// subcommand takes to find the embedded database.
func newFlagSet(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("console "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", envOr("CONSOLE_DATA_DIR", "./data"),
		"data directory: the embedded PostgreSQL (unless DATABASE_URL is set) and the session keys [CONSOLE_DATA_DIR]")
	return fs, dataDir
}

// parseFlags parses args, flags and positional arguments in any order, and
// returns the positional ones. The flag package has printed any problem.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, exitError{code: exitUsage}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseNoArgs parses a command that takes flags only.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	rest, err := parseFlags(fs, args)
	if err == nil && len(rest) > 0 {
		err = usagef("unexpected argument %q", rest[0])
	}
	return err
}

// required names the first of the named flags that was left empty.
func required(fs *flag.FlagSet, names ...string) error {
	for _, name := range names {
		if strings.TrimSpace(fs.Lookup(name).Value.String()) == "" {
			return usagef("--%s is required", name)
		}
	}
	return nil
}

// databaseURL returns DATABASE_URL ("" when unset), refusing one that leaves
// sslmode to the driver's default: whether a connection is encrypted must be
// a decision, not an accident (docs/running.md, "A real database").
func databaseURL() (string, error) {
	u := os.Getenv("DATABASE_URL")
	if u == "" || hasSSLMode(u) {
		return u, nil
	}
	return "", errors.New("DATABASE_URL must set sslmode explicitly, for example " +
		"postgres://user@db.example:5432/console?sslmode=verify-full (or sslmode=disable for a server on this machine)")
}

// replicaURLs parses the standbys' connection strings (DATABASE_REPLICA_URL
// or --replica-url, comma-separated), each with an explicit sslmode like
// DATABASE_URL; they only make sense beside DATABASE_URL, the primary they
// stream from (docs/scaling.md, "A standby for reads").
func replicaURLs(list string) ([]string, error) {
	var urls []string
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		if !hasSSLMode(u) {
			return nil, usagef("--replica-url: every standby's URL must set sslmode explicitly, as DATABASE_URL does")
		}
		urls = append(urls, u)
	}
	if len(urls) > 0 && os.Getenv("DATABASE_URL") == "" {
		return nil, usagef("--replica-url: standbys need DATABASE_URL, the primary they stream from; the embedded database has none")
	}
	return urls, nil
}

// hasSSLMode tells whether a connection string, URL or key=value form, names sslmode.
func hasSSLMode(conn string) bool {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		parsed, err := url.Parse(conn)
		return err == nil && parsed.Query().Get("sslmode") != ""
	}
	for _, field := range strings.Fields(conn) {
		if key, value, ok := strings.Cut(field, "="); ok && strings.TrimSpace(key) == "sslmode" && value != "" {
			return true
		}
	}
	return false
}

// serveSettings are the settings of `console serve`.
type serveSettings struct {
	dataDir       string
	addr          string
	dcs           []string // empty: every data center (handlers/datacenters.go)
	renewInterval time.Duration
	smtpURL       string // where resource alerts are sent; empty: the log
	smtpFrom      string // their From header
	publicURL     string // the console's address in the links of mails
	sessionKeys   string // CONSOLE_SESSION_KEYS; empty: kept in the data directory
	sessionIdle   time.Duration
	sessionLife   time.Duration
	proxies       []*net.IPNet  // may set X-Forwarded-For (CONSOLE_TRUSTED_PROXIES)
	replicas      []string      // standbys for reads (DATABASE_REPLICA_URL)
	maxLag        time.Duration // how far behind one may be and still serve them
	// webhooksPrivate lets webhook endpoints be at private, loopback and
	// link-local addresses (docs/webhooks.md, "Safety").
	webhooksPrivate bool
}

// durationEnv reads a duration from the environment, or def when unset.
func durationEnv(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usagef("%s: %q is not a positive duration like 30m or 12h", name, v)
	}
	return d, nil
}

func parseServeSettings(args []string, stderr io.Writer) (serveSettings, error) {
	fs, dataDir := newFlagSet("serve", stderr)
	s := serveSettings{smtpURL: os.Getenv("SMTP_URL"), smtpFrom: envOr("SMTP_FROM", mailer.DefaultFrom),
		sessionKeys: os.Getenv("CONSOLE_SESSION_KEYS")}
	fs.StringVar(&s.addr, "addr", envOr("CONSOLE_ADDR", "127.0.0.1:8080"), "address to listen on [CONSOLE_ADDR]")
	dcs := fs.String("dc", envOr("CONSOLE_DC", ""), "comma-separated data centers this instance serves: the only ones its console shows, its API accepts and its renewal worker renews; empty: all [CONSOLE_DC]")
	interval, err := time.ParseDuration(envOr("CONSOLE_RENEW_INTERVAL", "1m"))
	if err != nil {
		return s, usagef("CONSOLE_RENEW_INTERVAL: %q is not a duration like 1m or 30s", os.Getenv("CONSOLE_RENEW_INTERVAL"))
	}
	fs.DurationVar(&s.renewInterval, "renew-interval", interval, "how often the renewal worker looks for expired codes and evaluates the resource alerts [CONSOLE_RENEW_INTERVAL]")
	fs.StringVar(&s.publicURL, "public-url", envOr("CONSOLE_PUBLIC_URL", ""), "the console's address for links in alert mails; an https:// address also makes the cookies Secure; default http://ADDR/ [CONSOLE_PUBLIC_URL]")
	idle, err := durationEnv("CONSOLE_SESSION_IDLE", 30*time.Minute)
	if err != nil {
		return s, err
	}
	life, err := durationEnv("CONSOLE_SESSION_LIFETIME", 12*time.Hour)
	if err != nil {
		return s, err
	}
	fs.DurationVar(&s.sessionIdle, "session-idle", idle, "a session ends after this long without a request [CONSOLE_SESSION_IDLE]")
	fs.DurationVar(&s.sessionLife, "session-lifetime", life, "a session ends this long after sign-in, however active [CONSOLE_SESSION_LIFETIME]")
	replicas := fs.String("replica-url", os.Getenv("DATABASE_REPLICA_URL"), "comma-separated connection strings (each with sslmode) of PostgreSQL streaming standbys of DATABASE_URL: pages, CSV exports and valid-code checks read there [DATABASE_REPLICA_URL]")
	maxLag, err := durationEnv("CONSOLE_REPLICA_MAX_LAG", store.DefaultMaxStandbyLag)
	if err != nil {
		return s, err
	}
	fs.DurationVar(&s.maxLag, "replica-max-lag", maxLag, "a standby further behind the primary than this serves no reads until it catches up [CONSOLE_REPLICA_MAX_LAG]")
	allowPrivate := envOr("CONSOLE_WEBHOOKS_ALLOW_PRIVATE", "false")
	fs.BoolVar(&s.webhooksPrivate, "webhooks-allow-private", allowPrivate == "true" || allowPrivate == "1",
		"let webhook endpoints be at private, loopback, link-local and other reserved addresses (the operator's own network); off by default [CONSOLE_WEBHOOKS_ALLOW_PRIVATE]")
	proxies := fs.String("trusted-proxies", envOr("CONSOLE_TRUSTED_PROXIES", ""), "comma-separated CIDR ranges of the load balancers allowed to set X-Forwarded-For; empty: the connection's peer is the client [CONSOLE_TRUSTED_PROXIES]")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: console serve [flags]\n\nflags:")
		fs.PrintDefaults()
		fmt.Fprintln(fs.Output(), "\nenvironment: DATABASE_URL (with sslmode), DATABASE_REPLICA_URL (standbys, with sslmode), SMTP_URL (smtp://user:pass@host:587, smtps://host:465, smtp://host:25?tls=off),\n"+
			"SMTP_FROM (default \""+mailer.DefaultFrom+"\"), CONSOLE_SESSION_KEYS (base64 keys, comma-separated, in pairs)")
	}
	if err := parseNoArgs(fs, args); err != nil {
		return s, err
	}
	s.dataDir = *dataDir
	for _, dc := range strings.Split(*dcs, ",") {
		if dc = strings.TrimSpace(dc); dc != "" {
			s.dcs = append(s.dcs, dc)
		}
	}
	if s.proxies, err = handlers.ParseTrustedProxies(*proxies); err != nil {
		return s, usagef("--trusted-proxies: %v", strings.TrimPrefix(err.Error(), "handlers: trusted proxies: "))
	}
	if s.replicas, err = replicaURLs(*replicas); err != nil {
		return s, err
	}
	if s.maxLag <= 0 {
		return s, usagef("--replica-max-lag must be positive")
	}
	if s.renewInterval <= 0 {
		return s, usagef("--renew-interval must be positive")
	}
	if s.sessionIdle <= 0 || s.sessionLife <= 0 {
		return s, usagef("--session-idle and --session-lifetime must be positive")
	}
	return s, checkMailSettings(&s)
}
