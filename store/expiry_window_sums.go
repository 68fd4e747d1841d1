package store

// The near-expiry window sums (migration 00023): per account and data
// center, per product, the live devices whose codes expire up to the
// window's last UTC day, from the folded rows of expiry_counts. The whole
// account's near-expiry chart screens its products with them
// (accountByDay): each product's sum plus the rows appended since the last
// fold, instead of every counter row of the window (21,088 for the bench's
// large account).
//
// They are exact while their day is the request's: folded rows change only
// in a fold (compactExpiryCounts), which makes the sums of every account it
// folds again in its own transaction, so a request's snapshot sees sums and
// folded rows that agree, and the rows appended since, which the request
// adds. A new window day (after 00:00 UTC) leaves an account's sums made
// for yesterday's: the request counts from the counters, and the next fold
// makes them for the new day.

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// accountDC is an account in one data center: the key of its window sums.
type accountDC struct {
	AccountID int64  `db:"account_id"`
	DC        string `db:"dc"`
}

// windowLastDay is the UTC day the near-expiry window at now ends in: the
// last day its sums and screen count up to.
func windowLastDay(now time.Time) string {
	return utcDay(now.Add(NearExpiryWindow)).Format(time.DateOnly)
}

// keepWindowSums makes the window sums, for the window at now, of the
// accounts folded and of every account whose sums are for another day or
// not made: each product's folded rows up to the window's last day, 0 for
// a product whose rows are gone, and the row of product 0, the mark that
// they are made (its devices 0: a request reads only the mark). It runs inside the fold's
// transaction, under its lock, so no other fold writes folded rows meanwhile.
func keepWindowSums(ctx context.Context, tx *sqlx.Tx, folded []accountDC, now time.Time) error {
	ids := make([]int64, len(folded))
	dcs := make([]string, len(folded))
	for i, a := range folded {
		ids[i], dcs[i] = a.AccountID, a.DC
	}
	_, err := tx.ExecContext(ctx, `WITH pairs AS MATERIALIZED (
			SELECT account_id, dc FROM unnest($2::bigint[], $3::text[]) AS f(account_id, dc)
			UNION
			SELECT DISTINCT p.account_id, p.dc FROM products p WHERE NOT EXISTS (SELECT 1 FROM expiry_window_sums m
				WHERE m.account_id = p.account_id AND m.dc = p.dc AND m.product_id = 0 AND m.through = $1::date)
		), sums AS (
			SELECT x.account_id, x.dc, x.product_id, sum(x.n) AS n FROM (
				SELECT e.account_id, e.dc, e.product_id, e.devices AS n FROM pairs a JOIN expiry_counts e
					ON e.account_id = a.account_id AND e.dc = a.dc AND e.product_id <> 0 AND e.day <= $1::date WHERE e.compacted
				UNION ALL
				SELECT w.account_id, w.dc, w.product_id, 0 FROM pairs a JOIN expiry_window_sums w ON w.account_id = a.account_id AND w.dc = a.dc
				UNION ALL
				SELECT account_id, dc, 0, 0 FROM pairs
			) x GROUP BY 1, 2, 3
		)
		INSERT INTO expiry_window_sums AS w (account_id, dc, product_id, through, devices)
		SELECT account_id, dc, product_id, $1::date, n FROM sums
		ON CONFLICT (account_id, dc, product_id) DO UPDATE SET through = excluded.through, devices = excluded.devices
		WHERE (w.through, w.devices) IS DISTINCT FROM (excluded.through, excluded.devices)`,
		windowLastDay(now), pq.Array(ids), pq.Array(dcs))
	return err
}
