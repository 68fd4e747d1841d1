// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) in
// the test process, on the loopback interface, and keeps what it receives.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the server accepted.
type Received struct {
	From      string
	To        []string
	MessageID string // without angle brackets
	Subject   string
	Data      []byte // the whole message as sent
}

// Text is the message's text/plain part, decoded.
func (r Received) Text() string { return part(r.Data, "text/plain") }

// HTML is the message's text/html part, decoded.
func (r Received) HTML() string { return part(r.Data, "text/html") }

// Mode is how clients reach the server.
type Mode int

// The server's modes.
const (
	Plain    Mode = iota // no TLS offered
	StartTLS             // STARTTLS offered
	Implicit             // TLS from the first byte (smtps)
)

// Server is an SMTP server for one test.
type Server struct {
	Addr      string      // host:port on 127.0.0.1
	Host      string      // 127.0.0.1
	Port      int         // its port
	ClientTLS *tls.Config // trusts the server's certificate

	mu       sync.Mutex
	received []Received
	refuse   int    // how many of the next messages to refuse with 451
	user     string // required AUTH PLAIN credentials, when set
	pass     string
	srv      *smtp.Server
}

// Option changes a server before it starts.
type Option func(*Server)

// WithAuth makes the server require AUTH PLAIN with these credentials.
func WithAuth(user, pass string) Option { return func(s *Server) { s.user, s.pass = user, pass } }

// Start runs a server until the test ends.
func Start(t testing.TB, mode Mode, opts ...Option) *Server {
	t.Helper()
	s := &Server{}
	for _, o := range opts {
		o(s)
	}
	cert, pool := selfSigned(t)
	s.ClientTLS = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "mail.test"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.MaxMessageBytes = 1 << 20
	s.srv.MaxRecipients = 100
	s.srv.AllowInsecureAuth = mode == Plain
	var ln net.Listener
	var err error
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	switch mode {
	case StartTLS:
		s.srv.TLSConfig = serverTLS
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case Implicit:
		s.srv.TLSConfig = serverTLS
		ln, err = tls.Listen("tcp", "127.0.0.1:0", serverTLS)
	default:
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	s.Host = "127.0.0.1"
	s.Port = ln.Addr().(*net.TCPAddr).Port
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// RefuseNext makes the server answer the next n messages' content with
// "451 try again later", as a busy or greylisting server does.
func (s *Server) RefuseNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = n
}

// Received returns the messages accepted so far.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// WaitFor waits until n messages have been accepted, or fails the test.
func (s *Server) WaitFor(t testing.TB, n int) []Received {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r := s.Received(); len(r) >= n {
			return r
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the SMTP server received %d messages, want %d", len(s.Received()), n)
	return nil
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string {
	if x.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != x.s.user || password != x.s.pass {
			return smtp.ErrAuthFailed
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.user != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.refuse > 0 {
		x.s.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	rec := Received{From: x.from, To: append([]string(nil), x.to...), Data: data}
	if m, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		rec.MessageID = strings.Trim(m.Header.Get("Message-ID"), "<>")
		rec.Subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	}
	x.s.received = append(x.s.received, rec)
	return nil
}

func (x *session) Reset() { x.from, x.to = "", nil }

func (x *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
