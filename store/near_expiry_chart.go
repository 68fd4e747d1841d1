package store

import (
	"context"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The near-expiry chart (docs/pages.md, "5. Devices with near-expiry
// codes"): the devices of the near-expiry list, per day of the viewer's
// calendar, by outlook. Its days are the viewer's because each bar links to
// the list filtered to its day, and the list reads a typed day in the
// viewer's zone: so a bar counts exactly the devices its link lists.
//
// The counters (expiry_counts) are per UTC day. Cut the window (now,
// now+NearExpiryWindow) at every UTC and every local midnight: each piece
// lies in one UTC day and one local day. In a UTC day wholly inside the
// window its largest piece is the day's counter minus the other pieces;
// those other pieces, and the partial UTC days at the window's ends, are
// counted from devices_product_expiry. For a viewer in UTC that is the two
// partial days, as for the page head's figure (expiry_counts.go); for a
// viewer at UTC+8 about a third of the window's devices, at worst (±12 h)
// half, read from an index, never a device row.
//
// A whole account's chart counts the account's devices so, from its own
// rows of the counters and devices_account_expiry (about thirty rows and a
// range per piece, whatever the number of products), every one taken to
// renew, and counts product by product only the products whose devices may
// not all renew: switched off, maybe at risk, deleted with devices not yet
// swept (accountByDay), screened by each product's devices up to the
// window's last day, kept summed (expiry_window_sums.go, migration 00023). A
// member's chart, of some products, counts each of them. Products counted
// one by one are counted by piece for a viewer whose days are UTC days; for
// any other, whose days cut every UTC day (31 ranges a product), in one pass
// over their devices in the window, grouped by local day (dayCounts; at
// UTC+8 on the bench's account: 45 ms a chart before, 26 ms after). Their
// devices due to renew follow from those counts (nearExpiryByDay), not from
// dueToRenew's own reads: an account's chart went from ten statements to six.
//
// The outlook is deviceOutlook's, by product: a product without automatic
// renewal renews none of its devices; of a product with it, a blacklisted
// device will not renew and the others are at risk when the product has
// fewer available codes than devices due to renew, else will renew. The
// blacklisted devices expiring in the window are one range of
// blacklist_account_expiry: each entry keeps its live device's expiry
// (migration 00021, checked by Verify), so no device is probed. A waiting device (at risk when
// no code is left) never has a code that expires in the future (a device
// waits only while it has no valid code: docs/codes.md, "Consuming codes"),
// so none is in the window.

// ExpiryDay is a day of the near-expiry chart: the devices of the list
// whose codes expire that day, by outlook.
type ExpiryDay struct {
	Day       time.Time // 00:00 of the day in the viewer's zone
	WillRenew int64
	AtRisk    int64
	WontRenew int64 // automatic renewal off, or blacklisted
}

// Total is every device of the day.
func (d ExpiryDay) Total() int64 { return d.WillRenew + d.AtRisk + d.WontRenew }

// NearExpiryByDay counts the near-expiry list's devices per day of the zone
// loc, from today to the day the window ends, by outlook.
func (s *Store) NearExpiryByDay(ctx context.Context, sc Scope, loc *time.Location) ([]ExpiryDay, error) {
	return nearExpiryByDay(ctx, preparedQueries{s}, sc, loc, s.Now())
}

// chartProduct is a product the chart counts one by one, with what its
// outlook needs.
type chartProduct struct {
	ID        int64 `db:"id"`
	AutoRenew bool  `db:"auto_renew"`
	Available int64 `db:"available"`
	Gone      bool  `db:"gone"` // deleted, its devices not yet swept: none is in the list
}

// windowPiece is a piece of the window inside one UTC day and one local day.
type windowPiece struct {
	lo, hi  time.Time
	utcDay  time.Time
	local   int  // index of the local day
	derived bool // its count is the UTC day's counter minus the day's other pieces
}

func nearExpiryByDay(ctx context.Context, q sqlx.QueryerContext, sc Scope, loc *time.Location, now time.Time) ([]ExpiryDay, error) {
	if loc == nil {
		loc = time.UTC
	}
	now = now.UTC()
	end := now.Add(NearExpiryWindow)
	days, pieces := cutWindow(now, end, loc)
	out := make([]ExpiryDay, len(days))
	for i, d := range days {
		out[i].Day = d
	}
	whole := sc.ProductIDs == nil
	var counted []chartProduct
	var err error
	if whole {
		counted, err = accountByDay(ctx, q, sc, out, pieces, now, end)
	} else {
		err = sqlx.SelectContext(ctx, q, &counted, `SELECT p.id, p.auto_renew, p.available, false AS gone FROM products p
			WHERE `+sc.productFilter(1)+` AND p.deleted_at IS NULL ORDER BY p.id`, sc.args()...)
	}
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(counted))
	var renewing []int64
	byID := make(map[int64]chartProduct, len(counted))
	for i, p := range counted {
		ids[i], byID[p.ID] = p.ID, p
		if p.AutoRenew && !p.Gone {
			renewing = append(renewing, p.ID)
		}
	}
	byDay, err := dayCounts(ctx, q, ids, pieces, out, now, end)
	if err != nil {
		return nil, err
	}
	blacklisted, unreached, err := chartBlacklist(ctx, q, sc, renewing, now, end)
	if err != nil {
		return nil, err
	}
	// A product's devices due to renew (dueToRenew's figure) from what is
	// read already: its devices in the window, those the worker has not
	// reached yet, less the blacklisted ones in the window.
	due := make(map[int64]int64, len(renewing))
	for _, id := range renewing {
		due[id] = unreached[id]
		for _, n := range byDay[id] {
			due[id] += n
		}
	}
	for _, b := range blacklisted {
		if _, ok := due[b.productID]; ok {
			due[b.productID]--
		}
	}
	for _, p := range counted {
		for i, n := range byDay[p.ID] {
			day := &out[i]
			if whole {
				day.WillRenew -= n // the account's own figures took it to renew
			}
			switch {
			case p.Gone:
			case !p.AutoRenew:
				day.WontRenew += n
			case p.Available < due[p.ID]:
				day.AtRisk += n
			default:
				day.WillRenew += n
			}
		}
	}
	// A blacklisted device of a product that renews will not renew.
	for _, b := range blacklisted {
		p, ok := byID[b.productID]
		day := &out[dayIndex(days, b.expiresAt)]
		switch {
		case !ok: // of the account's products not counted one by one: it would renew
			day.WillRenew--
		case !p.AutoRenew:
			continue // counted as not renewing already
		case p.Available < due[p.ID]:
			day.AtRisk--
		default:
			day.WillRenew--
		}
		day.WontRenew++
	}
	return out, nil
}

// chartBlacklistEntry is a blacklisted device of a live product of the
// scope whose code expires within the window.
type chartBlacklistEntry struct {
	productID int64
	expiresAt time.Time
}

// chartBlacklist reads, in one statement, the blacklisted devices of the
// scope's live products whose codes expire in the window (each entry keeps
// its live device's expiry, migration 00021: one range of
// blacklist_account_expiry), and per product of renewing the devices whose
// codes have expired that the renewal worker has not reached yet (not
// waiting, not blacklisted: unreachedDevices, as dueToRenew counts them),
// which are due to renew now.
func chartBlacklist(ctx context.Context, q sqlx.QueryerContext, sc Scope, renewing []int64, now, end time.Time) (
	[]chartBlacklistEntry, map[int64]int64, error) {
	// $2 is now, as unreachedDevices takes it; the scope's filter takes $4 to $6.
	rows, err := q.QueryxContext(ctx, `SELECT b.product_id, b.expires_at, 0 AS n FROM blacklist b JOIN products p ON p.id = b.product_id
			WHERE b.account_id = $4 AND b.expires_at > $2 AND b.expires_at < $3 AND `+sc.productFilter(4)+` AND p.deleted_at IS NULL
		UNION ALL
		SELECT d.product_id, NULL, count(*) FROM devices d WHERE d.product_id = ANY($1::bigint[]) AND `+unreachedDevices+`
			GROUP BY 1`, append([]any{pq.Array(renewing), now, end}, sc.args()...)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var entries []chartBlacklistEntry
	unreached := map[int64]int64{}
	for rows.Next() {
		var id, n int64
		var at *time.Time
		if err := rows.Scan(&id, &at, &n); err != nil {
			return nil, nil, err
		}
		if at == nil {
			unreached[id] = n
		} else {
			entries = append(entries, chartBlacklistEntry{productID: id, expiresAt: *at})
		}
	}
	return entries, unreached, rows.Err()
}

// accountByDay adds the whole account's devices to the days, every one
// taken to renew, from the account's own counters (the rows with
// product_id 0, and devices_account_expiry for the pieces of days), and
// returns the products to count one by one, whose devices do not all
// renew: switched off, maybe at risk, deleted with devices not yet swept.
// They are screened by their devices up to the window's last day: a
// product can be at risk only if it has fewer codes than that, which covers
// its devices in the window and those expired that the worker has not
// reached yet; a product without such devices has none in the window. The
// count is the account's window sums and the rows appended since the last
// fold (expiry_window_sums.go, migration 00023), or, before the first fold
// of the day, one range of the account's product rows of the counters
// (expiry_counts_account_products, migration 00021).
func accountByDay(ctx context.Context, q sqlx.QueryerContext, sc Scope, out []ExpiryDay,
	pieces []windowPiece, now, end time.Time) ([]chartProduct, error) {
	total, err := accountPieceCounts(ctx, q, sc, pieces, now, end)
	if err != nil {
		return nil, err
	}
	for k, piece := range pieces {
		out[piece.local].WillRenew += total[k]
	}
	// Each product's devices up to the window's last day: its window sum
	// and the rows appended since the fold (expiry_window_sums.go) when the
	// account's sums are made for that day, else its counter rows. The
	// condition not taken is a one-time filter: its branch reads nothing.
	var counted []chartProduct
	err = sqlx.SelectContext(ctx, q, &counted, `WITH made AS MATERIALIZED (
			SELECT EXISTS (SELECT 1 FROM expiry_window_sums m
				WHERE m.account_id = $1 AND m.dc = $2 AND m.product_id = 0 AND m.through = $3::date) AS yes
		), t AS (
			SELECT product_id, sum(n) AS n FROM (
				SELECT w.product_id, w.devices AS n FROM expiry_window_sums w
				WHERE (SELECT yes FROM made) AND w.account_id = $1 AND w.dc = $2 AND w.product_id <> 0
				UNION ALL
				SELECT e.product_id, e.devices FROM expiry_counts e
				WHERE (SELECT yes FROM made) AND NOT e.compacted AND e.product_id <> 0 AND e.account_id = $1 AND e.dc = $2 AND e.day <= $3::date
				UNION ALL
				SELECT e.product_id, e.devices FROM expiry_counts e
				WHERE NOT (SELECT yes FROM made) AND e.product_id <> 0 AND e.account_id = $1 AND e.dc = $2 AND e.day <= $3::date
			) x GROUP BY 1
		)
		SELECT p.id, p.auto_renew, p.available, p.deleted_at IS NOT NULL AS gone FROM t JOIN products p ON p.id = t.product_id
		WHERE p.deleted_at IS NOT NULL OR NOT p.auto_renew OR p.available < t.n ORDER BY p.id`,
		sc.AccountID, sc.DC, windowLastDay(now))
	return counted, err
}

// dayCounts counts, per product, the live devices whose codes expire in
// each local day of the window (the days of out). For a viewer whose days
// are UTC days, from the products' counters and the two partial days
// (pieceCounts); for any other, whose days cut every UTC day (31 ranges a
// product), in one pass over their devices in the window (localDayCounts).
func dayCounts(ctx context.Context, q sqlx.QueryerContext, ids []int64, pieces []windowPiece, out []ExpiryDay,
	now, end time.Time) (map[int64][]int64, error) {
	if len(ids) == 0 {
		return map[int64][]int64{}, nil
	}
	counted := 0
	for _, p := range pieces {
		if !p.derived {
			counted++
		}
	}
	if counted > 2 {
		return localDayCounts(ctx, q, ids, out, now, end)
	}
	counts, err := pieceCounts(ctx, q, ids, pieces, now, end)
	for id, c := range counts {
		days := make([]int64, len(out))
		for k, piece := range pieces {
			days[piece.local] += c[k]
		}
		counts[id] = days
	}
	return counts, err
}

// localDayCounts counts, per product, the live devices whose codes expire
// in each local day of the window (days, as out holds them), in one pass
// over the products' devices in the window: width_bucket numbers a device
// by how many of the local midnights after the first day it is past.
func localDayCounts(ctx context.Context, q sqlx.QueryerContext, ids []int64, days []ExpiryDay, now, end time.Time) (map[int64][]int64, error) {
	counts := make(map[int64][]int64, len(ids))
	for _, id := range ids {
		counts[id] = make([]int64, len(days))
	}
	if len(ids) == 0 {
		return counts, nil
	}
	midnights := make([]time.Time, 0, len(days)-1)
	for _, d := range days[1:] {
		midnights = append(midnights, d.Day.UTC())
	}
	rows, err := q.QueryxContext(ctx, `SELECT d.product_id, width_bucket(d.expires_at, $2::timestamptz[]), count(*) FROM devices d
		WHERE d.product_id = ANY($1) AND d.lapsed_at IS NULL AND d.deleted_at IS NULL AND d.expires_at > $3 AND d.expires_at < $4
		GROUP BY 1, 2`, pq.Array(ids), pq.Array(midnights), now, end)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		var i int
		if err := rows.Scan(&id, &i, &n); err != nil {
			return nil, err
		}
		counts[id][i] = n
	}
	return counts, rows.Err()
}

// accountPieceCounts counts the account's live devices whose codes expire
// in each piece of the window, as pieceCounts does for a product: from the
// account's rows of expiry_counts and devices_account_expiry.
func accountPieceCounts(ctx context.Context, q sqlx.QueryerContext, sc Scope, pieces []windowPiece, now, end time.Time) ([]int64, error) {
	counts := make([]int64, len(pieces))
	var los, his []time.Time
	var which []int
	for k, p := range pieces {
		if !p.derived {
			los, his, which = append(los, p.lo), append(his, p.hi), append(which, k)
		}
	}
	rows, err := q.QueryxContext(ctx, `SELECT s.k, (SELECT count(*) FROM devices d WHERE d.account_id = $1 AND d.dc = $2
			AND d.lapsed_at IS NULL AND d.deleted_at IS NULL AND d.expires_at >= s.lo AND d.expires_at < s.hi
			AND d.expires_at > $5 AND d.expires_at < $6)
		FROM unnest($3::timestamptz[], $4::timestamptz[]) WITH ORDINALITY AS s(lo, hi, k)`,
		sc.AccountID, sc.DC, pq.Array(los), pq.Array(his), now, end)
	if err != nil {
		return nil, err
	}
	got := map[int64]int64{}
	if err := addProductCounts(rows, got); err != nil {
		return nil, err
	}
	for k, n := range got {
		counts[which[k-1]] = n
	}
	derivedOf := map[time.Time]int{}
	var first, last time.Time
	for k, p := range pieces {
		if p.derived {
			derivedOf[p.utcDay] = k
			if first.IsZero() {
				first = p.utcDay
			}
			last = p.utcDay
		}
	}
	if len(derivedOf) == 0 {
		return counts, nil
	}
	crows, err := q.QueryxContext(ctx, `SELECT day - $3::date, sum(devices) FROM expiry_counts
		WHERE product_id = 0 AND account_id = $1 AND dc = $2 AND day >= $3::date AND day <= $4::date GROUP BY day`,
		sc.AccountID, sc.DC, first.Format(time.DateOnly), last.Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	defer crows.Close()
	for crows.Next() {
		var day int
		var n int64
		if err := crows.Scan(&day, &n); err != nil {
			return nil, err
		}
		if k, ok := derivedOf[first.AddDate(0, 0, day)]; ok {
			counts[k] += n
		}
	}
	if err := crows.Err(); err != nil {
		return nil, err
	}
	for k, p := range pieces {
		if !p.derived && !p.utcDay.Before(first) && !p.utcDay.After(last) {
			if d, ok := derivedOf[p.utcDay]; ok {
				counts[d] -= counts[k]
			}
		}
	}
	return counts, nil
}

// cutWindow lists the local days of the window (now, end) and cuts the
// window at every UTC and local midnight, marking in each UTC day wholly
// inside it the piece to derive from the day's counter.
func cutWindow(now, end time.Time, loc *time.Location) (days []time.Time, pieces []windowPiece) {
	n := now.In(loc)
	for d := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc); d.Before(end); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc) {
		days = append(days, d)
	}
	cuts := []time.Time{now, end}
	for _, d := range days[1:] {
		cuts = append(cuts, d.UTC())
	}
	for u := utcDay(now).AddDate(0, 0, 1); u.Before(end); u = u.AddDate(0, 0, 1) {
		cuts = append(cuts, u)
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = slices.CompactFunc(cuts, func(a, b time.Time) bool { return a.Equal(b) })
	largest := map[time.Time]int{} // per whole UTC day, its largest piece
	for i := 0; i+1 < len(cuts); i++ {
		p := windowPiece{lo: cuts[i], hi: cuts[i+1], utcDay: utcDay(cuts[i]), local: dayIndex(days, cuts[i])}
		pieces = append(pieces, p)
		if p.utcDay.After(now) && !p.utcDay.AddDate(0, 0, 1).After(end) {
			if j, ok := largest[p.utcDay]; !ok || p.hi.Sub(p.lo) > pieces[j].hi.Sub(pieces[j].lo) {
				largest[p.utcDay] = len(pieces) - 1
			}
		}
	}
	for _, j := range largest {
		pieces[j].derived = true
	}
	return days, pieces
}

// utcDay is 00:00 UTC of t's UTC day.
func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// dayIndex is the index of the local day (days, ascending) holding t.
func dayIndex(days []time.Time, t time.Time) int {
	i := 0
	for i+1 < len(days) && !t.Before(days[i+1]) {
		i++
	}
	return i
}

// pieceCounts counts, per product, the live devices whose codes expire in
// each piece of the window: the pieces not derived from an index count, the
// derived ones as their UTC day's counter minus its other pieces.
func pieceCounts(ctx context.Context, q sqlx.QueryerContext, ids []int64, pieces []windowPiece, now, end time.Time) (map[int64][]int64, error) {
	counts := make(map[int64][]int64, len(ids))
	for _, id := range ids {
		counts[id] = make([]int64, len(pieces))
	}
	var los, his []time.Time
	var which []int
	for k, p := range pieces {
		if !p.derived {
			los, his, which = append(los, p.lo), append(his, p.hi), append(which, k)
		}
	}
	rows, err := q.QueryxContext(ctx, `SELECT p.id, s.k, (SELECT count(*) FROM devices d WHERE d.product_id = p.id
			AND d.lapsed_at IS NULL AND d.deleted_at IS NULL AND d.expires_at >= s.lo AND d.expires_at < s.hi
			AND d.expires_at > $4 AND d.expires_at < $5)
		FROM unnest($1::bigint[]) AS p(id) CROSS JOIN unnest($2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS s(lo, hi, k)`,
		pq.Array(ids), pq.Array(los), pq.Array(his), now, end)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, k, n int64
		if err := rows.Scan(&id, &k, &n); err != nil {
			return nil, err
		}
		counts[id][which[k-1]] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The whole UTC days' counters, for the derived pieces.
	derivedOf := map[time.Time]int{}
	var first, last time.Time
	for k, p := range pieces {
		if p.derived {
			derivedOf[p.utcDay] = k
			if first.IsZero() {
				first = p.utcDay
			}
			last = p.utcDay
		}
	}
	if len(derivedOf) == 0 {
		return counts, nil
	}
	// The day as a number of days from first and the sum as bigint: parsing
	// thousands of dates and numerics took a millisecond of Go a request.
	crows, err := q.QueryxContext(ctx, `SELECT product_id, day - $2::date, sum(devices)::bigint FROM expiry_counts
		WHERE product_id = ANY($1) AND day >= $2::date AND day <= $3::date GROUP BY product_id, day`,
		pq.Array(ids), first.Format(time.DateOnly), last.Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	defer crows.Close()
	for crows.Next() {
		var id, n int64
		var day int
		if err := crows.Scan(&id, &day, &n); err != nil {
			return nil, err
		}
		if k, ok := derivedOf[first.AddDate(0, 0, day)]; ok {
			counts[id][k] += n
		}
	}
	if err := crows.Err(); err != nil {
		return nil, err
	}
	for id, c := range counts {
		for k, p := range pieces {
			if !p.derived && !p.utcDay.Before(first) && !p.utcDay.After(last) {
				if d, ok := derivedOf[p.utcDay]; ok {
					counts[id][d] -= c[k]
				}
			}
		}
	}
	return counts, nil
}
