package store

// Resource alerts (docs/alerts.md, "What raises an alert"): four triggers per
// product.
//
//   low_codes  the product's available codes are at or below the account's
//              threshold (only products that have had codes: a product the
//              platform just created, with none yet, is not "running low")
//   shortfall  devices due to auto-renew in the next 30 days outnumber the
//              available codes; the mail says how many will lapse and when
//              the first one will
//   refused    a device was refused for lack of a code
//   lapsed     devices lapsed because their product had no code (lapses the
//              owner chose, by the blacklist or the switch, are not alerts)
//
// A trigger is raised (alert_events.raised_at) in the transaction of the
// event that causes it: the ledger calls noteAlert once per event. The
// worker's EvaluateAlerts raises the conditions that time alone brings
// about. DigestAlerts (alert_digest.go) turns an account's raised triggers into one
// outbox mail and clears them, in one transaction.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The alert triggers.
const (
	TriggerLowCodes  = "low_codes"
	TriggerShortfall = "shortfall"
	TriggerRefused   = "refused"
	TriggerLapsed    = "lapsed"
)

// AlertThrottle is how often one trigger of one product may be mailed.
const AlertThrottle = 24 * time.Hour

// AlertGather is how long a raised trigger waits for others of the same
// account, so that what happens together goes out as one digest.
const AlertGather = time.Minute

// DefaultAlertThreshold is a new account's threshold; MaxAlertThreshold the largest one may set.
const (
	DefaultAlertThreshold = 10
	MaxAlertThreshold     = 1_000_000
)

// alertEvent is what a ledger operation tells noteAlert.
type alertEvent int

const (
	eventConsumed  alertEvent = iota + 1 // a code was consumed: low_codes may hold now
	eventRefused                         // a device was refused for lack of a code
	eventLapsed                          // a device lapsed for lack of a code
	eventRenewalOn                       // renewal turned on for a product or device: shortfall may hold now
)

// noteAlert raises the triggers an event of the ledger may cause, in the
// event's transaction. A trigger raised already is left alone, checked by a
// plain read first so that a busy product's connects do not queue on its
// alert rows.
func noteAlert(ctx context.Context, tx sqlx.ExtContext, productID int64, ev alertEvent, now time.Time) error {
	var err error
	switch ev {
	case eventConsumed:
		_, err = raiseLowCodes(ctx, tx, []int64{productID}, now)
	case eventRefused:
		_, err = raise(ctx, tx, TriggerRefused, `SELECT p.id, p.account_id FROM products p WHERE p.id = ANY($3) AND p.deleted_at IS NULL`,
			[]int64{productID}, now)
	case eventLapsed:
		err = noteLapses(ctx, tx, []int64{productID}, []int64{1}, now)
	case eventRenewalOn:
		_, err = raiseShortfall(ctx, tx, []int64{productID}, now)
	}
	return err
}

// noteRenewalPass raises the triggers of one batch of the renewal pass: the
// products that spent codes may be low now, and lapses for lack of a code
// are counted. One call per batch, in the batch's transaction.
func noteRenewalPass(ctx context.Context, tx sqlx.ExtContext, renewedProducts []int64, lapsedProducts []int64, lapseReasons []LapseReason, now time.Time) error {
	if len(renewedProducts) > 0 {
		if _, err := raiseLowCodes(ctx, tx, distinct(renewedProducts), now); err != nil {
			return err
		}
	}
	counts := map[int64]int64{}
	for i, id := range lapsedProducts {
		if lapseReasons[i] == ReasonNoCode {
			counts[id]++
		}
	}
	if len(counts) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	ids = distinct(ids) // sorted: every writer of alert rows takes them in product order
	n := make([]int64, len(ids))
	for i, id := range ids {
		n[i] = counts[id]
	}
	return noteLapses(ctx, tx, ids, n, now)
}

// raise is the statement every level trigger shares: products picks the
// products (id, account_id) for which the trigger holds, from the ids in $3;
// those not raised already are raised at $1.
func raise(ctx context.Context, q sqlx.ExtContext, trigger, products string, productIDs []int64, now time.Time) (int64, error) {
	var ids any // nil: every product
	if productIDs != nil {
		ids = pq.Array(productIDs)
	}
	var raised []int64
	err := sqlx.SelectContext(ctx, q, &raised, `INSERT INTO alert_events (product_id, trigger, account_id, raised_at)
		SELECT x.id, $2, x.account_id, $1 FROM (`+products+`) x
		WHERE NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.product_id = x.id AND e.trigger = $2 AND e.raised_at IS NOT NULL)
		ORDER BY x.id
		ON CONFLICT (product_id, trigger) DO UPDATE SET raised_at = EXCLUDED.raised_at WHERE alert_events.raised_at IS NULL
		RETURNING product_id`,
		now, trigger, ids)
	if err != nil {
		return 0, err
	}
	// The alerts that have a webhook event go out as it is raised (docs/webhooks.md, "Events").
	if typ, ok := alertWebhooks[trigger]; ok {
		if err := emitProductEvents(ctx, q, typ, raised, now); err != nil {
			return 0, err
		}
	}
	return int64(len(raised)), nil
}

// alertWebhooks are the webhook events of the alert triggers that have one.
var alertWebhooks = map[string]WebhookEvent{TriggerLowCodes: EventCodesLow, TriggerShortfall: EventShortfall}

// lowCodesSQL picks the live products, among $3 (NULL: all), whose available
// codes are at or below their account's threshold.
const lowCodesSQL = `SELECT p.id, p.account_id FROM products p JOIN accounts a ON a.id = p.account_id
	WHERE ($3::bigint[] IS NULL OR p.id = ANY($3)) AND p.deleted_at IS NULL AND p.assigned > 0 AND p.available <= a.alert_threshold`

