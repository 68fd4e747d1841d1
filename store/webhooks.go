package store

// Webhook endpoints (docs/webhooks.md): where an account's license events
// go. The owner and sub-accounts that manage licenses keep them (the
// handlers check who may); a sub-account with chosen products sees and
// changes only the endpoints it registered, which hear only about its
// products (webhookReachSQL).

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// MaxWebhookEndpoints is how many endpoints an account may have.
const MaxWebhookEndpoints = 10

// SecretOverlap is how long a rotated-out secret still signs deliveries
// beside the new one, so that receivers can switch without losing one.
const SecretOverlap = 24 * time.Hour

// WebhookEndpoint is one endpoint, without its secret.
type WebhookEndpoint struct {
	ID             int64          `db:"id"`
	AccountID      int64          `db:"account_id"`
	URL            string         `db:"url"`
	Events         pq.StringArray `db:"events"`
	Enabled        bool           `db:"enabled"`
	CreatedBy      *int64         `db:"created_by"`
	CreatedByEmail string         `db:"created_by_email"`
	CreatedAt      time.Time      `db:"created_at"`
	FailingSince   *time.Time     `db:"failing_since"`
	DisabledReason *string        `db:"disabled_reason"` // "failing": the console disabled it after a day of failures
	PreviousUntil  *time.Time     `db:"previous_until"`  // while a rotated-out secret still signs
}

// Wants tells whether the endpoint subscribes to ev.
func (e WebhookEndpoint) Wants(ev WebhookEvent) bool { return slices.Contains(e.Events, string(ev)) }

// DisabledForFailing tells whether the console disabled the endpoint after a day of failures.
func (e WebhookEndpoint) DisabledForFailing() bool {
	return !e.Enabled && e.DisabledReason != nil && *e.DisabledReason == "failing"
}

const webhookEndpointColumns = `e.id, e.account_id, e.url, e.events, e.enabled, e.created_by, coalesce(u.email, '') AS created_by_email,
	e.created_at, e.failing_since, e.disabled_reason, e.previous_until`

// endpointSeenSQL restricts endpoints e of account $1 to those user $2
// sees: all for the owner, support staff and sub-accounts with every
// product; its own for a sub-account with chosen products (limitedSQL).
const endpointSeenSQL = `e.account_id = $1 AND (NOT ` + limitedSQL + ` OR e.created_by = $2)`

// WebhookEndpointsSeenBy lists the endpoints the user sees, oldest first.
func (s *Store) WebhookEndpointsSeenBy(ctx context.Context, accountID, userID int64) ([]WebhookEndpoint, error) {
	var es []WebhookEndpoint
	err := s.db.SelectContext(ctx, &es, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints e LEFT JOIN users u ON u.id = e.created_by
		WHERE `+endpointSeenSQL+` ORDER BY e.created_at, e.id`, accountID, userID)
	return es, err
}

// WebhookEndpointSeenBy reads one endpoint the user sees; another is not found.
func (s *Store) WebhookEndpointSeenBy(ctx context.Context, accountID, userID, id int64) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := s.db.GetContext(ctx, &e, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints e LEFT JOIN users u ON u.id = e.created_by
		WHERE `+endpointSeenSQL+` AND e.id = $3`, accountID, userID, id)
	return e, notFound(err, errNoEndpoint)
}

var errNoEndpoint = notFoundErr(CodeUnknownEndpoint, "err.no_webhook_endpoint")

// WebhookInput is an endpoint as a person registers or edits it.
type WebhookInput struct {
	ID      int64 // 0: a new endpoint
	URL     string
	Events  []string
	Enabled bool
	Actor   Actor
}

// NewWebhookSecret makes a secret in the Standard Webhooks form: whsec_
// and 32 random bytes in base64.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// CheckWebhookEvents refuses a choice of events that names none, or one
// that does not exist (an Error on the field "events"); SaveWebhookEndpoint
// checks it too, after the URL.
func CheckWebhookEvents(events []string) error {
	_, err := checkWebhookEvents(events)
	return err
}

func checkWebhookEvents(events []string) ([]string, error) {
	var out []string
	for _, ev := range WebhookEvents { // in the page's order, each once
		if slices.Contains(events, string(ev)) {
			out = append(out, string(ev))
		}
	}
	for _, ev := range events {
		if !slices.Contains(out, ev) {
			return nil, invalid("events", "err.webhook_event_unknown", "Event", Quoted(ev))
		}
	}
	if len(out) == 0 {
		return nil, invalid("events", "err.webhook_events_missing")
	}
	return out, nil
}

