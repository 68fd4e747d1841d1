package store_test

import (
	"fmt"
	"slices"
	"time"

	"activation-console/store"
)

// The operations of TestLedger_RandomOperations: each calls the store, checks
// the answer against the model's prediction and moves the model on.

func (r *randomRun) connect() {
	pk := r.anyProduct().pk
	if r.chance(0.03) {
		pk = "P-NONE"
	}
	dk, via := r.deviceKey(), randomDCs[r.pick(2)]
	op := fmt.Sprintf("connect %s/%s via %s", pk, dk, via)
	got, err := r.st.Connect(r.ctx, pk, dk, via)
	m := &r.m
	p := m.live(pk)
	if p == nil {
		r.expect(op, err, store.CodeUnknownProduct)
		return
	}
	k := mDeviceKey{p.id, dk}
	d := m.devices[k]
	want, code := "", ""
	switch {
	case d != nil && d.validAt(m.now): // rule 2 of (docs/codes.md, "Consuming codes")
		want = store.ResultValid
	case d != nil && d.deleted && !d.expiresAt.IsZero() && d.expiresAt.After(m.now): // rule 3
		want, d.deleted = store.ResultRestored, false
	default:
		if d == nil {
			m.seq++
			d = &mDevice{seq: m.seq, product: p, dk: dk}
			m.devices[k] = d
			m.created = append(m.created, d)
		}
		if d.expiresAt.IsZero() || d.deleted || !d.waitingSince.IsZero() { // rule 1
			if p.available > 0 {
				m.consume(d, p, string(store.ActivationFirst), m.now)
				want = store.ResultActivated
			} else {
				code = store.CodeNoActivationCode
				if d.waitingSince.IsZero() {
					d.waitingSince = m.now
				}
				d.deleted = false
			}
			break
		}
		from := d.expiresAt // rule 4 (docs/renewal.md, "At expiry"): continuous, or from now once lapsed
		if !d.lapsedAt.IsZero() {
			from = m.now
		}
		if reason := m.blocker(p, dk); reason != "" {
			code = store.CodeExpired + "/" + reason
			if d.lapsedAt.IsZero() {
				d.lapsedAt, d.reason = m.now, reason
			}
			break
		}
		m.consume(d, p, string(store.ActivationRenewal), from)
		want = store.ResultRenewed
	}
	r.expect(op, err, code)
	if code != "" {
		return
	}
	if got.Result != want || !got.ActivatedAt.Equal(d.activatedAt) || !got.ExpiresAt.Equal(d.expiresAt) {
		r.fail(op, "got %+v, want %s %s..%s", got, want, d.activatedAt, d.expiresAt)
	}
	r.outcomes[want]++
}

func (r *randomRun) purchase() {
	account, dc := r.pick(2), randomDCs[r.pick(2)]
	r.orderNo++
	in := store.PurchaseOrder{OrderNo: fmt.Sprintf("O-%04d", r.orderNo), AccountID: r.m.accounts[account].ID, DataCenter: dc,
		PackageCode: randomPackages[r.pick(2)], Quantity: 1 + int64(r.pick(12))}
	switch {
	case r.chance(0.02):
		in.Quantity = []int64{0, store.MaxQuantity + 1}[r.pick(2)]
	case r.chance(0.02):
		in.PackageCode = "nope"
	}
	var target *mProduct
	if r.chance(0.5) {
		target = r.product(account, dc)
		in.ProductKey = target.pk
	}
	op := fmt.Sprintf("purchase %+v", in)
	order, replayed, err := r.st.Purchase(r.ctx, in)
	m := &r.m
	if in.Quantity < 1 || in.Quantity > store.MaxQuantity {
		r.expect(op, err, store.CodeInvalid)
		return
	}
	if in.PackageCode == "nope" {
		r.expect(op, err, store.CodeUnknownPackage)
		return
	}
	if target != nil {
		p := m.live(in.ProductKey)
		if p == nil || p.account != account || p.dc != dc {
			r.expect(op, err, store.CodeUnknownProduct)
			return
		}
		if p.pkg != "" && p.pkg != in.PackageCode {
			r.expect(op, err, store.CodePackageMismatch)
			return
		}
		target = p
	}
	r.expect(op, err, "")
	if replayed || order.OrderNo != in.OrderNo || order.Quantity != in.Quantity || order.ProductKey != in.ProductKey {
		r.fail(op, "got order %+v replayed=%v", order, replayed)
	}
	pool := m.pool(account, dc, in.PackageCode)
	pool.purchased += in.Quantity
	if target == nil {
		pool.unassigned += in.Quantity
	} else {
		pool.assigned += in.Quantity
		target.pkg = in.PackageCode
		target.assigned += in.Quantity
		target.available += in.Quantity
	}
	m.orders = append(m.orders, in)
}

