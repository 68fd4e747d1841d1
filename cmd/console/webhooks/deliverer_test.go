package webhooks

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

func TestDeliver_SignedByTheStandardWebhooksConvention(t *testing.T) {
	f := newFixture(t, 5)
	_, secret := f.endpoint(t, store.EventDeviceActivated)
	f.connect(t, "DK-1")
	if st := f.run(t); st.Delivered != 1 {
		t.Fatalf("stats %+v, want 1 delivered", st)
	}
	got := f.rc.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	r := got[0]
	if !verify(secret, r) {
		t.Fatalf("signature %q does not verify with the endpoint's secret", r.Signature)
	}
	if verify(store.NewWebhookSecret(), r) {
		t.Fatal("signature verifies with another secret")
	}
	if r.Type != "device.activated" || r.Data["device_key"] != "DK-1" || r.Data["product_key"] != "PK-1" ||
		r.Data["data_center"] != storetest.HomeDC || r.Data["version"] != float64(1) || r.Data["expires_at"] == nil {
		t.Fatalf("body %s", r.Body)
	}
	es := f.events(t)
	if r.ID != store.WebhookMessageID(es[0].ID) || es[0].Status != store.WebhookDelivered || *es[0].LastStatus != 200 {
		t.Fatalf("id %s, event %+v", r.ID, es[0])
	}
	if n := len(*es[0].LastResponse); n > store.WebhookResponseExcerpt+3 {
		t.Fatalf("kept %d bytes of the answer, want at most an excerpt", n)
	}
}

func TestDeliver_OnlyTheEventsWanted_OnlyToEnabledEndpoints(t *testing.T) {
	f := newFixture(t, 5)
	f.endpoint(t, store.EventDeviceRenewed) // not activations
	f.connect(t, "DK-1")
	if es := f.events(t); len(es) != 0 {
		t.Fatalf("%d events for an endpoint that does not want them", len(es))
	}
}

func TestRotate_OldAndNewSecretsBothSignForADay(t *testing.T) {
	f := newFixture(t, 5)
	e, old := f.endpoint(t, store.EventDeviceActivated)
	_, fresh, err := f.Store.RotateWebhookSecret(f.ctx, f.sc, store.WebhookRef{ID: e.ID, Actor: store.SystemActor(storetest.OwnerEmail)})
	if err != nil {
		t.Fatal(err)
	}
	f.connect(t, "DK-1")
	f.run(t)
	r := f.rc.requests()[0]
	if !verify(old, r) || !verify(fresh, r) {
		t.Fatalf("during the overlap both secrets must verify: %q", r.Signature)
	}
	f.Clock.Advance(store.SecretOverlap + time.Second)
	f.connect(t, "DK-2")
	f.run(t)
	r = f.rc.requests()[1]
	if verify(old, r) || !verify(fresh, r) {
		t.Fatalf("after the overlap only the new secret may verify: %q", r.Signature)
	}
}

func TestRetry_After500s_WithGrowingBackoff_ThenDelivered_SameID(t *testing.T) {
	f := newFixture(t, 5)
	f.endpoint(t, store.EventDeviceActivated)
	f.rc.answer = func(n int, _ received) (int, time.Duration) {
		if n < 4 {
			return http.StatusInternalServerError, 0
		}
		return http.StatusNoContent, 0
	}
	f.connect(t, "DK-1")
	var waits []time.Duration
	for range 4 {
		if st := f.run(t); st.Retrying != 1 {
			t.Fatalf("stats %+v, want 1 retrying", st)
		}
		ev := f.events(t)[0]
		if ev.Status != store.WebhookPending || *ev.LastStatus != 500 || *ev.LastError != FailStatus {
			t.Fatalf("after a 500: %+v", ev)
		}
		waits = append(waits, ev.NextAttemptAt.Sub(f.Clock.Now()))
		if st := f.run(t); st != (Stats{}) {
			t.Fatalf("retried before its backoff: %+v", st)
		}
		f.Clock.Set(ev.NextAttemptAt)
	}
	for i := 1; i < len(waits); i++ {
		if waits[i] <= waits[i-1] {
			t.Fatalf("backoff does not grow: %v", waits)
		}
	}
	if st := f.run(t); st.Delivered != 1 {
		t.Fatalf("stats %+v, want delivered", st)
	}
	got := f.rc.requests()
	if len(got) != 5 {
		t.Fatalf("%d requests, want 5", len(got))
	}
	for _, r := range got {
		if r.ID != got[0].ID || string(r.Body) != string(got[0].Body) {
			t.Fatalf("a retry changed the id or body: %s %s", r.ID, r.Body)
		}
	}
}

