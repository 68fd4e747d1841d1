package mailer

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"activation-console/cmd/console/mailer/mailtest"
	"activation-console/handlers"
	"activation-console/store"
	"activation-console/store/storetest"
	"activation-console/views/mail"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var epoch = storetest.Epoch

// fixture is an account "Acme" with product PK-1 on a fresh database, an
// SMTP server in the process, and a sender that delivers to it.
type fixture struct {
	st      *store.Store
	clock   *storetest.Clock
	account store.Account
	product store.Product
	smtp    *mailtest.Server
	ctx     context.Context
}

const publicURL = "https://console.example.com/"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	base := storetest.NewFixture(t, storetest.WithProduct("PK-1", "Thermostat", 0))
	return &fixture{st: base.Store, clock: base.Clock, account: base.Account, product: base.Product,
		smtp: mailtest.Start(t, mailtest.StartTLS), ctx: base.Ctx}
}

// sender is a sender to the fixture's SMTP server, with its own claim token.
func (f *fixture) sender() *Sender {
	return &Sender{Store: f.st, From: "Activation codes <alerts@console.example.com>",
		Transport: SMTP{Settings: SMTPSettings{Host: f.smtp.Host, Port: f.smtp.Port, TLS: TLSStartTLS}, TLSConfig: f.smtp.ClientTLS},
		Render:    mail.NewRenderer(publicURL, handlers.Reverse()).Alert, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// round runs one round of a fresh sender after the gathering minute.
func (f *fixture) round(t *testing.T) Stats {
	t.Helper()
	f.clock.Advance(store.AlertGather)
	st, err := f.sender().RunOnce(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *fixture) assign(t *testing.T, productID, n int64) {
	t.Helper()
	if _, err := f.st.Assign(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
		store.AssignInput{ProductID: productID, PackageCode: "std-1y", Quantity: n, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) connect(t *testing.T, pk, dk string) {
	t.Helper()
	if _, err := f.st.Connect(f.ctx, pk, dk, "eu-frankfurt"); err != nil && !store.HasCode(err, store.CodeNoActivationCode) && !store.HasCode(err, store.CodeExpired) {
		t.Fatalf("connect %s/%s: %v", pk, dk, err)
	}
}

// queue writes a test mail to the outbox.
func (f *fixture) queue(t *testing.T, key string) int64 {
	t.Helper()
	id, err := f.st.QueueMail(f.ctx, store.OutgoingMail{AccountID: f.account.ID, Kind: store.MailKindTest, DedupeKey: key,
		Recipients: []string{"owner@acme.example"}, Mail: store.Mail{Subject: "Test " + key, Text: "text " + key, HTML: "<p>html</p>"}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) row(t *testing.T, id int64) store.OutboxMail {
	t.Helper()
	m, err := f.st.OutboxMailByID(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) onlyRow(t *testing.T) store.OutboxMail {
	t.Helper()
	var ids []int64
	if err := f.st.DB().SelectContext(f.ctx, &ids, `SELECT id FROM outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 {
		t.Fatalf("%d outbox rows, want 1", len(ids))
	}
	return f.row(t, ids[0])
}
