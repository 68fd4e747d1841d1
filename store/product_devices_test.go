package store_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"activation-console/store"
)

// scope is the fixture account's scope in eu-frankfurt.
func (f *fixture) scope() store.Scope {
	return store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}
}

// devicePage reads one page of the fixture product's devices.
func (f *fixture) devicePage(t *testing.T, filter store.DeviceFilter, page store.PageRequest) store.Page[store.Device] {
	t.Helper()
	got, err := f.st.ProductDevices(f.ctx, f.scope(), f.productNow(t), filter, page)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func keysOf(ds []store.Device) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.DeviceKey
	}
	return out
}

// seedDevices connects dated devices an hour apart (so each expires an hour
// after the previous one) and then waiting devices, refused for lack of a
// code. It returns the DKs in the list's order.
func seedDevices(t *testing.T, f *fixture, dated, waiting int) []string {
	t.Helper()
	f.buy(t, "O-SEED", "std-1y", int64(dated))
	if dated > 0 {
		f.assign(t, f.product.ID, int64(dated))
	}
	var keys []string
	for i := range dated {
		dk := fmt.Sprintf("dev-%03d", i)
		f.connect(t, dk)
		keys = append(keys, dk)
		f.clock.Advance(time.Hour)
	}
	for i := range waiting {
		dk := fmt.Sprintf("wait-%03d", i)
		if _, err := f.st.Connect(f.ctx, f.product.ProductKey, dk, "eu-frankfurt"); !store.HasCode(err, store.CodeNoActivationCode) {
			t.Fatalf("connect %s: %v, want no_activation_code", dk, err)
		}
		keys = append(keys, dk)
	}
	return keys
}

func TestScopedProduct_OnlyTheViewersLiveProducts(t *testing.T) {
	f := newFixture(t)
	if p, err := f.st.ScopedProduct(f.ctx, f.scope(), f.product.ID); err != nil || p.ProductKey != "PK-1" {
		t.Fatalf("own product: %+v, %v", p, err)
	}
	other := f.newAccount(t, "enterprise", "eu-frankfurt", "other@example.com")
	otherProduct, err := f.st.CreateProduct(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"}, store.ProductInput{ProductKey: "PK-OTHER", Name: "Theirs"})
	if err != nil {
		t.Fatal(err)
	}
	shanghai := f.newProduct(t, "cn-shanghai", "PK-SH")
	gone := f.newProduct(t, "eu-frankfurt", "PK-GONE")
	if err := f.st.DeleteProduct(f.ctx, "PK-GONE"); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		sc store.Scope
		id int64
	}{
		"AnotherAccountsProduct":  {f.scope(), otherProduct.ID},
		"AnotherDataCenter":       {f.scope(), shanghai.ID},
		"DeletedProduct":          {f.scope(), gone.ID},
		"OutsideSubAccountsScope": {store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt", ProductIDs: []int64{shanghai.ID}}, f.product.ID},
		"NoSuchID":                {f.scope(), 999999},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.st.ScopedProduct(f.ctx, tc.sc, tc.id)
			wantCode(t, err, store.CodeUnknownProduct)
		})
	}
}

