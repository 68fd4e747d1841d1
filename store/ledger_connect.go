package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Results of Connect (docs/api.md, "Calls").
const (
	ResultActivated = "activated" // a first code was consumed
	ResultValid     = "valid"     // the current code is valid; nothing consumed
	ResultRestored  = "restored"  // a deleted device came back within its validity
	ResultRenewed   = "renewed"   // an expired code was renewed on connect
)

// LapseReason is why a device's expired code was not renewed (docs/renewal.md,
// "At expiry"), as stored in devices.lapse_reason and sent as an API
// error's reason; views.LapseReasonText words it.
type LapseReason string

// Reasons a device lapsed.
const (
	ReasonAutoRenewOff LapseReason = "auto_renew_off"
	ReasonBlacklisted  LapseReason = "blacklisted"
	ReasonNoCode       LapseReason = "no_activation_code"
)

// ActivationKind is how a device came by a code, as stored in
// activations.kind and devices.last_kind; views.ActivationKindText words it.
// (Not to be confused with Kind, the family of an Error.)
type ActivationKind string

// Kinds of activation.
const (
	ActivationFirst   ActivationKind = "first"
	ActivationRenewal ActivationKind = "renewal"
	ActivationManual  ActivationKind = "manual" // an owner's "renew now"
)

// ConnectResult is the answer to a device that connected.
type ConnectResult struct {
	Result      string
	ActivatedAt time.Time
	ExpiresAt   time.Time
}

// deviceRow is the state of a device that the ledger decides on.
type deviceRow struct {
	ID          int64      `db:"id"`
	ProductID   int64      `db:"product_id"`
	ActivatedAt *time.Time `db:"activated_at"`
	ExpiresAt   *time.Time `db:"expires_at"`
	LapsedAt    *time.Time `db:"lapsed_at"`
	DeletedAt   *time.Time `db:"deleted_at"`
	// WaitingSince is set while a device is refused for lack of a first code.
	WaitingSince *time.Time `db:"waiting_since"`
}

func (d deviceRow) validAt(now time.Time) bool {
	return d.ExpiresAt != nil && d.ExpiresAt.After(now) && d.LapsedAt == nil && d.DeletedAt == nil
}

