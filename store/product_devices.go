package store

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// The product details page (docs/pages.md, "4. A product's details"): one
// product's devices and each device's activation history; the product itself
// is read by ScopedProduct (products.go), its Automatic Renewal card and
// blacklist by product_renewal.go. The device list walks the index
// devices_product_list (migration 00004) in expiry order, devices without a
// code last, so a page costs the same on a product with a million devices as
// on one with fifty; every filter is also written as a range of that index.

// DeviceFilter narrows a product's device list.
type DeviceFilter struct {
	DeviceKey string       // the start of a DeviceKey, any case
	Activated DateRange    // when the device's current code was activated
	Expires   DateRange    // when it expires
	Status    DeviceStatus // one of the Status* values except deleted, or "" for all
}

// DeviceStatuses are the statuses a product's device list can be filtered by, in display order.
var DeviceStatuses = []DeviceStatus{StatusActive, StatusExpiring, StatusExpired, StatusLapsed, StatusWaiting, StatusNew}

// The list's orders: by expiry, devices without a code last; by expiry
// alone while a status with a running code is chosen (devices_product_expiry
// then skips the lapsed ones); by DK while a DK is searched. Each filter is
// one range of the index that serves the order.
const (
	expiryKey = `coalesce(d.expires_at, 'infinity'::timestamptz)`
	liveKey   = `d.expires_at`
	dkKey     = `lower(d.device_key) COLLATE "C"`
)

// sortKey is the first sort key of the list filtered by f, and how its
// cursor value is cast.
func sortKey(f DeviceFilter) (key, cast string) {
	switch {
	case strings.TrimSpace(f.DeviceKey) != "":
		return dkKey, `::text COLLATE "C"`
	case f.Status == StatusExpired || f.Status == StatusExpiring || f.Status == StatusActive:
		return liveKey, `::timestamptz`
	}
	return expiryKey, `::timestamptz`
}

// SortedByKey tells whether the list filtered by f is in DeviceKey order.
func (f DeviceFilter) SortedByKey() bool { k, _ := sortKey(f); return k == dkKey }

// productDevicesWhere builds the FROM and WHERE clauses shared by the list
// and its CSV export, and their arguments.
func productDevicesWhere(sc Scope, productID int64, f DeviceFilter, now time.Time) (string, []any, error) {
	args := append(sc.args(), productID)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + itoa(len(args))
	}
	where := []string{`d.product_id = $4 AND d.account_id = $1 AND d.dc = $2 AND d.deleted_at IS NULL AND p.deleted_at IS NULL AND ` + sc.productFilter(1)}
	if k := strings.TrimSpace(f.DeviceKey); k != "" {
		where = append(where, dkKey+` LIKE `+arg(strings.ToLower(escapeLike(k))+"%")+` ESCAPE '\'`)
	}
	// A product has one package, so a code's expiry is its activation plus the
	// package's validity: an activation range is also an expiry range of the
	// index (widened by a day for calendar arithmetic), checked exactly after.
	validity := `(SELECT coalesce(k.validity, interval '0') FROM products q LEFT JOIN packages k ON k.id = q.package_id WHERE q.id = $4)`
	// Expiry bounds on both sort keys, so that whichever index serves the order gets the range.
	expiresFrom := func(v string) string { return `d.expires_at >= ` + v + ` AND ` + expiryKey + ` >= ` + v }
	expiresBefore := func(v, op string) string {
		return `d.expires_at ` + op + ` ` + v + ` AND ` + expiryKey + ` ` + op + ` ` + v
	}
	if !f.Activated.From.IsZero() {
		a := arg(f.Activated.From)
		where = append(where, `d.activated_at >= `+a+` AND `+expiresFrom(a+`::timestamptz + `+validity+` - interval '1 day'`))
	}
	if !f.Activated.To.IsZero() {
		a := arg(f.Activated.To)
		where = append(where, `d.activated_at < `+a+` AND `+expiresBefore(a+`::timestamptz + `+validity+` + interval '1 day'`, "<="))
	}
	if !f.Expires.From.IsZero() {
		where = append(where, expiresFrom(arg(f.Expires.From)))
	}
	if !f.Expires.To.IsZero() {
		where = append(where, expiresBefore(arg(f.Expires.To), "<"))
	}
	// Each status as deviceStatus decides it, as a range of its order's index.
	live := `d.lapsed_at IS NULL AND d.waiting_since IS NULL AND `
	switch f.Status {
	case "":
	case StatusLapsed:
		where = append(where, `d.lapsed_at IS NOT NULL AND `+expiresBefore(arg(now), "<="))
	case StatusWaiting:
		where = append(where, `d.lapsed_at IS NULL AND d.waiting_since IS NOT NULL`)
	case StatusNew:
		where = append(where, live+expiryKey+` = 'infinity'`)
	case StatusExpired:
		where = append(where, live+expiresBefore(arg(now), "<="))
	case StatusExpiring:
		where = append(where, live+`d.expires_at > `+arg(now)+` AND `+expiresBefore(arg(now.Add(NearExpiryWindow)), "<"))
	case StatusActive:
		where = append(where, live+expiresFrom(arg(now.Add(NearExpiryWindow))))
	default:
		return "", nil, invalid("status", "err.status_choice")
	}
	return ` FROM devices d JOIN products p ON p.id = d.product_id WHERE ` + strings.Join(where, " AND "), args, nil
}

