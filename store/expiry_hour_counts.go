package store

// The account's expiry counts per UTC hour (migration 00024): the live
// devices of an account and data center whose codes expire in each UTC
// hour, kept like expiry_counts (appended by the devices' triggers, folded
// by compactExpiryCounts). A whole account's near-expiry figures sum the
// hours wholly inside the window and count from devices_account_expiry
// only the two partial hours at its ends, and the hours a viewer's
// midnight cuts (none for a zone a whole number of hours from UTC): about
// 720 rows and two short ranges, whichever the viewer's zone.

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// hourRange is a range of expiries counted from the index, in one local day.
type hourRange struct {
	lo, hi time.Time
	local  int // index of the local day
}

// windowHours cuts the window (now, end) for the hour counts: the whole
// hours [first, last) are summed from the rows, except those in cut (a
// midnight of days, the local days ascending, falls inside them); the
// ranges, the partial hours at both ends and the cut hours split at their
// midnight, are counted from the index.
func windowHours(now, end time.Time, days []time.Time) (first, last time.Time, cut []time.Time, ranges []hourRange) {
	now, end = now.UTC(), end.UTC()
	first, last = now.Truncate(time.Hour).Add(time.Hour), end.Truncate(time.Hour)
	cut = []time.Time{} // never nil: a null array would match no hour
	spans := [][2]time.Time{{now, first}}
	for _, d := range days[1:] {
		m := d.UTC()
		if h := m.Truncate(time.Hour); !h.Equal(m) && !h.Before(first) && h.Before(last) {
			cut = append(cut, h)
			spans = append(spans, [2]time.Time{h, h.Add(time.Hour)})
		}
	}
	spans = append(spans, [2]time.Time{last, end})
	for _, s := range spans {
		lo := s[0]
		for _, d := range days[1:] { // a midnight inside the span splits it
			if m := d.UTC(); m.After(lo) && m.Before(s[1]) {
				ranges = append(ranges, hourRange{lo, m, dayIndex(days, lo)})
				lo = m
			}
		}
		if lo.Before(s[1]) {
			ranges = append(ranges, hourRange{lo, s[1], dayIndex(days, lo)})
		}
	}
	return first, last, cut, ranges
}

// accountDayCounts counts the account's live devices whose codes expire in
// each local day of the window (days ascending, 00:00 in the viewer's
// zone), in one statement: the hour rows by local day (width_bucket numbers
// an hour by the midnights after the first day it is at or past) and the
// ranges from devices_account_expiry.
func accountDayCounts(ctx context.Context, q sqlx.QueryerContext, sc Scope, days []time.Time, now, end time.Time) ([]int64, error) {
	first, last, cut, ranges := windowHours(now, end, days)
	midnights := make([]time.Time, 0, len(days)-1)
	for _, d := range days[1:] {
		midnights = append(midnights, d.UTC())
	}
	los, his, locals := make([]time.Time, len(ranges)), make([]time.Time, len(ranges)), make([]int64, len(ranges))
	for i, r := range ranges {
		los[i], his[i], locals[i] = r.lo, r.hi, int64(r.local)
	}
	rows, err := q.QueryxContext(ctx, `SELECT width_bucket(h.hour, $3::timestamptz[]), sum(h.devices)::bigint FROM expiry_hour_counts h
			WHERE h.account_id = $1 AND h.dc = $2 AND h.hour >= $4 AND h.hour < $5 AND h.hour <> ALL($6::timestamptz[])
			GROUP BY 1
		UNION ALL
		SELECT s.i, (SELECT count(*) FROM devices d WHERE d.account_id = $1 AND d.dc = $2
			AND d.lapsed_at IS NULL AND d.deleted_at IS NULL AND d.expires_at >= s.lo AND d.expires_at < s.hi
			AND d.expires_at > $10 AND d.expires_at < $11)
		FROM unnest($7::timestamptz[], $8::timestamptz[], $9::bigint[]) AS s(lo, hi, i)`,
		sc.AccountID, sc.DC, pq.Array(midnights), first, last, pq.Array(cut),
		pq.Array(los), pq.Array(his), pq.Array(locals), now, end)
	if err != nil {
		return nil, err
	}
	got := map[int64]int64{}
	if err := addProductCounts(rows, got); err != nil {
		return nil, err
	}
	counts := make([]int64, len(days))
	for i, n := range got {
		counts[i] = n
	}
	return counts, nil
}
