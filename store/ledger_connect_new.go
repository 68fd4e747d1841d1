package store

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// New devices that connect at the same time are activated together: while
// a transaction is in flight, those that arrive queue, and the next
// transaction takes them all, whatever their products. Each transaction ends
// in a commit that waits for the disk, and holds its products' rows until
// then: one device per transaction would let a popular product activate only
// as many devices per second as the disk flushes, and every device would pay
// a transaction of its own; together they share one.

// activationQueue holds the new devices waiting for a transaction, in
// activationLanes lanes by product: each lane has one transaction in flight
// at a time, so a popular product's devices gather in one lane's next batch
// rather than in transactions that wait for each other's lock on it. Its
// zero value is ready.
type activationQueue struct {
	mu    sync.Mutex
	lanes [activationLanes]activationLane
}

type activationLane struct {
	waiting  []*newDevice
	inFlight bool
}

// newDevice is one device's request to be activated, and its answer.
type newDevice struct {
	productID int64
	key, dc   string
	done      chan struct{}
	result    ConnectResult
	ok        bool
	err       error
}

const (
	// activationLanes is how many activation transactions may be in flight at
	// once, each for its own share of the products.
	activationLanes = 2
	// maxActivationBatch bounds one transaction's devices.
	maxActivationBatch = 256
)

// activateNew is rule 1 of (docs/codes.md, "Consuming codes") for the commonest
// write of the connect path, a device never seen before. ok is false, and nothing
// changed, when the product has no code left for it or the device appeared
// meanwhile: the general path then decides, under the device's row lock.
func (s *Store) activateNew(ctx context.Context, productID int64, deviceKey, dc string) (ConnectResult, bool, error) {
	req := &newDevice{productID: productID, key: deviceKey, dc: dc, done: make(chan struct{})}
	q := &s.activations
	lane := &q.lanes[productID%activationLanes]
	q.mu.Lock()
	lane.waiting = append(lane.waiting, req)
	if !lane.inFlight {
		lane.inFlight = true
		batch := lane.take()
		q.mu.Unlock()
		// Not tied to this request alone: the batches after it serve others.
		go s.activateBatches(context.WithoutCancel(ctx), lane, batch)
	} else {
		q.mu.Unlock()
	}
	select {
	case <-req.done:
		return req.result, req.ok, req.err
	case <-ctx.Done():
		// The device may still be activated; a retry finds its code valid.
		return ConnectResult{}, false, ctx.Err()
	}
}

// take removes the lane's next batch; the queue's mutex is held.
func (l *activationLane) take() []*newDevice {
	n := min(len(l.waiting), maxActivationBatch)
	batch := l.waiting[:n:n]
	l.waiting = slices.Clone(l.waiting[n:])
	return batch
}

// activateBatches activates batch, then the devices that queued in its lane
// meanwhile, until none is left.
func (s *Store) activateBatches(ctx context.Context, lane *activationLane, batch []*newDevice) {
	q := &s.activations
	for len(batch) > 0 {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		s.activateBatch(ctx, batch)
		cancel()
		q.mu.Lock()
		if batch = lane.take(); len(batch) == 0 {
			lane.inFlight = false
		}
		q.mu.Unlock()
	}
}

