package store

import (
	"context"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// New devices of one product that connect at the same time are activated
// together: while one transaction holds the product's row, those that arrive
// queue, and the next transaction takes them all. Each transaction ends in a
// commit that waits for the disk, and a product's row is held until then, so
// one device per transaction would let a popular product activate only as
// many devices per second as the disk flushes; together they share a flush.

// activationQueue holds, per product, the new devices waiting for the
// transaction in flight to end. Its zero value is ready.
type activationQueue struct {
	mu       sync.Mutex
	products map[int64]*productActivations
}

type productActivations struct {
	waiting []*newDevice
}

// newDevice is one device's request to be activated, and its answer.
type newDevice struct {
	key, dc string
	done    chan struct{}
	result  ConnectResult
	ok      bool
	err     error
}

// maxActivationBatch bounds one transaction's devices.
const maxActivationBatch = 256

// activateNew is rule 1 of SPEC section 4 for the commonest write of the
// connect path, a device never seen before. ok is false, and nothing
// changed, when the product has no code left for it or the device appeared
// meanwhile: the general path then decides, under the device's row lock.
func (s *Store) activateNew(ctx context.Context, productID int64, deviceKey, dc string) (ConnectResult, bool, error) {
	req := &newDevice{key: deviceKey, dc: dc, done: make(chan struct{})}
	q := &s.activations
	q.mu.Lock()
	if q.products == nil {
		q.products = map[int64]*productActivations{}
	}
	if p, busy := q.products[productID]; busy {
		// A transaction of this product is in flight: the next one takes this device.
		p.waiting = append(p.waiting, req)
		q.mu.Unlock()
	} else {
		q.products[productID] = &productActivations{}
		q.mu.Unlock()
		// Not tied to this request alone: the batches after it serve others.
		go s.activateBatches(context.WithoutCancel(ctx), productID, []*newDevice{req})
	}
	select {
	case <-req.done:
		return req.result, req.ok, req.err
	case <-ctx.Done():
		// The device may still be activated; a retry finds its code valid.
		return ConnectResult{}, false, ctx.Err()
	}
}

// activateBatches activates batch, then the devices that queued meanwhile,
// until none is left.
func (s *Store) activateBatches(ctx context.Context, productID int64, batch []*newDevice) {
	q := &s.activations
	for len(batch) > 0 {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		s.activateBatch(ctx, productID, batch)
		cancel()
		q.mu.Lock()
		p := q.products[productID]
		n := min(len(p.waiting), maxActivationBatch)
		batch, p.waiting = p.waiting[:n:n], p.waiting[n:]
		if len(batch) == 0 {
			delete(q.products, productID)
		}
		q.mu.Unlock()
	}
}

// activateBatch activates devices of a product in one transaction: one
// statement locks the product, writes each device already mirroring its
// first activation and the activation, as far as the product's codes go,
// and takes as many codes off its counters as it wrote devices. The
// counters' CHECK (available >= 0) is the last word on overselling.
func (s *Store) activateBatch(ctx context.Context, productID int64, batch []*newDevice) {
	keys, dcs := make([]string, len(batch)), make([]string, len(batch))
	for i, d := range batch {
		keys[i], dcs[i] = d.key, d.dc
	}
	now := s.Now()
	stmts, err := s.connectStatements(ctx)
	if err != nil {
		batchFailed(batch, err)
		return
	}
	var rows []struct {
		Key         string    `db:"device_key"`
		ActivatedAt time.Time `db:"activated_at"`
		ExpiresAt   time.Time `db:"expires_at"`
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.StmtxContext(ctx, stmts.batch).SelectContext(ctx, &rows, productID, pq.Array(keys), pq.Array(dcs), now); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return noteAlert(ctx, tx, productID, eventConsumed, now)
	})
	byKey := make(map[string]ConnectResult, len(rows))
	for _, r := range rows {
		byKey[r.Key] = ConnectResult{Result: ResultActivated, ActivatedAt: r.ActivatedAt, ExpiresAt: r.ExpiresAt}
	}
	for _, d := range batch {
		if err != nil {
			d.err = err
		} else {
			// The same device twice (a retried request): the first is activated,
			// the other goes the general way and finds the code valid.
			d.result, d.ok = byKey[d.key]
			delete(byKey, d.key)
		}
		close(d.done)
	}
}

func batchFailed(batch []*newDevice, err error) {
	for _, d := range batch {
		d.err = err
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

	// activateBatchSQL: $1 the product, $2 and $3 the DeviceKeys and the data
	// centers they connect through, $4 now.
	activateBatchSQL = `WITH p AS (
				SELECT p.id, p.account_id, p.dc, p.available, k.validity FROM products p JOIN packages k ON k.id = p.package_id
				WHERE p.id = $1 AND p.deleted_at IS NULL AND p.available > 0 FOR UPDATE OF p
			), d AS (
				INSERT INTO devices (account_id, dc, product_id, device_key, activated_at, expires_at, last_kind, activations,
					last_connect_at, last_connect_dc)
				SELECT p.account_id, p.dc, p.id, r.device_key, $4, $4::timestamptz + p.validity, 'first', 1, $4, r.dc
				FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS r(device_key, dc, n) JOIN p ON r.n <= p.available
				ORDER BY r.n
				ON CONFLICT (product_id, device_key) DO NOTHING
				RETURNING id, account_id, product_id, device_key, activated_at, expires_at
			), a AS (
				INSERT INTO activations (account_id, product_id, device_id, kind, activated_at, expires_at, created_at)
				SELECT account_id, product_id, id, 'first', activated_at, expires_at, $4 FROM d
			), c AS (
				UPDATE products SET available = available - (SELECT count(*) FROM d), consumed = consumed + (SELECT count(*) FROM d)
				WHERE id = $1 AND EXISTS (SELECT 1 FROM d)
			)
			SELECT device_key, activated_at, expires_at FROM d`
)

// connectStatements holds the prepared statements of the connect path.
type connectStatements struct {
	mu    sync.Mutex
	fast  *sqlx.Stmt
	batch *sqlx.Stmt
}

// connectStatements prepares the connect path's statements on first use
// (and again after a failure, such as the database being unreachable).
func (s *Store) connectStatements(ctx context.Context) (*connectStatements, error) {
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.batch != nil {
		return c, nil
	}
	ctx = context.WithoutCancel(ctx)
	fast, err := s.db.PreparexContext(ctx, fastConnectSQL)
	if err != nil {
		return nil, err
	}
	batch, err := s.db.PreparexContext(ctx, activateBatchSQL)
	if err != nil {
		fast.Close()
		return nil, err
	}
	c.fast, c.batch = fast, batch
	return c, nil
}
