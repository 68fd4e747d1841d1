package main

// Resource alert mail (docs/alerts.md, "How they travel"): the settings, and the sender that
// digests raised alerts and empties the outbox next to the HTTP server.

import (
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"strings"

	"activation-console/cmd/console/mailer"
	"activation-console/cmd/console/webhooks"
	"activation-console/handlers"
	"activation-console/store"
	mailviews "activation-console/views/mail"
)

// newWebhookDeliverer builds the webhook outbox's deliverer; the owner's
// mail about an endpoint it disables goes through the mail outbox.
func newWebhookDeliverer(cfg serveSettings, st *store.Store, log *slog.Logger) *webhooks.Deliverer {
	if cfg.webhooksPrivate {
		log.Warn("webhook endpoints may be at private and loopback addresses (CONSOLE_WEBHOOKS_ALLOW_PRIVATE)")
	}
	return &webhooks.Deliverer{Store: st, Log: log, Render: mailviews.NewRenderer(cfg.publicURL, handlers.Reverse()).WebhookDisabled}
}

// checkMailSettings refuses SMTP settings that cannot work, before the
// console starts, and fills in the public URL's default.
func checkMailSettings(s *serveSettings) error {
	if s.smtpURL != "" {
		if _, err := mailer.ParseSMTPURL(s.smtpURL); err != nil {
			return usagef("%v", err)
		}
	}
	// The From header may name a host without a dot (alerts@localhost); a
	// line break would start another header.
	if _, err := mail.ParseAddress(s.smtpFrom); err != nil || strings.ContainsAny(s.smtpFrom, "\r\n") {
		return usagef("SMTP_FROM: %q is not an address like %q", s.smtpFrom, mailer.DefaultFrom)
	}
	if s.publicURL == "" {
		s.publicURL = defaultPublicURL(s.addr)
	}
	u, err := url.Parse(s.publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return usagef("--public-url: %q is not an address like https://console.example.com/", s.publicURL)
	}
	return nil
}

// defaultPublicURL is http://ADDR/, with an unspecified host as localhost.
func defaultPublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// newMailSender builds the outbox's sender: SMTP when SMTP_URL is set, else
// the log. where describes it for the recipients page ("" for the log).
func newMailSender(cfg serveSettings, st *store.Store, log *slog.Logger) (s *mailer.Sender, where string) {
	s = &mailer.Sender{Store: st, From: cfg.smtpFrom, Render: mailviews.NewRenderer(cfg.publicURL, handlers.Reverse()).Alert, Log: log,
		Transport: mailer.Log{Logger: log}}
	if cfg.smtpURL != "" {
		settings, _ := mailer.ParseSMTPURL(cfg.smtpURL) // checked by parseServeSettings
		s.Transport, where = mailer.SMTP{Settings: settings}, settings.String()
		log.Info("alert mails go to " + where)
	} else {
		log.Info("no SMTP_URL: alert mails are written to the log")
	}
	return s, where
}
