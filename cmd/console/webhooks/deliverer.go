// Package webhooks delivers the webhook outbox (docs/webhooks.md,
// "Delivery"): it claims due events, signs each the Standard Webhooks way
// and POSTs it, with short timeouts and only to addresses the guard
// allows, and records how it went, as store/webhook_outbox.go describes:
// at least once, in order per device, each event by one deliverer however
// many console instances run.
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"activation-console/store"
)

// The timeouts of one delivery: a slow or dead endpoint holds a deliverer
// for at most Timeout.
const (
	DialTimeout    = 5 * time.Second
	DefaultTimeout = 10 * time.Second
)

// Deliverer claims and posts webhook events.
type Deliverer struct {
	Store       *store.Store
	Client      *http.Client                // nil: NewClient(Store.WebhookGuard(), Timeout)
	Render      store.WebhookMailRenderer   // the owner's mail when an endpoint is disabled; nil: no mail
	Log         *slog.Logger                // nil: slog.Default()
	Concurrency int                         // events in flight at once; default 16
	Timeout     time.Duration               // one POST, connection included; default DefaultTimeout
	Lease       time.Duration               // a claim older than this is taken for dead; default 2 min
	Poll        time.Duration               // how often Run looks for work when idle; default 1 s
	Now         func() time.Time            // the webhook-timestamp's clock; default time.Now
	token       string                      // names this deliverer's claims
	once        sync.Once                   //
	afterPost   func(store.WebhookJob) bool // in tests: false stops before the mark, as a crash would
}

func (d *Deliverer) init() {
	d.once.Do(func() {
		d.token = store.NewClaimToken()
		if d.Timeout <= 0 {
			d.Timeout = DefaultTimeout
		}
		if d.Client == nil {
			d.Client = NewClient(d.Store.WebhookGuard(), d.Timeout)
		}
		if d.Log == nil {
			d.Log = slog.Default()
		}
		if d.Concurrency <= 0 {
			d.Concurrency = 16
		}
		if d.Lease <= 0 {
			d.Lease = 2 * time.Minute
		}
		if d.Poll <= 0 {
			d.Poll = time.Second
		}
		if d.Now == nil {
			d.Now = time.Now
		}
	})
}

// NewClient is the HTTP client of deliveries: it connects only to the
// addresses the guard allows (checked on the address dialled, so DNS
// rebinding cannot lead it elsewhere), through no proxy, follows no
// redirect, and gives up after timeout.
func NewClient(g store.WebhookGuard, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: DialTimeout, Control: g.Control}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   DialTimeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   store.WebhookEndpointInFlight,
			IdleConnTimeout:       time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Sign is the webhook-signature entry of one secret (whsec_ and base64)