func TestRetry_AfterATimeout(t *testing.T) {
	f := newFixture(t, 5)
	f.endpoint(t, store.EventDeviceActivated)
	f.rc.answer = func(n int, _ received) (int, time.Duration) {
		if n == 0 {
			return http.StatusOK, time.Minute // far past the deliverer's timeout
		}
		return http.StatusOK, 0
	}
	f.connect(t, "DK-1")
	d := f.deliverer()
	d.Timeout = 200 * time.Millisecond
	if st, err := d.RunOnce(f.ctx); err != nil || st.Retrying != 1 {
		t.Fatalf("stats %+v, %v; want 1 retrying", st, err)
	}
	ev := f.events(t)[0]
	if ev.Status != store.WebhookPending || *ev.LastError != FailTimeout || ev.LastStatus != nil {
		t.Fatalf("after a timeout: %+v", ev)
	}
	f.Clock.Set(ev.NextAttemptAt)
	if st := f.run(t); st.Delivered != 1 {
		t.Fatalf("stats %+v, want delivered", st)
	}
}

func TestCrash_MidDelivery_RedeliversOnlyTheSameID(t *testing.T) {
	f := newFixture(t, 5)
	f.endpoint(t, store.EventDeviceActivated)
	f.connect(t, "DK-1")
	f.connect(t, "DK-2")
	crashing := f.deliverer()
	crashing.Concurrency = 1
	ctx, die := context.WithCancel(f.ctx)
	crashing.afterPost = func(store.WebhookJob) bool { die(); return false } // dies after the POST, before recording it
	crashing.RunOnce(ctx)
	first := f.rc.requests()
	// Another deliverer leaves the dead one's claim alone while its lease holds.
	if st := f.run(t); st.Delivered != 1 {
		t.Fatalf("stats %+v, want only the unclaimed event delivered", st)
	}
	f.Clock.Advance(3 * time.Minute) // past the lease
	if st := f.run(t); st.Delivered != 1 {
		t.Fatalf("stats %+v, want the crashed event delivered again", st)
	}
	if st := f.run(t); st != (Stats{}) {
		t.Fatalf("stats %+v after everything was delivered", st)
	}
	seen := map[string]int{}
	for _, r := range f.rc.requests() {
		seen[r.ID]++
	}
	if len(seen) != 2 || seen[first[0].ID] != 2 {
		t.Fatalf("deliveries by id %v; want the crashed one twice (same id) and the other once", seen)
	}
	for id, n := range seen {
		if id != first[0].ID && n != 1 {
			t.Fatalf("event %s delivered %d times", id, n)
		}
	}
}

