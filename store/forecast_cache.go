package store

import (
	"fmt"
	"hash/fnv"
	"sync"
	"time"
)

// The forecast of a scope reads every product's days (at 2,000 products, a
// few hundred thousand rows of the counters), so each console instance keeps
// the forecasts it made for ForecastCacheTTL (docs/renewal.md, "The
// forecast"). A forecast is made again sooner when its products change:
// a code taken or assigned, a switch turned, a product added, renamed or
// deleted. What changes no product's figures (a device blacklisted,
// deleted or lapsed) shows within ForecastCacheTTL.

// ForecastCacheTTL is how long an instance keeps a forecast whose products did not change.
const ForecastCacheTTL = time.Minute

// forecastCacheSize is how many forecasts an instance keeps at most.
const forecastCacheSize = 1000

// forecastCache holds the forecasts an instance made, by scope and query.
type forecastCache struct {
	mu      sync.Mutex
	entries map[string]forecastEntry
}

// forecastEntry is a forecast made at a moment, for products of a fingerprint.
type forecastEntry struct {
	at    time.Time
	print uint64
	f     Forecast
}

// forecastKey names a forecast: the scope, the query and its first day.
func forecastKey(sc Scope, q ForecastQuery, start time.Time) string {
	return fmt.Sprint(sc.AccountID, "/", sc.DC, "/", sc.ProductIDs == nil, sc.ProductIDs, "/", q.ProductID, "/", q.Weeks, "/", start.Unix())
}

// forecastPrint is a fingerprint of the products as a forecast reads them.
func forecastPrint(products []*forecastProduct) uint64 {
	h := fnv.New64a()
	for _, p := range products {
		fmt.Fprint(h, p.ID, "\x00", p.Name, "\x00", p.ProductKey, "\x00", p.available, "\x00", p.autoRenew, "\x00", p.validity, "\x01")
	}
	return h.Sum64()
}

// get is the forecast kept under key, when it was made less than
// ForecastCacheTTL before now for products of the same fingerprint.
func (c *forecastCache) get(key string, print uint64, now time.Time) (Forecast, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.print != print || now.Before(e.at) || now.Sub(e.at) >= ForecastCacheTTL {
		return Forecast{}, false
	}
	return e.f.clone(), true
}

// put keeps f under key; when the cache is full, the forecasts past their
// time go first, and every other if that is not enough.
func (c *forecastCache) put(key string, print uint64, now time.Time, f Forecast) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= forecastCacheSize {
		for k, e := range c.entries {
			if now.Sub(e.at) >= ForecastCacheTTL || now.Before(e.at) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= forecastCacheSize {
			c.entries = nil
		}
		if c.entries == nil {
			c.entries = map[string]forecastEntry{}
		}
	}
	c.entries[key] = forecastEntry{at: now, print: print, f: f.clone()}
}

// clone copies the forecast's slices, so that no caller changes a kept one.
func (f Forecast) clone() Forecast {
	f.Weeks = append([]ForecastWeek(nil), f.Weeks...)
	f.Products = append([]ForecastProduct(nil), f.Products...)
	return f
}
