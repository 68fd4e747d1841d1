package store

// The overview's forecast of a whole scope is kept summed, a row per scope
// in forecast_sums (migration 00022; docs/renewal.md, "The forecast"), so
// that a request reads that row and its scope's products instead of a part
// per product (forecast_parts.go). A sum is exact: it is used only while
// every part it adds up would be the same, which a request checks in one
// statement:
//
//   - the day: a sum is for the forecast starting on its day;
//   - the products, their codes, switches and packages: a SHA-256 of them
//     (productsDigest), kept beside the sum and compared;
//   - their devices and first connects: the rows appended to their counters
//     since the last fold, as many as the parts were made with (fresh).
//     Between two folds they only grow, so the same total means the same
//     count for every product;
//   - folds and blacklist changes, which change parts without changing the
//     above: each bumps the account's epoch (forecast_epochs), kept beside
//     the sum and compared.
//
// A sum keeps the epoch read before its parts were: a fold or blacklist
// change its parts may have missed bumps the epoch past it, so the sum is
// never read (and, by then, not written over a newer one). The products' names and keys are read each time: a sum
// keeps the days its products run out on, not which comes first by name.
//
// The renewal worker makes each account's sum (and so its parts) once a day
// after 00:00 UTC, and again after a fold or blacklist change
// (PrepareForecasts), so that requests find it made.

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// sumFields is how many figures a sum keeps per week (forecast_sums.weeks):
// will renew, won't renew, new, left, short.
const sumFields = 5

// forecastScopeKey names a scope's row of forecast_sums: "" for every
// product of the account, else a digest of the member's products.
func forecastScopeKey(sc Scope) string {
	if sc.ProductIDs == nil {
		return ""
	}
	ids := slices.Clone(sc.ProductIDs)
	slices.Sort(ids)
	h := sha256.New()
	for _, id := range ids {
		h.Write(binary.LittleEndian.AppendUint64(nil, uint64(id)))
	}
	return "p" + hex.EncodeToString(h.Sum(nil))
}

// forecastKeySQL is, for the products aliased p and their validity in
// days, what a sum rests on (forecast_sums.products): the hex SHA-256 of
// "id,codes,validity,switch" per product, in id order, joined by ";".
// forecastKey is the same in Go. The digest, not the text, is kept: the
// text of 2,000 products (26 kB) was stored compressed and unpacked for
// every comparison (1.5 ms a request).
const forecastKeySQL = `encode(sha256(convert_to(string_agg(p.id || ',' || p.available || ',' || p.validity || ',' || CASE WHEN p.auto_renew THEN 1 ELSE 0 END,
	';' ORDER BY p.id), 'UTF8')), 'hex')`