// for the message id, timestamp and body: "v1," and the base64 of
// HMAC-SHA256 over "id.timestamp.body".
func Sign(secret, id string, ts int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", fmt.Errorf("webhooks: secret: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, ts)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Run delivers until ctx is cancelled: it claims as many events as it has
// free slots, posts each in its own goroutine, and claims again as slots
// free up. A POST under way when ctx ends is finished and recorded.
func (d *Deliverer) Run(ctx context.Context) {
	d.init()
	slots := make(chan struct{}, d.Concurrency)
	freed := make(chan struct{}, d.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	ticker := time.NewTicker(d.Poll)
	defer ticker.Stop()
	lastRecover := time.Time{}
	for ctx.Err() == nil {
		if time.Since(lastRecover) > d.Lease/4 {
			if n, err := d.Store.RecoverWebhooks(ctx, d.Lease); err != nil && ctx.Err() == nil {
				d.Log.Error("webhook leases: recovery failed; trying again shortly", "err", err)
			} else if n > 0 {
				d.Log.Warn("webhook events left in delivery by a deliverer that stopped go again, with the same id", "count", n)
			}
			lastRecover = time.Now()
		}
		claimed := 0
		if free := d.Concurrency - len(slots); free > 0 {
			jobs, err := d.Store.ClaimWebhooks(ctx, d.token, free)
			if err != nil && ctx.Err() == nil {
				d.Log.Error("webhook claim failed; trying again shortly", "err", err)
			}
			claimed = len(jobs)
			for _, j := range jobs {
				slots <- struct{}{}
				wg.Go(func() {
					defer func() {
						<-slots
						select {
						case freed <- struct{}{}:
						default:
						}
					}()
					d.deliver(context.WithoutCancel(ctx), j)
				})
			}
		}
		if claimed > 0 && len(slots) < d.Concurrency {
			continue // more may be due at once
		}
		select {
		case <-ctx.Done():
		case <-ticker.C:
		case <-freed:
		}
	}
}

// Stats counts what RunOnce did.
type Stats struct{ Delivered, Retrying, Failed, Disabled int }

// RunOnce recovers dead leases and delivers every event due now, until
// none is left, Concurrency at a time.
func (d *Deliverer) RunOnce(ctx context.Context) (Stats, error) {
	d.init()
	var st Stats
	if _, err := d.Store.RecoverWebhooks(ctx, d.Lease); err != nil {
		return st, err
	}
	var mu sync.Mutex
	for ctx.Err() == nil {
		jobs, err := d.Store.ClaimWebhooks(ctx, d.token, d.Concurrency)
		if err != nil || len(jobs) == 0 {
			return st, err
		}
		var wg sync.WaitGroup
		for _, j := range jobs {
			wg.Go(func() {
				r := d.deliver(ctx, j)
				mu.Lock()
				defer mu.Unlock()
				switch r.status {
				case store.WebhookDelivered:
					st.Delivered++
				case store.WebhookPending:
					st.Retrying++
				case store.WebhookFailed:
					st.Failed++
				}
				if r.disabled {
					st.Disabled++
				}
			})
		}
		wg.Wait()
	}
	return st, ctx.Err()
}

type outcome struct {
	status   string // "" when it was not recorded
	disabled bool
}

// deliver posts one claimed event and records how it went.
func (d *Deliverer) deliver(ctx context.Context, j store.WebhookJob) outcome {
	a := d.post(ctx, j)
	if d.afterPost != nil && !d.afterPost(j) {
		return outcome{}
	}
	if a.Status >= 200 && a.Status < 300 {
		if err := d.Store.WebhookDelivered(ctx, j, d.token, a); err != nil {
			d.Log.Error("webhook delivered but not recorded; its lease will send it again, with the same id", "event", j.ID, "err", err)
			return outcome{}
		}
		return outcome{status: store.WebhookDelivered}
	}
	status, disabled, err := d.Store.WebhookFailed(ctx, j, d.token, a, d.Render)
	if err != nil {
		d.Log.Error("webhook failure not recorded; its lease will send it again", "event", j.ID, "err", err)
		return outcome{}
	}
	if disabled {
		d.Log.Warn("webhook endpoint failed for a day: disabled, and its owner told", "endpoint", j.EndpointID, "url", j.URL)
	}
	return outcome{status: status, disabled: disabled}
}

// The reasons an attempt failed, as kept in the delivery log (the page words them).
const (
	FailStatus    = "status"    // the endpoint answered, but not with a 2xx
	FailRedirect  = "redirect"  // it answered with a redirect, which is not followed
	FailTimeout   = "timeout"   // no answer within the timeout
	FailForbidden = "forbidden" // its address is private or reserved
	FailConnect   = "connect"   // no connection (refused, unreachable, unknown name, TLS)
)

// post sends the event once and says how it went.
func (d *Deliverer) post(ctx context.Context, j store.WebhookJob) store.WebhookAttempt {
	var a store.WebhookAttempt
	body, err := j.Body()
	if err != nil {
		a.Error = FailConnect
		return a
	}
	ts := d.Now().Unix()
	id := j.MessageID()
	var sigs []string
	for _, secret := range []*string{&j.Secret, j.PreviousSecret} {
		if secret == nil {
			continue
		}
		sig, err := Sign(*secret, id, ts, body)
		if err != nil {
			d.Log.Error("webhook secret unusable", "endpoint", j.EndpointID, "err", err)
			continue
		}
		sigs = append(sigs, sig)
	}
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = FailConnect
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "activation-console-webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", strings.Join(sigs, " "))
	start := time.Now()
	resp, err := d.Client.Do(req)
	if err != nil {
		a.Latency = time.Since(start)
		a.Error = failReason(err)
		d.Log.Info("webhook not delivered", "event", j.ID, "endpoint", j.EndpointID, "err", err)
		return a
	}
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, store.WebhookResponseExcerpt))
	resp.Body.Close()
	a.Latency, a.Status, a.Response = time.Since(start), resp.StatusCode, strings.ReplaceAll(strings.ToValidUTF8(string(excerpt), ""), "\x00", "")
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Error = FailRedirect
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		a.Error = FailStatus
	}
	return a
}

func failReason(err error) string {
	var ne net.Error
	switch {
	case store.IsForbiddenAddr(err):
		return FailForbidden
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return FailTimeout
	}
	return FailConnect
}
