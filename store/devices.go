package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// NearExpiryWindow is how far ahead a code counts as near expiry
// (docs/pages.md, "5. Devices with near-expiry codes").
const NearExpiryWindow = 30 * 24 * time.Hour

// DeviceStatus is where a device stands, derived from its dates at a moment
// (docs/pages.md, "4. A product's details"; docs/api.md, "Calls"). The
// values are the API's; views.DeviceStatusText words them.
type DeviceStatus string

// Device statuses, as the pages and the API show them.
const (
	StatusActive   DeviceStatus = "active"
	StatusExpiring DeviceStatus = "expiring" // expires within NearExpiryWindow
	StatusExpired  DeviceStatus = "expired"  // expired, the renewal worker has not reached it yet
	StatusLapsed   DeviceStatus = "lapsed"
	StatusWaiting  DeviceStatus = "waiting" // refused for lack of a code, never activated
	StatusDeleted  DeviceStatus = "deleted"
	StatusNew      DeviceStatus = "new" // known, never activated, never refused
)

// Outlook says whether a device's code will renew at expiry (docs/renewal.md,
// "Renewal outlook"); "" when it has no code to renew. The values are the
// API's; views.OutlookText words them.
type Outlook string

// Renewal outlooks.
const (
	OutlookWillRenew    Outlook = "will_renew"
	OutlookAutoRenewOff Outlook = "auto_renew_off"
	OutlookBlacklisted  Outlook = "blacklisted"
	OutlookAtRisk       Outlook = "at_risk"
)

// Device is a device with its latest activation and renewal outlook.
type Device struct {
	ID           int64           `db:"id"`
	ProductID    int64           `db:"product_id"`
	ProductKey   string          `db:"product_key"`
	ProductName  string          `db:"product_name"`
	DeviceKey    string          `db:"device_key"`
	ActivatedAt  *time.Time      `db:"activated_at"`
	ExpiresAt    *time.Time      `db:"expires_at"`
	LastKind     *ActivationKind `db:"last_kind"`
	Activations  int             `db:"activations"`
	WaitingSince *time.Time      `db:"waiting_since"`
	LapsedAt     *time.Time      `db:"lapsed_at"`
	LapseReason  *LapseReason    `db:"lapse_reason"`
	DeletedAt    *time.Time      `db:"deleted_at"`
	Blacklisted  bool            `db:"blacklisted"`
	AutoRenew    bool            `db:"auto_renew"`
	Available    int64           `db:"available"` // the product's available codes
	Status       DeviceStatus    `db:"-"`
	Outlook      Outlook         `db:"-"`
}

const deviceColumns = `d.id, d.product_id, p.product_key, p.name AS product_name, d.device_key, d.activated_at, d.expires_at,
	d.last_kind, d.activations, d.waiting_since, d.lapsed_at, d.lapse_reason, d.deleted_at,
	EXISTS (SELECT 1 FROM blacklist b WHERE b.product_id = d.product_id AND b.device_key = d.device_key) AS blacklisted,
	p.auto_renew, p.available`

// productDeviceColumns are deviceColumns less the product's own: a
// product's device export takes those from the product it was asked for
// (deviceScanner.product), not from a million rows (they were a fifth of
// the console's CPU in a million-row export: export.go). The two times
// every device has come as UTC text that parseUTC reads: lib/pq's own
// parse of a timestamptz was another fifth.
const productDeviceColumns = `d.id, d.device_key,
	(d.activated_at AT TIME ZONE 'UTC')::text AS activated_at, (d.expires_at AT TIME ZONE 'UTC')::text AS expires_at,
	d.last_kind, d.activations, d.waiting_since, d.lapsed_at, d.lapse_reason, d.deleted_at,
	EXISTS (SELECT 1 FROM blacklist b WHERE b.product_id = d.product_id AND b.device_key = d.device_key) AS blacklisted`

// deviceScanner reads rows of deviceColumns (or, with product set, of
// productDeviceColumns) into Devices without sqlx's reflection, which was
// half the console's CPU in a million-row export (the CSV exports,
// export.go). Its fields are reused from row to row.
type deviceScanner struct {
	product                                      *Product // the product of every row; nil: each row names its own
	activated, expires, waiting, lapsed, deleted sql.NullTime
	kind, reason                                 sql.NullString
	activatedUTC, expiresUTC                     sql.NullString // productDeviceColumns' times
	times                                        []time.Time    // where the rows' times are kept, a slab at a time
}

