package store

import "context"

// ProductDetails is everything a product's details page shows (docs/pages.md,
// "4. A product's details"): the product with its code counters, its
// package, the figures of its Automatic Renewal card and one page of its
// devices.
type ProductDetails struct {
	Product Product
	Package *Package // the allowance of one code; nil before the first assignment
	Renewal RenewalFigures
	Devices Page[Device]
}

// ProductDetails reads a product's details page: the product of the scope
// (any other is not found), then one page of its devices that match f, its
// renewal figures and its package. The devices due to auto-renew, which both
// the devices' outlooks and the card count, are counted once, in the
// statement that counts the blacklist.
func (s *Store) ProductDetails(ctx context.Context, sc Scope, id int64, f DeviceFilter, page PageRequest) (ProductDetails, error) {
	p, err := s.ScopedProduct(ctx, sc, id)
	if err != nil {
		return ProductDetails{}, err
	}
	now := s.Now()
	d := ProductDetails{Product: p}
	if d.Devices, err = s.productDevices(ctx, sc, p, f, page, now); err != nil {
		return ProductDetails{}, err
	}
	// p is the scope's (ScopedProduct above): its blacklist is the account's.
	var fig struct {
		Due         int64 `db:"due"`
		Blacklisted int64 `db:"blacklisted"`
	}
	w := windowAt(now)
	if err := s.reads(ctx).GetContext(ctx, &fig, `SELECT `+dueCount+` AS due,
			(SELECT count(*) FROM (SELECT 1 FROM blacklist b WHERE b.product_id = p.id AND b.account_id = $8 LIMIT `+itoa(FigureCap+1)+`) b) AS blacklisted
		FROM (SELECT $1::bigint AS id) p`, append(append([]any{p.ID}, w.dueArgs()...), sc.AccountID)...); err != nil {
		return ProductDetails{}, err
	}
	// As productDue: the outlook only asks whether more are due than codes are left.
	withProductOutlooks(d.Devices.Rows, now, map[int64]int64{p.ID: min(fig.Due, p.Available+1)})
	d.Renewal = renewalFigures(p, fig.Due)
	d.Renewal.Blacklisted, d.Renewal.BlackMore = min(fig.Blacklisted, FigureCap), fig.Blacklisted > FigureCap
	if p.PackageCode != nil {
		pkg, err := s.PackageByCode(ctx, *p.PackageCode)
		if err != nil {
			return ProductDetails{}, err
		}
		d.Package = &pkg
	}
	return d, nil
}