func TestProductDevices_PagesForwardAndBack(t *testing.T) {
	for name, tc := range map[string]struct{ dated, waiting int }{
		"PageEndsOnADatedDevice":   {dated: 60, waiting: 2},
		"PageEndsOnAWaitingDevice": {dated: 49, waiting: 3},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			want := seedDevices(t, f, tc.dated, tc.waiting)
			first := f.devicePage(t, store.DeviceFilter{}, store.PageRequest{})
			if got := keysOf(first.Rows); !reflect.DeepEqual(got, want[:store.PageSize]) {
				t.Fatalf("first page %v, want %v", got, want[:store.PageSize])
			}
			if first.Prev != "" || first.Next == "" {
				t.Fatalf("first page: prev %q next %q", first.Prev, first.Next)
			}
			second := f.devicePage(t, store.DeviceFilter{}, store.PageRequest{After: first.Next})
			if got := keysOf(second.Rows); !reflect.DeepEqual(got, want[store.PageSize:]) {
				t.Fatalf("second page %v, want %v", got, want[store.PageSize:])
			}
			if second.Prev == "" || second.Next != "" {
				t.Fatalf("second page: prev %q next %q", second.Prev, second.Next)
			}
			back := f.devicePage(t, store.DeviceFilter{}, store.PageRequest{Before: second.Prev})
			if got := keysOf(back.Rows); !reflect.DeepEqual(got, want[:store.PageSize]) {
				t.Fatalf("back to the first page %v, want %v", got, want[:store.PageSize])
			}
			if back.Prev != "" || back.Next == "" {
				t.Fatalf("back on the first page: prev %q next %q", back.Prev, back.Next)
			}
			var all []string
			if err := f.st.EachProductDevice(f.ctx, f.scope(), f.productNow(t), store.DeviceFilter{}, func(d store.Device) error {
				all = append(all, d.DeviceKey)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(all, want) {
				t.Fatalf("export %v, want %v", all, want)
			}
		})
	}
}