// scan reads one row of deviceColumns (productDeviceColumns), in their
// order, into d.
func (sc *deviceScanner) scan(rows *sql.Rows, d *Device) error {
	var err error
	if p := sc.product; p != nil {
		d.ProductID, d.ProductKey, d.ProductName, d.AutoRenew, d.Available = p.ID, p.ProductKey, p.Name, p.AutoRenew, p.Available
		err = rows.Scan(&d.ID, &d.DeviceKey, &sc.activatedUTC, &sc.expiresUTC,
			&sc.kind, &d.Activations, &sc.waiting, &sc.lapsed, &sc.reason, &sc.deleted, &d.Blacklisted)
		if err == nil {
			sc.activated, err = parseUTC(sc.activatedUTC)
		}
		if err == nil {
			sc.expires, err = parseUTC(sc.expiresUTC)
		}
	} else {
		err = rows.Scan(&d.ID, &d.ProductID, &d.ProductKey, &d.ProductName, &d.DeviceKey, &sc.activated, &sc.expires,
			&sc.kind, &d.Activations, &sc.waiting, &sc.lapsed, &sc.reason, &sc.deleted, &d.Blacklisted, &d.AutoRenew, &d.Available)
	}
	if err != nil {
		return err
	}
	d.ActivatedAt, d.ExpiresAt = sc.time(sc.activated), sc.time(sc.expires)
	d.WaitingSince, d.LapsedAt, d.DeletedAt = sc.time(sc.waiting), sc.time(sc.lapsed), sc.time(sc.deleted)
	d.LastKind, d.LapseReason = nil, nil
	if sc.kind.Valid {
		k := ActivationKind(sc.kind.String)
		d.LastKind = &k
	}
	if sc.reason.Valid {
		r := LapseReason(sc.reason.String)
		d.LapseReason = &r
	}
	return nil
}

// parseUTC reads a timestamp PostgreSQL wrote as text in UTC
// ("2027-03-01 08:00:00.123456", DateStyle ISO, which lib/pq sets), digit
// by digit; it is the only shape a device's time takes (no device time is
// infinite, BC or past the year 9999), so any other is an error.
func parseUTC(s sql.NullString) (sql.NullTime, error) {
	if !s.Valid {
		return sql.NullTime{}, nil
	}
	v := s.String
	num := func(i, n int) int {
		x := 0
		for _, c := range []byte(v[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			x = x*10 + int(c-'0')
		}
		return x
	}
	if len(v) >= 19 && len(v) <= 26 && v[4] == '-' && v[7] == '-' && v[10] == ' ' && v[13] == ':' && v[16] == ':' &&
		(len(v) == 19 || v[19] == '.' && len(v) > 20) {
		frac := 0
		if len(v) > 20 {
			frac = num(20, len(v)-20)
			for range 26 - len(v) {
				frac *= 10
			}
		}
		y, mo, d, h, mi, sec := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)
		if min(y, mo, d, h, mi, sec, frac) >= 0 {
			return sql.NullTime{Time: time.Date(y, time.Month(mo), d, h, mi, sec, frac*1000, time.UTC), Valid: true}, nil
		}
	}
	return sql.NullTime{}, fmt.Errorf("store: a device time of unexpected shape %q", v)
}

// time keeps t, if valid, in the scanner's slab and points at it: one
// allocation every few hundred times, not two a row.
func (sc *deviceScanner) time(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	if len(sc.times) == cap(sc.times) {
		sc.times = make([]time.Time, 0, 512)
	}
	sc.times = append(sc.times, t.Time)
	return &sc.times[len(sc.times)-1]
}

// deviceStatus derives a device's status at now.
func deviceStatus(d Device, now time.Time) DeviceStatus {
	switch {
	case d.DeletedAt != nil:
		return StatusDeleted
	case d.LapsedAt != nil:
		return StatusLapsed
	case d.WaitingSince != nil:
		return StatusWaiting
	case d.ExpiresAt == nil:
		return StatusNew
	case !d.ExpiresAt.After(now):
		return StatusExpired
	case d.ExpiresAt.Before(now.Add(NearExpiryWindow)):
		return StatusExpiring
	}
	return StatusActive
}

// deviceOutlook says whether a device's code will renew. dueByProduct holds,
// per product, the devices due to auto-renew within NearExpiryWindow.
func deviceOutlook(d Device, now time.Time, dueByProduct map[int64]int64) Outlook {
	switch {
	case !d.AutoRenew:
		return OutlookAutoRenewOff
	case d.Blacklisted:
		return OutlookBlacklisted
	case (d.LapsedAt != nil || d.WaitingSince != nil) && d.Available == 0:
		// A lapsed or waiting device gets a code only when it comes back, and
		// then only if one is left.
		return OutlookAtRisk
	case d.ExpiresAt != nil && d.ExpiresAt.Before(now.Add(NearExpiryWindow)) && d.Available < dueByProduct[d.ProductID]:
		return OutlookAtRisk
	}
	return OutlookWillRenew
}

