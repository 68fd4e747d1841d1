package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// A product's automatic renewal (docs/renewal.md, "The settings"): the
// figures of its Automatic Renewal card and its blacklist (docs/pages.md,
// "6. Automatic renewal card and blacklist dialog"), and the changes to
// them. The renewal pass itself is in ledger_renewal.go.

// RenewalFigures are what a product's Automatic Renewal card shows.
type RenewalFigures struct {
	AutoRenew   bool
	Available   int64
	Due         int64 // devices due to auto-renew within NearExpiryWindow, up to FigureCap
	DueMore     bool  // more than FigureCap are due
	Blacklisted int64 // up to FigureCap
	BlackMore   bool  // more than FigureCap are blacklisted
}

// AtRisk tells whether the product has fewer codes than devices due to renew.
func (r RenewalFigures) AtRisk() bool { return r.AutoRenew && r.Available < r.Due }

// FigureCap is where the card stops counting: past it, it says "more than".
const FigureCap = 1000

// ProductRenewal reads the figures of a product's Automatic Renewal card.
func (s *Store) ProductRenewal(ctx context.Context, sc Scope, p Product) (RenewalFigures, error) {
	limit := max(int64(FigureCap), p.Available+1)
	due, err := countDue(ctx, s.reads(ctx), p.ID, s.Now(), limit+1)
	if err != nil {
		return RenewalFigures{AutoRenew: p.AutoRenew, Available: p.Available}, err
	}
	r := renewalFigures(p, due)
	var n int64
	err = s.reads(ctx).GetContext(ctx, &n, `SELECT count(*) FROM (SELECT 1 FROM blacklist b JOIN products p ON p.id = b.product_id
		WHERE b.product_id = $4 AND b.account_id = $1 AND `+sc.productFilter(1)+` LIMIT `+itoa(FigureCap+1)+`) b`,
		append(sc.args(), p.ID)...)
	r.Blacklisted, r.BlackMore = min(n, FigureCap), n > FigureCap
	return r, err
}

// renewalFigures are the card's figures of p with due devices due to
// auto-renew (dueToRenew), before its blacklist is counted.
func renewalFigures(p Product, due int64) RenewalFigures {
	limit := max(int64(FigureCap), p.Available+1)
	return RenewalFigures{AutoRenew: p.AutoRenew, Available: p.Available, Due: min(due, limit), DueMore: due > limit}
}

// BlacklistEntry is a DK on a product's renewal blacklist.
type BlacklistEntry struct {
	DeviceKey string    `db:"device_key"`
	CreatedAt time.Time `db:"created_at"`
	Known     bool      `db:"known"` // a device of the product has this DK
}

// ProductBlacklist reads one page of a product's renewal blacklist, by DK.
func (s *Store) ProductBlacklist(ctx context.Context, sc Scope, p Product, page PageRequest) (Page[BlacklistEntry], error) {
	args := append(sc.args(), p.ID)
	order, cmp, cursor := "ASC", ">", page.After
	if page.Before != "" {
		order, cmp, cursor = "DESC", "<", page.Before
	}
	q := `SELECT b.device_key, b.created_at,
			EXISTS (SELECT 1 FROM devices d WHERE d.product_id = b.product_id AND d.device_key = b.device_key AND d.deleted_at IS NULL) AS known
		FROM blacklist b JOIN products p ON p.id = b.product_id
		WHERE b.product_id = $4 AND b.account_id = $1 AND p.deleted_at IS NULL AND ` + sc.productFilter(1)
	if cursor != "" {
		var key string
		if err := decodeCursor(cursor, &key); err != nil {
			return Page[BlacklistEntry]{}, err
		}
		args = append(args, key)
		q += ` AND b.device_key ` + cmp + ` $5`
	}
	q += ` ORDER BY b.device_key ` + order + ` LIMIT ` + itoa(PageSize+1)
	var rows []BlacklistEntry
	if err := s.reads(ctx).SelectContext(ctx, &rows, q, args...); err != nil {
		return Page[BlacklistEntry]{}, err
	}
	return pageOf(rows, page, func(e BlacklistEntry) string { return encodeCursor(e.DeviceKey) }), nil
}

// AutoRenewInput turns one product's automatic renewal switch on or off.
type AutoRenewInput struct {
	ProductID int64
	On        bool
	Actor     Actor
}