func TestOrder_ADevicesLaterEventWaitsForItsEarlierOne(t *testing.T) {
	f := newFixture(t, 0)
	f.endpoint(t, store.EventDeviceActivated, store.EventDeviceRefused)
	fail := true
	var mu sync.Mutex
	f.rc.answer = func(_ int, r received) (int, time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if fail && r.Type == "device.refused" {
			return http.StatusServiceUnavailable, 0
		}
		return http.StatusOK, 0
	}
	f.connect(t, "DK-1") // refused: the product has no code
	f.run(t)
	if _, err := f.Store.Assign(f.ctx, f.sc, store.AssignInput{ProductID: f.Product.ID, PackageCode: "std-1y", Quantity: 2,
		Actor: store.SystemActor(storetest.OwnerEmail)}); err != nil {
		t.Fatal(err)
	}
	f.connect(t, "DK-1") // activated now
	f.connect(t, "DK-2") // another device, activated at once
	f.run(t)
	var types []string
	for _, r := range f.rc.requests() {
		types = append(types, fmt.Sprint(r.Data["device_key"], " ", r.Type))
	}
	if want := "[DK-1 device.refused DK-2 device.activated]"; fmt.Sprint(types) != want {
		t.Fatalf("deliveries %v, want %s: DK-1's activation waits for its refusal", types, want)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	f.Clock.Set(f.events(t)[0].NextAttemptAt)
	f.run(t)
	types = nil
	for _, r := range f.rc.requests() {
		if r.Data["device_key"] == "DK-1" {
			types = append(types, r.Type)
		}
	}
	if want := "[device.refused device.refused device.activated]"; fmt.Sprint(types) != want {
		t.Fatalf("DK-1's deliveries %v, want %s", types, want)
	}
}

func TestThreeDeliverers_DeliverEachEventOnce(t *testing.T) {
	f := newFixture(t, 100)
	f.endpoint(t, store.EventDeviceActivated)
	g, _ := f.endpointBy(t, store.SystemActor(storetest.OwnerEmail), f.rc.URL+"/second", store.EventDeviceActivated)
	_ = g
	for i := range 60 {
		f.connect(t, fmt.Sprintf("DK-%d", i))
	}
	var wg sync.WaitGroup
	stats := make([]Stats, 3)
	for i := range 3 {
		d := f.deliverer()
		d.Concurrency = 4
		wg.Go(func() {
			st, err := d.RunOnce(f.ctx)
			if err != nil {
				t.Error(err)
			}
			stats[i] = st
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, r := range f.rc.requests() {
		seen[r.ID]++
	}
	if len(seen) != 120 {
		t.Fatalf("%d events delivered, want 120 (60 devices, 2 endpoints)", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("event %s delivered %d times", id, n)
		}
	}
	total := 0
	for _, st := range stats {
		total += st.Delivered
	}
	if total != 120 {
		t.Fatalf("deliverers count %d deliveries, want 120: %+v", total, stats)
	}
}

func TestRun_KeepsDeliveringWhileOneEndpointHangs(t *testing.T) {
	f := newFixture(t, 100)
	slow := newReceiver(t)
	release := make(chan struct{})
	slow.answer = func(int, received) (int, time.Duration) { <-release; return http.StatusOK, 0 }
	defer close(release)
	f.endpointBy(t, store.SystemActor(storetest.OwnerEmail), slow.URL, store.EventDeviceActivated)
	f.endpoint(t, store.EventDeviceActivated)
	for i := range 10 {
		f.connect(t, fmt.Sprintf("DK-%d", i))
	}
	ctx, cancel := context.WithCancel(f.ctx)
	d := f.deliverer()
	d.Concurrency = 4
	d.Poll = 10 * time.Millisecond
	d.Timeout = time.Minute // the hanging requests stay in flight until released
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	// The hanging endpoint holds at most its share of the deliverer; the
	// other gets all ten of its events.
	for len(f.rc.requests()) < 10 {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(slow.requests()); n > store.WebhookEndpointInFlight {
		t.Fatalf("the hanging endpoint has %d requests in flight, want at most %d", n, store.WebhookEndpointInFlight)
	}
	cancel()
	release <- struct{}{}
	release <- struct{}{}
	<-done
}

// The hot path (docs/webhooks.md, "Delivery"): while one account's
// endpoint hangs with every request it may have in flight, that account's
// devices still connect (the ledger only writes the outbox) and another
// account's endpoint gets each of its events, all before the hanging
// requests are answered. Nothing here is timed: the hanging requests end
// only when the test releases them, after everything else has completed.
func TestHotPath_AHangingEndpointHoldsNeitherConnectsNorOtherAccountsDeliveries(t *testing.T) {
	f := newFixture(t, 100)
	slow := newReceiver(t)
	hanging, release := make(chan struct{}, 100), make(chan struct{})
	slow.answer = func(int, received) (int, time.Duration) {
		hanging <- struct{}{}
		<-release
		return http.StatusOK, 0
	}
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	f.endpointBy(t, store.SystemActor(storetest.OwnerEmail), slow.URL+"/acme", store.EventDeviceActivated)
	beta := f.AddAccount(t, "Beta", "owner@beta.example")
	f.AddProduct(t, beta.ID, "PK-B", "Lamp", 100)
	fast := make(chan string, 100)
	f.rc.answer = func(_ int, r received) (int, time.Duration) {
		fast <- fmt.Sprint(r.Data["device_key"])
		return http.StatusOK, 0
	}
	if _, _, err := f.Store.SaveWebhookEndpoint(f.ctx, store.Scope{AccountID: beta.ID, DC: storetest.HomeDC}, store.WebhookInput{
		URL: f.rc.URL + "/beta", Events: []string{string(store.EventDeviceActivated)}, Enabled: true,
		Actor: store.SystemActor("owner@beta.example")}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		f.connect(t, fmt.Sprintf("DK-A%d", i)) // Acme's events come first in the queue
	}
	ctx, cancel := context.WithCancel(f.ctx)
	d := f.deliverer()
	d.Concurrency = 4
	d.Poll = 10 * time.Millisecond
	d.Timeout = time.Hour // a hanging request stays in flight until the test releases it
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	for range store.WebhookEndpointInFlight {
		<-hanging // Acme's endpoint now holds all it may
	}

	// Acme's devices connect while its endpoint hangs; their events wait.
	for i := 10; i < 20; i++ {
		r, err := f.Store.Connect(f.ctx, "PK-1", fmt.Sprintf("DK-A%d", i), storetest.HomeDC)
		if err != nil || r.Result != store.ResultActivated {
			t.Fatalf("connect DK-A%d while the endpoint hangs: %+v, %v", i, r, err)
		}
	}
	// Beta's devices connect, and its endpoint gets each event.
	want := map[string]bool{}
	for i := range 10 {
		dk := fmt.Sprintf("DK-B%d", i)
		want[dk] = true
		if r, err := f.Store.Connect(f.ctx, "PK-B", dk, storetest.HomeDC); err != nil || r.Result != store.ResultActivated {
			t.Fatalf("connect %s: %+v, %v", dk, r, err)
		}
	}
	for len(want) > 0 {
		dk := <-fast
		if !want[dk] {
			t.Fatalf("Beta's endpoint got %s, not one of its devices' events", dk)
		}
		delete(want, dk)
	}
	if n := len(slow.requests()); n != store.WebhookEndpointInFlight {
		t.Fatalf("the hanging endpoint got %d requests, want its %d in flight and no more", n, store.WebhookEndpointInFlight)
	}
	var pending int
	if err := f.Store.DB().GetContext(f.ctx, &pending, `SELECT count(*) FROM webhook_events WHERE account_id = $1 AND status = 'pending'`,
		f.Account.ID); err != nil {
		t.Fatal(err)
	}
	if pending != 20-store.WebhookEndpointInFlight {
		t.Fatalf("%d of Acme's events wait, want %d", pending, 20-store.WebhookEndpointInFlight)
	}
	// Only now are the hanging requests answered.
	released = true
	close(release)
	cancel()
	<-done
}

func TestDisable_AfterADayOfFailures_TellsTheOwner(t *testing.T) {
	f := newFixture(t, 5)
	e, _ := f.endpoint(t, store.EventDeviceActivated)
	f.rc.answer = func(int, received) (int, time.Duration) { return http.StatusBadGateway, 0 }
	f.connect(t, "DK-1")
	start := f.Clock.Now()
	for range 100 {
		st := f.run(t)
		if st.Disabled > 0 {
			break
		}
		ev := f.events(t)[0]
		if ev.Status != store.WebhookPending {
			break
		}
		f.Clock.Set(ev.NextAttemptAt)
	}
	got, err := f.Store.WebhookEndpointSeenBy(f.ctx, f.Account.ID, 0, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Enabled || !got.DisabledForFailing() {
		t.Fatalf("endpoint after %v of failures: %+v", f.Clock.Now().Sub(start), got)
	}
	if elapsed := f.Clock.Now().Sub(start); elapsed < store.WebhookRetryWindow {
		t.Fatalf("disabled after %v, before a day", elapsed)
	}
	var mails []struct {
		Recipients string `db:"recipients"`
		Subject    string `db:"subject"`
	}
	if err := f.Store.DB().SelectContext(f.ctx, &mails, `SELECT array_to_string(recipients, ',') AS recipients, subject FROM outbox`); err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || mails[0].Recipients != storetest.OwnerEmail {
		t.Fatalf("mails %+v, want one to the owner", mails)
	}
	// Disabled, it gets no new events.
	f.connect(t, "DK-2")
	if n := len(f.events(t)); n != 1 {
		t.Fatalf("%d events after the endpoint was disabled, want the 1 from before", n)
	}
}

func TestDial_RefusesAPrivateAddressWhenTheConnectionIsMade(t *testing.T) {
	f := newFixture(t, 5)
	f.endpoint(t, store.EventDeviceActivated) // registered while private addresses were allowed
	f.connect(t, "DK-1")
	d := f.deliverer()
	d.Client = NewClient(store.WebhookGuard{}, time.Second) // the default rule, at the dialer
	if st, err := d.RunOnce(f.ctx); err != nil || st.Retrying != 1 {
		t.Fatalf("stats %+v, %v; want 1 retrying", st, err)
	}
	if n := len(f.rc.requests()); n != 0 {
		t.Fatalf("the receiver on loopback got %d requests", n)
	}
	if ev := f.events(t)[0]; *ev.LastError != FailForbidden {
		t.Fatalf("event %+v, want refused as forbidden", ev)
	}
}

func TestRedirect_IsNotFollowed(t *testing.T) {
	f := newFixture(t, 5)
	target := newReceiver(t)
	f.rc.Config.Handler = http.RedirectHandler(target.URL, http.StatusFound)
	f.endpoint(t, store.EventDeviceActivated)
	f.connect(t, "DK-1")
	if st := f.run(t); st.Retrying != 1 {
		t.Fatalf("stats %+v, want 1 retrying", st)
	}
	if n := len(target.requests()); n != 0 {
		t.Fatalf("the redirect was followed: %d requests", n)
	}
	if ev := f.events(t)[0]; *ev.LastError != FailRedirect || *ev.LastStatus != http.StatusFound {
		t.Fatalf("event %+v, want a redirect failure", ev)
	}
}

func TestTestEvent_AndRedeliver_KeepTheirIDs(t *testing.T) {
	f := newFixture(t, 5)
	e, secret := f.endpoint(t, store.EventDeviceActivated)
	id, err := f.Store.SendTestWebhook(f.ctx, f.sc, store.WebhookRef{ID: e.ID, Actor: store.SystemActor(storetest.OwnerEmail)})
	if err != nil {
		t.Fatal(err)
	}
	f.run(t)
	if err := f.Store.RedeliverWebhook(f.ctx, f.sc, store.WebhookRef{ID: e.ID, Actor: store.SystemActor(storetest.OwnerEmail)}, id); err != nil {
		t.Fatal(err)
	}
	f.run(t)
	got := f.rc.requests()
	if len(got) != 2 || got[0].Type != "webhook.test" || got[1].ID != got[0].ID || !verify(secret, got[1]) {
		t.Fatalf("requests %+v", got)
	}
}
