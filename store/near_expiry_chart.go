package store

import (
	"context"
	"strconv"
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
// The window is (now, now+NearExpiryWindow), cut into the viewer's days.
// No request reads a device row: the counts come from the maintained
// counters and, for what they do not hold, from the expiry indexes.
//
// A whole account's chart counts the account's devices from its hour
// counts (expiry_hour_counts.go: about 720 rows and two short ranges of
// devices_account_expiry, whatever the number of products and, for a zone
// a whole number of hours from UTC, whatever the zone), every one taken to
// renew, and counts product by product only the products whose devices may
// not all renew: switched off, maybe at risk, deleted with devices not yet
// swept (accountByDay), screened by each product's devices up to the
// window's last day, kept summed (expiry_window_sums.go, migration 00023). A
// member's chart, of some products, counts each of them. Products counted
// one by one are counted from their day counters for a viewer whose days
// are UTC days (and from the index for the partial days at the window's
// ends); for any other, whose days cut every UTC day, in one pass over their
// devices in the window, summed by local day and outlook (localByOutlook).
// Their devices due to renew follow from those counts (nearExpiryByDay),
// not from dueToRenew's own reads: an account's chart went from ten
// statements to four (five outside UTC when some of the products that
// renew are at risk and some are not).
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
	return nearExpiryByDay(ctx, s.preparedReads(ctx), sc, loc, s.Now())
}

// chartProduct is a product the chart counts one by one, with what its
// outlook needs.
type chartProduct struct {
	ID        int64 `db:"id"`
	AutoRenew bool  `db:"auto_renew"`
	Available int64 `db:"available"`
	Gone      bool  `db:"gone"` // deleted, its devices not yet swept: none is in the list
}

