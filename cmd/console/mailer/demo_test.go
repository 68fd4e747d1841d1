package mailer

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"activation-console/cmd/console/mailer/mailtest"
	"activation-console/handlers"
	"activation-console/store"
	"activation-console/store/demo"
	"activation-console/store/storetest"
	"activation-console/views/mail"
)

// TestDemo_TheLowProductAlertsWhenTheWorkerRuns is the demo data
// (docs/running.md, "The demo data") meeting the resource alerts
// (docs/alerts.md, "What raises an alert"): Parking Sensor PS-9 is nearly out of codes, Smart Plug
// SP-10 has devices waiting; the worker's evaluation and one sender round
// mail them to the owner and the demo's recipients as one digest.
func TestDemo_TheLowProductAlertsWhenTheWorkerRuns(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock(epoch)
	st := storetest.New(t, store.WithClock(clock.Now))
	ctx := context.Background()
	if _, err := demo.Load(ctx, st, epoch); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RenewalPass(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EvaluateAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(store.AlertGather)
	srv := mailtest.Start(t, mailtest.Plain)
	s := &Sender{Store: st, Transport: SMTP{Settings: SMTPSettings{Host: srv.Host, Port: srv.Port, TLS: TLSOff}},
		Render: mail.NewRenderer("http://localhost:8080/", handlers.Reverse()).Alert, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if stats, err := s.RunOnce(ctx); err != nil || stats.Digests != 1 || stats.Sent != 1 {
		t.Fatalf("round %+v (%v), want one digest sent", stats, err)
	}
	r := srv.WaitFor(t, 1)[0]
	text := r.Text()
	for _, want := range []string{
		"Parking Sensor PS-9", "PK acme-parking-ps9, Germany (Frankfurt), package std-1y, 7 codes available",
		"Only 7 activation codes are left, at or below the alert threshold of 10.",
		"devices will go offline at expiry, the first on",
		"Assign codes:  http://localhost:8080/eu-frankfurt/assign?product=",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo's alert does not say %q", want)
		}
	}
	if !strings.Contains(strings.Join(r.To, ","), "owner@acme-devices.example") {
		t.Errorf("to %q", r.To)
	}
	t.Logf("Subject: %s\nTo: %s\n\n%s", r.Subject, strings.Join(r.To, ", "), text)
}