func (r *randomRun) replay() {
	if len(r.m.orders) == 0 {
		return
	}
	in := r.m.orders[r.pick(len(r.m.orders))]
	op := fmt.Sprintf("replay %+v", in)
	order, replayed, err := r.st.Purchase(r.ctx, in)
	r.expect(op, err, "")
	if !replayed || order.OrderNo != in.OrderNo || order.Quantity != in.Quantity || order.PackageCode != in.PackageCode ||
		order.ProductKey != in.ProductKey || order.AccountID != in.AccountID || order.DataCenter != in.DataCenter {
		r.fail(op, "got order %+v replayed=%v", order, replayed)
	}
}

func (r *randomRun) orderConflict() {
	if len(r.m.orders) == 0 {
		return
	}
	in := r.m.orders[r.pick(len(r.m.orders))]
	switch r.pick(3) {
	case 0:
		in.Quantity++
	case 1:
		in.PackageCode = randomPackages[1-slices.Index(randomPackages, in.PackageCode)]
	case 2:
		in.DataCenter = randomDCs[1-slices.Index(randomDCs, in.DataCenter)]
	}
	_, _, err := r.st.Purchase(r.ctx, in)
	r.expect(fmt.Sprintf("conflicting order %+v", in), err, store.CodeOrderConflict)
}

func (r *randomRun) assign() {
	account, dc := r.pick(2), randomDCs[r.pick(2)]
	p := r.product(account, dc)
	pkg := randomPackages[r.pick(2)]
	switch {
	case p.pkg != "" && r.chance(0.7):
		pkg = ""
	case p.pkg != "" && r.chance(0.6):
		pkg = p.pkg
	case p.pkg == "" && r.chance(0.05):
		pkg = ""
	}
	q := 1 + int64(r.pick(8))
	switch {
	case r.chance(0.1):
		q = 100
	case r.chance(0.02):
		q = 0
	}
	op := fmt.Sprintf("assign %d of %q to %s in account %d %s", q, pkg, p.pk, account, dc)
	_, err := r.st.Assign(r.ctx, store.Scope{AccountID: r.m.accounts[account].ID, DC: dc},
		store.AssignInput{ProductID: p.id, PackageCode: pkg, Quantity: q, Actor: store.SystemActor("random")})
	switch {
	case q < 1:
		r.expect(op, err, store.CodeInvalid)
		return
	case p.deleted || p.account != account || p.dc != dc:
		r.expect(op, err, store.CodeUnknownProduct)
		return
	case p.pkg != "" && pkg != "" && pkg != p.pkg:
		r.expect(op, err, store.CodePackageMismatch)
		return
	}
	if p.pkg != "" {
		pkg = p.pkg
	}
	if pkg == "" {
		r.expect(op, err, store.CodeInvalid)
		return
	}
	pool := r.m.pool(account, dc, pkg)
	if pool.unassigned < q {
		r.expect(op, err, store.CodeNotEnoughCodes)
		return
	}
	r.expect(op, err, "")
	pool.unassigned -= q
	pool.assigned += q
	p.pkg = pkg
	p.assigned += q
	p.available += q
}

// someDevice picks a device of the model, or nil when there is none.
func (r *randomRun) someDevice() *mDevice {
	if len(r.m.devices) == 0 {
		return nil
	}
	return r.m.created[r.pick(len(r.m.created))]
}

func (r *randomRun) deleteDevice() {
	pk, dk := r.anyProduct().pk, r.deviceKey()
	if d := r.someDevice(); d != nil && r.chance(0.7) {
		pk, dk = d.product.pk, d.dk
	}
	op := fmt.Sprintf("delete device %s/%s", pk, dk)
	err := r.st.DeleteDevice(r.ctx, pk, dk)
	p := r.m.live(pk)
	if p == nil {
		r.expect(op, err, store.CodeUnknownProduct)
		return
	}
	d := r.m.devices[mDeviceKey{p.id, dk}]
	if d == nil || d.deleted {
		r.expect(op, err, store.CodeUnknownDevice)
		return
	}
	r.expect(op, err, "")
	d.deleted = true
}

func (r *randomRun) deleteProduct() {
	p := r.anyProduct()
	op := "delete product " + p.pk
	err := r.st.DeleteProduct(r.ctx, p.pk)
	live := r.m.live(p.pk)
	if live == nil {
		r.expect(op, err, store.CodeUnknownProduct)
		return
	}
	r.expect(op, err, "")
	live.deleted = true
	live.forfeited += live.available
	live.available = 0
	for _, d := range r.m.devices {
		if d.product == live {
			d.deleted = true
		}
	}
}

func (r *randomRun) createProduct() {
	account, dc := r.pick(2), randomDCs[r.pick(2)]
	pk := r.m.products[r.pick(len(r.m.products))].pk
	if r.chance(0.7) {
		pk = r.nextPK()
	}
	op := fmt.Sprintf("create product %s in account %d %s", pk, account, dc)
	p, err := r.st.CreateProduct(r.ctx, store.Scope{AccountID: r.m.accounts[account].ID, DC: dc}, store.ProductInput{ProductKey: pk, Name: "Product " + pk})
	if r.m.live(pk) != nil {
		r.expect(op, err, store.CodeProductExists)
		return
	}
	r.expect(op, err, "")
	r.m.products = append(r.m.products, &mProduct{id: p.ID, pk: pk, account: account, dc: dc, autoRenew: true, blacklist: map[string]bool{}})
}

