package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"
)

// SMTPSettings are the parts of SMTP_URL (README.md, "Settings"):
//
//	smtp://user:pass@host:587   STARTTLS, required: a server (or a man in
//	                            the middle) that does not offer it gets no mail
//	smtps://host:465            implicit TLS
//	smtp://host:25?tls=off      plain, for a relay on the local network
//
// A password is never sent in the clear: without TLS only challenge
// mechanisms (CRAM-MD5, SCRAM) are used, and a server offering none of them
// is refused.
type SMTPSettings struct {
	Host     string
	Port     int
	TLS      string // "starttls" (required), "implicit" or "off"
	Username string
	Password string
}

// TLS modes of SMTPSettings.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "implicit"
	TLSOff      = "off"
)

// ParseSMTPURL reads SMTP_URL. Its errors never repeat the password.
func ParseSMTPURL(raw string) (SMTPSettings, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPSettings{}, errors.New("SMTP_URL is not a URL like smtp://user:pass@mail.example.com:587")
	}
	var s SMTPSettings
	switch u.Scheme {
	case "smtp":
		s.TLS, s.Port = TLSStartTLS, 587
	case "smtps":
		s.TLS, s.Port = TLSImplicit, 465
	default:
		return s, fmt.Errorf("SMTP_URL must start with smtp:// or smtps://, not %q", u.Scheme+"://")
	}
	if s.Host = u.Hostname(); s.Host == "" {
		return s, errors.New("SMTP_URL names no host")
	}
	if p := u.Port(); p != "" {
		if s.Port, err = strconv.Atoi(p); err != nil || s.Port < 1 || s.Port > 65535 {
			return s, fmt.Errorf("SMTP_URL: %q is not a port", p)
		}
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	if u.Path != "" && u.Path != "/" {
		return s, errors.New("SMTP_URL takes no path")
	}
	for key, vals := range u.Query() {
		switch {
		case key == "tls" && len(vals) == 1 && vals[0] == "off" && s.TLS == TLSStartTLS:
			s.TLS = TLSOff
		case key == "tls":
			return s, errors.New("SMTP_URL: tls=off is the only tls setting, and only for smtp://")
		default:
			return s, fmt.Errorf("SMTP_URL: unknown setting %q", key)
		}
	}
	return s, nil
}

// String describes the settings without the password, for the log.
func (s SMTPSettings) String() string {
	user := ""
	if s.Username != "" {
		user = s.Username + "@"
	}
	return fmt.Sprintf("%s%s:%d (TLS: %s)", user, s.Host, s.Port, s.TLS)
}

// SMTP sends mail through an SMTP server with go-mail.
type SMTP struct {
	Settings SMTPSettings
	// TLSConfig replaces the default (the host's name checked against the
	// system's roots, TLS 1.2 or later); tests trust their own certificate.
	TLSConfig *tls.Config
	Timeout   time.Duration // per network operation; default 30 s
}

// Open connects, says EHLO, starts TLS and authenticates.
func (t SMTP) Open(ctx context.Context) (Conn, error) {
	opts := []gomail.Option{gomail.WithPort(t.Settings.Port), gomail.WithTimeout(cmp(t.Timeout, 30*time.Second))}
	switch t.Settings.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSOff:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		// Mandatory: an attacker on the path who strips STARTTLS from the
		// server's EHLO must not get the alerts in plain text
		// (docs/SECURITY.md, "Operator settings"); tls=off says so explicitly.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if t.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(t.TLSConfig))
	}
	if t.Settings.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(t.Settings.Username), gomail.WithPassword(t.Settings.Password))
	} else {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthNoAuth))
	}
	client, err := gomail.NewClient(t.Settings.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mailer: smtp client: %w", err)
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil && t.Settings.TLS == TLSStartTLS && strings.Contains(err.Error(), "does not support STARTTLS") {
		// go-mail has no sentinel for it; the delivery log shows this text.
		return nil, fmt.Errorf("mailer: %s offers no STARTTLS (or someone on the way removed it): nothing is sent without TLS; "+
			"use smtps:// or, for a relay on a trusted network only, add ?tls=off to SMTP_URL", t.Settings)
	}
	if err != nil {
		return nil, fmt.Errorf("mailer: connecting to %s: %w", t.Settings, err)
	}
	return &smtpConn{client: client, conn: conn}, nil
}

type smtpConn struct {
	client *gomail.Client
	conn   *gosmtp.Client
}

// Send hands one message over. An error is a *Refused when the server
// certainly does not have the message: it refused a command or the content,
// or the connection broke before the message's end was sent. Any other error
// leaves it open whether the message was delivered.
func (c *smtpConn) Send(_ context.Context, m Message) error {
	msg, err := m.gomail()
	if err != nil {
		return &Refused{Err: err}
	}
	err = c.client.SendWithSMTPClient(c.conn, msg)
	if err == nil || msg.IsDelivered() {
		return nil // IsDelivered: only the RSET after the accepted message failed
	}
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return err
	}
	if se.Reason == gomail.ErrSMTPDataClose && se.ErrorCode() < 400 {
		// The message's end was sent and the server's answer was lost.
		return err
	}
	return &Refused{Err: err}
}

func (c *smtpConn) Close() error { return c.client.CloseWithSMTPClient(c.conn) }

// gomail builds the MIME message: a text part and its HTML alternative.
func (m Message) gomail() (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("mailer: from %q: %w", m.From, err)
	}
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("mailer: recipients: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDateWithValue(m.Date)
	// RFC 3834: machines generated it; out-of-office replies should not answer.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader("X-Auto-Response-Suppress", "All")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

func cmp(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// MessageID is the Message-ID of the outbox row with the given dedupe key:
// the same key always gives the same id, so a copy of the same mail is
// recognisable as one (mail clients fold messages with one id together).
func MessageID(dedupeKey, from string) string {
	domain := "activation-console.invalid"
	if at := strings.LastIndex(from, "@"); at >= 0 {
		domain = strings.Trim(from[at+1:], "> ")
	}
	return messageIDLocal(dedupeKey) + "@" + domain
}
