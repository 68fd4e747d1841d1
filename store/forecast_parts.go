package store

// The overview's forecast, when its scope's kept sum is not current
// (forecast_sums.go), adds up each product's share of it, its part, from
// forecast_parts (migration 00020; docs/renewal.md, "The forecast"): a row
// per product, shared by every console instance, instead of every product's
// days of the counters (at 2,000 products, 130,000 rows of expiry_counts and
// 80,000 of consumption_days). A part is exact: it is used only while what
// it was made from is unchanged, and made again otherwise:
//
//   - the day: a part is for the forecast starting on its day;
//   - the product's codes, switch and package: kept beside the part and compared;
//   - its devices and first connects: every change appends a row to the
//     counters (expiry_counts, consumption_days), counted while unfolded
//     (fresh), and folding them deletes the parts of the products it folds,
//     so that the count of fresh rows a part was made with changes with
//     every change of its figures;
//   - its blacklist: a change deletes the part (SetBlacklisted).
//
// A deleted product's part is deleted with it (DeleteProduct), and by the
// worker's PrepareForecasts should a forecast under way make it again.
//
// Parts are made under expiryCountsLock shared, which folds and blacklist
// changes take alone: no part is written from rows read before a fold or a
// blacklist change that it would then miss.

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// partFields is how many figures a part keeps per week (forecast_parts.weeks):
// will renew, won't renew, new. The codes left and short follow from them
// and the product's codes (partOf).
const partFields = 3

// freshCounts counts, per product p.id, the rows appended to its counters since they were last folded.
const freshCounts = `(SELECT count(*) FROM expiry_counts e WHERE e.product_id = p.id AND NOT e.compacted)
	+ (SELECT count(*) FROM consumption_days c WHERE c.product_id = p.id AND NOT c.compacted)`