// dueToRenew counts, per product, the live devices whose codes will expire
// within NearExpiryWindow and that would auto-renew. A product may have tens
// of thousands due, so the valid codes are summed from the maintained expiry
// counts (expiry_counts.go: a device waiting for a code never holds a valid
// one); the expired codes the worker has not reached yet and the blacklisted
// devices, both few, are read row by row (the blacklisted from their entries,
// which keep their live devices' expiries: migration 00021).
func dueToRenew(ctx context.Context, q sqlx.QueryerContext, productIDs []int64, now time.Time) (map[int64]int64, error) {
	rows, err := q.QueryxContext(ctx, `SELECT p.id, `+dueCount+` FROM unnest($1::bigint[]) AS p(id)`,
		append([]any{pq.Array(productIDs)}, windowAt(now).dueArgs()...)...)
	if err != nil {
		return nil, err
	}
	due := make(map[int64]int64, len(productIDs))
	return due, addProductCounts(rows, due)
}

// dueCount is dueToRenew's count for the product p.id, in one statement:
// the window's valid codes as windowCounts counts them (the partial days'
// bounds in arrays the planner does not see), plus the expired codes the
// worker has not reached yet, less the blacklisted devices in the window
// (from their entries). Its parameters, from $2, are expiryWindow.dueArgs.
const dueCount = `(SELECT coalesce(sum(e.devices), 0) FROM expiry_counts e WHERE e.product_id = p.id AND e.day >= $3::date AND e.day < $4::date)
		+ (SELECT coalesce(sum((SELECT count(*) FROM devices d WHERE d.product_id = p.id AND d.lapsed_at IS NULL AND d.deleted_at IS NULL
				AND d.expires_at >= s.lo AND d.expires_at < s.hi AND d.expires_at > $2)), 0)
			FROM unnest($6::timestamptz[], $7::timestamptz[]) AS s(lo, hi))
		+ (SELECT count(*) FROM devices d WHERE d.product_id = p.id AND ` + unreachedDevices + `)
		- (SELECT count(*) FROM blacklist b WHERE b.product_id = p.id AND b.expires_at > $2 AND b.expires_at < $5)`

// unreachedDevices is the condition on devices d whose codes expired at or
// before $2 (now) that the renewal worker has not reached yet: live, not
// waiting, not blacklisted; each is due to renew now (dueCount, and the
// near-expiry chart's chartBlacklist). The blacklist is probed per device
// by its key: as NOT EXISTS, an anti-join, the planner read the whole
// blacklist, every tenant's.
const unreachedDevices = `d.lapsed_at IS NULL AND d.deleted_at IS NULL AND d.expires_at <= $2 AND d.waiting_since IS NULL
			AND (SELECT count(*) FROM blacklist b WHERE b.product_id = d.product_id AND b.device_key = d.device_key) = 0`

// withOutlooks fills Status and Outlook of devices.
func withOutlooks(ctx context.Context, q sqlx.QueryerContext, devices []Device, now time.Time) error {
	ids := map[int64]bool{}
	var productIDs []int64
	for _, d := range devices {
		if !ids[d.ProductID] {
			ids[d.ProductID] = true
			productIDs = append(productIDs, d.ProductID)
		}
	}
	due, err := dueToRenew(ctx, q, productIDs, now)
	if err != nil {
		return err
	}
	for i := range devices {
		devices[i].Status = deviceStatus(devices[i], now)
		devices[i].Outlook = deviceOutlook(devices[i], now, due)
	}
	return nil
}

// DeviceByKey reads a device of a live product, platform-wide (for the API).
func (s *Store) DeviceByKey(ctx context.Context, productKey, deviceKey string) (Device, error) {
	if err := checkKey("product_key", productKey); err != nil {
		return Device{}, err
	}
	if err := checkKey("device_key", deviceKey); err != nil {
		return Device{}, err
	}
	p, err := s.ProductByKey(ctx, productKey)
	if err != nil {
		return Device{}, err
	}
	var d []Device
	if err := s.db.SelectContext(ctx, &d, `SELECT `+deviceColumns+` FROM devices d JOIN products p ON p.id = d.product_id
		WHERE d.product_id = $1 AND d.device_key = $2`, p.ID, deviceKey); err != nil {
		return Device{}, err
	}
	if len(d) == 0 {
		return Device{}, notFoundErr(CodeUnknownDevice, "err.product_has_no_device", "Product", productKey, "Device", Quoted(deviceKey))
	}
	err = withOutlooks(ctx, s.db, d, s.Now())
	return d[0], err
}
