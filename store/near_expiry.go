package store

import (
	"context"
	"strings"
	"time"

	"github.com/lib/pq"
)

// The near-expiry list (docs/pages.md, "5. Devices with near-expiry codes"):
// live devices of live products whose current code expires within
// NearExpiryWindow, soonest first. Without
// filters a page walks the index devices_account_expiry from now and stops
// after a page, so it costs the same on an account with a million devices as
// on one with fifty. The products of the scope (and of the product filter)
// are read first, so that the planner sees which products are meant and
// reads a small product's devices by devices_product_expiry instead.

// NearExpiryFilter narrows the near-expiry list.
type NearExpiryFilter struct {
	Product   string    // part of a product's name, or the start of its ProductKey
	DeviceKey string    // the start of a DeviceKey, any case
	Activated DateRange // when the device's current code was activated
	Expires   DateRange // when it expires
}

// keyPathLimit is how many devices a DeviceKey prefix may match in the
// scope for the list to read them by the key index (devices_account_key)
// rather than walk every near-expiry device: below it the matches are few
// enough to read; above it they are common enough that a page is found soon.
const keyPathLimit = 5000

// nearExpiryFrom builds the FROM and WHERE clauses shared by the list and
// its export, with their arguments; ok is false when no product matches.
func (s *Store) nearExpiryFrom(ctx context.Context, sc Scope, f NearExpiryFilter, now time.Time) (from string, args []any, ok bool, err error) {
	ids, err := s.nearExpiryProducts(ctx, sc, f.Product)
	if err != nil || len(ids) == 0 {
		return "", nil, false, err
	}
	args = []any{sc.AccountID, sc.DC, pq.Array(ids), now, now.Add(NearExpiryWindow)}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + itoa(len(args))
	}
	// The same devices Licenses counts as NearExpiryDevices.
	where := []string{`d.account_id = $1 AND d.dc = $2 AND d.product_id = ANY($3) AND d.lapsed_at IS NULL AND d.deleted_at IS NULL
		AND d.expires_at > $4 AND d.expires_at < $5 AND p.deleted_at IS NULL`}
	if k := strings.TrimSpace(f.DeviceKey); k != "" {
		prefix := strings.ToLower(escapeLike(k)) + "%"
		var n int
		// One range of devices_account_key (migration 00008) however many products the scope has.
		if err := s.reads(ctx).GetContext(ctx, &n, `SELECT count(*) FROM (SELECT 1 FROM devices d
			WHERE d.account_id = $3 AND d.dc = $4 AND (lower(d.device_key) COLLATE "C") LIKE $2
				AND d.lapsed_at IS NULL AND d.deleted_at IS NULL AND d.product_id = ANY($1) LIMIT `+itoa(keyPathLimit)+`) m`,
			pq.Array(ids), prefix, sc.AccountID, sc.DC); err != nil {
			return "", nil, false, err
		}
		// Both conditions match the same keys (DeviceKeys are ASCII); only
		// the first can be read from the key index.
		if n < keyPathLimit {
			where = append(where, `(lower(d.device_key) COLLATE "C") LIKE `+arg(prefix))
		} else {
			where = append(where, `d.device_key ILIKE `+arg(prefix))
		}
	}
	// A code expires its package's validity after it was activated, so an
	// activation range is also an expiry range of the index: from the earliest
	// and to the latest expiry that the products' packages give a code
	// activated at the bound (widened by a day against time-zone arithmetic),
	// then checked exactly.
	expiry := func(agg, at string) string {
		return `(SELECT ` + agg + `(` + at + `::timestamptz + k.validity) FROM products q JOIN packages k ON k.id = q.package_id WHERE q.id = ANY($3))`
	}
	if !f.Activated.From.IsZero() {
		a := arg(f.Activated.From)
		where = append(where, `d.activated_at >= `+a+` AND d.expires_at >= `+expiry("min", a)+` - interval '1 day'`)
	}
	if !f.Activated.To.IsZero() {
		a := arg(f.Activated.To)
		where = append(where, `d.activated_at < `+a+` AND d.expires_at <= `+expiry("max", a)+` + interval '1 day'`)
	}
	if !f.Expires.From.IsZero() {
		where = append(where, `d.expires_at >= `+arg(f.Expires.From))
	}
	if !f.Expires.To.IsZero() {
		where = append(where, `d.expires_at < `+arg(f.Expires.To))
	}
	return ` FROM devices d JOIN products p ON p.id = d.product_id WHERE ` + strings.Join(where, " AND "), args, true, nil
}