func (r *randomRun) setAutoRenew() {
	account, dc := r.pick(2), randomDCs[r.pick(2)]
	p := r.product(account, dc)
	on := r.chance(0.6)
	op := fmt.Sprintf("set auto renew of %s %v", p.pk, on)
	err := r.st.SetAutoRenew(r.ctx, store.Scope{AccountID: r.m.accounts[account].ID, DC: dc},
		store.AutoRenewInput{ProductID: p.id, On: on, Actor: store.SystemActor("random")})
	if p.deleted || p.account != account || p.dc != dc {
		r.expect(op, err, store.CodeUnknownProduct)
		return
	}
	r.expect(op, err, "")
	p.autoRenew = on
}

func (r *randomRun) blacklist() {
	account, dc := r.pick(2), randomDCs[r.pick(2)]
	p := r.product(account, dc)
	keys := []string{r.deviceKey()}
	for r.chance(0.4) {
		keys = append(keys, r.deviceKey())
	}
	on := r.chance(0.55)
	op := fmt.Sprintf("blacklist %s of %s: %v", keys, p.pk, on)
	n, err := r.st.SetBlacklisted(r.ctx, store.Scope{AccountID: r.m.accounts[account].ID, DC: dc},
		store.BlacklistInput{ProductID: p.id, DeviceKeys: keys, Blacklisted: on, Actor: store.SystemActor("random")})
	switch {
	case p.deleted || p.account != account || p.dc != dc:
		r.expect(op, err, store.CodeUnknownProduct)
		return
	case !p.autoRenew:
		r.expect(op, err, store.CodeAutoRenewOff)
		return
	}
	r.expect(op, err, "")
	changed := 0
	for _, k := range keys {
		if p.blacklist[k] != on {
			p.blacklist[k] = on
			changed++
		}
	}
	if n != changed {
		r.fail(op, "changed %d entries, want %d", n, changed)
	}
}

func (r *randomRun) advance() {
	d := time.Duration(1+r.pick(72)) * time.Hour
	if r.chance(0.4) {
		d = days(1 + r.pick(10))
	}
	r.clock.Advance(d)
	r.m.now = r.m.now.Add(d)
}

func (r *randomRun) pass() {
	got, err := r.st.RenewalPass(r.ctx)
	r.expect("renewal pass", err, "")
	m := &r.m
	var due []*mDevice
	for _, d := range m.devices {
		if !d.expiresAt.IsZero() && !d.expiresAt.After(m.now) && d.lapsedAt.IsZero() && !d.deleted && d.waitingSince.IsZero() {
			due = append(due, d)
		}
	}
	slices.SortFunc(due, func(a, b *mDevice) int {
		if c := a.expiresAt.Compare(b.expiresAt); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	var want store.RenewalStats
	for _, d := range due {
		if reason := m.blocker(d.product, d.dk); reason != "" {
			d.lapsedAt, d.reason = m.now, reason
			want.Lapsed++
			continue
		}
		m.consume(d, d.product, string(store.ActivationRenewal), d.expiresAt)
		want.Renewed++
	}
	if got != want {
		r.fail("renewal pass", "got %+v, want %+v", got, want)
	}
	r.outcomes["pass renewed"] += got.Renewed
	r.outcomes["pass lapsed"] += got.Lapsed
}

func (r *randomRun) renewNow() {
	d := r.someDevice()
	if d == nil {
		return
	}
	if d.id == 0 {
		if err := r.st.DB().GetContext(r.ctx, &d.id, `SELECT id FROM devices WHERE product_id = $1 AND device_key = $2`, d.product.id, d.dk); err != nil {
			r.fail("renew now", "device %s/%s: %v", d.product.pk, d.dk, err)
		}
	}
	account, dc := d.product.account, d.product.dc
	if r.chance(0.1) {
		account = 1 - account
	}
	op := fmt.Sprintf("renew now %s/%s as account %d", d.product.pk, d.dk, account)
	got, err := r.st.RenewNow(r.ctx, store.Scope{AccountID: r.m.accounts[account].ID, DC: dc},
		store.RenewNowInput{DeviceID: d.id, Actor: store.SystemActor("random")})
	switch {
	case account != d.product.account || d.product.deleted || d.deleted:
		r.expect(op, err, store.CodeUnknownDevice)
		return
	case d.lapsedAt.IsZero():
		r.expect(op, err, store.CodeNotLapsed)
		return
	case d.product.available == 0:
		r.expect(op, err, store.CodeNotEnoughCodes)
		return
	}
	r.expect(op, err, "")
	r.m.consume(d, d.product, string(store.ActivationManual), r.m.now)
	if got.Result != store.ResultRenewed || !got.ActivatedAt.Equal(r.m.now) || !got.ExpiresAt.Equal(d.expiresAt) {
		r.fail(op, "got %+v, want renewed %s..%s", got, d.activatedAt, d.expiresAt)
	}
}