func nearExpiryByDay(ctx context.Context, q sqlx.QueryerContext, sc Scope, loc *time.Location, now time.Time) ([]ExpiryDay, error) {
	if loc == nil {
		loc = time.UTC
	}
	now = now.UTC()
	end := now.Add(NearExpiryWindow)
	days := windowDays(now, end, loc)
	out := make([]ExpiryDay, len(days))
	for i, d := range days {
		out[i].Day = d
	}
	whole := sc.ProductIDs == nil
	var counted []chartProduct
	var err error
	if whole {
		counted, err = accountByDay(ctx, q, sc, out, now, end)
	} else {
		err = sqlx.SelectContext(ctx, q, &counted, `SELECT p.id, p.auto_renew, p.available, false AS gone FROM products p
			WHERE `+sc.productFilter(1)+` AND p.deleted_at IS NULL ORDER BY p.id`, sc.args()...)
	}
	if err != nil {
		return nil, err
	}
	var renewing []int64
	byID := make(map[int64]chartProduct, len(counted))
	for _, p := range counted {
		byID[p.ID] = p
		if p.AutoRenew && !p.Gone {
			renewing = append(renewing, p.ID)
		}
	}
	blacklisted, unreached, err := chartBlacklist(ctx, q, sc, renewing, now, end)
	if err != nil {
		return nil, err
	}
	// A product's devices due to renew (dueToRenew's figure) are its devices
	// in the window, those the worker has not reached yet, less the
	// blacklisted ones in the window. It is at risk when they outnumber its
	// codes: when its devices in the window outnumber its room, its codes
	// less the others.
	room := make(map[int64]int64, len(renewing))
	for _, id := range renewing {
		room[id] = byID[id].Available - unreached[id]
	}
	for _, b := range blacklisted {
		if _, ok := room[b.productID]; ok {
			room[b.productID]++
		}
	}
	counts, err := countedByOutlook(ctx, q, counted, room, days, now, end)
	if err != nil {
		return nil, err
	}
	for o, byDay := range counts.days {
		for i, n := range byDay {
			day := &out[i]
			if whole {
				day.WillRenew -= n // the account's own figures took it to renew
			}
			switch chartOutlook(o) {
			case chartWillRenew:
				day.WillRenew += n
			case chartAtRisk:
				day.AtRisk += n
			case chartWontRenew:
				day.WontRenew += n
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
		case counts.atRisk[p.ID]:
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
// taken to renew, from the account's hour counts (accountDayCounts), and
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
	now, end time.Time) ([]chartProduct, error) {
	days := make([]time.Time, len(out))
	for i, d := range out {
		days[i] = d.Day
	}
	total, err := accountDayCounts(ctx, q, sc, days, now, end)
	if err != nil {
		return nil, err
	}
	for i, n := range total {
		out[i].WillRenew += n
	}
	// Each product's devices up to the window's last day: its window sum
	// and the rows appended since the fold (expiry_window_sums.go) when the
	// account's sums are made for that day, else its counter rows. The
	// condition not taken is a one-time filter: its branch reads nothing.
	// The sums are joined to the few products with rows appended, not
	// grouped with them: grouping 1,851 sums took half the statement.
	var counted []chartProduct
	err = sqlx.SelectContext(ctx, q, &counted, `WITH made AS MATERIALIZED (
			SELECT EXISTS (SELECT 1 FROM expiry_window_sums m
				WHERE m.account_id = $1 AND m.dc = $2 AND m.product_id = 0 AND m.through = $3::date) AS yes
		), fresh AS (
			SELECT e.product_id, sum(e.devices)::bigint AS n FROM expiry_counts e
			WHERE (SELECT yes FROM made) AND NOT e.compacted AND e.product_id <> 0 AND e.account_id = $1 AND e.dc = $2 AND e.day <= $3::date
			GROUP BY 1
		), t AS (
			SELECT coalesce(w.product_id, f.product_id) AS product_id, coalesce(w.devices, 0) + coalesce(f.n, 0) AS n
			FROM (SELECT product_id, devices FROM expiry_window_sums
				WHERE (SELECT yes FROM made) AND account_id = $1 AND dc = $2 AND product_id <> 0) w
			FULL JOIN fresh f ON f.product_id = w.product_id
			UNION ALL
			SELECT e.product_id, sum(e.devices)::bigint FROM expiry_counts e
			WHERE NOT (SELECT yes FROM made) AND e.product_id <> 0 AND e.account_id = $1 AND e.dc = $2 AND e.day <= $3::date
			GROUP BY 1
		)
		SELECT p.id, p.auto_renew, p.available, p.deleted_at IS NOT NULL AS gone FROM t JOIN products p ON p.id = t.product_id
		WHERE p.deleted_at IS NOT NULL OR NOT p.auto_renew OR p.available < t.n ORDER BY p.id`,
		sc.AccountID, sc.DC, windowLastDay(now))
	return counted, err
}

// chartOutlook is the outlook of a product counted one by one.
type chartOutlook int

const (
	chartWillRenew chartOutlook = iota
	chartAtRisk
	chartWontRenew // automatic renewal off
	chartGone      // deleted, its devices not yet swept: in no list
	chartOutlooks
)

// outlookOf is the outlook of product p whose devices in the window number
// inWindow; room is its codes less its other devices due (nearExpiryByDay).
func outlookOf(p chartProduct, room map[int64]int64, inWindow int64) chartOutlook {
	switch {
	case p.Gone:
		return chartGone
	case !p.AutoRenew:
		return chartWontRenew
	case room[p.ID] < inWindow:
		return chartAtRisk
	}
	return chartWillRenew
}

// outlookCounts are the counted products' devices whose codes expire in
// each local day of the window, summed by outlook, and the products at risk.
type outlookCounts struct {
	days   [chartOutlooks][]int64
	atRisk map[int64]bool
}

// countedByOutlook counts the counted products' live devices whose codes
// expire in each local day of the window (days), by outlook: for a viewer
// whose days are UTC days, product by product from their counters and the
// two partial days (utcDayCounts); for any other, whose days cut every UTC
// day, summed by outlook in the statement that reads their devices
// (localByOutlook).
func countedByOutlook(ctx context.Context, q sqlx.QueryerContext, counted []chartProduct, room map[int64]int64,
	days []time.Time, now, end time.Time) (outlookCounts, error) {
	out := outlookCounts{atRisk: map[int64]bool{}}
	for o := range out.days {
		out.days[o] = make([]int64, len(days))
	}
	if len(counted) == 0 {
		return out, nil
	}
	if !utcDays(days) {
		return out, localByOutlook(ctx, q, counted, room, days, now, end, &out)
	}
	ids := make([]int64, len(counted))
	for i, p := range counted {
		ids[i] = p.ID
	}
	byDay, err := utcDayCounts(ctx, q, ids, days, now, end)
	if err != nil {
		return out, err
	}
	for _, p := range counted {
		var inWindow int64
		for _, n := range byDay[p.ID] {
			inWindow += n
		}
		o := outlookOf(p, room, inWindow)
		out.atRisk[p.ID] = o == chartAtRisk
		for i, n := range byDay[p.ID] {
			out.days[o][i] += n
		}
	}
	return out, nil
}

// utcDays tells whether the local days (ascending) begin at UTC midnights.
func utcDays(days []time.Time) bool {
	for _, d := range days[1:] {
		if !d.Equal(utcDay(d)) {
			return false
		}
	}
	return true
}

// localByOutlook counts, for days that cut UTC days, the counted products'
// live devices whose codes expire in each local day, by outlook, in one
// pass over their devices in the window: width_bucket numbers a device by
// how many of the local midnights after the first day it is past. The
// products whose outlook is known (switched off, deleted) are summed per
// day; those that renew per day and per product, whose sum decides which
// are at risk. Grouping by product and day (1,805 groups on the bench's
// account at UTC+8) cost more than the pass itself, and its rows as much
// again to read. Only when the products that renew are split between at
// risk and will renew does a second pass count the smaller share per day.
func localByOutlook(ctx context.Context, q sqlx.QueryerContext, counted []chartProduct, room map[int64]int64,
	days []time.Time, now, end time.Time, out *outlookCounts) error {
	var off, gone, renewing []int64
	for _, p := range counted {
		switch {
		case p.Gone:
			gone = append(gone, p.ID)
		case !p.AutoRenew:
			off = append(off, p.ID)
		default:
			renewing = append(renewing, p.ID)
		}
	}
	midnights := make([]time.Time, 0, len(days)-1)
	for _, d := range days[1:] {
		midnights = append(midnights, d.UTC())
	}
	const inWindow = `d.lapsed_at IS NULL AND d.deleted_at IS NULL AND d.expires_at > $2 AND d.expires_at < $3`
	const day = `width_bucket(d.expires_at, $1::timestamptz[])`
	// Rows: (outlook, day, devices) for the products switched off and
	// deleted, (-1, day, devices) for those that renew, and (-2, product,
	// devices) for each of them.
	rows, err := q.QueryxContext(ctx, `SELECT `+strconv.Itoa(int(chartWontRenew))+`, `+day+`, count(*) FROM devices d
			WHERE d.product_id = ANY($4) AND `+inWindow+` GROUP BY 2
		UNION ALL
		SELECT `+strconv.Itoa(int(chartGone))+`, `+day+`, count(*) FROM devices d
			WHERE d.product_id = ANY($5) AND `+inWindow+` GROUP BY 2
		UNION ALL
		SELECT CASE WHEN grouping(d.product_id) = 0 THEN -2 ELSE -1 END, coalesce(d.product_id, `+day+`), count(*) FROM devices d
			WHERE d.product_id = ANY($6) AND `+inWindow+` GROUP BY GROUPING SETS ((d.product_id), (`+day+`))`,
		pq.Array(midnights), now, end, pq.Array(off), pq.Array(gone), pq.Array(renewing))
	if err != nil {
		return err
	}
	defer rows.Close()
	renewingDays := make([]int64, len(days))
	inWindowOf := map[int64]int64{}
	for rows.Next() {
		var o, i, n int64 // int64s scan without reflection
		if err := rows.Scan(&o, &i, &n); err != nil {
			return err
		}
		switch o {
		case -2:
			inWindowOf[i] = n
		case -1:
			renewingDays[i] = n
		default:
			out.days[o][i] = n
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var atRisk, willRenew []int64
	for _, p := range counted {
		switch outlookOf(p, room, inWindowOf[p.ID]) {
		case chartAtRisk:
			atRisk = append(atRisk, p.ID)
			out.atRisk[p.ID] = true
		case chartWillRenew:
			willRenew = append(willRenew, p.ID)
		}
	}
	// The smaller share of the products that renew, counted per day; the
	// other share is the rest.
	share, shareOutlook, restOutlook := atRisk, chartAtRisk, chartWillRenew
	if len(willRenew) < len(atRisk) {
		share, shareOutlook, restOutlook = willRenew, chartWillRenew, chartAtRisk
	}
	if len(share) > 0 {
		rows, err := q.QueryxContext(ctx, `SELECT `+day+`, count(*) FROM devices d
			WHERE d.product_id = ANY($4) AND `+inWindow+` GROUP BY 1`, pq.Array(midnights), now, end, pq.Array(share))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var i, n int64
			if err := rows.Scan(&i, &n); err != nil {
				return err
			}
			out.days[shareOutlook][i] = n
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for i, n := range renewingDays {
		out.days[restOutlook][i] = n - out.days[shareOutlook][i]
	}
	return nil
}

// windowDays lists the local days (00:00 in loc) of the window (now, end).
func windowDays(now, end time.Time, loc *time.Location) (days []time.Time) {
	n := now.In(loc)
	for d := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc); d.Before(end); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc) {
		days = append(days, d)
	}
	return days
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

// utcDayCounts counts, per product, the live devices whose codes expire in
// each day of the window, for days that are UTC days (days ascending, the
// first and the last partly in the window), in one statement: the whole
// days from the products' counters, the partial ones from
// devices_product_expiry, a range each, whose bounds the planner does not
// see (windowCounts, expiry_counts.go, says why).
func utcDayCounts(ctx context.Context, q sqlx.QueryerContext, ids []int64, days []time.Time, now, end time.Time) (map[int64][]int64, error) {
	last := len(days) - 1
	// The day as a number of days from the first whole one: parsing
	// thousands of dates took a millisecond of Go a request.
	rows, err := q.QueryxContext(ctx, `SELECT e.product_id, e.day - $2::date + 1, e.devices FROM expiry_counts e
			WHERE e.product_id = ANY($1) AND e.day >= $2::date AND e.day < $3::date
		UNION ALL
		SELECT p.id, s.i, (SELECT count(*) FROM devices d WHERE d.product_id = p.id
			AND d.lapsed_at IS NULL AND d.deleted_at IS NULL AND d.expires_at >= s.lo AND d.expires_at < s.hi
			AND d.expires_at > $4 AND d.expires_at < $5)
		FROM unnest($1::bigint[]) AS p(id) CROSS JOIN unnest($6::timestamptz[], $7::timestamptz[], $8::int[]) AS s(lo, hi, i)`,
		pq.Array(ids), days[1].Format(time.DateOnly), days[last].Format(time.DateOnly), now, end,
		pq.Array([]time.Time{now, days[last]}), pq.Array([]time.Time{days[1], end}), pq.Array([]int64{0, int64(last)}))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := make(map[int64][]int64, len(ids))
	for _, id := range ids {
		counts[id] = make([]int64, len(days))
	}
	for rows.Next() {
		var id, i, n int64 // int64s scan without reflection
		if err := rows.Scan(&id, &i, &n); err != nil {
			return nil, err
		}
		counts[id][i] += n
	}
	return counts, rows.Err()
}
