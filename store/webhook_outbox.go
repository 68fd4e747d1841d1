package store

// Delivering webhook events (docs/webhooks.md, "Delivery"), the mail
// outbox's way (outbox.go) adapted to HTTP, where the receiver deduplicates:
//
//  1. ClaimWebhooks: pending -> delivering, FOR UPDATE SKIP LOCKED, with a
//     claim token and a lease (claimed_at); the attempt is counted. Two
//     deliverers never claim one event. A device's event is claimed only
//     once each earlier event of that device to that endpoint is delivered
//     or given up (in order per device), and an endpoint never has more
//     than WebhookEndpointInFlight events in flight (a slow endpoint holds
//     few deliverers, and every claim spreads over the endpoints).
//  2. The POST, signed.
//  3. WebhookDelivered, or WebhookFailed: pending again after a backoff,
//     or failed once the event's 24 hours of retries are spent.
//
// RecoverWebhooks ends the leases of deliverers that died: their events
// are pending again and go once more with the same webhook-id. That is
// the documented at-least-once; the receiver drops the second by its id.

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Statuses of a webhook event.
const (
	WebhookPending    = "pending"
	WebhookDelivering = "delivering"
	WebhookDelivered  = "delivered"
	WebhookFailed     = "failed"
)

// WebhookRetryWindow is how long an event is retried, and how long an
// endpoint may fail before the console disables it.
const WebhookRetryWindow = 24 * time.Hour

// WebhookEndpointInFlight bounds one endpoint's events in flight at once.
const WebhookEndpointInFlight = 2

// WebhookBackoff is the wait after the n-th failed attempt: 30 s doubling
// up to 6 h, each spread by jitter (a factor in [0.8, 1.2)) so that
// the retries of many events do not arrive together.
func WebhookBackoff(n int, jitter float64) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 2
	}
	d = min(d, 6*time.Hour)
	return time.Duration(float64(d) * jitter)
}

// WebhookJob is a claimed event, with what it takes to send it.
type WebhookJob struct {
	ID             int64           `db:"id"`
	EndpointID     int64           `db:"endpoint_id"`
	AccountID      int64           `db:"account_id"`
	Type           string          `db:"type"`
	DeviceID       *int64          `db:"device_id"`
	Data           json.RawMessage `db:"data"`
	CreatedAt      time.Time       `db:"created_at"`
	Attempts       int             `db:"attempts"`
	URL            string          `db:"url"`
	Secret         string          `db:"secret"`
	PreviousSecret *string         `db:"previous_secret"` // still valid: it signs too
}

// MessageID is the event's webhook-id: the same at every attempt, so a
// receiver can drop a second delivery.
func (j WebhookJob) MessageID() string { return WebhookMessageID(j.ID) }

// WebhookMessageID is the webhook-id of event id.
func WebhookMessageID(id int64) string { return "msg_" + itoa64(id) }

func itoa64(n int64) string { return itoa(int(n)) }

// Body is the event as it is posted: its type, time and data.
func (j WebhookJob) Body() ([]byte, error) {
	return json.Marshal(struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{j.Type, j.CreatedAt.UTC().Format(time.RFC3339), j.Data})
}