func TestProductDevices_SearchByKeyPagesInKeyOrder(t *testing.T) {
	f := newFixture(t)
	f.buy(t, "O-1", "std-1y", 60)
	f.assign(t, f.product.ID, 60)
	var want []string
	for i := 59; i >= 0; i-- { // the later a device connects, the smaller its key
		f.connect(t, fmt.Sprintf("Key-%02d", i))
		f.clock.Advance(time.Hour)
	}
	for i := range 60 {
		want = append(want, fmt.Sprintf("Key-%02d", i))
	}
	filter := store.DeviceFilter{DeviceKey: "kEY-"}
	if !filter.SortedByKey() || (store.DeviceFilter{}).SortedByKey() {
		t.Fatal("SortedByKey")
	}
	first := f.devicePage(t, filter, store.PageRequest{})
	if got := keysOf(first.Rows); !reflect.DeepEqual(got, want[:50]) || first.Prev != "" || first.Next == "" {
		t.Fatalf("first page %v", got)
	}
	second := f.devicePage(t, filter, store.PageRequest{After: first.Next})
	if got := keysOf(second.Rows); !reflect.DeepEqual(got, want[50:]) || second.Next != "" {
		t.Fatalf("second page %v", got)
	}
	back := f.devicePage(t, filter, store.PageRequest{Before: second.Prev})
	if got := keysOf(back.Rows); !reflect.DeepEqual(got, want[:50]) {
		t.Fatalf("back %v", got)
	}
	var all []string
	if err := f.st.EachProductDevice(f.ctx, f.scope(), f.productNow(t), filter, func(d store.Device) error {
		all = append(all, d.DeviceKey)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("export %v", all)
	}
}

func TestProductDevices_RefusesABrokenCursor(t *testing.T) {
	f := newFixture(t)
	_, err := f.st.ProductDevices(f.ctx, f.scope(), f.product, store.DeviceFilter{}, store.PageRequest{After: "not-a-cursor"})
	wantCode(t, err, store.CodeInvalid)
}

// statusFixture leaves the fixture product with one device in each status:
//
//	lapsed-1   blacklisted, expired, lapsed by the renewal pass
//	expired-1  expired an hour ago, the pass has not run since
//	expiring-1 expires in about 29 days
//	active-1   activated now
//	wait-1     refused for lack of a code
//	new-1      known, never activated (inserted directly: no API path makes one)
//
// and no code available.
func statusFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.assign(t, f.product.ID, 4)
	f.connect(t, "lapsed-1")
	if _, err := f.st.SetBlacklisted(f.ctx, f.scope(),
		store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"lapsed-1"}, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(epoch.Add(24 * time.Hour))
	f.connect(t, "expired-1")
	f.clock.Set(epoch.Add(31 * 24 * time.Hour))
	f.connect(t, "expiring-1")
	f.clock.Set(year(epoch).Add(12 * time.Hour))
	f.pass(t) // lapsed-1 lapses: blacklisted
	f.clock.Set(year(epoch).Add(25 * time.Hour))
	f.connect(t, "active-1")
	if _, err := f.st.Connect(f.ctx, f.product.ProductKey, "wait-1", "eu-frankfurt"); !store.HasCode(err, store.CodeNoActivationCode) {
		t.Fatalf("wait-1: %v", err)
	}
	if _, err := f.st.DB().ExecContext(f.ctx, `INSERT INTO devices (account_id, dc, product_id, device_key) VALUES ($1, 'eu-frankfurt', $2, 'new-1')`,
		f.account.ID, f.product.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestProductDevices_StatusAndOutlook(t *testing.T) {
	f := statusFixture(t)
	got := f.devicePage(t, store.DeviceFilter{}, store.PageRequest{})
	type row struct {
		DK      string
		Status  store.DeviceStatus
		Outlook store.Outlook
	}
	var rows []row
	for _, d := range got.Rows {
		rows = append(rows, row{d.DeviceKey, d.Status, d.Outlook})
	}
	want := []row{
		{"lapsed-1", store.StatusLapsed, ""},
		{"expired-1", store.StatusExpired, store.OutlookAtRisk}, // two due, no code
		{"expiring-1", store.StatusExpiring, store.OutlookAtRisk},
		{"active-1", store.StatusActive, store.OutlookWillRenew},
		{"wait-1", store.StatusWaiting, ""},
		{"new-1", store.StatusNew, ""},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("devices\n got %+v\nwant %+v", rows, want)
	}
	if r := got.Rows[0].LapseReason; r == nil || *r != store.ReasonBlacklisted {
		t.Fatalf("lapse reason %v", r)
	}

	t.Run("EnoughCodesAreNotAtRisk", func(t *testing.T) {
		f.buy(t, "O-2", "std-1y", 2)
		f.assign(t, f.product.ID, 2)
		d := f.devicePage(t, store.DeviceFilter{Status: store.StatusExpiring}, store.PageRequest{}).Rows
		if len(d) != 1 || d[0].Outlook != store.OutlookWillRenew {
			t.Fatalf("expiring devices %+v", d)
		}
	})
	t.Run("SwitchOffWontRenew", func(t *testing.T) {
		if err := f.st.SetAutoRenew(f.ctx, f.scope(),
			store.AutoRenewInput{ProductID: f.product.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
			t.Fatal(err)
		}
		d := f.devicePage(t, store.DeviceFilter{Status: store.StatusActive}, store.PageRequest{}).Rows
		if len(d) != 1 || d[0].Outlook != store.OutlookAutoRenewOff {
			t.Fatalf("active devices %+v", d)
		}
	})
}

func TestProductDevices_FilterByStatus(t *testing.T) {
	f := statusFixture(t)
	for status, want := range map[store.DeviceStatus][]string{
		store.StatusLapsed:   {"lapsed-1"},
		store.StatusExpired:  {"expired-1"},
		store.StatusExpiring: {"expiring-1"},
		store.StatusActive:   {"active-1"},
		store.StatusWaiting:  {"wait-1"},
		store.StatusNew:      {"new-1"},
	} {
		t.Run(string(status), func(t *testing.T) {
			got := keysOf(f.devicePage(t, store.DeviceFilter{Status: status}, store.PageRequest{}).Rows)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("status %s: %v, want %v", status, got, want)
			}
		})
	}
	t.Run("UnknownStatus", func(t *testing.T) {
		_, err := f.st.ProductDevices(f.ctx, f.scope(), f.product, store.DeviceFilter{Status: "deleted"}, store.PageRequest{})
		wantCode(t, err, store.CodeInvalid)
	})
}

func TestProductDevices_FilterByKeyAndDates(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 4)
	day := 24 * time.Hour
	for i, dk := range []string{"ab_c", "abxc", "AB-9", "zz.1"} {
		f.clock.Set(epoch.Add(time.Duration(i*10) * day)) // activated on days 0, 10, 20, 30
		f.connect(t, dk)
	}
	at := func(days int) time.Time { return epoch.Add(time.Duration(days) * day) }
	for name, tc := range map[string]struct {
		filter store.DeviceFilter
		want   []string
	}{
		"KeyPrefixAnyCaseByKey":     {store.DeviceFilter{DeviceKey: "ab"}, []string{"AB-9", "ab_c", "abxc"}},
		"UnderscoreIsNotAWildcard":  {store.DeviceFilter{DeviceKey: "AB_"}, []string{"ab_c"}},
		"ExactKey":                  {store.DeviceFilter{DeviceKey: "zz.1"}, []string{"zz.1"}},
		"NoMatch":                   {store.DeviceFilter{DeviceKey: "q"}, nil},
		"ActivatedFrom":             {store.DeviceFilter{Activated: store.DateRange{From: at(10)}}, []string{"abxc", "AB-9", "zz.1"}},
		"ActivatedRange":            {store.DeviceFilter{Activated: store.DateRange{From: at(5), To: at(20)}}, []string{"abxc"}},
		"ActivatedToIsExclusive":    {store.DeviceFilter{Activated: store.DateRange{To: at(10)}}, []string{"ab_c"}},
		"ExpiresRange":              {store.DeviceFilter{Expires: store.DateRange{From: at(365 + 15), To: at(365 + 31)}}, []string{"AB-9", "zz.1"}},
		"ExpiresAndKey":             {store.DeviceFilter{Expires: store.DateRange{From: at(365 + 5)}, DeviceKey: "a"}, []string{"AB-9", "abxc"}},
		"ActivatedAndExpiresAgree":  {store.DeviceFilter{Activated: store.DateRange{From: at(10)}, Expires: store.DateRange{To: at(365 + 21)}}, []string{"abxc", "AB-9"}},
		"ActivatedRangeOfOneMoment": {store.DeviceFilter{Activated: store.DateRange{From: at(20), To: at(21)}}, []string{"AB-9"}},
	} {
		t.Run(name, func(t *testing.T) {
			got := keysOf(f.devicePage(t, tc.filter, store.PageRequest{}).Rows)
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestProductDevice_OnlyOfThatProduct(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 1)
	f.connect(t, "dev-1")
	d := f.device(t, "dev-1")
	got, err := f.st.ProductDevice(f.ctx, f.scope(), f.productNow(t), d.ID)
	if err != nil || got.DeviceKey != "dev-1" || got.Status != store.StatusActive {
		t.Fatalf("device: %+v, %v", got, err)
	}
	other := f.newProduct(t, "eu-frankfurt", "PK-2")
	_, err = f.st.ProductDevice(f.ctx, f.scope(), other, d.ID)
	wantCode(t, err, store.CodeUnknownDevice)
	otherAccount := f.newAccount(t, "individual", "eu-frankfurt", "x@example.com")
	_, err = f.st.ProductDevice(f.ctx, store.Scope{AccountID: otherAccount.ID, DC: "eu-frankfurt"}, f.productNow(t), d.ID)
	wantCode(t, err, store.CodeUnknownDevice)
}

func TestDeviceActivations_EveryCodeInOrder(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 3)
	f.connect(t, "dev-1") // first, from epoch
	f.clock.Set(year(epoch).Add(time.Hour))
	f.pass(t) // renewal, from the old expiry
	if _, err := f.st.SetBlacklisted(f.ctx, f.scope(),
		store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"dev-1"}, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(year(year(epoch)).Add(time.Hour))
	f.pass(t) // lapses: blacklisted
	renewAt := year(year(epoch)).Add(48 * time.Hour)
	f.clock.Set(renewAt)
	d := f.device(t, "dev-1")
	if _, err := f.st.RenewNow(f.ctx, f.scope(),
		store.RenewNowInput{DeviceID: d.ID, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.DeviceActivations(f.ctx, f.scope(), f.productNow(t), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	type act struct {
		Kind     store.ActivationKind
		From, To time.Time
	}
	var rows []act
	for _, a := range got {
		rows = append(rows, act{a.Kind, a.ActivatedAt.UTC(), a.ExpiresAt.UTC()})
	}
	want := []act{
		{store.ActivationFirst, epoch, year(epoch)},
		{store.ActivationRenewal, year(epoch), year(year(epoch))},
		{store.ActivationManual, renewAt, year(renewAt)},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("history\n got %+v\nwant %+v", rows, want)
	}
	other := f.newProduct(t, "eu-frankfurt", "PK-2")
	if got, err := f.st.DeviceActivations(f.ctx, f.scope(), other, d.ID); err != nil || len(got) != 0 {
		t.Fatalf("history through another product: %v, %v", got, err)
	}
}

func TestProductRenewal_Figures(t *testing.T) {
	f := statusFixture(t)
	fig := func() store.RenewalFigures {
		t.Helper()
		r, err := f.st.ProductRenewal(f.ctx, f.scope(), f.productNow(t))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Due: expired-1 and expiring-1; lapsed-1 is out of the queue.
	if r := fig(); r.Due != 2 || r.Available != 0 || r.Blacklisted != 1 || !r.AtRisk() || !r.AutoRenew {
		t.Fatalf("figures %+v", r)
	}
	if _, err := f.st.SetBlacklisted(f.ctx, f.scope(),
		store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"expiring-1", "not-yet-1"}, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if r := fig(); r.Due != 1 || r.Blacklisted != 3 || !r.AtRisk() {
		t.Fatalf("after blacklisting: %+v", r)
	}
	f.buy(t, "O-2", "std-1y", 1)
	f.assign(t, f.product.ID, 1)
	if r := fig(); r.Due != 1 || r.Available != 1 || r.AtRisk() {
		t.Fatalf("after assigning: %+v", r)
	}
	if err := f.st.SetAutoRenew(f.ctx, f.scope(),
		store.AutoRenewInput{ProductID: f.product.ID, On: false, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if r := fig(); r.AutoRenew || r.AtRisk() {
		t.Fatalf("switch off: %+v", r)
	}
}

func TestProductBlacklist_PagesByKey(t *testing.T) {
	f := newFixture(t)
	f.assign(t, f.product.ID, 1)
	f.connect(t, "k-000")
	var keys []string
	for i := range 60 {
		keys = append(keys, fmt.Sprintf("k-%03d", i))
	}
	if n, err := f.st.SetBlacklisted(f.ctx, f.scope(),
		store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: keys, Blacklisted: true, Actor: store.SystemActor("test")}); err != nil || n != 60 {
		t.Fatalf("blacklist: %d, %v", n, err)
	}
	p := f.productNow(t)
	page := func(pr store.PageRequest) store.Page[store.BlacklistEntry] {
		t.Helper()
		b, err := f.st.ProductBlacklist(f.ctx, f.scope(), p, pr)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	dks := func(b store.Page[store.BlacklistEntry]) []string {
		var out []string
		for _, e := range b.Rows {
			out = append(out, e.DeviceKey)
		}
		return out
	}
	first := page(store.PageRequest{})
	if !reflect.DeepEqual(dks(first), keys[:50]) || first.Prev != "" || first.Next == "" {
		t.Fatalf("first page %v prev %q next %q", dks(first), first.Prev, first.Next)
	}
	if !first.Rows[0].Known || first.Rows[1].Known {
		t.Fatalf("known: %+v", first.Rows[:2])
	}
	second := page(store.PageRequest{After: first.Next})
	if !reflect.DeepEqual(dks(second), keys[50:]) || second.Next != "" || second.Prev == "" {
		t.Fatalf("second page %v", dks(second))
	}
	if back := page(store.PageRequest{Before: second.Prev}); !reflect.DeepEqual(dks(back), keys[:50]) {
		t.Fatalf("back %v", dks(back))
	}
	other := f.newAccount(t, "individual", "eu-frankfurt", "y@example.com")
	if b, err := f.st.ProductBlacklist(f.ctx, store.Scope{AccountID: other.ID, DC: "eu-frankfurt"}, p, store.PageRequest{}); err != nil || len(b.Rows) != 0 {
		t.Fatalf("another account sees %v, %v", dks(b), err)
	}
}
