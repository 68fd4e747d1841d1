package store

// Webhook events (docs/webhooks.md, "Events"): the ledger writes them to
// webhook_events in the transaction of the change that causes them, one row
// per endpoint that wants the event and may hear about its product, with
// one statement per kind of change and batch (an INSERT ... SELECT), never
// a row per round trip: the renewal pass writes a batch's events in the
// statements it already runs. An account without an enabled endpoint
// wanting the event costs one index probe (the statement's one-time
// filter).

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// WebhookEvent is the type of an event an endpoint may want.
type WebhookEvent string

// The events (docs/webhooks.md, "Events").
const (
	EventDeviceActivated WebhookEvent = "device.activated"
	EventDeviceRenewed   WebhookEvent = "device.renewed"
	EventDeviceLapsed    WebhookEvent = "device.lapsed"
	EventDeviceRefused   WebhookEvent = "device.refused"
	EventCodesLow        WebhookEvent = "product.codes_low"
	EventShortfall       WebhookEvent = "product.shortfall"
	EventCodesAssigned   WebhookEvent = "codes.assigned"
	EventCodesPurchased  WebhookEvent = "codes.purchased"
	// EventTest is the test event a person sends from the page; no endpoint subscribes to it.
	EventTest WebhookEvent = "webhook.test"
)

// WebhookEvents are the events an endpoint may want, in the page's order.
var WebhookEvents = []WebhookEvent{EventDeviceActivated, EventDeviceRenewed, EventDeviceLapsed, EventDeviceRefused,
	EventCodesLow, EventShortfall, EventCodesAssigned, EventCodesPurchased}

// PayloadVersion is the version of every event's data; a change to a
// payload that could break a receiver gets a new one.
const PayloadVersion = 1

// webhookReachSQL holds when endpoint e (its creator joined as u) may hear
// about product id x (NULL: an event of the whole account, such as a
// purchase without a product): what the person who registered it may see
// now, as for an alert recipient (docs/webhooks.md, "Who hears what").
func webhookReachSQL(x string) string {
	return `(e.created_by IS NULL OR (u.disabled_at IS NULL AND u.account_id = e.account_id AND (u.role = 'owner'
		OR (u.role = 'member' AND (u.all_products OR (` + x + ` IS NOT NULL
			AND EXISTS (SELECT 1 FROM user_products up WHERE up.user_id = u.id AND up.product_id = ` + x + `)))))))`
}

// emitWebhooks writes event typ for every row of source, a SELECT of
// (account_id, product_id, device_id, data) whose own arguments start at
// $3, to each enabled endpoint of the row's account that wants typ and
// may hear about its product. $1 is the type and $2 now.
func emitWebhooks(ctx context.Context, q sqlx.ExecerContext, typ WebhookEvent, source string, now time.Time, args ...any) error {
	_, err := q.ExecContext(ctx, `INSERT INTO webhook_events (endpoint_id, account_id, type, device_id, data, created_at, next_attempt_at)
		SELECT e.id, s.account_id, $1, s.device_id, s.data, $2, $2
		FROM (`+source+`) s
		JOIN webhook_endpoints e ON e.account_id = s.account_id AND e.enabled AND $1 = ANY(e.events)
		LEFT JOIN users u ON u.id = e.created_by
		WHERE EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.enabled AND $1 = ANY(w.events)) AND `+webhookReachSQL("s.product_id")+`
		ORDER BY s.device_id, e.id`, append([]any{typ, now}, args...)...)
	return err
}

// deviceSourceSQL is a device event's rows, for the devices $3, with the
// devices' state as the change left it (docs/webhooks.md, "Events").
const deviceSourceSQL = `SELECT d.account_id, d.product_id, d.id AS device_id, jsonb_strip_nulls(jsonb_build_object(
		'version', 1, 'account_id', d.account_id, 'product_key', p.product_key, 'device_key', d.device_key,
		'data_center', p.dc, 'connected_through', d.last_connect_dc,
		'activated_at', webhook_time(d.activated_at), 'expires_at', webhook_time(d.expires_at), 'kind', d.last_kind,
		'lapsed_at', webhook_time(d.lapsed_at), 'reason', d.lapse_reason, 'waiting_since', webhook_time(d.waiting_since))) AS data
	FROM devices d JOIN products p ON p.id = d.product_id WHERE d.id = ANY($3)`

// emitDeviceEvents writes typ for each of the devices, in the transaction
// that changed them.
func emitDeviceEvents(ctx context.Context, q sqlx.ExecerContext, typ WebhookEvent, deviceIDs []int64, now time.Time) error {
	if len(deviceIDs) == 0 {
		return nil
	}
	return emitWebhooks(ctx, q, typ, deviceSourceSQL, now, pq.Array(deviceIDs))
}

// emitProductEvents writes a product alert's event (codes low, shortfall)
// for each of the products, with its figures and the account's threshold.
func emitProductEvents(ctx context.Context, q sqlx.ExecerContext, typ WebhookEvent, productIDs []int64, now time.Time) error {
	if len(productIDs) == 0 {
		return nil
	}
	return emitWebhooks(ctx, q, typ, `SELECT p.account_id, p.id AS product_id, NULL::bigint AS device_id, jsonb_build_object(
			'version', 1, 'account_id', p.account_id, 'product_key', p.product_key, 'product_name', p.name, 'data_center', p.dc,
			'available', p.available, 'consumed', p.consumed, 'threshold', a.alert_threshold) AS data
		FROM products p JOIN accounts a ON a.id = p.account_id WHERE p.id = ANY($3)`, now, pq.Array(productIDs))
}

// emitAssigned writes codes.assigned for codes credited to a product, by a
// person's assignment or by a purchase for the product.
func emitAssigned(ctx context.Context, q sqlx.ExecerContext, p lockedProduct, pkg, quantity int64, operator string, now time.Time) error {
	return emitWebhooks(ctx, q, EventCodesAssigned, `SELECT p.account_id, p.id AS product_id, NULL::bigint AS device_id, jsonb_build_object(
			'version', 1, 'account_id', p.account_id, 'product_key', p.product_key, 'product_name', p.name, 'data_center', p.dc,
			'package', (SELECT code FROM packages WHERE id = $4), 'quantity', $5::bigint, 'operator', $6::text, 'available', p.available,
			'assigned_at', webhook_time($2)) AS data
		FROM products p WHERE p.id = $3`, now, p.ID, pkg, quantity, operator)
}

// emitPurchased writes codes.purchased for a recorded order: about its
// product when it names one, else about the whole account (only endpoints
// that hear about every product get it).
func emitPurchased(ctx context.Context, q sqlx.ExecerContext, o PurchaseOrder, productID *int64, now time.Time) error {
	return emitWebhooks(ctx, q, EventCodesPurchased, `SELECT $3::bigint AS account_id, $4::bigint AS product_id, NULL::bigint AS device_id,
		jsonb_strip_nulls(jsonb_build_object('version', 1, 'account_id', $3::bigint, 'order_no', $5::text, 'data_center', $6::text,
			'package', $7::text, 'quantity', $8::bigint, 'product_key', nullif($9::text, ''), 'purchased_at', webhook_time($2))) AS data`,
		now, o.AccountID, productID, o.OrderNo, o.DataCenter, o.PackageCode, o.Quantity, o.ProductKey)
}
