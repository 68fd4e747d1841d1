package main

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"activation-console/handlers/routenames"
	"activation-console/store"
)

// page is one console page the bench measures.
type page struct {
	name  string
	path  string
	htmx  bool   // requested as htmx does (the results fragment)
	route string // the route's name (routenames), whose pattern /metrics labels
	zone  string // the viewer's time zone while the page is measured; "" the owner's own (UTC)
	chart bool   // the request reads a chart's data and nothing else: also timed alone (charts.go)
}

// pageResult is what the bench measured of a page.
type pageResult struct {
	page
	requests            int
	p50, p99, clientP99 time.Duration
	metricsP99          float64 // seconds, estimated from the /metrics histogram
	sqlP50, sqlP99      time.Duration
	statements          int
	errors              int
	slowestPlan         string
	slowestStatementMs  float64
}

// largeAccountPages lists the pages measured on the seeded account: the
// largest product's details first and 1,000 pages deep, and the near-expiry
// list with each of its filters.
func largeAccountPages(ctx context.Context, st *store.Store, accountID int64, dc string) ([]page, string, error) {
	sc := store.Scope{AccountID: accountID, DC: dc}
	var big int64
	if err := st.DB().GetContext(ctx, &big, `SELECT product_id FROM devices WHERE account_id = $1 AND deleted_at IS NULL
		GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`, accountID); err != nil {
		return nil, "", err
	}
	prod, err := st.ScopedProduct(ctx, sc, big)
	if err != nil {
		return nil, "", err
	}
	// Walk to page 1,000 of its devices (or its last page, on a small seed).
	var cursor string
	depth := 1
	for ; depth < 1000; depth++ {
		p, err := st.ProductDevices(ctx, sc, prod, store.DeviceFilter{}, store.PageRequest{After: cursor})
		if err != nil {
			return nil, "", err
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	codes, err := st.ProductCodes(ctx, sc, store.ProductCodesFilter{}, store.PageRequest{})
	if err != nil {
		return nil, "", err
	}
	// A DeviceKey prefix a person would type: the product's prefix and five more characters.
	var dk string
	if err := st.DB().GetContext(ctx, &dk, `SELECT left(device_key, length(split_part(device_key, '-', 1)) + 5)
		FROM devices WHERE product_id = $1 AND expires_at IS NOT NULL ORDER BY id LIMIT 1`, big); err != nil {
		return nil, "", err
	}
	now := time.Now().UTC()
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return "?" + v.Encode()
	}
	overview, product, near := reverse(dc, routenames.Overview), reverse(dc, routenames.ProductDetails, big), reverse(dc, routenames.NearExpiry)
	pages := []page{
		{name: "Overview (figures + chart + product list)", path: overview, route: routenames.Overview},
		// The chart of codes against renewals alone: its CSV reads the forecast and nothing else.
		// No instance keeps a forecast: each request reads the scope's sum kept in the database
		// (forecast_sums) while current, else adds up the products' parts (forecast_parts); the
		// worker or the warm-up request makes them.
		{name: "Overview chart: codes against renewals (its CSV)", path: reverse(dc, routenames.ForecastCSV), route: routenames.ForecastCSV, chart: true},
		{name: "Overview, chart of the largest product", path: overview + q("product", fmt.Sprint(big)), route: routenames.Overview},
		{name: "Overview chart of the largest product (its CSV)", path: reverse(dc, routenames.ForecastCSV) + q("product", fmt.Sprint(big)),
			route: routenames.ForecastCSV, chart: true},
		{name: "Product list, next page (htmx)", path: overview + q("after", codes.Next), htmx: true, route: routenames.Overview},
		{name: "Product list, search (htmx)", path: overview + q("q", "meter"), htmx: true, route: routenames.Overview},
		{name: "Product details, first page", path: product, route: routenames.ProductDetails},
		{name: fmt.Sprintf("Product details, page %s", num(float64(depth))), path: product + q("after", cursor), route: routenames.ProductDetails},
		// The reads of the product page's consumption chart alone (history and forecast), as its CSV.
		{name: "Product consumption chart (its CSV)", path: reverse(dc, routenames.ProductConsumptionCSV, big), route: routenames.ProductConsumptionCSV, chart: true},
		{name: "Near-expiry", path: near, route: routenames.NearExpiry},
		{name: "Near-expiry, product search", path: near + q("product", "water"), route: routenames.NearExpiry},
		{name: "Near-expiry, DK search (" + dk + ")", path: near + q("dk", dk), route: routenames.NearExpiry},
		{name: "Near-expiry, activated in the last 2 years", path: near + q("activated_from", day(now.AddDate(-2, 0, 0)), "activated_to", day(now)), route: routenames.NearExpiry},
		{name: "Near-expiry, expiring in 7 days", path: near + q("expires_from", day(now), "expires_to", day(now.AddDate(0, 0, 7))), route: routenames.NearExpiry},
		// The chart's read alone (the page above reads it too): 31 days' counts by outlook. Its
		// days are the viewer's: in UTC the counters' own; at UTC+8 a third of each is counted.
		{name: "Near-expiry chart CSV", path: reverse(dc, routenames.NearExpiryChartCSV), route: routenames.NearExpiryChartCSV, chart: true},
		{name: "Near-expiry chart CSV, viewer at UTC+8", path: reverse(dc, routenames.NearExpiryChartCSV), route: routenames.NearExpiryChartCSV,
			zone: "Asia/Shanghai", chart: true},
		{name: "Assignment history", path: reverse(dc, routenames.AssignmentHistory), route: routenames.AssignmentHistory},
		{name: "Audit log", path: reverse(dc, routenames.Audit), route: routenames.Audit},
	}
	return pages, fmt.Sprintf("%s (%s devices)", prod.Name, num(float64(prod.Consumed))), nil
}

// measurePage runs users browsers against a page for d and collects the
// timings after a warm-up.
func measurePage(ctx context.Context, users []*browser, p page, d time.Duration) (pageResult, error) {
	r := pageResult{page: p}
	var mu sync.Mutex
	var server, client []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	for _, b := range users {
		if _, err := b.get(p.path, p.htmx); err != nil { // warm-up, and a check that the page answers
			return r, err
		}
	}
	deadline := time.Now().Add(d)
	for _, b := range users {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t, err := b.get(p.path, p.htmx)
				mu.Lock()
				if err != nil {
					r.errors++
					if firstErr == nil {
						firstErr = err
					}
				} else {
					server, client = append(server, t.server), append(client, t.client)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r.requests = len(server)
	r.p50, r.p99, r.clientP99 = percentile(server, 0.5), percentile(server, 0.99), percentile(client, 0.99)
	if r.requests == 0 {
		return r, firstErr
	}
	return r, nil
}

// measureSQL serves the page n times per user in-process, users at once, and
// keeps the raw SQL time of each request.
func measureSQL(users []*explainedUser, p page, n int) (p50, p99 time.Duration, statements int, slowestMs float64, plan string, err error) {
	var mu sync.Mutex
	var sums []time.Duration
	var wg sync.WaitGroup
	for _, u := range users {
		u.serve(p.path, p.htmx) // warm-up
		u.mu.Lock()
		u.slowest, u.plan = 0, ""
		u.mu.Unlock()
		wg.Go(func() {
			for range n {
				sum, k, code := u.serve(p.path, p.htmx)
				mu.Lock()
				if code != 200 && err == nil {
					err = fmt.Errorf("in-process %s: status %d", p.path, code)
				}
				sums = append(sums, sum)
				statements = k
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	var slowest time.Duration
	for _, u := range users {
		if u.slowest > slowest {
			slowest, plan = u.slowest, u.plan
		}
	}
	return percentile(sums, 0.5), percentile(sums, 0.99), statements, float64(slowest) / float64(time.Millisecond), plan, err
}

// viewerZone sets the large account owner's time zone to zone for a page's
// measurement; restore sets it back.
func viewerZone(ctx context.Context, st *store.Store, zone string) (restore func() error, err error) {
	if zone == "" {
		return func() error { return nil }, nil
	}
	var was string
	if err := st.DB().GetContext(ctx, &was, `SELECT time_zone FROM users WHERE email = $1`, largeOwner); err != nil {
		return nil, err
	}
	set := func(z string) error {
		_, err := st.DB().ExecContext(ctx, `UPDATE users SET time_zone = $2 WHERE email = $1`, largeOwner, z)
		return err
	}
	return func() error { return set(was) }, set(zone)
}