// SaveWebhookEndpoint registers a new endpoint (in.ID 0), returning it and
// its secret (the only time the secret leaves the store but to sign), or
// changes one the actor sees (secret "").
func (s *Store) SaveWebhookEndpoint(ctx context.Context, sc Scope, in WebhookInput) (WebhookEndpoint, string, error) {
	events, evErr := checkWebhookEvents(in.Events)
	u, err := s.webhookGuard.CheckURL(ctx, in.URL)
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	if evErr != nil {
		return WebhookEndpoint{}, "", evErr
	}
	var out WebhookEndpoint
	var secret string
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.Now()
		var id int64
		if in.ID == 0 {
			// The account's row keeps two registrations from both passing the count.
			if _, err := tx.ExecContext(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, sc.AccountID); err != nil {
				return err
			}
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM webhook_endpoints WHERE account_id = $1`, sc.AccountID); err != nil {
				return err
			}
			if n >= MaxWebhookEndpoints {
				return conflict(CodeTooManyEndpoints, "err.webhook_endpoints_full", "Max", MaxWebhookEndpoints).at("url")
			}
			secret = NewWebhookSecret()
			if err := tx.GetContext(ctx, &id, `INSERT INTO webhook_endpoints (account_id, url, events, enabled, secret, created_by, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
				sc.AccountID, u, pq.Array(events), in.Enabled, secret, in.Actor.userID(), now); err != nil {
				return err
			}
		} else {
			// Enabling again forgets the failures: a new day of tries begins.
			err := tx.GetContext(ctx, &id, `UPDATE webhook_endpoints e SET url = $4, events = $5, enabled = $6,
					failing_since = CASE WHEN $6 AND NOT e.enabled THEN NULL ELSE e.failing_since END,
					disabled_reason = CASE WHEN $6 THEN NULL ELSE e.disabled_reason END
				WHERE `+endpointSeenSQL+` AND e.id = $3 RETURNING e.id`,
				sc.AccountID, in.Actor.UserID, in.ID, u, pq.Array(events), in.Enabled)
			if err != nil {
				return notFound(err, errNoEndpoint)
			}
		}
		if err := tx.GetContext(ctx, &out, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints e LEFT JOIN users u ON u.id = e.created_by
			WHERE e.id = $1`, id); err != nil {
			return err
		}
		op, msg := OpWebhookUpdate, "audit.entry.webhook_updated"
		if in.ID == 0 {
			op, msg = OpWebhookAdd, "audit.entry.webhook_added"
		}
		state := "disabled"
		if out.Enabled {
			state = "enabled"
		}
		return s.audit(ctx, tx, sc.AccountID, in.Actor, AuditWebhooks, op,
			fmt.Sprintf("%s webhook endpoint %s (%s) for %d events", map[bool]string{true: "registered", false: "changed"}[in.ID == 0], u, state, len(events)),
			webhookClauses(msg, out)...)
	})
	return out, secret, err
}

// webhookClauses word a registration or change for the audit log: the
// endpoint and how many events it wants, then whether it is enabled, the
// facts of the English description.
func webhookClauses(id string, e WebhookEndpoint) []AuditClause {
	state := clause("audit.entry.webhook_state_disabled")
	if e.Enabled {
		state = clause("audit.entry.webhook_state_enabled")
	}
	return []AuditClause{clause(id, "URL", e.URL).counting(int64(len(e.Events))), state}
}

// WebhookRef names an endpoint of the account, and who acts on it.
type WebhookRef struct {
	ID    int64
	Actor Actor
}

// RotateWebhookSecret gives an endpoint the actor sees a new secret and
// returns it; the old one signs beside it for SecretOverlap (a secret
// rotated out before that is dropped at once).
func (s *Store) RotateWebhookSecret(ctx context.Context, sc Scope, in WebhookRef) (WebhookEndpoint, string, error) {
	secret := NewWebhookSecret()
	var out WebhookEndpoint
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.Now()
		var id int64
		err := tx.GetContext(ctx, &id, `UPDATE webhook_endpoints e SET previous_secret = e.secret, previous_until = $5, secret = $4
			WHERE `+endpointSeenSQL+` AND e.id = $3 RETURNING e.id`,
			sc.AccountID, in.Actor.UserID, in.ID, secret, now.Add(SecretOverlap))
		if err != nil {
			return notFound(err, errNoEndpoint)
		}
		if err := tx.GetContext(ctx, &out, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints e LEFT JOIN users u ON u.id = e.created_by
			WHERE e.id = $1`, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, sc.AccountID, in.Actor, AuditWebhooks, OpWebhookRotate,
			"rotated the secret of webhook endpoint "+out.URL, clause("audit.entry.webhook_rotated", "URL", out.URL))
	})
	return out, secret, err
}

