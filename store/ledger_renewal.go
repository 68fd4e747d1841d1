package store

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// RenewalStats counts what one renewal pass did.
type RenewalStats struct {
	Renewed, Lapsed, Swept int
}

// renewalBatch is how many expiries one transaction of the pass handles.
const renewalBatch = 1000

// RenewalPass handles every expiry due by now (docs/renewal.md, "At expiry"
// and "The worker"), a batch per transaction. Each batch claims its devices FOR UPDATE SKIP LOCKED and moves
// each out of the queue (renewed or lapsed) before it commits, so several
// instances running passes at once handle each expiry exactly once. Within a
// product, the earliest expiries get the codes when codes run short.
//
// The pass runs renewalWorkers batches side by side, each over its own share
// of the products (by id), so that they never wait for each other's product
// locks: a large batch of simultaneous expiries keeps every core busy.
func (s *Store) RenewalPass(ctx context.Context) (RenewalStats, error) {
	return s.RenewalPassIn(ctx, nil)
}

// RenewalPassIn is RenewalPass over the devices of the data centers dcs
// only (nil: all): an instance of the console renews the data centers it
// serves (--dc).
func (s *Store) RenewalPassIn(ctx context.Context, dcs []string) (RenewalStats, error) {
	n := renewalWorkers
	stats := make([]RenewalStats, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() {
			for {
				st, err := s.renewBatch(ctx, s.Now(), k, n, dcs)
				stats[k].Renewed += st.Renewed
				stats[k].Lapsed += st.Lapsed
				stats[k].Swept += st.Swept
				if err != nil || st.Renewed+st.Lapsed+st.Swept == 0 {
					errs[k] = err
					return
				}
			}
		})
	}
	wg.Wait()
	var total RenewalStats
	for _, st := range stats {
		total.Renewed += st.Renewed
		total.Lapsed += st.Lapsed
		total.Swept += st.Swept
	}
	if err := errors.Join(errs...); err != nil {
		return total, err
	}
	// Fold the expiry counts the pass and the connects appended (expiry_counts.go).
	return total, s.compactExpiryCounts(ctx)
}

// renewalWorkers is how many batches a pass runs side by side.
var renewalWorkers = min(4, max(2, runtime.NumCPU()))

type dueDevice struct {
	ID          int64     `db:"id"`
	ProductID   int64     `db:"product_id"`
	ExpiresAt   time.Time `db:"expires_at"`
	Blacklisted bool      `db:"-"`
}

// markBlacklisted sets Blacklisted on the due devices that are on their product's blacklist.
func markBlacklisted(ctx context.Context, tx *sqlx.Tx, due []dueDevice) error {
	ids := make([]int64, len(due))
	for i, d := range due {
		ids[i] = d.ID
	}
	var listed []int64
	if err := tx.SelectContext(ctx, &listed, `SELECT d.id FROM devices d
		JOIN blacklist b ON b.product_id = d.product_id AND b.device_key = d.device_key
		WHERE d.id = ANY($1)`, pq.Array(ids)); err != nil {
		return err
	}
	on := make(map[int64]bool, len(listed))
	for _, id := range listed {
		on[id] = true
	}
	for i := range due {
		due[i].Blacklisted = on[due[i].ID]
	}
	return nil
}

type renewalProduct struct {
	ID        int64 `db:"id"`
	AutoRenew bool  `db:"auto_renew"`
	Available int64 `db:"available"`
	Deleted   bool  `db:"deleted"`
}