// Connect handles a device connecting by the four numbered rules of
// (docs/codes.md, "Consuming codes"). dc is the data center it connected through;
// the codes are always those of its product's DC.
func (s *Store) Connect(ctx context.Context, productKey, deviceKey, dc string) (ConnectResult, error) {
	if err := checkKey("product_key", productKey); err != nil {
		return ConnectResult{}, err
	}
	if err := checkKey("device_key", deviceKey); err != nil {
		return ConnectResult{}, err
	}
	now := s.Now()
	// Most connects come from devices whose code is valid: a standby may say
	// so (standby_connect.go); anything else is decided on the primary.
	if r, ok := s.validOnStandby(ctx, productKey, deviceKey, dc, now); ok {
		return r, nil
	}
	// Fast path, no transaction: most connects come from devices whose code is valid.
	var fast struct {
		deviceRow      // ID is 0 when the device is new
		HasCode   bool `db:"has_code"`
	}
	fastSQL, err := s.prepared(ctx, fastConnectSQL)
	if err != nil {
		return ConnectResult{}, err
	}
	err = fastSQL.GetContext(ctx, &fast, productKey, deviceKey)
	if err != nil {
		return ConnectResult{}, notFound(err, notFoundErr(CodeUnknownProduct, "err.no_product_key", "Product", Quoted(productKey)))
	}
	if err := checkDC(ctx, s.db, dc); err != nil {
		return ConnectResult{}, err
	}
	if fast.validAt(now) {
		return ConnectResult{Result: ResultValid, ActivatedAt: *fast.ActivatedAt, ExpiresAt: *fast.ExpiresAt}, nil
	}
	if fast.ID == 0 && fast.HasCode {
		// A device never seen: one statement activates it (ledger_connect_new.go),
		// unless its product has no code; then the general path below refuses it.
		if r, ok, err := s.activateNew(ctx, fast.ProductID, deviceKey, dc); err != nil || ok {
			return r, err
		}
	}

	var out ConnectResult
	var refusal *Error
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Create or lock the device row: concurrent connects of one device queue here,
		// and each sees the state the previous one left.
		var d deviceRow
		if err := tx.GetContext(ctx, &d, `INSERT INTO devices (account_id, dc, product_id, device_key, last_connect_at, last_connect_dc)
			SELECT account_id, dc, id, $2, $3, $4 FROM products WHERE id = $1
			ON CONFLICT (product_id, device_key) DO UPDATE SET last_connect_at = EXCLUDED.last_connect_at, last_connect_dc = EXCLUDED.last_connect_dc
			RETURNING id, product_id, activated_at, expires_at, lapsed_at, deleted_at, waiting_since`,
			fast.ProductID, deviceKey, now, dc); err != nil {
			return err
		}
		switch {
		case d.validAt(now):
			// A concurrent connect of the same device activated it a moment ago.
			out = ConnectResult{Result: ResultValid, ActivatedAt: *d.ActivatedAt, ExpiresAt: *d.ExpiresAt}
			return nil

		case d.DeletedAt != nil && d.ExpiresAt != nil && d.ExpiresAt.After(now):
			// Rule 3 (docs/codes.md, "Consuming codes"): a deleted device within
			// its last code's validity is restored.
			if _, err := tx.ExecContext(ctx, `UPDATE devices SET deleted_at = NULL, lapsed_at = NULL, lapse_reason = NULL WHERE id = $1`, d.ID); err != nil {
				return err
			}
			out = ConnectResult{Result: ResultRestored, ActivatedAt: *d.ActivatedAt, ExpiresAt: *d.ExpiresAt}
			return nil

		case d.ExpiresAt == nil || d.DeletedAt != nil || d.WaitingSince != nil:
			// Rule 1 (docs/codes.md, "Consuming codes"): a new device, one that
			// never got a code, or a deleted one past its validity (still new while
			// it waits: its old code is not renewed).
			r, ok, err := consumeCode(ctx, tx, d.ID, fast.ProductID, ActivationFirst, now, now)
			if err != nil || ok {
				out, out.Result = r, ResultActivated
				return err
			}
			refusal = conflict(CodeNoActivationCode, "err.no_code_available", "Product", productKey)
			if _, err = tx.ExecContext(ctx, `UPDATE devices SET waiting_since = coalesce(waiting_since, $2), deleted_at = NULL WHERE id = $1`, d.ID, now); err != nil {
				return err
			}
			if d.WaitingSince == nil {
				// The first refusal of its wait: the event (docs/webhooks.md, "Events").
				if err := emitDeviceEvents(ctx, tx, EventDeviceRefused, []int64{d.ID}, now); err != nil {
					return err
				}
			}
			return noteAlert(ctx, tx, fast.ProductID, eventRefused, now)
		}

		// Rule 4 (docs/codes.md, "Consuming codes"): the code expired. A device the
		// worker has not reached yet renews from its old expiry, so coverage stays
		// continuous; a lapsed one from now (docs/renewal.md, "At expiry").
		from := *d.ExpiresAt
		if d.LapsedAt != nil {
			from = now
		}
		reason, err := renewalBlocker(ctx, tx, fast.ProductID, deviceKey)
		if err != nil {
			return err
		}
		if reason == "" {
			r, ok, err := consumeCode(ctx, tx, d.ID, fast.ProductID, ActivationRenewal, from, now)
			if err != nil || ok {
				out, out.Result = r, ResultRenewed
				return err
			}
			reason = ReasonNoCode
		}
		refusal = conflict(CodeExpired, expiredMsg(reason), "Device", deviceKey)
		refusal.Reason = reason
		if d.LapsedAt == nil {
			if _, err = tx.ExecContext(ctx, `UPDATE devices SET lapsed_at = $2, lapse_reason = $3 WHERE id = $1`, d.ID, now, reason); err != nil {
				return err
			}
			if err := emitDeviceEvents(ctx, tx, EventDeviceLapsed, []int64{d.ID}, now); err != nil {
				return err
			}
			if reason == ReasonNoCode {
				// It lapses with this refusal: refused for lack of a code too.
				if err := emitDeviceEvents(ctx, tx, EventDeviceRefused, []int64{d.ID}, now); err != nil {
					return err
				}
			}
		}
		if reason == ReasonNoCode {
			ev := eventRefused
			if d.LapsedAt == nil {
				ev = eventLapsed // it lapses with this refusal
			}
			return noteAlert(ctx, tx, fast.ProductID, ev, now)
		}
		return nil
	})
	if err != nil {
		return ConnectResult{}, err
	}
	if refusal != nil {
		return ConnectResult{}, refusal
	}
	return out, nil
}