// activateBatch activates devices in one transaction: one statement locks
// their products in id order, writes each device already mirroring its
// first activation and the activation, as far as each product's codes go,
// and takes as many codes off each product's counters as it wrote devices.
// The counters' CHECK (available >= 0) is the last word on overselling.
func (s *Store) activateBatch(ctx context.Context, batch []*newDevice) {
	products, keys, dcs := make([]int64, len(batch)), make([]string, len(batch)), make([]string, len(batch))
	for i, d := range batch {
		products[i], keys[i], dcs[i] = d.productID, d.key, d.dc
	}
	now := s.Now()
	batchSQL, err := s.prepared(ctx, activateBatchSQL)
	if err != nil {
		batchFailed(batch, err)
		return
	}
	var rows []struct {
		ID          int64     `db:"id"`
		ProductID   int64     `db:"product_id"`
		Key         string    `db:"device_key"`
		ActivatedAt time.Time `db:"activated_at"`
		ExpiresAt   time.Time `db:"expires_at"`
	}
	// This takes the products' rows before it writes the devices, the other way
	// round from the rest of the ledger; a rare deadlock with a connect of the
	// same device on the general path rolls the batch back, and its devices
	// then go that path one by one (batchFailed).
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.StmtxContext(ctx, batchSQL).SelectContext(ctx, &rows,
			pq.Array(products), pq.Array(keys), pq.Array(dcs), now); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		spent, devices := make([]int64, 0, len(rows)), make([]int64, 0, len(rows))
		for _, r := range rows {
			spent, devices = append(spent, r.ProductID), append(devices, r.ID)
		}
		if err := emitDeviceEvents(ctx, tx, EventDeviceActivated, devices, now); err != nil {
			return err
		}
		// The alerts of the products that spent codes (alerts.go), in this transaction.
		_, err := raiseLowCodes(ctx, tx, distinct(spent), now)
		return err
	})
	type device struct {
		product int64
		key     string
	}
	if err != nil {
		batchFailed(batch, err)
		return
	}
	activated := make(map[device]ConnectResult, len(rows))
	for _, r := range rows {
		activated[device{r.ProductID, r.Key}] = ConnectResult{Result: ResultActivated, ActivatedAt: r.ActivatedAt, ExpiresAt: r.ExpiresAt}
	}
	for _, d := range batch {
		// The same device twice (a retried request): the first is activated,
		// the other goes the general way and finds the code valid.
		k := device{d.productID, d.key}
		d.result, d.ok = activated[k]
		delete(activated, k)
		close(d.done)
	}
}

// batchFailed answers a batch that could not be activated together. Nothing
// of it was written: its transaction rolled back. After a deadlock (the rare
// race described in activateBatch) its devices go the general way one by
// one; when the database itself is unavailable they get that error at once,
// rather than each trying again against a database that cannot answer.
func batchFailed(batch []*newDevice, err error) {
	var pqErr *pq.Error
	deadlock := errors.As(err, &pqErr) && pqErr.Code == "40P01"
	for _, d := range batch {
		if IsUnavailable(err) && !deadlock {
			d.err = err
		}
		close(d.done)
	}
}

// The connect path's statements, prepared on each connection once: a connect
// then costs the statements' execution, not their planning as well.
const (
	fastConnectSQL = `SELECT p.id AS product_id, coalesce(d.id, 0) AS id, d.activated_at, d.expires_at, d.lapsed_at, d.deleted_at,
			p.available > 0 AS has_code
		FROM products p LEFT JOIN devices d ON d.product_id = p.id AND d.device_key = $2
		WHERE p.product_key = $1 AND p.deleted_at IS NULL`

	// activateBatchSQL: $1, $2 and $3 the devices' products, DeviceKeys and
	// the data centers they connect through, $4 now. The n-th device of a
	// product in the batch gets a code when the product has n available.
	activateBatchSQL = `WITH r AS (
			SELECT r.*, row_number() OVER (PARTITION BY r.product_id ORDER BY r.n) AS k
			FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY AS r(product_id, device_key, dc, n)
		), p AS (
			SELECT p.id, p.account_id, p.dc, p.available, k.validity FROM products p JOIN packages k ON k.id = p.package_id
			WHERE p.id IN (SELECT product_id FROM r) AND p.deleted_at IS NULL AND p.available > 0
			ORDER BY p.id FOR UPDATE OF p
		), d AS (
			INSERT INTO devices (account_id, dc, product_id, device_key, activated_at, expires_at, last_kind, activations,
				last_connect_at, last_connect_dc)
			SELECT p.account_id, p.dc, p.id, r.device_key, $4, $4::timestamptz + p.validity, 'first', 1, $4, r.dc
			FROM r JOIN p ON p.id = r.product_id AND r.k <= p.available
			ORDER BY r.n
			ON CONFLICT (product_id, device_key) DO NOTHING
			RETURNING id, account_id, product_id, device_key, activated_at, expires_at
		), a AS (
			INSERT INTO activations (account_id, product_id, device_id, kind, activated_at, expires_at, created_at)
			SELECT account_id, product_id, id, 'first', activated_at, expires_at, $4 FROM d
		), c AS (
			UPDATE products SET available = available - x.n, consumed = consumed + x.n
			FROM (SELECT product_id, count(*) AS n FROM d GROUP BY product_id) x WHERE products.id = x.product_id
		)
		SELECT id, product_id, device_key, activated_at, expires_at FROM d`
)