// ClaimWebhooks takes up to limit due events for the deliverer holding token.
func (s *Store) ClaimWebhooks(ctx context.Context, token string, limit int) ([]WebhookJob, error) {
	var jobs []WebhookJob
	now := s.Now()
	err := s.db.SelectContext(ctx, &jobs, `WITH due AS (
			SELECT w.id, w.endpoint_id, w.next_attempt_at FROM webhook_events w JOIN webhook_endpoints e ON e.id = w.endpoint_id
			WHERE w.status = 'pending' AND w.next_attempt_at <= $2 AND (e.enabled OR w.type = 'webhook.test')
				AND NOT EXISTS (SELECT 1 FROM webhook_events x WHERE x.endpoint_id = w.endpoint_id AND x.device_id = w.device_id
					AND x.id < w.id AND x.status IN ('pending', 'delivering'))
			ORDER BY w.next_attempt_at, w.id LIMIT $3 * 20
		), spread AS (
			SELECT due.id, row_number() OVER (PARTITION BY due.endpoint_id ORDER BY due.next_attempt_at, due.id) +
				(SELECT count(*) FROM webhook_events b WHERE b.endpoint_id = due.endpoint_id AND b.status = 'delivering') AS k,
				due.next_attempt_at
			FROM due
		), c AS (
			UPDATE webhook_events SET status = 'delivering', claim_token = $1, claimed_at = $2, attempts = attempts + 1
			WHERE id IN (SELECT id FROM webhook_events WHERE id IN (SELECT id FROM spread WHERE k <= $4 ORDER BY k, next_attempt_at, id LIMIT $3)
				AND status = 'pending' FOR UPDATE SKIP LOCKED)
			RETURNING id, endpoint_id, account_id, type, device_id, data, created_at, attempts
		)
		SELECT c.id, c.endpoint_id, c.account_id, c.type, c.device_id, c.data, c.created_at, c.attempts, e.url, e.secret,
			CASE WHEN e.previous_until > $2 THEN e.previous_secret END AS previous_secret
		FROM c JOIN webhook_endpoints e ON e.id = c.endpoint_id ORDER BY c.id`, token, now, limit, WebhookEndpointInFlight)
	return jobs, err
}

// WebhookAttempt is how one POST went.
type WebhookAttempt struct {
	Status   int           // the HTTP status; 0: no answer
	Latency  time.Duration // from the start of the request to its answer or failure
	Response string        // the start of the answer's body
	Error    string        // why it failed, when it did
}

// WebhookResponseExcerpt is how much of an answer's body is kept, in bytes.
const WebhookResponseExcerpt = 256

func (a WebhookAttempt) args() (any, int64, any, any) {
	var status any
	if a.Status != 0 {
		status = a.Status
	}
	var resp, msg any
	if a.Response != "" {
		resp = truncate(a.Response, WebhookResponseExcerpt)
	}
	if a.Error != "" {
		msg = truncate(a.Error, 1000)
	}
	return status, a.Latency.Milliseconds(), resp, msg
}

// WebhookDelivered records that the endpoint took the event (a 2xx). It
// holds also for an event whose lease ran out meanwhile, unless another
// deliverer has claimed it since.
func (s *Store) WebhookDelivered(ctx context.Context, job WebhookJob, token string, a WebhookAttempt) error {
	status, ms, resp, _ := a.args()
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.Now()
		res, err := tx.ExecContext(ctx, `UPDATE webhook_events SET status = 'delivered', delivered_at = $3, last_attempt_at = $3,
				last_status = $4, last_latency_ms = $5, last_response = $6, last_error = NULL, claim_token = NULL, claimed_at = NULL
			WHERE id = $1 AND claim_token = $2 AND status IN ('delivering', 'pending')`, job.ID, token, now, status, ms, resp)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, job.EndpointID)
		return err
	})
}

// WebhookDisabledNotice is what the owner is told when the console
// disables an endpoint that failed for a day.
type WebhookDisabledNotice struct {
	AccountID    int64
	AccountName  string
	URL          string
	FailingSince time.Time
	LastError    string   // why the last attempt failed: one of the deliverer's reasons
	DC           string   // the account's home data center, whose webhooks page the mail links to
	Language     Language // the owner's
	At           time.Time
}

// WebhookMailRenderer writes the owner's mail about a disabled endpoint (the views do it).
type WebhookMailRenderer func(WebhookDisabledNotice) (Mail, error)