// expiredMsg is the message of an activation_expired refusal, which says why.
func expiredMsg(reason LapseReason) string {
	switch reason {
	case ReasonAutoRenewOff:
		return "err.expired_switch_off"
	case ReasonBlacklisted:
		return "err.expired_blacklisted"
	default:
		return "err.expired_no_code"
	}
}

// renewalBlocker says why a device of a product may not auto-renew, or "".
// The product's switch comes first: while it is off, the blacklist is moot.
func renewalBlocker(ctx context.Context, tx *sqlx.Tx, productID int64, deviceKey string) (LapseReason, error) {
	var r struct {
		AutoRenew   bool `db:"auto_renew"`
		Blacklisted bool `db:"blacklisted"`
	}
	err := tx.GetContext(ctx, &r, `SELECT p.auto_renew, EXISTS (SELECT 1 FROM blacklist b WHERE b.product_id = p.id AND b.device_key = $2) AS blacklisted
		FROM products p WHERE p.id = $1`, productID, deviceKey)
	switch {
	case err != nil:
		return "", err
	case !r.AutoRenew:
		return ReasonAutoRenewOff, nil
	case r.Blacklisted:
		return ReasonBlacklisted, nil
	}
	return "", nil
}

// consumeCode spends one of the product's available codes on a device, in one
// statement: the product's counters, the activation row and the device's
// mirror of it. The activation starts at from, or at now when from plus the
// package's validity would already be over. ok is false when the product has
// no available code.
func consumeCode(ctx context.Context, tx *sqlx.Tx, deviceID, productID int64, kind ActivationKind, from, now time.Time) (ConnectResult, bool, error) {
	var r ConnectResult
	err := tx.QueryRowxContext(ctx, `WITH p AS (
			UPDATE products SET available = available - 1, consumed = consumed + 1
			WHERE id = $1 AND available > 0 AND deleted_at IS NULL
			RETURNING id, account_id, package_id
		), a AS (
			INSERT INTO activations (account_id, product_id, device_id, kind, activated_at, expires_at, created_at)
			SELECT p.account_id, p.id, $2, $3, s.start, s.start + k.validity, $5
			FROM p JOIN packages k ON k.id = p.package_id
			CROSS JOIN LATERAL (SELECT CASE WHEN $4::timestamptz + k.validity > $5 THEN $4::timestamptz ELSE $5 END AS start) s
			RETURNING activated_at, expires_at
		)
		UPDATE devices d SET activated_at = a.activated_at, expires_at = a.expires_at, last_kind = $3,
			activations = d.activations + 1, waiting_since = NULL, lapsed_at = NULL, lapse_reason = NULL, deleted_at = NULL
		FROM a WHERE d.id = $2
		RETURNING d.activated_at, d.expires_at`, productID, deviceID, kind, from, now).Scan(&r.ActivatedAt, &r.ExpiresAt)
	if err == sql.ErrNoRows {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	typ := EventDeviceRenewed
	if kind == ActivationFirst {
		typ = EventDeviceActivated
	}
	if err := emitDeviceEvents(ctx, tx, typ, []int64{deviceID}, now); err != nil {
		return r, false, err
	}
	return r, true, noteAlert(ctx, tx, productID, eventConsumed, now)
}

// DeleteDevice deletes a device (docs/codes.md, "Consuming codes"): its consumed codes
// stay consumed.
func (s *Store) DeleteDevice(ctx context.Context, productKey, deviceKey string) error {
	if err := checkKey("product_key", productKey); err != nil {
		return err
	}
	if err := checkKey("device_key", deviceKey); err != nil {
		return err
	}
	p, err := s.ProductByKey(ctx, productKey)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE devices SET deleted_at = $3 WHERE product_id = $1 AND device_key = $2 AND deleted_at IS NULL`,
		p.ID, deviceKey, s.Now())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFoundErr(CodeUnknownDevice, "err.product_has_no_device", "Product", productKey, "Device", Quoted(deviceKey))
	}
	return nil
}

// DeleteProduct deletes a product (docs/codes.md, "Consuming codes"): its available codes are
// forfeited and nothing returns to the pool. Its forecast part goes with it,
// and its account's forecast sums, which add it up (docs/renewal.md, "The
// forecast"; a part a forecast under way makes again is deleted by
// PrepareForecasts). Its devices are marked deleted afterwards in batches;
// every read already ignores a deleted product's devices.
func (s *Store) DeleteProduct(ctx context.Context, productKey string) error {
	if err := checkKey("product_key", productKey); err != nil {
		return err
	}
	now := s.Now()
	var id int64
	err := s.db.GetContext(ctx, &id, `WITH p AS (
			UPDATE products SET deleted_at = $2, forfeited = forfeited + available, available = 0
			WHERE product_key = $1 AND deleted_at IS NULL RETURNING id, account_id, dc
		), parts AS (
			DELETE FROM forecast_parts f USING p WHERE f.product_id = p.id
		), sums AS (
			DELETE FROM forecast_sums s USING p WHERE s.account_id = p.account_id AND s.dc = p.dc
		)
		SELECT id FROM p`, productKey, now)
	if err != nil {
		return notFound(err, notFoundErr(CodeUnknownProduct, "err.no_product_key", "Product", Quoted(productKey)))
	}
	return s.sweepDeletedProduct(ctx, id, now)
}

// sweepDeletedProduct marks a deleted product's devices deleted, a batch per
// statement so no transaction holds many locks.
func (s *Store) sweepDeletedProduct(ctx context.Context, productID int64, now time.Time) error {
	for {
		res, err := s.db.ExecContext(ctx, `UPDATE devices SET deleted_at = $2 WHERE id IN (
			SELECT id FROM devices WHERE product_id = $1 AND deleted_at IS NULL LIMIT 5000)`, productID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
	}
}

// RenewNowInput names the lapsed device to renew by hand.
type RenewNowInput struct {
	DeviceID int64
	Actor    Actor
}

// RenewNow spends one code on a lapsed device of the scope, valid from now
// (docs/renewal.md, "At expiry"): an owner's decision, so switch and blacklist
// do not apply. A device of a product outside the scope is not found.
func (s *Store) RenewNow(ctx context.Context, sc Scope, in RenewNowInput) (ConnectResult, error) {
	var out ConnectResult
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var d struct {
			deviceRow
			DeviceKey  string `db:"device_key"`
			ProductKey string `db:"product_key"`
		}
		err := tx.GetContext(ctx, &d, `SELECT d.id, d.product_id, d.activated_at, d.expires_at, d.lapsed_at, d.deleted_at, d.device_key, p.product_key
			FROM devices d JOIN products p ON p.id = d.product_id
			WHERE d.id = $1 AND d.account_id = $2 AND d.dc = $3 AND `+sc.productFilter(2)+` AND p.deleted_at IS NULL AND d.deleted_at IS NULL
			FOR UPDATE OF d`, append([]any{in.DeviceID}, sc.args()...)...)
		if err != nil {
			return notFound(err, notFoundErr(CodeUnknownDevice, "err.no_device"))
		}
		now := s.Now()
		if d.LapsedAt == nil {
			return conflict(CodeNotLapsed, "err.not_lapsed", "Device", d.DeviceKey)
		}
		r, ok, err := consumeCode(ctx, tx, d.ID, d.ProductID, ActivationManual, now, now)
		if err != nil {
			return err
		}
		if !ok {
			return conflict(CodeNotEnoughCodes, "err.renew_no_code", "Product", d.ProductKey)
		}
		out, out.Result = r, ResultRenewed
		renewed := clause("audit.entry.renewed_by_hand", "Device", d.DeviceKey, "ProductKey", d.ProductKey)
		renewed.Times = map[string]time.Time{"Until": r.ExpiresAt}
		return s.audit(ctx, tx, sc.AccountID, in.Actor, AuditLicense, OpRenewNow,
			fmt.Sprintf("renewed device %s of product %s by hand until %s", d.DeviceKey, d.ProductKey, r.ExpiresAt.Format(time.RFC3339)), renewed)
	})
	return out, err
}
