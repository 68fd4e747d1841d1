package store

import (
	"context"
)

// PackageQuantity is a number of codes of one package.
type PackageQuantity struct {
	Code     string `db:"code"`
	Name     string `db:"name"`
	Quantity int64  `db:"quantity"`
}

// LicenseSummary is an account's figures in one data center (docs/pages.md,
// "1. License overview"; docs/api.md, "Calls").
type LicenseSummary struct {
	DataCenter        string
	Consumed          int64
	Available         int64
	Unassigned        []PackageQuantity // packages with unassigned codes
	NearExpiryDevices int64
	WaitingDevices    int64
}

// UnassignedTotal adds up the unassigned codes of every package.
func (l LicenseSummary) UnassignedTotal() int64 {
	var n int64
	for _, u := range l.Unassigned {
		n += u.Quantity
	}
	return n
}

// Total is consumed + available + unassigned (docs/pages.md, "1. License overview").
func (l LicenseSummary) Total() int64 { return l.Consumed + l.Available + l.UnassignedTotal() }

// Licenses reads the figures a scope may see (docs/pages.md, "1. License
// overview"; docs/api.md, "Calls") from the maintained counters
// and index-only range counts; it never counts codes row by row. A
// sub-account with chosen products sees the product figures of those
// products; the unassigned pool belongs to the whole account.
func (s *Store) Licenses(ctx context.Context, sc Scope) (LicenseSummary, error) {
	if err := checkDC(ctx, s.reads(ctx), sc.DC); err != nil {
		return LicenseSummary{}, err
	}
	sum := LicenseSummary{DataCenter: sc.DC}
	now := s.Now()
	args := sc.args()
	// Consumed counts deleted products too: their consumed codes stay consumed.
	// Waiting devices are counted per live product, a few among many by devices_waiting.
	err := s.reads(ctx).QueryRowxContext(ctx, `SELECT
		(SELECT coalesce(sum(p.consumed), 0) FROM products p WHERE `+sc.productFilter(1)+`),
		(SELECT coalesce(sum(p.available), 0) FROM products p WHERE `+sc.productFilter(1)+`),
		(SELECT count(*) FROM devices d JOIN products p ON p.id = d.product_id AND p.deleted_at IS NULL
			WHERE d.account_id = $1 AND d.dc = $2 AND `+sc.productFilter(1)+` AND d.waiting_since IS NOT NULL AND d.deleted_at IS NULL)`,
		args...).Scan(&sum.Consumed, &sum.Available, &sum.WaitingDevices)
	if err != nil {
		return sum, err
	}
	// From the maintained expiry counts (expiry_counts.go), not device by device.
	if sum.NearExpiryDevices, err = nearExpiryTotal(ctx, s.reads(ctx), sc, now); err != nil {
		return sum, err
	}
	err = s.reads(ctx).SelectContext(ctx, &sum.Unassigned, `SELECT k.code, k.name, l.unassigned AS quantity
		FROM pools l JOIN packages k ON k.id = l.package_id
		WHERE l.account_id = $1 AND l.dc = $2 AND l.unassigned > 0 ORDER BY k.id`, sc.AccountID, sc.DC)
	return sum, err
}