// forecastParts returns the products' parts of the forecast of ForecastWeeks
// weeks from start: the kept ones still current, the others made again.
func (s *Store) forecastParts(ctx context.Context, sc Scope, products []*forecastProduct, start time.Time) (map[int64]forecastPart, error) {
	parts := make(map[int64]forecastPart, len(products))
	if len(products) == 0 {
		return parts, nil
	}
	n := len(products)
	ids, available, autoRenew, validity := make([]int64, n), make([]int64, n), make([]bool, n), make([]int64, n)
	for i, p := range products {
		ids[i], available[i], autoRenew[i], validity[i] = p.ID, p.available, p.autoRenew, int64(p.validity)
	}
	// One statement, one snapshot: a part and the fresh rows it is compared
	// with are seen at the same moment. The fresh rows are counted in one
	// pass over the account's unfolded rows (few: the renewal pass folds
	// them; never another tenant's), not a look-up per product
	// (MATERIALIZED: not once per product either).
	rows, err := s.db.QueryxContext(ctx, `WITH fe AS MATERIALIZED (
			SELECT product_id, count(*) AS n FROM expiry_counts WHERE NOT compacted AND account_id = $6 AND dc = $7 GROUP BY 1
		), fc AS MATERIALIZED (
			SELECT product_id, count(*) AS n FROM consumption_days WHERE NOT compacted AND product_id = ANY($1::bigint[]) GROUP BY 1
		)
		SELECT f.product_id, f.runs_out, f.first_codes, f.fresh, f.weeks
		FROM unnest($1::bigint[], $2::bigint[], $3::boolean[], $4::int[]) AS p(id, available, auto_renew, validity)
		JOIN forecast_parts f ON f.product_id = p.id
		LEFT JOIN fe ON fe.product_id = p.id LEFT JOIN fc ON fc.product_id = p.id
		WHERE f.start = $5::date AND f.available = p.available AND f.auto_renew = p.auto_renew AND f.validity = p.validity
			AND f.fresh = coalesce(fe.n, 0) + coalesce(fc.n, 0)`,
		pq.Array(ids), pq.Array(available), pq.Array(autoRenew), pq.Array(validity), start, sc.AccountID, sc.DC)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := make(map[int64]*forecastProduct, n)
	for _, p := range products {
		byID[p.ID] = p
	}
	for rows.Next() {
		var id int64
		var part forecastPart
		var weeks []byte // the array's text, read here: pq's reader takes longer than the query
		if err := rows.Scan(&id, &part.runsOut, &part.firstCodes, &part.fresh, &weeks); err != nil {
			return nil, err
		}
		if part.weeks = partOf(weeks, byID[id].available); part.weeks != nil {
			parts[id] = part
		} // else not a part of this horizon: made again
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var stale []*forecastProduct
	for _, p := range products {
		if _, ok := parts[p.ID]; !ok {
			stale = append(stale, p)
		}
	}
	if len(stale) == 0 {
		return parts, nil
	}
	made, err := s.makeForecastParts(ctx, sc, stale, start)
	for id, part := range made {
		parts[id] = part
	}
	return parts, err
}

// makeForecastParts makes the products' parts from the counters and keeps them.
func (s *Store) makeForecastParts(ctx context.Context, sc Scope, products []*forecastProduct, start time.Time) (map[int64]forecastPart, error) {
	parts := make(map[int64]forecastPart, len(products))
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, expiryCountsLock); err != nil {
			return err
		}
		n := len(products)
		ids := make([]int64, n)
		for i, p := range products {
			ids[i] = p.ID
		}
		// The fresh rows first: a row appended after this count and read
		// below only makes the part again next time.
		fresh := map[int64]int64{}
		rs, err := tx.QueryxContext(ctx, `SELECT p.id, `+freshCounts+` FROM unnest($1::bigint[]) AS p(id)`, pq.Array(ids))
		if err != nil {
			return err
		}
		if err := addProductCounts(rs, fresh); err != nil {
			return err
		}
		for _, p := range products {
			p.expiring, p.blacklist, p.firstCodes = nil, nil, 0
		}
		if err := forecastInputs(ctx, tx, sc, products, start, 7*ForecastWeeks); err != nil {
			return err
		}
		available, autoRenew, validity := make([]int64, n), make([]bool, n), make([]int64, n)
		freshOf, first, runsOut, weeks := make([]int64, n), make([]int64, n), make([]int64, n), make([]string, n)
		for i, p := range products {
			part := p.part(ForecastWeeks)
			part.fresh = fresh[p.ID]
			parts[p.ID] = part
			available[i], autoRenew[i], validity[i] = p.available, p.autoRenew, int64(p.validity)
			freshOf[i], first[i], runsOut[i], weeks[i] = fresh[p.ID], part.firstCodes, int64(part.runsOut), partWeeks(part)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO forecast_parts
				(account_id, dc, product_id, start, available, auto_renew, validity, fresh, first_codes, runs_out, weeks)
			SELECT $1, $2, p.id, $3::date, p.available, p.auto_renew, p.validity, p.fresh, p.first_codes, p.runs_out, p.weeks::bigint[]
			FROM unnest($4::bigint[], $5::bigint[], $6::boolean[], $7::int[], $8::bigint[], $9::bigint[], $10::int[], $11::text[])
				AS p(id, available, auto_renew, validity, fresh, first_codes, runs_out, weeks)
			ORDER BY p.id
			ON CONFLICT (product_id) DO UPDATE SET account_id = excluded.account_id, dc = excluded.dc, start = excluded.start,
				available = excluded.available, auto_renew = excluded.auto_renew, validity = excluded.validity,
				fresh = excluded.fresh, first_codes = excluded.first_codes, runs_out = excluded.runs_out, weeks = excluded.weeks`,
			sc.AccountID, sc.DC, start, pq.Array(ids), pq.Array(available), pq.Array(autoRenew), pq.Array(validity),
			pq.Array(freshOf), pq.Array(first), pq.Array(runsOut), pq.Array(weeks))
		return err
	})
	return parts, err
}

// partWeeks is a part's weeks as forecast_parts keeps them, an array literal.
func partWeeks(part forecastPart) string {
	var b strings.Builder
	b.WriteByte('{')
	for w, x := range part.weeks {
		for k, n := range []int64{x.WillRenew, x.WontRenew, x.New} {
			if w > 0 || k > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(n, 10))
		}
	}
	b.WriteByte('}')
	return b.String()
}

// partOf reads a part's weeks from forecast_parts.weeks (an array's text,
// "{will,wont,new,...}"), working out the codes left at the end of each
// week and those short in it from the product's available codes, as
// simulate does: what the weeks took so far, against the codes. It is nil
// unless the array holds ForecastWeeks weeks.
func partOf(text []byte, available int64) []ForecastWeek {
	nums := make([]int64, 0, partFields*ForecastWeeks)
	var n int64
	neg, in := false, false
	for _, c := range text {
		switch {
		case c >= '0' && c <= '9':
			n, in = n*10+int64(c-'0'), true
		case c == '-':
			neg = true
		case c == ',' || c == '}':
			if in {
				if neg {
					n = -n
				}
				nums = append(nums, n)
			}
			n, neg, in = 0, false, false
		}
	}
	if len(nums) != partFields*ForecastWeeks {
		return nil
	}
	weeks := make([]ForecastWeek, ForecastWeeks)
	var used, short int64
	for w := range weeks {
		x := nums[partFields*w:]
		used += x[0] + x[2]
		now := max(used-available, 0)
		weeks[w] = ForecastWeek{WillRenew: x[0], WontRenew: x[1], New: x[2], Left: max(available-used, 0), Short: now - short}
		short = now
	}
	return weeks
}

// forgetForecastParts deletes the products' parts and bumps their
// accounts' forecast epochs (forecast_sums.go), under expiryCountsLock
// (taken alone, in tx's transaction): what they rest on is changing.
func forgetForecastParts(ctx context.Context, tx *sqlx.Tx, productIDs ...int64) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, expiryCountsLock); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM forecast_parts WHERE product_id = ANY($1)`, pq.Array(productIDs)); err != nil {
		return err
	}
	return bumpForecastEpochs(ctx, tx, productIDs)
}
