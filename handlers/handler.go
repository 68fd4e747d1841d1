// Package handlers is the console's HTTP surface: the pages of docs/pages.md
// and the platform API of docs/api.md. Every route is listed in routes.go;
// handlers stay thin: they parse input, call one store operation and render.
package handlers

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"activation-console/store"
)

// Handler carries the dependencies of every route.
type Handler struct {
	store    *store.Store
	log      *slog.Logger
	cookies  *sessions.CookieStore
	cookie   string // the session cookie's name
	secure   bool
	idle     time.Duration
	lifetime time.Duration
	dcs      []store.DataCenter
	tokens   sync.Map     // sha256 of an API token -> time.Time until which it is trusted
	mail     mailSettings // resource alert mails (test_alert.go)
	metrics  *metrics     // Prometheus collectors (metrics.go)
	timeout  time.Duration
	clientIP echo.IPExtractor // the client's address (client_ip.go)
	exports  *exportLimits    // CSV exports running, and their limits (csv_export.go)
	routes   routeTable       // the server's named routes, to build URLs (paths.go)

	// dcs above are the data centers this instance serves (--dc); otherDCs
	// are the platform's others, served elsewhere (datacenters.go).
	otherDCs []string
}

// Config is what New needs.
type Config struct {
	Store  *store.Store
	Logger *slog.Logger
	// SessionKeys sign and encrypt the session cookie: pairs of a 32- or
	// 64-byte signing key and a 32-byte encryption key, newest first; older
	// pairs still open cookies issued before a rotation.
	SessionKeys [][]byte
	// SecureCookies marks cookies Secure and names the session cookie with
	// the __Host- prefix; set it when the console is served over HTTPS.
	SecureCookies   bool
	IdleTimeout     time.Duration // default 30 minutes
	SessionLifetime time.Duration // default 12 hours
	// PublicURL is the console's address for the links in alert mails;
	// empty: the address the test alert was sent from.
	PublicURL string
	// MailServer names where the outbox's mails go (SMTP_URL without its
	// password), for the recipients page; empty: they are written to the log.
	MailServer string
	// RequestTimeout bounds the work of one request (default 15 seconds): its
	// context's deadline, after which it answers 503. It does not bound
	// reading the request or writing the answer: http.Server's Read and Write
	// timeouts do (cmd/console).
	RequestTimeout time.Duration
	// TrustedProxies are the peers allowed to name the client in
	// X-Forwarded-For (ParseTrustedProxies); none: the peer is the client.
	TrustedProxies []*net.IPNet
	// ExportsPerUser and ExportsTotal cap the CSV exports running at once for
	// one person (default 2) and on the instance (default a quarter of the
	// store's connection pool); ExportTimeout bounds one export (default 10
	// minutes).
	ExportsPerUser, ExportsTotal int
	ExportTimeout                time.Duration
	// DataCenters are the data centers this instance serves (--dc); empty:
	// all of them.
	DataCenters []string
}

// New builds the handler set. It reads the list of data centers once.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.SessionLifetime == 0 {
		cfg.SessionLifetime = 12 * time.Hour
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 15 * time.Second
	}
	if len(cfg.SessionKeys) == 0 {
		cfg.SessionKeys = [][]byte{randomKey(64), randomKey(32)}
	}
	h := &Handler{store: cfg.Store, log: cfg.Logger, secure: cfg.SecureCookies,
		idle: cfg.IdleTimeout, lifetime: cfg.SessionLifetime, cookie: "console_session", timeout: cfg.RequestTimeout,
		clientIP: clientIPExtractor(cfg.TrustedProxies)}
	if h.secure {
		h.cookie = "__Host-console_session"
	}
	pool := 0
	if cfg.Store != nil {
		pool = cfg.Store.DB().Stats().MaxOpenConnections
	}
	h.exports = newExportLimits(cfg.ExportsPerUser, cfg.ExportsTotal, pool, cfg.ExportTimeout)
	h.mail = mailSettings{publicURL: cfg.PublicURL, server: cfg.MailServer}
	h.metrics = newMetrics(cfg.Store)
	h.cookies = sessions.NewCookieStore(cfg.SessionKeys...)
	h.cookies.Options = &sessions.Options{Path: "/", MaxAge: int(cfg.SessionLifetime.Seconds()), HttpOnly: true,
		Secure: cfg.SecureCookies, SameSite: 2 /* http.SameSiteLaxMode */}
	if cfg.Store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		dcs, err := cfg.Store.DataCenters(ctx)
		if err != nil {
			h.log.Error("handlers: reading data centers", "err", err)
		}
		h.dcs, h.otherDCs = servedDCs(dcs, cfg.DataCenters)
	}
	return h
}