// renewBatch handles a batch of the expiries due by now among the products
// whose id is part modulo parts.
func (s *Store) renewBatch(ctx context.Context, now time.Time, part, parts int, dcs []string) (RenewalStats, error) {
	var st RenewalStats
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The batch is the first renewalBatch devices of its part of the queue
		// (devices_due_order, migration 00017). The part is written as an
		// inequality, which means product_id % parts = part: the planner guesses
		// an equality on an expression without statistics at 1 in 200, and then
		// sorted every due device for each batch, thinking the part's devices
		// far apart in the queue; an inequality it guesses at 1 in 3.
		var due []dueDevice
		if err := tx.SelectContext(ctx, &due, `SELECT d.id, d.product_id, d.expires_at
			FROM devices d
			WHERE d.expires_at <= $1 AND d.lapsed_at IS NULL AND d.deleted_at IS NULL AND d.waiting_since IS NULL
				AND (d.product_id + $4 - $3) % $4 < 1 AND ($5::text[] IS NULL OR d.dc = ANY($5))
			ORDER BY d.expires_at, d.id LIMIT $2
			FOR UPDATE OF d SKIP LOCKED`, now, renewalBatch, part, parts, pq.StringArray(dcs)); err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		productIDs := make([]int64, 0, len(due))
		for _, d := range due {
			productIDs = append(productIDs, d.ProductID)
		}
		var products []renewalProduct
		if err := tx.SelectContext(ctx, &products, `SELECT id, auto_renew, available, deleted_at IS NOT NULL AS deleted
			FROM products WHERE id = ANY($1) ORDER BY id FOR UPDATE`, pq.Array(productIDs)); err != nil {
			return err
		}
		left := make(map[int64]*renewalProduct, len(products))
		for i := range products {
			left[products[i].ID] = &products[i]
		}
		// Read the blacklist only now: SetBlacklisted holds the product row, so
		// with the products locked no change to their blacklists is in flight.
		if err := markBlacklisted(ctx, tx, due); err != nil {
			return err
		}
		var renew, renewProducts, lapse, lapseProducts, swept []int64
		var renewFrom []time.Time
		var lapseReasons []LapseReason
		for _, d := range due { // earliest expiry first
			p := left[d.ProductID]
			var reason LapseReason
			switch {
			case p.Deleted:
				swept = append(swept, d.ID)
				continue
			case !p.AutoRenew:
				reason = ReasonAutoRenewOff
			case d.Blacklisted:
				reason = ReasonBlacklisted
			case p.Available == 0:
				reason = ReasonNoCode
			}
			if reason != "" {
				lapse, lapseProducts, lapseReasons = append(lapse, d.ID), append(lapseProducts, d.ProductID), append(lapseReasons, reason)
				continue
			}
			p.Available--
			renew, renewProducts, renewFrom = append(renew, d.ID), append(renewProducts, d.ProductID), append(renewFrom, d.ExpiresAt)
		}
		if len(renew) > 0 {
			if err := renewDevices(ctx, tx, renew, renewProducts, renewFrom, now); err != nil {
				return err
			}
		}
		if len(lapse) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE devices d SET lapsed_at = $3, lapse_reason = l.reason
				FROM unnest($1::bigint[], $2::text[]) AS l(id, reason) WHERE d.id = l.id`,
				pq.Array(lapse), pq.Array(lapseReasons), now); err != nil {
				return err
			}
			if err := emitDeviceEvents(ctx, tx, EventDeviceLapsed, lapse, now); err != nil {
				return err
			}
		}
		if len(swept) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE devices SET deleted_at = $2 WHERE id = ANY($1)`, pq.Array(swept), now); err != nil {
				return err
			}
		}
		st = RenewalStats{Renewed: len(renew), Lapsed: len(lapse), Swept: len(swept)}
		return noteRenewalPass(ctx, tx, renewProducts, lapseProducts, lapseReasons, now)
	})
	return st, err
}

// renewDevices spends one code per device in bulk: one activation per
// device starting at its old expiry (or now, when a late pass would
// otherwise start an activation already over), the devices' mirror of it,
// and each product's counters once.
//
// The activations go first, in a statement of their own: their foreign-key
// checks (a device, a product and an account per row) find the devices and
// products this batch locked FOR UPDATE and return at once. Run after the
// devices and products were rewritten, each check locked the new version of
// the row instead: a WAL record and a dirtied page per renewal and key.
func renewDevices(ctx context.Context, tx *sqlx.Tx, deviceIDs, productIDs []int64, from []time.Time, now time.Time) error {
	args := []any{pq.Array(deviceIDs), pq.Array(productIDs), pq.Array(from), now}
	if _, err := tx.ExecContext(ctx, `WITH `+renewalStarts+`
		INSERT INTO activations (account_id, product_id, device_id, kind, activated_at, expires_at, created_at)
		SELECT account_id, product_id, device_id, 'renewal', start, start + validity, $4 FROM r`, args...); err != nil {
		return err
	}
	// The same starts, so each device mirrors the activation just written.
	if _, err := tx.ExecContext(ctx, `WITH `+renewalStarts+`
		UPDATE devices d SET activated_at = r.start, expires_at = r.start + r.validity, last_kind = 'renewal', activations = d.activations + 1
		FROM r WHERE d.id = r.device_id`, args...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE products p SET available = p.available - c.n, consumed = p.consumed + c.n
		FROM (SELECT id, count(*) AS n FROM unnest($1::bigint[]) AS id GROUP BY id) c WHERE p.id = c.id`, pq.Array(productIDs)); err != nil {
		return err
	}
	return emitDeviceEvents(ctx, tx, EventDeviceRenewed, deviceIDs, now)
}

// renewalStarts is r, each renewed device ($1) of its product ($2) with its
// new activation's start (from its old expiry $3, or now $4) and validity.
const renewalStarts = `r AS (
		SELECT r.device_id, p.account_id, p.id AS product_id, k.validity,
			CASE WHEN r.old_expiry + k.validity > $4 THEN r.old_expiry ELSE $4 END AS start
		FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[]) AS r(device_id, product_id, old_expiry)
		JOIN products p ON p.id = r.product_id JOIN packages k ON k.id = p.package_id
	)`