func raiseLowCodes(ctx context.Context, q sqlx.ExtContext, productIDs []int64, now time.Time) (int64, error) {
	return raise(ctx, q, TriggerLowCodes, lowCodesSQL, productIDs, now)
}

// shortfallSQL picks the live products with automatic renewal on, among $3
// (NULL: all), that have a due device beyond their available codes: more
// devices will expire within the window than there are codes to renew them.
// The probe reads at most available+1 entries of devices_product_expiry, so
// it costs little whatever the product's size; products already raised are
// not probed again.
const shortfallSQL = `SELECT p.id, p.account_id FROM products p
	WHERE ($3::bigint[] IS NULL OR p.id = ANY($3)) AND p.deleted_at IS NULL AND p.auto_renew
		AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.product_id = p.id AND e.trigger = 'shortfall' AND e.raised_at IS NOT NULL)
		AND EXISTS (` + firstLapseSQL + `)`

// firstLapseSQL finds, for product p, the due device that will be the first
// left without a code: the (available+1)-th to expire among those that would
// auto-renew. Expired codes the worker has not reached yet count as due.
const firstLapseSQL = `SELECT d.expires_at FROM devices d
	WHERE d.product_id = p.id AND d.lapsed_at IS NULL AND d.deleted_at IS NULL AND d.expires_at < $1::timestamptz + interval '30 days'
		AND d.waiting_since IS NULL
		AND NOT EXISTS (SELECT 1 FROM blacklist b WHERE b.product_id = d.product_id AND b.device_key = d.device_key)
	ORDER BY d.expires_at, d.id OFFSET p.available LIMIT 1`

func raiseShortfall(ctx context.Context, q sqlx.ExtContext, productIDs []int64, now time.Time) (int64, error) {
	return raise(ctx, q, TriggerShortfall, shortfallSQL, productIDs, now)
}

// waitingSQL picks the live products, among $3 (NULL: all), without an
// available code whose devices wait for one: refused devices keep being
// refused, so the alert repeats (once a day) while they wait.
const waitingSQL = `SELECT p.id, p.account_id FROM products p
	WHERE ($3::bigint[] IS NULL OR p.id = ANY($3)) AND p.deleted_at IS NULL AND p.available = 0
		AND EXISTS (SELECT 1 FROM devices d WHERE d.product_id = p.id AND d.waiting_since IS NOT NULL AND d.deleted_at IS NULL)`

// noteLapses counts lapses for lack of a code per product (ids sorted) and raises the trigger.
func noteLapses(ctx context.Context, q sqlx.ExtContext, productIDs, counts []int64, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO alert_events (product_id, trigger, account_id, raised_at, lapses)
		SELECT p.id, 'lapsed', p.account_id, $3, l.n
		FROM unnest($1::bigint[], $2::bigint[]) AS l(id, n) JOIN products p ON p.id = l.id
		ORDER BY p.id
		ON CONFLICT (product_id, trigger) DO UPDATE SET raised_at = coalesce(alert_events.raised_at, EXCLUDED.raised_at),
			lapses = alert_events.lapses + EXCLUDED.lapses`, pq.Array(productIDs), pq.Array(counts), now)
	return err
}

// EvaluateAlerts raises, across every account, the triggers that hold
// without an event: codes low, shortfalls that the passing of time brings
// into the 30-day window, and devices still waiting for a code. The worker
// runs it after each renewal pass; it returns how many triggers it raised.
// A trigger raised again within AlertThrottle of its last mail waits.
func (s *Store) EvaluateAlerts(ctx context.Context) (int64, error) {
	now := s.Now()
	var total int64
	for _, r := range []struct{ trigger, products string }{
		{TriggerLowCodes, lowCodesSQL}, {TriggerShortfall, shortfallSQL}, {TriggerRefused, waitingSQL},
	} {
		n, err := raise(ctx, s.db, r.trigger, r.products, nil, now)
		if err != nil {
			return total, fmt.Errorf("store: evaluate %s alerts: %w", r.trigger, err)
		}
		total += n
	}
	return total, nil
}

// AlertThresholdInput is the new alert threshold, and who sets it.
type AlertThresholdInput struct {
	Threshold int
	Actor     Actor
}

// SetAlertThreshold sets the available-code count at or below which an
// account's products alert. A higher threshold may make products low at
// once: they are raised in the same transaction. The threshold is the
// whole account's, whatever the scope's products.
func (s *Store) SetAlertThreshold(ctx context.Context, sc Scope, in AlertThresholdInput) error {
	accountID, threshold, actor := sc.AccountID, in.Threshold, in.Actor
	if threshold < 0 || threshold > MaxAlertThreshold {
		return invalid("threshold", "err.threshold_range", "Max", MaxAlertThreshold)
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var old int
		err := tx.GetContext(ctx, &old, `SELECT alert_threshold FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, accountID)
		if err != nil {
			return notFound(err, notFoundErr(CodeUnknownAccount, "err.no_account_id", "ID", strconv.FormatInt(accountID, 10)))
		}
		if old == threshold {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET alert_threshold = $2 WHERE id = $1`, accountID, threshold); err != nil {
			return err
		}
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `SELECT id FROM products WHERE account_id = $1 AND deleted_at IS NULL ORDER BY id`, accountID); err != nil {
			return err
		}
		if len(ids) > 0 {
			if _, err := raiseLowCodes(ctx, tx, ids, s.Now()); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, accountID, actor, AuditAlerts, OpThreshold,
			"changed the alert threshold from "+itoa(old)+" to "+itoa(threshold)+" available codes",
			AuditClause{ID: "audit.entry.threshold_changed", Nums: map[string]int64{"Old": int64(old), "New": int64(threshold)}})
	})
}

// distinct returns the ids sorted, each once.
func distinct(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
