package store_test

import (
	"fmt"
	"slices"
	"time"

	"activation-console/store"
)

// Comparing the store with the model of TestLedger_RandomOperations.

// compareCounters compares every product's and every pool's counters with
// the model, in one round trip.
func (r *randomRun) compareCounters() {
	r.t.Helper()
	op := "compare counters"
	// One row shape for both: a product is (id, key, package, switch, deleted,
	// assigned, available, consumed, forfeited), a pool (account, DC, package,
	// -, -, purchased, granted, unassigned, assigned).
	type row struct {
		ID       int64
		Key, Pkg string
		B1, B2   bool
		N        [4]int64
	}
	rows, err := r.st.DB().QueryContext(r.ctx, `SELECT 'product', p.id, p.product_key, coalesce(k.code, ''), p.auto_renew, p.deleted_at IS NOT NULL,
			p.assigned, p.available, p.consumed, p.forfeited FROM products p LEFT JOIN packages k ON k.id = p.package_id
		UNION ALL
		SELECT 'pool', l.account_id, l.dc, k.code, false, false, l.purchased, l.granted, l.unassigned, l.assigned
			FROM pools l JOIN packages k ON k.id = l.package_id
		ORDER BY 1 DESC, 2, 3, 4`)
	if err != nil {
		r.fail(op, "%v", err)
	}
	defer rows.Close()
	products, pools := 0, 0
	for rows.Next() {
		var kind string
		var got row
		if err := rows.Scan(&kind, &got.ID, &got.Key, &got.Pkg, &got.B1, &got.B2, &got.N[0], &got.N[1], &got.N[2], &got.N[3]); err != nil {
			r.fail(op, "%v", err)
		}
		if kind == "product" {
			if products >= len(r.m.products) {
				r.fail(op, "product %+v is not in the model", got)
			}
			p := r.m.products[products]
			want := row{p.id, p.pk, p.pkg, p.autoRenew, p.deleted, [4]int64{p.assigned, p.available, p.consumed, p.forfeited}}
			if got != want {
				r.fail(op, "product %+v, model %+v", got, want)
			}
			products++
			continue
		}
		idx := slices.IndexFunc(r.m.accounts, func(a store.Account) bool { return a.ID == got.ID })
		want := r.m.pools[poolKey{idx, got.Key, got.Pkg}]
		if want == nil || got.N != [4]int64{want.purchased, want.granted, want.unassigned, want.assigned} {
			r.fail(op, "pool %d %s %s = %v, model %+v", idx, got.Key, got.Pkg, got.N, want)
		}
		pools++
	}
	if err := rows.Err(); err != nil {
		r.fail(op, "%v", err)
	}
	modelPools := 0
	for _, p := range r.m.pools {
		if *p != (mPool{}) {
			modelPools++
		}
	}
	if products != len(r.m.products) || pools != modelPools {
		r.fail(op, "%d products and %d pools, model has %d and %d", products, pools, len(r.m.products), modelPools)
	}
}

// compareDevices compares every device row, in id order, with the model.
func (r *randomRun) compareDevices() {
	r.t.Helper()
	op := "compare devices"
	rows, err := r.st.DB().QueryContext(r.ctx, `SELECT product_id, device_key, activated_at, expires_at, coalesce(last_kind, ''),
		activations, waiting_since, lapsed_at, coalesce(lapse_reason, ''), deleted_at IS NOT NULL FROM devices ORDER BY id`)
	if err != nil {
		r.fail(op, "%v", err)
	}
	defer rows.Close()
	at := func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	}
	n, lastSeq := 0, 0
	for rows.Next() {
		var k mDeviceKey
		var activated, expires, waiting, lapsed *time.Time
		var kind, reason string
		var activations int
		var deleted bool
		if err := rows.Scan(&k.product, &k.dk, &activated, &expires, &kind, &activations, &waiting, &lapsed, &reason, &deleted); err != nil {
			r.fail(op, "%v", err)
		}
		d := r.m.devices[k]
		if d == nil {
			r.fail(op, "device %+v is not in the model", k)
		}
		if d.seq < lastSeq {
			r.fail(op, "device %s/%s: ids out of the model's creation order", d.product.pk, d.dk)
		}
		lastSeq = d.seq
		if !at(activated).Equal(d.activatedAt) || !at(expires).Equal(d.expiresAt) || kind != d.kind || activations != d.activations ||
			!at(waiting).Equal(d.waitingSince) || !at(lapsed).Equal(d.lapsedAt) || reason != d.reason || deleted != d.deleted {
			got := &mDevice{product: d.product, dk: d.dk, activatedAt: at(activated), expiresAt: at(expires), kind: kind, activations: activations,
				waitingSince: at(waiting), lapsedAt: at(lapsed), reason: reason, deleted: deleted}
			r.fail(op, "device %v; model %v", got, d)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		r.fail(op, "%v", err)
	}
	if n != len(r.m.devices) {
		r.fail(op, "%d devices, model has %d", n, len(r.m.devices))
	}
}

// verify runs the ledger's own invariant checks (docs/codes.md, "Invariants").
func (r *randomRun) verify() {
	v, err := r.st.Verify(r.ctx)
	if err != nil || len(v) > 0 {
		r.fail("verify", "%v %v", v, err)
	}
}

// compareLicenses compares each account's figures in each DC with the model.
func (r *randomRun) compareLicenses() {
	m := &r.m
	for i, a := range m.accounts {
		for _, dc := range randomDCs {
			got, err := r.st.Licenses(r.ctx, store.Scope{AccountID: a.ID, DC: dc})
			if err != nil {
				r.fail("licenses", "%v", err)
			}
			var want store.LicenseSummary
			for _, p := range m.products {
				if p.account == i && p.dc == dc {
					want.Consumed += p.consumed
					want.Available += p.available
				}
			}
			for _, d := range m.devices {
				if d.product.account != i || d.product.dc != dc || d.product.deleted || d.deleted {
					continue
				}
				if !d.waitingSince.IsZero() {
					want.WaitingDevices++
				}
				if d.lapsedAt.IsZero() && d.expiresAt.After(m.now) && d.expiresAt.Before(m.now.Add(store.NearExpiryWindow)) {
					want.NearExpiryDevices++
				}
			}
			unassigned := map[string]int64{}
			for k, p := range m.pools {
				if k.account == i && k.dc == dc && p.unassigned > 0 {
					unassigned[k.pkg] = p.unassigned
				}
			}
			gotUnassigned := map[string]int64{}
			for _, u := range got.Unassigned {
				gotUnassigned[u.Code] = u.Quantity
			}
			if got.Consumed != want.Consumed || got.Available != want.Available || got.WaitingDevices != want.WaitingDevices ||
				got.NearExpiryDevices != want.NearExpiryDevices || fmt.Sprint(gotUnassigned) != fmt.Sprint(unassigned) {
				r.fail("licenses", "account %d %s: %+v, model %+v unassigned %v", i, dc, got, want, unassigned)
			}
		}
	}
}
