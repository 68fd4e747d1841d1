package demo

import (
	"fmt"
	"time"
)

// demoStep is one set-based statement of the demo load.
type demoStep struct {
	name  string
	query string
	args  func(account int64, now time.Time) []any
}

func withAccount(account int64, _ time.Time) []any { return []any{account} }
func withNow(_ int64, now time.Time) []any         { return []any{now} }
func withBoth(account int64, now time.Time) []any  { return []any{account, now} }

// demoUniform is a deterministic pseudo-random number in [0, 1) drawn from a
// device's number and a salt, so that the demo looks the same on every load.
const demoUniform = `((hashint8((dp.key_base + g) * 8 + %d) & 2147483647)::float8 / 2147483648.0)`

// demoSteps build the demo after the account, its people and its products
// exist. Each reads the rows the previous ones wrote.
var demoSteps = []demoStep{
	// Every device's story: when it first connected, how many codes it consumed
	// back to back, and why its chain stopped. A renewal does not happen when,
	// at its start, the device was deleted, its product's switch was off, the
	// device was blacklisted or the product had no code (in that order, as the
	// worker decides). 29 February is avoided (the day before instead) so
	// that adding a year n times lands where adding n years does; the
	// packages' validities are whole years, so no other day needs it.
	{"plan", `CREATE TEMP TABLE demo_plan ON COMMIT DROP AS
		SELECT nextval(pg_get_serial_sequence('devices', 'id')) AS device_id, s.* FROM (SELECT u.* FROM (
		WITH params AS (SELECT $1::timestamptz AS now), b AS MATERIALIZED (
			SELECT dp.product_id, dp.dc, dp.validity, dp.auto_off_at, dp.nocode_from, dp.nocode_to, params.now, x.*,
				CASE WHEN u2 < dp.blacklist_rate THEN x.t0 + (params.now - x.t0) * u3 END AS blacklisted_at,
				CASE WHEN u4 < dp.deleted_rate THEN x.t0 + (params.now - x.t0) * u5 END AS deleted_at
			FROM params CROSS JOIN demo_products dp
			CROSS JOIN generate_series(1, dp.devices) g
			CROSS JOIN LATERAL (SELECT ` + fmt.Sprintf(demoUniform, 1) + ` AS u1, ` + fmt.Sprintf(demoUniform, 2) + ` AS u2,
				` + fmt.Sprintf(demoUniform, 3) + ` AS u3, ` + fmt.Sprintf(demoUniform, 4) + ` AS u4,
				` + fmt.Sprintf(demoUniform, 5) + ` AS u5, ` + fmt.Sprintf(demoUniform, 6) + ` AS u6) u
			CROSS JOIN LATERAL (SELECT r.t0 - CASE WHEN extract(month FROM r.t0) = 2 AND extract(day FROM r.t0) = 29 THEN interval '1 day' ELSE interval '0' END AS t0,
					format('%s-%s', dp.prefix, lpad(upper(to_hex(dp.key_base + g)), 6, '0')) AS device_key, u.u6
				FROM (SELECT params.now - (params.now - dp.launched_at) * (1 - sqrt(u.u1)) AS t0) r) x
		), c AS (
			SELECT b.*, ch.stop_reason, coalesce(ch.stop_j - 1, ch.last_j, 1) AS n_act
			FROM b CROSS JOIN LATERAL (
				SELECT min(j) FILTER (WHERE reason IS NOT NULL) AS stop_j, max(j) AS last_j,
					(array_agg(reason ORDER BY j) FILTER (WHERE reason IS NOT NULL))[1] AS stop_reason
				FROM (SELECT j, CASE
						WHEN b.deleted_at <= s THEN 'deleted'
						WHEN b.auto_off_at <= s THEN 'auto_renew_off'
						WHEN b.blacklisted_at <= s THEN 'blacklisted'
						WHEN s >= b.nocode_from AND s < b.nocode_to THEN 'no_activation_code' END AS reason
					FROM generate_series(2, 12) j CROSS JOIN LATERAL (SELECT b.t0 + (j - 1) * b.validity AS s) st
					WHERE s <= b.now) r) ch
		)
		SELECT product_id, dc, validity, device_key, t0, n_act, blacklisted_at, deleted_at,
			CASE WHEN stop_reason <> 'deleted' THEN least(t0 + n_act * validity + interval '1 minute', now) END AS lapsed_at,
			nullif(stop_reason, 'deleted') AS lapse_reason,
			NULL::timestamptz AS waiting_since,
			CASE WHEN stop_reason IS NULL AND deleted_at IS NULL THEN now - interval '20 hours' * u6
				ELSE greatest(t0, least(t0 + n_act * validity + interval '1 minute', deleted_at, now)) END AS last_connect_at
		FROM c
		UNION ALL
		SELECT dp.product_id, dp.dc, dp.validity, format('%s-%s', dp.prefix, lpad(upper(to_hex(dp.key_base + dp.devices + g)), 6, '0')),
			NULL, 0, NULL, NULL, NULL, NULL, w.since, params.now - (params.now - w.since) * ` + fmt.Sprintf(demoUniform, 8) + `
		FROM params CROSS JOIN demo_products dp CROSS JOIN generate_series(1, dp.waiting) g
		CROSS JOIN LATERAL (SELECT params.now - (params.now - dp.launched_at) * ` + fmt.Sprintf(demoUniform, 7) + ` AS since) w
		) u ORDER BY coalesce(u.t0, u.waiting_since) OFFSET 0) s`, withNow},

	// Devices and their activation chains, written from the same plan rows
	// (device ids drawn in advance), so every device mirrors exactly the
	// activations written for it.
	{"devices", `INSERT INTO devices (id, account_id, dc, product_id, device_key, activated_at, expires_at, last_kind, activations,
			waiting_since, lapsed_at, lapse_reason, deleted_at, last_connect_at, last_connect_dc, created_at)
		OVERRIDING SYSTEM VALUE
		SELECT device_id, $1, dc, product_id, device_key,
			CASE WHEN n_act > 0 THEN t0 + (n_act - 1) * validity END,
			CASE WHEN n_act > 0 THEN t0 + n_act * validity END,
			CASE WHEN n_act = 1 THEN 'first' WHEN n_act > 1 THEN 'renewal' END,
			n_act, waiting_since, lapsed_at, lapse_reason, deleted_at, last_connect_at, dc, coalesce(t0, waiting_since)
		FROM demo_plan`, withAccount},
	{"activations", `INSERT INTO activations (account_id, product_id, device_id, kind, activated_at, expires_at, created_at)
		SELECT $1, product_id, device_id, CASE WHEN j = 1 THEN 'first' ELSE 'renewal' END,
			t0 + (j - 1) * validity, t0 + j * validity, t0 + (j - 1) * validity
		FROM demo_plan CROSS JOIN generate_series(1, n_act) j`, withAccount},
	{"blacklist", `INSERT INTO blacklist (account_id, product_id, device_key, created_at)
		SELECT $1, product_id, device_key, blacklisted_at FROM demo_plan WHERE blacklisted_at IS NOT NULL`, withAccount},

	// Quarterly assignments that keep ahead of consumption, rounded up to
	// hundreds, the last one leaving the product its target of available codes.
	// The sub-account makes every third one after it joined.
	{"assignments", `INSERT INTO assignments (account_id, dc, product_id, package_id, quantity, user_id, operator, created_at)
		WITH periods AS (
			SELECT dp.product_id, dp.dc, p.package_id, i, p.created_at + interval '1 day 10 hours' + i * interval '3 months' AS at,
				dp.target_available + (SELECT count(*) FROM activations a WHERE a.product_id = dp.product_id) AS total
			FROM demo_products dp JOIN products p ON p.id = dp.product_id CROSS JOIN generate_series(0, 40) i
			WHERE p.package_id IS NOT NULL AND p.created_at + interval '1 day 10 hours' + i * interval '3 months' < $2
		), bounded AS (
			SELECT *, lead(at) OVER (PARTITION BY product_id ORDER BY i) AS next_at FROM periods
		), targets AS (
			SELECT b.*, CASE WHEN b.next_at IS NULL THEN b.total
				ELSE least(b.total, ceil((SELECT count(*) FROM activations a WHERE a.product_id = b.product_id AND a.created_at < b.next_at) / 100.0)::bigint * 100) END AS target
			FROM bounded b
		), quantities AS (
			SELECT t.*, t.target - coalesce(lag(t.target) OVER (PARTITION BY t.product_id ORDER BY t.i), 0) AS quantity FROM targets t
		)
		SELECT $1, q.dc, q.product_id, q.package_id, q.quantity, u.id, u.email, q.at
		FROM quantities q JOIN users u ON u.account_id = $1 AND u.role = CASE
			WHEN q.i % 3 = 1 AND q.at > (SELECT created_at FROM users WHERE account_id = $1 AND role = 'member') THEN 'member' ELSE 'owner' END
		WHERE q.quantity > 0 ORDER BY q.at, q.product_id`, withBoth},
	{"product counters", `UPDATE products p SET assigned = a.total, consumed = coalesce(c.n, 0), available = a.total - coalesce(c.n, 0)
		FROM (SELECT product_id, sum(quantity) AS total FROM assignments WHERE account_id = $1 GROUP BY 1) a
		LEFT JOIN (SELECT product_id, count(*) AS n FROM activations WHERE account_id = $1 GROUP BY 1) c USING (product_id)
		WHERE p.id = a.product_id`, withAccount},

	// Half-yearly purchase orders per data center and package that keep ahead
	// of the assignments, rounded up to thousands; the last leaves the pool
	// its target of unassigned codes.
	{"purchases", `INSERT INTO credits (kind, order_no, account_id, dc, package_id, quantity, created_at)
		WITH totals AS (
			SELECT dc, package_id, sum(q) AS total FROM (
				SELECT dc, package_id, quantity AS q FROM assignments WHERE account_id = $1
				UNION ALL SELECT dc, package_id, quantity FROM demo_unassigned
				UNION ALL SELECT dc, package_id, -quantity FROM credits WHERE account_id = $1 AND kind = 'grant') x
			GROUP BY 1, 2
		), periods AS (
			SELECT t.dc, t.package_id, t.total, i, a.created_at + interval '2 days 9 hours' + i * interval '6 months' AS at
			FROM totals t CROSS JOIN accounts a CROSS JOIN generate_series(0, 20) i
			WHERE a.id = $1 AND a.created_at + interval '2 days 9 hours' + i * interval '6 months' < $2
		), bounded AS (
			SELECT *, lead(at) OVER (PARTITION BY dc, package_id ORDER BY i) AS next_at FROM periods
		), targets AS (
			SELECT b.*, CASE WHEN b.next_at IS NULL THEN b.total
				ELSE least(b.total, ceil((SELECT coalesce(sum(quantity), 0) FROM assignments a
					WHERE a.account_id = $1 AND a.dc = b.dc AND a.package_id = b.package_id AND a.created_at < b.next_at) / 1000.0)::bigint * 1000) END AS target
			FROM bounded b
		), quantities AS (
			SELECT t.*, t.target - coalesce(lag(t.target) OVER (PARTITION BY t.dc, t.package_id ORDER BY t.i), 0) AS quantity FROM targets t
		)
		SELECT 'purchase', format('ACME-%s-%s-%s', upper(split_part(q.dc, '-', 1)), upper(k.code), to_char(q.at, 'YYYYMMDD')),
			$1, q.dc, q.package_id, q.quantity, q.at
		FROM quantities q JOIN packages k ON k.id = q.package_id
		WHERE q.quantity > 0 ORDER BY q.at`, withBoth},
	{"pools", `INSERT INTO pools (account_id, dc, package_id, purchased, granted, unassigned, assigned)
		SELECT $1, dc, package_id, purchased, granted, purchased + granted - assigned, assigned FROM (
			SELECT dc, package_id, sum(purchased) AS purchased, sum(granted) AS granted, sum(assigned) AS assigned FROM (
				SELECT dc, package_id, CASE WHEN kind = 'purchase' THEN quantity ELSE 0 END AS purchased,
					CASE WHEN kind = 'grant' THEN quantity ELSE 0 END AS granted, 0 AS assigned
				FROM credits WHERE account_id = $1
				UNION ALL SELECT dc, package_id, 0, 0, quantity FROM assignments WHERE account_id = $1) x
			GROUP BY 1, 2) t
		ON CONFLICT (account_id, dc, package_id) DO UPDATE SET purchased = EXCLUDED.purchased, granted = EXCLUDED.granted,
			unassigned = EXCLUDED.unassigned, assigned = EXCLUDED.assigned`, withAccount},

	// Colleagues who receive the resource alerts besides the owner.
	{"alert recipients", `INSERT INTO alert_recipients (account_id, name, email, created_at)
		SELECT $1, r.name, r.email, a.created_at + r.after FROM accounts a, (VALUES
			('Operations desk', 'ops-alerts@acme-devices.example', interval '20 days'),
			('Lena Fischer', 'lena.fischer@acme-devices.example', interval '200 days'),
			('', 'billing@acme-devices.example', interval '400 days')) AS r(name, email, after)
		WHERE a.id = $1`, withAccount},

	// The audit log of the changes above, worded as the operations word them
	// (the description, and its message: store.AuditMessage).
	{"audit log", `INSERT INTO audit_log (account_id, at, user_id, actor, type, operation, description, message)
		SELECT $1, at, user_id, actor, type, operation, description, jsonb_build_array(message) FROM (
			SELECT a.created_at AS at, a.user_id, a.operator AS actor, 'license' AS type, 'assign' AS operation,
				format('assigned %s codes of package %s to %s (%s)', a.quantity, k.code, p.name, p.product_key) AS description,
				jsonb_build_object('id', 'audit.entry.assigned', 'nums', jsonb_build_object('Count', a.quantity),
					'args', jsonb_build_object('Package', k.code, 'Product', p.name, 'ProductKey', p.product_key)) AS message
			FROM assignments a JOIN packages k ON k.id = a.package_id JOIN products p ON p.id = a.product_id WHERE a.account_id = $1
			UNION ALL
			SELECT dp.auto_off_at, o.id, o.email, 'renewal', 'automatic renewal off',
				format('turned automatic renewal off for %s (%s)', p.name, p.product_key),
				jsonb_build_object('id', 'audit.entry.auto_renew_off', 'args', jsonb_build_object('Product', p.name, 'ProductKey', p.product_key))
			FROM demo_products dp JOIN products p ON p.id = dp.product_id JOIN users o ON o.account_id = $1 AND o.role = 'owner'
			WHERE dp.auto_off_at IS NOT NULL
			UNION ALL
			SELECT b.created_at, o.id, o.email, 'renewal', 'blacklist add',
				format('device %s was added to the renewal blacklist of %s (%s): %s', b.device_key, p.name, p.product_key, b.device_key),
				jsonb_build_object('id', 'audit.entry.blacklist_added', 'nums', jsonb_build_object('Count', 1),
					'args', jsonb_build_object('Devices', b.device_key, 'Product', p.name, 'ProductKey', p.product_key))
			FROM blacklist b JOIN products p ON p.id = b.product_id JOIN users o ON o.account_id = $1 AND o.role = 'owner'
			WHERE b.account_id = $1) x
		ORDER BY at`, withAccount},
}
