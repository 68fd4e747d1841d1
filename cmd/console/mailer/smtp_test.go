package mailer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"activation-console/cmd/console/mailer/mailtest"
	"activation-console/store"
)

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		url  string
		want SMTPSettings
	}{
		{"smtp://alerts%40acme:s3cr%2Ft@mail.example.com:587", SMTPSettings{Host: "mail.example.com", Port: 587, TLS: TLSStartTLS, Username: "alerts@acme", Password: "s3cr/t"}},
		{"smtp://mail.example.com", SMTPSettings{Host: "mail.example.com", Port: 587, TLS: TLSStartTLS}},
		{"smtps://mail.example.com:465", SMTPSettings{Host: "mail.example.com", Port: 465, TLS: TLSImplicit}},
		{"smtps://mail.example.com", SMTPSettings{Host: "mail.example.com", Port: 465, TLS: TLSImplicit}},
		{"smtp://relay.local:25?tls=off", SMTPSettings{Host: "relay.local", Port: 25, TLS: TLSOff}},
	} {
		got, err := ParseSMTPURL(c.url)
		if err != nil || got != c.want {
			t.Errorf("%s: %+v (%v), want %+v", c.url, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "mail.example.com:587", "http://mail.example.com", "smtp://", "smtp://host:99999",
		"smtps://host?tls=off", "smtp://host?tls=on", "smtp://host?starttls=1", "smtp://host/path"} {
		if _, err := ParseSMTPURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	_, err := ParseSMTPURL("ftp://user:hunter2@host")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v repeats the password or is missing", err)
	}
	s, _ := ParseSMTPURL("smtp://user:hunter2@host:587")
	if strings.Contains(s.String(), "hunter2") {
		t.Errorf("String() shows the password: %s", s)
	}
}

// sendOne sends one message through the transport and returns what the server got.
func sendOne(t *testing.T, tr SMTP, srv *mailtest.Server) mailtest.Received {
	t.Helper()
	ctx := context.Background()
	conn, err := tr.Open(ctx)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer conn.Close()
	m := Message{MessageID: "outbox.1@console.example.com", From: "Activation codes <alerts@console.example.com>",
		To: []string{"owner@acme.example", "ops@acme.example"}, Subject: "Activation code alert: 1 product needs attention (Acme & Co)",
		Text: "Only 7 activation codes are left & <soon> none.\n", HTML: "<p>Only 7 activation codes are left &amp; soon none.</p>", Date: time.Now()}
	if err := conn.Send(ctx, m); err != nil {
		t.Fatalf("send: %v", err)
	}
	return srv.WaitFor(t, 1)[0]
}

func TestSMTP_StartTLSWithAuth(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.StartTLS, mailtest.WithAuth("alerts", "s3cret"))
	s, err := ParseSMTPURL("smtp://alerts:s3cret@" + srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	r := sendOne(t, SMTP{Settings: s, TLSConfig: srv.ClientTLS}, srv)
	if r.MessageID != "outbox.1@console.example.com" || r.From != "alerts@console.example.com" || strings.Join(r.To, ",") != "owner@acme.example,ops@acme.example" {
		t.Errorf("received %+v", r)
	}
	if r.Subject != "Activation code alert: 1 product needs attention (Acme & Co)" || r.Text() != "Only 7 activation codes are left & <soon> none.\n" {
		t.Errorf("subject %q, text %q", r.Subject, r.Text())
	}
	if !strings.Contains(r.HTML(), "&amp; soon") || !strings.Contains(string(r.Data), "Auto-Submitted: auto-generated") {
		t.Errorf("message:\n%s", r.Data)
	}
}

func TestSMTP_WrongPasswordIsAnError(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.StartTLS, mailtest.WithAuth("alerts", "s3cret"))
	s, _ := ParseSMTPURL("smtp://alerts:wrong@" + srv.Addr)
	if _, err := (SMTP{Settings: s, TLSConfig: srv.ClientTLS}).Open(context.Background()); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("open with a wrong password: %v", err)
	}
}

func TestSMTP_ImplicitTLS(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Implicit)
	s, err := ParseSMTPURL("smtps://" + srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	sendOne(t, SMTP{Settings: s, TLSConfig: srv.ClientTLS}, srv)
}

func TestSMTP_ImplicitTLSRefusesAnUntrustedCertificate(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Implicit)
	s, _ := ParseSMTPURL("smtps://" + srv.Addr)
	if _, err := (SMTP{Settings: s}).Open(context.Background()); err == nil {
		t.Error("connected to a server whose certificate nobody vouches for")
	}
}

func TestSMTP_PlainForALocalRelay(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Plain)
	s, err := ParseSMTPURL("smtp://" + srv.Addr + "?tls=off")
	if err != nil {
		t.Fatal(err)
	}
	sendOne(t, SMTP{Settings: s}, srv)
}

func TestSMTP_RefusesAServerWithoutStartTLSUnlessTLSIsOff(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Plain) // offers no STARTTLS, as when someone on the path strips it
	s, _ := ParseSMTPURL("smtp://" + srv.Addr)
	conn, err := (SMTP{Settings: s}).Open(context.Background())
	if err == nil {
		conn.Close()
		t.Fatal("connected without TLS to a server that offers no STARTTLS")
	}
	if !strings.Contains(err.Error(), "STARTTLS") || !strings.Contains(err.Error(), "tls=off") {
		t.Errorf("error %q does not say what is wrong and how to allow it", err)
	}
}

func TestSender_KeepsAMailQueuedWhenStartTLSIsStripped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	plain := mailtest.Start(t, mailtest.Plain)
	id := f.queue(t, "stripped")
	s := f.sender()
	s.Transport = SMTP{Settings: SMTPSettings{Host: plain.Host, Port: plain.Port, TLS: TLSStartTLS}}
	if st, err := s.RunOnce(f.ctx); err != nil || st.Sent != 0 || st.Retried != 1 {
		t.Fatalf("round %+v (%v), want the mail kept for a retry", st, err)
	}
	time.Sleep(100 * time.Millisecond) // a message in flight would have arrived by now
	if got := plain.Received(); len(got) != 0 {
		t.Fatalf("the server got %d mails in plain text", len(got))
	}
	row := f.row(t, id)
	if row.Status != store.MailQueued || row.LastError == nil || !strings.Contains(*row.LastError, "STARTTLS") {
		t.Errorf("row %s, error %v: want queued with a clear error", row.Status, row.LastError)
	}
}

func TestSMTP_NeverSendsAPasswordInTheClear(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Plain, mailtest.WithAuth("alerts", "s3cret")) // offers PLAIN without TLS
	s, _ := ParseSMTPURL("smtp://alerts:s3cret@" + srv.Addr + "?tls=off")
	if _, err := (SMTP{Settings: s}).Open(context.Background()); err == nil {
		t.Error("authenticated with PLAIN over a connection without TLS")
	}
}

func TestSMTP_ARefusedMessageIsRefused(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Plain)
	srv.RefuseNext(1)
	s, _ := ParseSMTPURL("smtp://" + srv.Addr + "?tls=off")
	conn, err := (SMTP{Settings: s}).Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Send(context.Background(), Message{MessageID: "x@y.example", From: DefaultFrom, To: []string{"a@b.example"}, Subject: "s", Text: "t", HTML: "h", Date: time.Now()})
	var refused *Refused
	if err == nil || !errors.As(err, &refused) {
		t.Errorf("send to a server answering 451: %v, want *Refused", err)
	}
}