// forecastKey is forecastKeySQL of the products.
func forecastKey(products []*forecastProduct) string {
	byID := slices.Clone(products)
	slices.SortFunc(byID, func(a, b *forecastProduct) int { return cmp.Compare(a.ID, b.ID) })
	b := make([]byte, 0, 24*len(byID))
	for i, p := range byID {
		if i > 0 {
			b = append(b, ';')
		}
		b = strconv.AppendInt(b, p.ID, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, p.available, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(p.validity), 10)
		if p.autoRenew {
			b = append(b, ",1"...)
		} else {
			b = append(b, ",0"...)
		}
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// keptForecast reads the scope's kept forecast, in one statement: its
// products' figures, the sum kept for them if it is current (ok), and the
// product that runs out first; else the account's epoch, which a sum made
// now keeps. The products' fresh rows are counted in one pass over the
// unfolded rows (few: the renewal pass folds them), not looked up product
// by product (MATERIALIZED: 4,000 look-ups took 6 ms at 2,000 products).
// The product that runs out first is looked up by key among the sum's
// first_ids, not filtered out of p: when many products run out on the same
// day, a scan of p against the array cost 4-8 ms (187 of 2,000).
func (s *Store) keptForecast(ctx context.Context, sc Scope, start time.Time) (f Forecast, epoch int64, ok bool, err error) {
	f = newForecast(start, ForecastWeeks)
	var weeks pq.Int64Array
	var runsOut int
	var first struct {
		ID        *int64
		Name, Key *string
	}
	st, err := s.prepared(ctx, keptForecastSQL(sc))
	if err != nil {
		return f, 0, false, err
	}
	err = st.QueryRowxContext(ctx, append(sc.args(), start, forecastScopeKey(sc))...).
		Scan(&epoch, &f.Products, &f.Available, &ok, &f.FirstCodes, &f.ProductsShort, &runsOut, &weeks, &first.ID, &first.Name, &first.Key)
	if err != nil {
		return f, 0, false, err
	}
	if f.Products == 0 {
		return f, epoch, true, nil
	}
	if !ok || len(weeks) != sumFields*ForecastWeeks {
		return f, epoch, false, nil
	}
	for w := range f.Weeks {
		x := weeks[sumFields*w:]
		f.Weeks[w].WillRenew, f.Weeks[w].WontRenew, f.Weeks[w].New, f.Weeks[w].Left, f.Weeks[w].Short = x[0], x[1], x[2], x[3], x[4]
	}
	if runsOut >= 0 {
		if first.ID == nil {
			return f, epoch, false, nil // not one of the products (cannot be, as they are the same)
		}
		f.RunsOut, f.RunsOutWeek = start.AddDate(0, 0, runsOut), runsOut/7
		f.RunsOutProduct = ForecastProduct{ID: *first.ID, Name: *first.Name, ProductKey: *first.Key}
	}
	return f, epoch, true, nil
}

// keptForecastSQL is keptForecast's statement for the scope sc: its
// parameters are sc.args(), the start and the scope's key.
func keptForecastSQL(sc Scope) string {
	return `WITH p AS MATERIALIZED (
			SELECT p.id, p.available, p.auto_renew,
				CASE WHEN k.id IS NULL THEN 0 ELSE greatest(($4::date + k.validity)::date - $4::date, 1) END AS validity` +
		productFrom + `WHERE ` + sc.productFilter(1) + ` AND p.deleted_at IS NULL
		), n AS (
			SELECT count(*) AS n, coalesce(sum(p.available), 0) AS available, ` + forecastKeySQL + ` AS key FROM p
		), fe AS MATERIALIZED (
			SELECT product_id FROM expiry_counts WHERE NOT compacted AND account_id = $1 AND dc = $2
		), fc AS MATERIALIZED (
			SELECT product_id FROM consumption_days WHERE NOT compacted
		), e AS (
			SELECT coalesce((SELECT epoch FROM forecast_epochs WHERE account_id = $1), 0) AS epoch
		)
		SELECT e.epoch, n.n, n.available, s.start IS NOT NULL, coalesce(s.first_codes, 0), coalesce(s.short, 0),
			coalesce(s.runs_out, -1), coalesce(s.weeks, '{}'), r.id, r.name, r.product_key
		FROM e CROSS JOIN n
		LEFT JOIN forecast_sums s ON s.account_id = $1 AND s.dc = $2 AND s.scope = $5 AND s.start = $4::date
			AND s.products = n.key AND s.epoch = e.epoch
			AND s.fresh = (SELECT count(*) FROM fe WHERE fe.product_id IN (SELECT id FROM p))
				+ (SELECT count(*) FROM fc WHERE fc.product_id IN (SELECT id FROM p))
		LEFT JOIN LATERAL (
			SELECT p.id, p.name, p.product_key FROM products p
			WHERE p.id = ANY(s.first_ids) AND ` + sc.productFilter(1) + ` AND p.deleted_at IS NULL ORDER BY p.name, p.id LIMIT 1
		) r ON true`
}

// keepForecastSum keeps f, the sum of the products' parts, as the scope's
// sum, with epoch, the account's epoch read before the parts; not when the
// epoch has moved on since (such a sum would never be read).
func (s *Store) keepForecastSum(ctx context.Context, sc Scope, products []*forecastProduct, epoch int64,
	f Forecast, parts map[int64]forecastPart) error {
	var fresh int64
	runsOut, first := -1, []int64{}
	for _, p := range products {
		part := parts[p.ID]
		fresh += part.fresh
		switch d := part.runsOut; {
		case d < 0:
		case runsOut < 0 || d < runsOut:
			runsOut, first = d, []int64{p.ID}
		case d == runsOut:
			first = append(first, p.ID)
		}
	}
	weeks := make([]int64, 0, sumFields*len(f.Weeks))
	for _, w := range f.Weeks {
		weeks = append(weeks, w.WillRenew, w.WontRenew, w.New, w.Left, w.Short)
	}
	if hook := forecastSumHook.Load(); hook != nil {
		(*hook)(sc)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO forecast_sums
				(account_id, dc, scope, start, products, fresh, epoch, first_codes, short, runs_out, first_ids, weeks)
			SELECT $1, $2, $3, $4::date, $5, $6, $7, $8, $9, $10, $11::bigint[], $12::bigint[]
			WHERE coalesce((SELECT epoch FROM forecast_epochs WHERE account_id = $1), 0) = $7
			ON CONFLICT (account_id, dc, scope) DO UPDATE SET start = excluded.start, products = excluded.products,
				fresh = excluded.fresh, epoch = excluded.epoch, first_codes = excluded.first_codes,
				short = excluded.short, runs_out = excluded.runs_out, first_ids = excluded.first_ids, weeks = excluded.weeks`,
		sc.AccountID, sc.DC, forecastScopeKey(sc), f.Start, forecastKey(products), fresh, epoch, f.FirstCodes,
		f.ProductsShort, runsOut, pq.Array(first), pq.Array(weeks))
	return err
}

// forecastSumHook, when set (by tests), runs between reading the parts of
// a scope's sum and keeping it.
var forecastSumHook atomic.Pointer[func(Scope)]

// bumpForecastEpochs bumps the epoch of the products' accounts, in tx
// (under expiryCountsLock taken alone): their parts are changing.
func bumpForecastEpochs(ctx context.Context, tx *sqlx.Tx, productIDs []int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO forecast_epochs (account_id, epoch)
		SELECT DISTINCT account_id, 1 FROM products WHERE id = ANY($1)
		ON CONFLICT (account_id) DO UPDATE SET epoch = forecast_epochs.epoch + 1`, pq.Array(productIDs))
	return err
}

// PrepareForecasts makes the overview's forecast of every account (of the
// data centers dcs; nil: all) whose kept sum is not current: every day
// after 00:00 UTC, and after a fold or blacklist change, so that requests
// find the day's parts and sum made (docs/renewal.md, "The forecast"). It
// deletes the sums of past days and the parts of deleted products first,
// and returns how many accounts' forecasts it made. A sum that a product's
// change (codes, devices) makes stale is left to the next request: it
// remakes that product's part alone.
func (s *Store) PrepareForecasts(ctx context.Context, dcs []string) (int, error) {
	now := s.Now()
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if _, err := s.db.ExecContext(ctx, `DELETE FROM forecast_sums WHERE start < $1::date`, start); err != nil {
		return 0, err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM forecast_parts f USING products p
		WHERE p.id = f.product_id AND p.deleted_at IS NOT NULL`); err != nil {
		return 0, err
	}
	var scopes []struct {
		AccountID int64  `db:"account_id"`
		DC        string `db:"dc"`
	}
	if err := s.db.SelectContext(ctx, &scopes, `SELECT a.account_id, a.dc
		FROM (SELECT DISTINCT account_id, dc FROM products WHERE deleted_at IS NULL AND ($2::text[] IS NULL OR dc = ANY($2))) a
		LEFT JOIN forecast_sums s ON s.account_id = a.account_id AND s.dc = a.dc AND s.scope = ''
		WHERE s.start IS DISTINCT FROM $1::date
			OR s.epoch <> coalesce((SELECT epoch FROM forecast_epochs e WHERE e.account_id = a.account_id), 0)
		ORDER BY 1, 2`, start, pq.StringArray(dcs)); err != nil {
		return 0, err
	}
	for i, sc := range scopes {
		if _, err := s.Forecast(ctx, Scope{AccountID: sc.AccountID, DC: sc.DC}, ForecastQuery{}); err != nil {
			return i, err
		}
	}
	return len(scopes), nil
}