// DeleteWebhookEndpoint deletes an endpoint the actor sees, with its
// events, delivered or not.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, sc Scope, in WebhookRef) (WebhookEndpoint, error) {
	var out WebhookEndpoint
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &out, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints e LEFT JOIN users u ON u.id = e.created_by
			WHERE `+endpointSeenSQL+` AND e.id = $3 FOR UPDATE OF e`, sc.AccountID, in.Actor.UserID, in.ID)
		if err != nil {
			return notFound(err, errNoEndpoint)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, out.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, sc.AccountID, in.Actor, AuditWebhooks, OpWebhookDelete,
			"deleted webhook endpoint "+out.URL, clause("audit.entry.webhook_deleted", "URL", out.URL))
	})
	return out, err
}

// SendTestWebhook queues a webhook.test event for an endpoint the actor
// sees, enabled or not: a person checks their receiver with it.
func (s *Store) SendTestWebhook(ctx context.Context, sc Scope, in WebhookRef) (int64, error) {
	var id int64
	now := s.Now()
	err := s.db.GetContext(ctx, &id, `INSERT INTO webhook_events (endpoint_id, account_id, type, data, created_at, next_attempt_at)
		SELECT e.id, e.account_id, $4, jsonb_build_object('version', 1, 'account_id', e.account_id, 'endpoint_url', e.url,
			'sent_by', $5::text, 'sent_at', webhook_time($6)), $6, $6
		FROM webhook_endpoints e WHERE `+endpointSeenSQL+` AND e.id = $3 RETURNING id`,
		sc.AccountID, in.Actor.UserID, in.ID, EventTest, in.Actor.Name, now)
	return id, notFound(err, errNoEndpoint)
}

// RedeliverWebhook sends an event of an endpoint the actor sees once more,
// with its id (receivers deduplicate by it), as soon as a deliverer is free.
func (s *Store) RedeliverWebhook(ctx context.Context, sc Scope, in WebhookRef, eventID int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE webhook_events w SET status = 'pending', next_attempt_at = $4, delivered_at = NULL,
			claim_token = NULL, claimed_at = NULL
		FROM webhook_endpoints e WHERE w.endpoint_id = e.id AND `+endpointSeenSQL+` AND e.id = $3 AND w.id = $5
			AND w.status IN ('delivered', 'failed')`,
		sc.AccountID, in.Actor.UserID, in.ID, s.Now(), eventID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFoundErr(CodeUnknownEndpoint, "err.no_webhook_delivery", "ID", strconv.FormatInt(eventID, 10))
	}
	return nil
}

// WebhookDelivery is an event of an endpoint and how its delivery went.
type WebhookDelivery struct {
	ID            int64      `db:"id"`
	Type          string     `db:"type"`
	Status        string     `db:"status"`
	Attempts      int        `db:"attempts"`
	CreatedAt     time.Time  `db:"created_at"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	LastAttemptAt *time.Time `db:"last_attempt_at"`
	LastStatus    *int       `db:"last_status"`
	LatencyMS     *int       `db:"last_latency_ms"`
	LastError     *string    `db:"last_error"`
	LastResponse  *string    `db:"last_response"`
	DeliveredAt   *time.Time `db:"delivered_at"`
}

// Retrying tells whether a pending event has failed before and waits for its next try.
func (d WebhookDelivery) Retrying() bool { return d.Status == WebhookPending && d.Attempts > 0 }

// Final tells whether the event was delivered or given up, so it may be redelivered.
func (d WebhookDelivery) Final() bool {
	return d.Status == WebhookDelivered || d.Status == WebhookFailed
}

// WebhookLogSize is how many of an endpoint's latest events its log shows.
const WebhookLogSize = 20

// WebhookDeliveries lists an endpoint's latest events, newest first, for
// the user who sees the endpoint.
func (s *Store) WebhookDeliveries(ctx context.Context, accountID, userID, endpointID int64) ([]WebhookDelivery, error) {
	var ds []WebhookDelivery
	err := s.db.SelectContext(ctx, &ds, `SELECT w.id, w.type, w.status, w.attempts, w.created_at, w.next_attempt_at, w.last_attempt_at,
			w.last_status, w.last_latency_ms, w.last_error, w.last_response, w.delivered_at
		FROM webhook_events w JOIN webhook_endpoints e ON e.id = w.endpoint_id
		WHERE `+endpointSeenSQL+` AND e.id = $3 ORDER BY w.id DESC LIMIT $4`, accountID, userID, endpointID, WebhookLogSize)
	return ds, err
}

// SetWebhookEnabled turns an endpoint the actor sees on or off. Turned on
// again, it starts a new day of tries: its failures are forgotten.
func (s *Store) SetWebhookEnabled(ctx context.Context, sc Scope, in WebhookRef, on bool) (WebhookEndpoint, error) {
	var out WebhookEndpoint
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		err := tx.GetContext(ctx, &id, `UPDATE webhook_endpoints e SET enabled = $4,
				failing_since = CASE WHEN $4 AND NOT e.enabled THEN NULL ELSE e.failing_since END,
				disabled_reason = CASE WHEN $4 THEN NULL ELSE e.disabled_reason END
			WHERE `+endpointSeenSQL+` AND e.id = $3 RETURNING e.id`, sc.AccountID, in.Actor.UserID, in.ID, on)
		if err != nil {
			return notFound(err, errNoEndpoint)
		}
		if err := tx.GetContext(ctx, &out, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints e LEFT JOIN users u ON u.id = e.created_by
			WHERE e.id = $1`, id); err != nil {
			return err
		}
		msg, desc := "audit.entry.webhook_disabled_by_hand", "disabled webhook endpoint "+out.URL
		if on {
			msg, desc = "audit.entry.webhook_enabled", "enabled webhook endpoint "+out.URL
		}
		return s.audit(ctx, tx, sc.AccountID, in.Actor, AuditWebhooks, OpWebhookUpdate, desc, clause(msg, "URL", out.URL))
	})
	return out, err
}
