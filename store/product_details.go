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
// package and its renewal figures.
func (s *Store) ProductDetails(ctx context.Context, sc Scope, id int64, f DeviceFilter, page PageRequest) (ProductDetails, error) {
	p, err := s.ScopedProduct(ctx, sc, id)
	if err != nil {
		return ProductDetails{}, err
	}
	d := ProductDetails{Product: p}
	if d.Devices, err = s.ProductDevices(ctx, sc, p, f, page); err != nil {
		return ProductDetails{}, err
	}
	if p.PackageCode != nil {
		pkg, err := s.PackageByCode(ctx, *p.PackageCode)
		if err != nil {
			return ProductDetails{}, err
		}
		d.Package = &pkg
	}
	if d.Renewal, err = s.ProductRenewal(ctx, sc, p); err != nil {
		return ProductDetails{}, err
	}
	return d, nil
}
