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

// LicenseSummary is an account's figures in one data center (SPEC sections 6.1 and 8).
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

// Total is consumed + available + unassigned (SPEC section 6.1).
func (l LicenseSummary) Total() int64 { return l.Consumed + l.Available + l.UnassignedTotal() }

// Licenses reads an account's figures in a DC from the maintained counters
// and two index range counts; it never counts codes row by row.
func (s *Store) Licenses(ctx context.Context, accountID int64, dc string) (LicenseSummary, error) {
	if err := checkDC(ctx, s.db, dc); err != nil {
		return LicenseSummary{}, err
	}
	sum := LicenseSummary{DataCenter: dc}
	now := s.Now()
	// Consumed counts deleted products too: their consumed codes stay consumed.
	err := s.db.QueryRowxContext(ctx, `SELECT coalesce(sum(consumed), 0), coalesce(sum(available), 0)
		FROM products WHERE account_id = $1 AND dc = $2`, accountID, dc).Scan(&sum.Consumed, &sum.Available)
	if err != nil {
		return sum, err
	}
	if err := s.db.SelectContext(ctx, &sum.Unassigned, `SELECT k.code, k.name, l.unassigned AS quantity
		FROM pools l JOIN packages k ON k.id = l.package_id
		WHERE l.account_id = $1 AND l.dc = $2 AND l.unassigned > 0 ORDER BY k.id`, accountID, dc); err != nil {
		return sum, err
	}
	err = s.db.QueryRowxContext(ctx, `SELECT
		(SELECT count(*) FROM devices d JOIN products p ON p.id = d.product_id AND p.deleted_at IS NULL
			WHERE d.account_id = $1 AND d.dc = $2 AND d.lapsed_at IS NULL AND d.deleted_at IS NULL
			AND d.expires_at > $3 AND d.expires_at < $4),
		(SELECT count(*) FROM devices d JOIN products p ON p.id = d.product_id AND p.deleted_at IS NULL
			WHERE d.account_id = $1 AND d.dc = $2 AND d.waiting_since IS NOT NULL AND d.deleted_at IS NULL)`,
		accountID, dc, now, now.Add(NearExpiryWindow)).Scan(&sum.NearExpiryDevices, &sum.WaitingDevices)
	return sum, err
}