// ProductDevices reads one page of a product's devices with their status
// and renewal outlook: soonest expiry first (devices without a code last),
// or by DK while a DK is searched.
func (s *Store) ProductDevices(ctx context.Context, sc Scope, p Product, f DeviceFilter, page PageRequest) (Page[Device], error) {
	now := s.Now()
	out, err := s.productDevices(ctx, sc, p, f, page, now)
	if err != nil {
		return Page[Device]{}, err
	}
	due, err := productDue(ctx, s.reads(ctx), p, now)
	if err != nil {
		return Page[Device]{}, err
	}
	withProductOutlooks(out.Rows, now, due)
	return out, nil
}

// productDevices reads one page of ProductDevices, without the outlooks.
func (s *Store) productDevices(ctx context.Context, sc Scope, p Product, f DeviceFilter, page PageRequest, now time.Time) (Page[Device], error) {
	from, args, err := productDevicesWhere(sc, p.ID, f, now)
	if err != nil {
		return Page[Device]{}, err
	}
	key, cast := sortKey(f)
	order, cmp, cursor := "ASC", ">", page.After
	if page.Before != "" {
		order, cmp, cursor = "DESC", "<", page.Before
	}
	q := `SELECT ` + deviceColumns + from
	if cursor != "" {
		v, id, err := decodeListCursor(cursor, key)
		if err != nil {
			return Page[Device]{}, err
		}
		args = append(args, v, id)
		q += ` AND (` + key + `, d.id) ` + cmp + ` ($` + itoa(len(args)-1) + cast + `, $` + itoa(len(args)) + `)`
	}
	q += ` ORDER BY ` + key + ` ` + order + `, d.id ` + order + ` LIMIT ` + itoa(PageSize+1)
	var rows []Device
	if err := s.reads(ctx).SelectContext(ctx, &rows, q, args...); err != nil {
		return Page[Device]{}, err
	}
	cursorOf := func(d Device) string {
		if key == dkKey {
			return encodeCursor(d.DeviceKey, d.ID)
		}
		return encodeCursor(d.ExpiresAt, d.ID)
	}
	return pageOf(rows, page, cursorOf), nil
}

// withProductOutlooks fills the status and outlook of devices of one product.
func withProductOutlooks(devices []Device, now time.Time, due map[int64]int64) {
	for i := range devices {
		devices[i] = withProductOutlook(devices[i], now, due)
	}
}

// decodeListCursor unpacks a cursor of the list into the value of its sort key and the id.
func decodeListCursor(cursor, key string) (any, int64, error) {
	var id int64
	if key == dkKey {
		var dk string
		err := decodeCursor(cursor, &dk, &id)
		return strings.ToLower(dk), id, err
	}
	var at *time.Time
	if err := decodeCursor(cursor, &at, &id); err != nil || at == nil {
		return "infinity", id, err // a device without a code, last by expiry
	}
	return *at, id, nil
}

// EachProductDevice calls fn for every device of the list in its order,
// a page at a time (the CSV export). Each device's product figures (its
// switch and available codes) are p's, as the due count of its outlook
// is, not read again on each row.
func (s *Store) EachProductDevice(ctx context.Context, sc Scope, p Product, f DeviceFilter, fn func(Device) error) error {
	now := s.Now()
	from, args, err := productDevicesWhere(sc, p.ID, f, now)
	if err != nil {
		return err
	}
	due, err := productDue(ctx, s.reads(ctx), p, now)
	if err != nil {
		return err
	}
	key, cast := sortKey(f)
	q := exportQuery[Device]{query: `SELECT ` + productDeviceColumns + from, args: args, keys: []string{key, "d.id"}, casts: []string{cast, ""},
		keyOf: func(d Device) []any { return []any{deviceSortValue(d, key), d.ID} }, scan: (&deviceScanner{product: &p}).scan}
	return eachExported(ctx, s, q, func(d Device) error { return fn(withProductOutlook(d, now, due)) })
}