// WebhookFailed records an attempt that failed: the event is pending again
// after a backoff, with one last try at the end of its retry window, then
// failed. An endpoint failing (its events, test events aside) for
// WebhookRetryWindow is disabled, with an audit entry and a mail to the
// owner in the owner's language, in the same transaction. It returns the
// event's status, and whether this disabled the endpoint.
func (s *Store) WebhookFailed(ctx context.Context, job WebhookJob, token string, a WebhookAttempt, render WebhookMailRenderer) (string, bool, error) {
	status, ms, resp, msg := a.args()
	var out string
	var disabled bool
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.Now()
		var ev struct {
			Attempts  int       `db:"attempts"`
			CreatedAt time.Time `db:"created_at"`
			Type      string    `db:"type"`
		}
		err := tx.GetContext(ctx, &ev, `SELECT attempts, created_at, type FROM webhook_events
			WHERE id = $1 AND claim_token = $2 AND status IN ('delivering', 'pending') FOR UPDATE`, job.ID, token)
		if err != nil {
			return notFound(err, nil) // claimed by another deliverer since, or deleted with its endpoint
		}
		end := ev.CreatedAt.Add(WebhookRetryWindow)
		next := now.Add(WebhookBackoff(ev.Attempts, 0.8+0.4*rand.Float64()))
		out = WebhookPending
		switch {
		case !now.Before(end):
			out = WebhookFailed
		case next.After(end):
			next = end // one last try as the window closes
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_events SET status = $3, next_attempt_at = $4, last_attempt_at = $5,
				last_status = $6, last_latency_ms = $7, last_response = $8, last_error = $9, claim_token = NULL, claimed_at = NULL
			WHERE id = $1 AND claim_token = $2`, job.ID, token, out, next, now, status, ms, resp, msg); err != nil {
			return err
		}
		if ev.Type == string(EventTest) {
			return nil // a person's test says nothing about the endpoint's health
		}
		var e struct {
			Enabled      bool      `db:"enabled"`
			FailingSince time.Time `db:"failing_since"`
			URL          string    `db:"url"`
		}
		if err := tx.GetContext(ctx, &e, `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2) WHERE id = $1
			RETURNING enabled, failing_since, url`, job.EndpointID, now); err != nil {
			return notFound(err, nil)
		}
		if !e.Enabled || now.Sub(e.FailingSince) < WebhookRetryWindow {
			return nil
		}
		disabled = true
		return s.disableFailingEndpoint(ctx, tx, job, e.URL, e.FailingSince, a.Error, now, render)
	})
	return out, disabled, err
}

// disableFailingEndpoint disables an endpoint that failed for a day, and
// tells the owner in the transaction that decides it.
func (s *Store) disableFailingEndpoint(ctx context.Context, tx *sqlx.Tx, job WebhookJob, url string, since time.Time, lastErr string, now time.Time,
	render WebhookMailRenderer) error {
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'failing' WHERE id = $1`, job.EndpointID); err != nil {
		return err
	}
	n := WebhookDisabledNotice{AccountID: job.AccountID, URL: url, FailingSince: since, LastError: lastErr, At: now}
	var owner string
	if err := tx.QueryRowxContext(ctx, `SELECT a.name, a.home_dc, u.email, coalesce(u.language, 'en') FROM accounts a
		JOIN users u ON u.account_id = a.id AND u.role = 'owner' WHERE a.id = $1`, job.AccountID).Scan(&n.AccountName, &n.DC, &owner, &n.Language); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, job.AccountID, SystemActor("webhook deliverer"), AuditWebhooks, OpWebhookDisabled,
		"disabled webhook endpoint "+url+" after a day of failed deliveries", clause("audit.entry.webhook_disabled", "URL", url)); err != nil {
		return err
	}
	if render == nil || !ValidMailbox(owner) {
		return nil
	}
	mail, err := render(n)
	if err != nil {
		return err
	}
	_, err = queueMail(ctx, tx, OutgoingMail{AccountID: job.AccountID, Kind: MailKindAlert,
		DedupeKey:  "webhook-disabled/" + itoa64(job.EndpointID) + "/" + itoa64(now.UnixMicro()),
		Recipients: []string{owner}, Mail: mail}, now)
	return err
}

// RecoverWebhooks ends the leases of deliverers that died: an event in
// delivering for longer than lease is pending again, due now.
func (s *Store) RecoverWebhooks(ctx context.Context, lease time.Duration) (int64, error) {
	now := s.Now()
	res, err := s.db.ExecContext(ctx, `UPDATE webhook_events SET status = 'pending', next_attempt_at = $2
		WHERE status = 'delivering' AND claimed_at < $1`, now.Add(-lease), now)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ReleaseWebhooks gives claimed events back untried, when a deliverer
// stops before it reached them; their attempt is not counted.
func (s *Store) ReleaseWebhooks(ctx context.Context, ids []int64, token string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE webhook_events SET status = 'pending', attempts = attempts - 1, claim_token = NULL, claimed_at = NULL
		WHERE id = ANY($1) AND claim_token = $2 AND status = 'delivering'`, pq.Array(ids), token)
	return err
}