// SetAutoRenew turns a product's automatic renewal switch on or off
// (docs/renewal.md, "The settings"). A product outside the scope is not found.
func (s *Store) SetAutoRenew(ctx context.Context, sc Scope, in AutoRenewInput) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		p, err := lockProductByID(ctx, tx, sc, in.ProductID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE products SET auto_renew = $2 WHERE id = $1`, p.ID, in.On); err != nil {
			return err
		}
		if in.On {
			if err := noteAlert(ctx, tx, p.ID, eventRenewalOn, s.Now()); err != nil {
				return err
			}
		}
		state, op, id := "off", OpAutoRenewOff, "audit.entry.auto_renew_off"
		if in.On {
			state, op, id = "on", OpAutoRenewOn, "audit.entry.auto_renew_on"
		}
		return s.audit(ctx, tx, p.AccountID, in.Actor, AuditRenewal, op,
			fmt.Sprintf("turned automatic renewal %s for %s (%s)", state, p.Name, p.ProductKey),
			clause(id, "Product", p.Name, "ProductKey", p.ProductKey))
	})
}

// maxDeviceKeys is the most DeviceKeys one paste may hold.
const maxDeviceKeys = 10_000

// ParseDeviceKeys splits pasted text (one DK per line; commas and spaces work
// too) into distinct keys, refusing the first malformed one.
func ParseDeviceKeys(text string) ([]string, error) {
	seen := map[string]bool{}
	var keys []string
	for _, k := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == '\t' || r == ';' }) {
		if err := checkKey("device_keys", k); err != nil {
			return nil, invalid("device_keys", "err.not_a_device_key", "Key", Quoted(k))
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, invalid("device_keys", "err.device_keys_missing")
	}
	if len(keys) > maxDeviceKeys {
		return nil, invalid("device_keys", "err.device_keys_too_many", "Max", maxDeviceKeys)
	}
	return keys, nil
}

// BlacklistInput puts devices of one product on its renewal blacklist
// (Blacklisted) or takes them off.
type BlacklistInput struct {
	ProductID   int64
	DeviceKeys  []string
	Blacklisted bool
	Actor       Actor
}

// SetBlacklisted puts devices of a product on its renewal blacklist, or takes
// them off. The per-device toggle is the same data, and can be changed only
// while the product's switch is on. It returns how many entries changed. A
// product outside the scope is not found.
func (s *Store) SetBlacklisted(ctx context.Context, sc Scope, in BlacklistInput) (int, error) {
	deviceKeys := in.DeviceKeys
	for _, k := range deviceKeys {
		if err := checkKey("device_keys", k); err != nil {
			return 0, err
		}
	}
	var changed int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if in.Blacklisted {
			// An entry keeps its device's expiry (migration 00021): no change
			// of the device may slip between the entry's reading it and its
			// commit. Devices first, then the product: the ledger's order.
			if _, err := tx.ExecContext(ctx, `SELECT 1 FROM devices WHERE product_id = $1 AND device_key = ANY($2::text[])
				AND account_id = $3 AND dc = $4 ORDER BY id FOR SHARE`, in.ProductID, pq.Array(deviceKeys), sc.AccountID, sc.DC); err != nil {
				return err
			}
		}
		p, err := lockProductByID(ctx, tx, sc, in.ProductID)
		if err != nil {
			return err
		}
		var on bool
		if err := tx.GetContext(ctx, &on, `SELECT auto_renew FROM products WHERE id = $1`, p.ID); err != nil {
			return err
		}
		if !on {
			return conflict(CodeAutoRenewOff, "err.auto_renew_off", "Product", p.Name)
		}
		q := `INSERT INTO blacklist (account_id, product_id, device_key) SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING`
		op, verb, id := OpBlacklistAdd, "added to", "audit.entry.blacklist_added"
		if !in.Blacklisted {
			q = `DELETE FROM blacklist WHERE account_id = $1 AND product_id = $2 AND device_key = ANY($3::text[])`
			op, verb, id = OpBlacklistRemove, "removed from", "audit.entry.blacklist_removed"
		}
		res, err := tx.ExecContext(ctx, q, p.AccountID, p.ID, pq.Array(deviceKeys))
		if err != nil {
			return err
		}
		changed, _ = res.RowsAffected()
		// The product's forecast part counted the blacklist as it was.
		if err := forgetForecastParts(ctx, tx, p.ID); err != nil {
			return err
		}
		if !in.Blacklisted {
			if err := noteAlert(ctx, tx, p.ID, eventRenewalOn, s.Now()); err != nil {
				return err
			}
		}
		desc := fmt.Sprintf("%s %s the renewal blacklist of %s (%s)", describeKeys(deviceKeys), verb, p.Name, p.ProductKey)
		if len(deviceKeys) > 1 {
			desc += ": " + strings.Join(firstN(deviceKeys, 20), ", ")
		}
		msg := clause(id, "Devices", strings.Join(firstN(deviceKeys, 20), ", "), "Product", p.Name, "ProductKey", p.ProductKey)
		return s.audit(ctx, tx, p.AccountID, in.Actor, AuditRenewal, op, desc, msg.counting(int64(len(deviceKeys))))
	})
	return int(changed), err
}

func describeKeys(keys []string) string {
	if len(keys) == 1 {
		return "device " + keys[0] + " was"
	}
	return fmt.Sprintf("%d devices were", len(keys))
}

func firstN(keys []string, n int) []string {
	if len(keys) <= n {
		return keys
	}
	return append(keys[:n:n], "…")
}