// deviceSortValue is a device's value of the list's first sort key, as the
// key's expression computes it.
func deviceSortValue(d Device, key string) any {
	switch {
	case key == dkKey:
		return strings.ToLower(d.DeviceKey)
	case d.ExpiresAt == nil:
		return "infinity" // expiryKey: a device without a code sorts last
	}
	return *d.ExpiresAt
}

// ProductDevice reads one live device of a product of the scope.
func (s *Store) ProductDevice(ctx context.Context, sc Scope, p Product, deviceID int64) (Device, error) {
	var d Device
	err := s.reads(ctx).GetContext(ctx, &d, `SELECT `+deviceColumns+` FROM devices d JOIN products p ON p.id = d.product_id
		WHERE d.id = $5 AND d.product_id = $4 AND d.account_id = $1 AND d.dc = $2 AND d.deleted_at IS NULL AND p.deleted_at IS NULL AND `+
		sc.productFilter(1), append(sc.args(), p.ID, deviceID)...)
	if err != nil {
		return Device{}, notFound(err, notFoundErr(CodeUnknownDevice, "err.no_device"))
	}
	now := s.Now()
	due, err := productDue(ctx, s.reads(ctx), p, now)
	return withProductOutlook(d, now, due), err
}

// withProductOutlook fills a device's status and outlook. A device without
// a running code (never activated, waiting, lapsed) has no outlook: nothing
// renews until it connects again, and its status says why.
func withProductOutlook(d Device, now time.Time, due map[int64]int64) Device {
	d.Status = deviceStatus(d, now)
	switch d.Status {
	case StatusNew, StatusWaiting, StatusLapsed, StatusDeleted:
		d.Outlook = ""
	default:
		d.Outlook = deviceOutlook(d, now, due)
	}
	return d
}

// productDue counts the product's devices due to auto-renew within
// NearExpiryWindow, as dueToRenew does, but stops at one more than the
// product's available codes: the outlook only asks which is larger.
func productDue(ctx context.Context, q sqlx.QueryerContext, p Product, now time.Time) (map[int64]int64, error) {
	n, err := countDue(ctx, q, p.ID, now, p.Available+1)
	return map[int64]int64{p.ID: n}, err
}

// countDue counts, up to limit, the live devices of a product whose codes
// expire within NearExpiryWindow and that would auto-renew (see dueToRenew,
// which sums them from the maintained expiry counts rather than reading a
// large product's month of devices).
func countDue(ctx context.Context, q sqlx.QueryerContext, productID int64, now time.Time, limit int64) (int64, error) {
	due, err := dueToRenew(ctx, q, []int64{productID}, now)
	return min(due[productID], limit), err
}

// Activation is one code a device consumed.
type Activation struct {
	ID          int64          `db:"id"`
	Kind        ActivationKind `db:"kind"` // ActivationFirst, ActivationRenewal or ActivationManual
	ActivatedAt time.Time      `db:"activated_at"`
	ExpiresAt   time.Time      `db:"expires_at"`
}

// HistoryLimit is the most activations the history shows; a device takes
// one a validity period, so only a test package ever reaches it.
const HistoryLimit = 1000

// DeviceActivations lists every code a device of a product of the scope
// consumed, in order, up to HistoryLimit.
func (s *Store) DeviceActivations(ctx context.Context, sc Scope, p Product, deviceID int64) ([]Activation, error) {
	var as []Activation
	err := s.reads(ctx).SelectContext(ctx, &as, `SELECT a.id, a.kind, a.activated_at, a.expires_at
		FROM activations a JOIN devices d ON d.id = a.device_id JOIN products p ON p.id = d.product_id
		WHERE a.device_id = $5 AND d.product_id = $4 AND a.account_id = $1 AND d.dc = $2 AND p.deleted_at IS NULL AND `+sc.productFilter(1)+`
		ORDER BY a.activated_at, a.id LIMIT `+itoa(HistoryLimit), append(sc.args(), p.ID, deviceID)...)
	return as, err
}
