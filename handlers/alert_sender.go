package handlers

import (
	"context"
	"log/slog"
	"strings"
)

// Alert is one resource alert e-mail (SPEC section 9), in plain text.
type Alert struct {
	To      []string
	Subject string
	Body    string
}

// Delivery says how an alert left the console, so that the page can tell
// the person what happened to it.
type Delivery int

// The ways an alert leaves the console.
const (
	DeliveryLogged Delivery = iota + 1 // written to the log: no mail server is configured
	DeliverySent                       // handed to the mail server
)

// AlertSender delivers alerts. The console writes them to its log until a
// mail server is configured; the SMTP sender plugs in through Config.
type AlertSender interface {
	SendAlert(ctx context.Context, a Alert) (Delivery, error)
}

// logAlertSender writes alerts to the log, as SPEC section 9 asks when there
// are no SMTP settings.
type logAlertSender struct{ log *slog.Logger }

func (s logAlertSender) SendAlert(ctx context.Context, a Alert) (Delivery, error) {
	s.log.InfoContext(ctx, "alert (no mail server configured)", "to", strings.Join(a.To, ", "), "subject", a.Subject, "body", a.Body)
	return DeliveryLogged, nil
}
