package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
	"activation-console/views/mail"
)

// mailSettings are what the pages need to know about the outbox's mails.
type mailSettings struct {
	publicURL string // for links in mails; empty: the request's own address
	server    string // where mails go; empty: the log
}

// sendTestAlert queues a test alert to the recipients the sender may see
// (for a sub-account with chosen products: the ones it added, and itself),
// so that they can check it reaches them. It goes through the outbox like
// every alert: the page never talks to the mail server, and the delivery log
// shows what became of it. Each user and account may send a few per hour
// (docs/SECURITY.md, "Resource limits"): past that, 429 and a message.
func (h *Handler) sendTestAlert(c echo.Context) error {
	v := currentViewer(c)
	ctx := c.Request().Context()
	to, err := h.store.TestAlertRecipients(ctx, v.account.ID, v.user.ID)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		return echo.NewHTTPError(http.StatusConflict, views.T(ctx, "alerts.no_valid_recipient"))
	}
	base := h.mail.publicURL
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	// One mail per language its recipients read, each listing every address.
	emails := make([]string, len(to))
	for i, r := range to {
		emails[i] = r.Email
	}
	// Each click is its own test alert: a key no other row has.
	key := fmt.Sprintf("test/%d/%s", v.account.ID, store.NewClaimToken())
	var mails []store.OutgoingMail
	for _, g := range store.ByLanguage(to) {
		m, err := mail.NewRenderer(base, h.routes.path).Test(mail.TestAlert{AccountName: v.account.Name, Threshold: v.account.AlertThreshold,
			Recipients: emails, SentBy: v.user.Email, DC: c.Param("dc"), At: h.store.Now(), Language: g.Language})
		if err != nil {
			return err
		}
		mails = append(mails, store.OutgoingMail{AccountID: v.account.ID, DedupeKey: key, Recipients: g.Emails, SentBy: v.user.ID, Mail: m})
	}
	_, err = h.store.QueueTestAlert(ctx, mails...)
	if store.HasCode(err, store.CodeTestAlertLimit) {
		return h.testAlertRefused(c, err)
	}
	if err != nil {
		return err
	}
	msg := views.Tn(ctx, "alerts.test_queued", len(to))
	if h.mail.server == "" {
		msg = views.Tn(ctx, "alerts.test_queued_to_log", len(to))
	}
	if isPartial(c) {
		r := views.Recipients{}
		if r.Deliveries, err = h.store.DeliveriesSeenBy(ctx, v.account.ID, v.user.ID); err != nil {
			return err
		}
		r.MailServer = h.mail.server
		p := h.page(c, views.T(ctx, "recipients.title"), "recipients")
		return h.render(c, http.StatusOK, p, nil, views.TestAlertQueued(msg, r))
	}
	h.flash(c, msg)
	return redirect(c, h.url(c, routenames.Recipients))
}

// testAlertRefused answers a test alert over the limit with 429: htmx shows
// the message as every refused request's, a plain form gets the page with
// the message where the test alert's result goes.
func (h *Handler) testAlertRefused(c echo.Context, err error) error {
	e, _ := store.AsError(err)
	msg := views.Sentence(views.ErrorText(c.Request().Context(), e))
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(store.TestAlertWindow.Seconds())))
	if isPartial(c) {
		return echo.NewHTTPError(http.StatusTooManyRequests, msg)
	}
	return h.renderRecipients(c, http.StatusTooManyRequests, views.Recipients{TestStatus: msg})
}