// nearExpiryProducts lists the live products of the scope whose name
// contains text or whose ProductKey starts with it (all of them for "").
func (s *Store) nearExpiryProducts(ctx context.Context, sc Scope, text string) ([]int64, error) {
	var ids []int64
	err := s.reads(ctx).SelectContext(ctx, &ids, `SELECT p.id FROM products p WHERE `+sc.productFilter(1)+` AND p.deleted_at IS NULL
		AND ($4 = '' OR p.name ILIKE '%' || $4 || '%' OR p.product_key ILIKE $4 || '%')`,
		append(sc.args(), escapeLike(strings.TrimSpace(text)))...)
	return ids, err
}

// NearExpiryDevices reads one page of the near-expiry list.
func (s *Store) NearExpiryDevices(ctx context.Context, sc Scope, f NearExpiryFilter, page PageRequest) (Page[Device], error) {
	now := s.Now()
	from, args, ok, err := s.nearExpiryFrom(ctx, sc, f, now)
	if err != nil || !ok {
		return Page[Device]{}, err
	}
	order, cmp, cursor := "ASC", ">", page.After
	if page.Before != "" {
		order, cmp, cursor = "DESC", "<", page.Before
	}
	q := `SELECT ` + deviceColumns + from
	if cursor != "" {
		var at time.Time
		var id int64
		if err := decodeCursor(cursor, &at, &id); err != nil {
			return Page[Device]{}, err
		}
		args = append(args, at, id)
		q += ` AND (d.expires_at, d.id) ` + cmp + ` ($` + itoa(len(args)-1) + `, $` + itoa(len(args)) + `)`
	}
	q += ` ORDER BY d.expires_at ` + order + `, d.id ` + order + ` LIMIT ` + itoa(PageSize+1)
	var rows []Device
	if err := s.reads(ctx).SelectContext(ctx, &rows, q, args...); err != nil {
		return Page[Device]{}, err
	}
	out := pageOf(rows, page, func(d Device) string { return encodeCursor(d.ExpiresAt, d.ID) })
	if err := withOutlooks(ctx, s.reads(ctx), out.Rows, now); err != nil {
		return Page[Device]{}, err
	}
	return out, nil
}

// EachNearExpiryDevice calls fn for every device of the near-expiry list in
// order, a page at a time (the CSV export).
func (s *Store) EachNearExpiryDevice(ctx context.Context, sc Scope, f NearExpiryFilter, fn func(Device) error) error {
	now := s.Now()
	from, args, ok, err := s.nearExpiryFrom(ctx, sc, f, now)
	if err != nil || !ok {
		return err
	}
	// The outlook compares each product's available codes with its devices
	// due to renew: count those once per product of the scope, up front.
	productIDs, err := s.nearExpiryProducts(ctx, sc, f.Product)
	if err != nil {
		return err
	}
	due, err := dueToRenew(ctx, s.reads(ctx), productIDs, now)
	if err != nil {
		return err
	}
	q := exportQuery[Device]{query: `SELECT ` + deviceColumns + from, args: args, keys: []string{"d.expires_at", "d.id"},
		keyOf: func(d Device) []any { return []any{*d.ExpiresAt, d.ID} }, scan: new(deviceScanner).scan} // never nil: the list has running codes only
	return eachExported(ctx, s, q, func(d Device) error {
		d.Status = deviceStatus(d, now)
		d.Outlook = deviceOutlook(d, now, due)
		return fn(d)
	})
}

// NearExpiryCount counts the devices of the scope with near-expiry codes:
// the page head's figure, from the maintained expiry counts (expiry_counts.go).
func (s *Store) NearExpiryCount(ctx context.Context, sc Scope) (int64, error) {
	return nearExpiryTotal(ctx, s.reads(ctx), sc, s.Now())
}
