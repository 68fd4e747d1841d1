package store

// Near-expiry figures from the maintained expiry counts (migration 00008):
// the live devices whose code expires within NearExpiryWindow are the whole
// days inside the window, summed from expiry_counts (about thirty rows), and
// the two partial days at its ends, counted from the devices' expiry indexes
// (a day of expiries each). No request counts a month of devices one by one.

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// expiryWindow is the near-expiry window at now cut into days (UTC): the
// partial first day (now, firstFull), whole days [firstFull, lastPartial),
// and the partial last day [lastPartial, end).
type expiryWindow struct {
	now, firstFull, lastPartial, end time.Time
}

func windowAt(now time.Time) expiryWindow {
	now = now.UTC()
	end := now.Add(NearExpiryWindow)
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	return expiryWindow{now: now, firstFull: day(now).AddDate(0, 0, 1), lastPartial: day(end), end: end}
}

// dueArgs are dueCount's parameters $2 to $7: now, the first whole day, the
// last partial day, the end, and the partial days' bounds as arrays.
func (w expiryWindow) dueArgs() []any {
	return []any{w.now, w.firstFull, w.lastPartial, w.end,
		pq.Array([]time.Time{w.now, w.lastPartial}), pq.Array([]time.Time{w.firstFull, w.end})}
}

// nearExpiryTotal counts the live devices of the scope's live products whose
// codes expire within NearExpiryWindow of now (the overview's figure).
func nearExpiryTotal(ctx context.Context, q sqlx.QueryerContext, sc Scope, now time.Time) (int64, error) {
	w := windowAt(now)
	var n int64
	if sc.ProductIDs == nil {
		// The whole account: its hour counts (expiry_hour_counts.go).
		counts, err := accountDayCounts(ctx, q, sc, []time.Time{w.now}, w.now, w.end)
		if err != nil {
			return 0, err
		}
		return counts[0], nil
	}
	ids, err := scopeProductIDs(ctx, q, sc)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	counts, err := windowCounts(ctx, q, ids, now)
	for _, c := range counts {
		n += c
	}
	return n, err
}

// scopeProductIDs lists the live products of the scope.
func scopeProductIDs(ctx context.Context, q sqlx.QueryerContext, sc Scope) ([]int64, error) {
	var ids []int64
	err := sqlx.SelectContext(ctx, q, &ids, `SELECT p.id FROM products p WHERE `+sc.productFilter(1)+` AND p.deleted_at IS NULL`, sc.args()...)
	return ids, err
}

// windowCounts counts, per product, the live devices whose codes expire
// within NearExpiryWindow of now: the products' rows of expiry_counts for
// the whole days, devices_product_expiry for the partial ones: a range each,
// whose bounds the planner does not see (as with constants, it took the few
// hours left of today for few devices and read them for every product
// through devices_due_order, 40,000 buffers for 112 products at a million
// devices).
func windowCounts(ctx context.Context, q sqlx.QueryerContext, productIDs []int64, now time.Time) (map[int64]int64, error) {
	w := windowAt(now)
	rows, err := q.QueryxContext(ctx, `SELECT p.id,
		(SELECT coalesce(sum(e.devices), 0) FROM expiry_counts e WHERE e.product_id = p.id AND e.day >= $3::date AND e.day < $4::date)
		+ (SELECT coalesce(sum((SELECT count(*) FROM devices d WHERE d.product_id = p.id AND d.lapsed_at IS NULL AND d.deleted_at IS NULL
				AND d.expires_at >= s.lo AND d.expires_at < s.hi AND d.expires_at > $2)), 0)
			FROM unnest($5::timestamptz[], $6::timestamptz[]) AS s(lo, hi))
		FROM unnest($1::bigint[]) AS p(id)`, pq.Array(productIDs), w.now, w.firstFull, w.lastPartial,
		pq.Array([]time.Time{w.now, w.lastPartial}), pq.Array([]time.Time{w.firstFull, w.end}))
	if err != nil {
		return nil, err
	}
	out := make(map[int64]int64, len(productIDs))
	return out, addProductCounts(rows, out)
}

// expiryCountsLock serialises compactions of several console instances.
const expiryCountsLock = 727006

// compactExpiryCounts folds the rows that statements appended to
// expiry_counts, expiry_hour_counts and consumption_days into one row per
// key, so that reads sum about one row a day (an hour), deletes the forecast parts of the products it
// folds (forecast_parts.go), which counted their unfolded rows, bumps
// their accounts' forecast epochs (forecast_sums.go), for the same reason,
// and makes their near-expiry window sums again (keepWindowSums).
// Rows appended while it runs stay for the next time.
func (s *Store) compactExpiryCounts(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var got bool
		if err := tx.GetContext(ctx, &got, `SELECT pg_try_advisory_xact_lock($1)`, expiryCountsLock); err != nil || !got {
			return err
		}
		// Background work, as long as the rows to fold take (after a seed, a
		// million). The planner guesses a tenth of the keys are distinct;
		// after a seed all are, and a hash join planned for a tenth spills
		// into batches that took minutes (3 s with room for them in memory).
		if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0; SET LOCAL work_mem = '256MB'`); err != nil {
			return err
		}
		// The accounts folded, whose near-expiry window sums change with it.
		var folded []accountDC
		err := tx.SelectContext(ctx, &folded, `WITH k AS (
				SELECT DISTINCT product_id, day FROM expiry_counts WHERE NOT compacted
			), gone AS (
				DELETE FROM expiry_counts e USING k WHERE e.product_id = k.product_id AND e.day = k.day
				RETURNING e.account_id, e.dc, e.product_id, e.day, e.devices
			), parts AS (
				DELETE FROM forecast_parts f WHERE f.product_id IN (SELECT product_id FROM k)
			), epochs AS (
				INSERT INTO forecast_epochs (account_id, epoch)
				SELECT DISTINCT p.account_id, 1 FROM products p WHERE p.id IN (SELECT product_id FROM k)
				ON CONFLICT (account_id) DO UPDATE SET epoch = forecast_epochs.epoch + 1
			), folded AS (
				INSERT INTO expiry_counts (account_id, dc, product_id, day, devices, compacted)
				SELECT account_id, dc, product_id, day, sum(devices), true FROM gone
				GROUP BY account_id, dc, product_id, day HAVING sum(devices) <> 0
			)
			SELECT DISTINCT account_id, dc FROM gone`)
		if err != nil {
			return err
		}
		if err := keepWindowSums(ctx, tx, folded, s.Now()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `WITH k AS (
				SELECT DISTINCT account_id, dc, hour FROM expiry_hour_counts WHERE NOT compacted
			), gone AS (
				DELETE FROM expiry_hour_counts e USING k WHERE e.account_id = k.account_id AND e.dc = k.dc AND e.hour = k.hour
				RETURNING e.account_id, e.dc, e.hour, e.devices
			)
			INSERT INTO expiry_hour_counts (account_id, dc, hour, devices, compacted)
			SELECT account_id, dc, hour, sum(devices), true FROM gone GROUP BY 1, 2, 3 HAVING sum(devices) <> 0`); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `WITH k AS (
				SELECT DISTINCT product_id, day FROM consumption_days WHERE NOT compacted
			), gone AS (
				DELETE FROM consumption_days c USING k WHERE c.product_id = k.product_id AND c.day = k.day
				RETURNING c.product_id, c.day, c.codes, c.first_codes
			), parts AS (
				DELETE FROM forecast_parts f WHERE f.product_id IN (SELECT product_id FROM k)
			), epochs AS (
				INSERT INTO forecast_epochs (account_id, epoch)
				SELECT DISTINCT p.account_id, 1 FROM products p WHERE p.id IN (SELECT product_id FROM k)
				ON CONFLICT (account_id) DO UPDATE SET epoch = forecast_epochs.epoch + 1
			)
			INSERT INTO consumption_days (product_id, day, codes, first_codes, compacted)
			SELECT product_id, day, sum(codes), sum(first_codes), true FROM gone GROUP BY product_id, day`)
		return err
	})
}

// recentCodes counts, per product, the codes consumed since now minus
// RunwayWindow: the whole days from consumption_days, the partial first day
// from activations_product_recent.
func recentCodes(ctx context.Context, q sqlx.QueryerContext, productIDs []int64, now time.Time) (map[int64]int64, error) {
	since := now.Add(-RunwayWindow).UTC()
	firstFull := time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	rows, err := q.QueryxContext(ctx, `SELECT p.id,
		(SELECT coalesce(sum(c.codes), 0) FROM consumption_days c WHERE c.product_id = p.id AND c.day >= $3::date)
		+ (SELECT count(*) FROM activations a WHERE a.product_id = p.id AND a.created_at >= $2 AND a.created_at < $3)
		FROM unnest($1::bigint[]) AS p(id)`, pq.Array(productIDs), since, firstFull)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]int64, len(productIDs))
	return out, addProductCounts(rows, out)
}

// addProductCounts adds the (product id, count) rows to counts and closes rows.
func addProductCounts(rows *sqlx.Rows, counts map[int64]int64) error {
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		counts[id] += n
	}
	return rows.Err()
}
