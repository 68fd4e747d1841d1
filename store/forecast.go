package store

// The forecast of codes against renewals (docs/renewal.md, "The forecast"):
// per week ahead, the live devices whose codes expire, split into will renew
// and won't renew, the new devices the last 90 days' first connects predict,
// and the available codes left, product by product, because a product's
// codes serve only its own devices. It reads the maintained counters, never
// the devices one by one: expiry_counts (live devices per product and UTC
// day), consumption_days (first connects per product and day), the
// products' counters and the blacklisted devices, which are few. The
// overview's forecast of a scope is kept summed in forecast_sums, read
// while the parts it adds up are unchanged (forecast_sums.go), and else
// added up from the products' parts kept in forecast_parts, made again from
// the counters when they change (forecast_parts.go).

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Forecast bounds (docs/renewal.md, "The forecast").
const (
	ForecastWeeks    = 26  // the overview's horizon
	ForecastMaxWeeks = 104 // the longest horizon a caller may ask for
	ForecastRateDays = 90  // the past days whose first connects predict new devices
)

// ForecastQuery is what to forecast: one product of the scope, or every one.
type ForecastQuery struct {
	ProductID int64 // 0: every live product of the scope
	Weeks     int   // 0: ForecastWeeks
}

// ForecastWeek is one week of the forecast: seven UTC days from Start.
type ForecastWeek struct {
	Start     time.Time // 00:00 UTC of the week's first day
	WillRenew int64     // devices whose codes expire this week and will renew: each takes a code
	WontRenew int64     // devices whose codes expire this week and won't: switch off or blacklisted
	New       int64     // new devices expected to connect: each takes a code
	Left      int64     // codes available at the end of the week; never negative
	Short     int64     // codes this week's renewals and first connects lack
}

// Codes is how many codes the week takes: a code per renewal and per first connect.
func (w ForecastWeek) Codes() int64 { return w.WillRenew + w.New }

// ForecastProduct is a product of the forecast.
type ForecastProduct struct {
	ID         int64  `db:"id"`
	Name       string `db:"name"`
	ProductKey string `db:"product_key"`
}

// Forecast is the forecast of a scope (or of one product of it).
type Forecast struct {
	Start      time.Time // 00:00 UTC today: the first week's first day
	Weeks      []ForecastWeek
	Available  int64 // codes available now to the products forecast
	FirstCodes int64 // their first connects in the last ForecastRateDays days, whence New
	Products   int   // how many products are forecast (ForecastProducts lists them)
	// RunsOut is the first day on which a product's renewals and first
	// connects need more codes than it has left; zero when every product's
	// codes last beyond the horizon. RunsOutWeek is its week (-1 then), and
	// RunsOutProduct the product (the first by name of several that day).
	RunsOut        time.Time
	RunsOutWeek    int
	RunsOutProduct ForecastProduct
	ProductsShort  int // products whose codes run out within the horizon
}

// Empty tells whether there is nothing to forecast: no product, or no
// code, no device due and none expected.
func (f Forecast) Empty() bool {
	if f.Products == 0 {
		return true
	}
	for _, w := range f.Weeks {
		if w.Codes() > 0 || w.WontRenew > 0 || w.Left > 0 {
			return false
		}
	}
	return true
}

// forecastProduct is one product's inputs to the forecast.
type forecastProduct struct {
	ForecastProduct
	autoRenew  bool
	available  int64
	validity   int        // days a code lasts, counted from today; 0: no package
	firstCodes int64      // first connects in the rate window
	expiring   []dayCount // live devices by the day their codes expire
	blacklist  []dayCount // of those, the blacklisted ones
}

// dayCount is a count on a day of the forecast (0: today).
type dayCount struct {
	day int
	n   int64
}

// Forecast forecasts codes against renewals for the scope's live products,
// or for one of them (docs/renewal.md, "The forecast"). A product outside
// the scope is not found.
func (s *Store) Forecast(ctx context.Context, sc Scope, q ForecastQuery) (Forecast, error) {
	if q.Weeks == 0 {
		q.Weeks = ForecastWeeks
	}
	if q.Weeks < 1 || q.Weeks > ForecastMaxWeeks {
		return Forecast{}, fmt.Errorf("store: forecast: %d weeks, want 1..%d", q.Weeks, ForecastMaxWeeks)
	}
	now := s.Now()
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	days := 7 * q.Weeks
	var epoch int64
	if q.ProductID == 0 && q.Weeks == ForecastWeeks {
		f, e, ok, err := s.keptForecast(ctx, sc, start)
		if ok || err != nil {
			return f, err
		}
		epoch = e
	}
	// Another horizon than the kept forecast's (a product page's) decides no
	// write: it reads where the page's reads go (standbys.go).
	reads := preparedQueries{s: s}
	if q.Weeks != ForecastWeeks {
		reads = s.preparedReads(ctx)
	}
	products, err := forecastProducts(ctx, reads, sc, q.ProductID, start)
	if err != nil {
		return Forecast{}, err
	}
	if q.ProductID != 0 && len(products) == 0 {
		return Forecast{}, notFoundErr(CodeUnknownProduct, "err.no_product")
	}
	if q.Weeks != ForecastWeeks {
		// Another horizon (a product page's): one product's days, read as they are.
		if err := forecastInputs(ctx, reads, sc, products, start, days); err != nil {
			return Forecast{}, err
		}
		return forecastOf(products, start, q.Weeks), nil
	}
	if q.ProductID != 0 {
		// One product: its part.
		parts, err := s.forecastParts(ctx, sc, products, start)
		if err != nil {
			return Forecast{}, err
		}
		return sumParts(products, parts, start), nil
	}
	// The whole scope: its kept sum while current, else the sum of its
	// products' parts, then kept (forecast_sums.go).
	parts, err := s.forecastParts(ctx, sc, products, start)
	if err != nil {
		return Forecast{}, err
	}
	f := sumParts(products, parts, start)
	return f, s.keepForecastSum(ctx, sc, products, epoch, f, parts)
}

// sumParts adds up the products' parts of the ForecastWeeks weeks from start.
func sumParts(products []*forecastProduct, parts map[int64]forecastPart, start time.Time) Forecast {
	f := newForecast(start, ForecastWeeks)
	for _, p := range products {
		f.add(p, parts[p.ID])
	}
	return f
}

// forecastProducts reads the scope's live products (the one of productID
// when it is not 0), by name, with their codes, switch and validity.
func forecastProducts(ctx context.Context, q sqlx.QueryerContext, sc Scope, productID int64, start time.Time) ([]*forecastProduct, error) {
	var rows []struct {
		ID         int64  `db:"id"`
		Name       string `db:"name"`
		ProductKey string `db:"product_key"`
		AutoRenew  bool   `db:"auto_renew"`
		Available  int64  `db:"available"`
		Validity   int    `db:"validity"`
	}
	// One product is a statement of its own: planned once (prepared.go),
	// "$5 = 0 OR p.id = $5" read every product of the account for one.
	one, args := "", append(sc.args(), start)
	if productID != 0 {
		one, args = ` AND p.id = $5`, append(args, productID)
	}
	// A package's validity in whole days from today (a year is 365 or 366
	// of them); a code valid for less than a day is counted as a day.
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT p.id, p.name, p.product_key, p.auto_renew, p.available,
			CASE WHEN k.id IS NULL THEN 0 ELSE greatest(($4::date + k.validity)::date - $4::date, 1) END AS validity`+
		productFrom+`WHERE `+sc.productFilter(1)+` AND p.deleted_at IS NULL`+one+`
		ORDER BY p.name, p.id`, args...); err != nil {
		return nil, err
	}
	out := make([]*forecastProduct, len(rows))
	for i, r := range rows {
		out[i] = &forecastProduct{ForecastProduct: ForecastProduct{ID: r.ID, Name: r.Name, ProductKey: r.ProductKey},
			autoRenew: r.AutoRenew, available: r.Available, validity: r.Validity}
	}
	return out, nil
}

// forecastInputs reads what the products' forecast rests on, for days days
// from start: their devices by the day their codes expire, the blacklisted
// ones among them, and their first connects of the rate window. One
// statement: one snapshot, and one round trip and plan instead of three.
func forecastInputs(ctx context.Context, q sqlx.QueryerContext, sc Scope, products []*forecastProduct, start time.Time, days int) error {
	if len(products) == 0 {
		return nil
	}
	byID := make(map[int64]*forecastProduct, len(products))
	ids := make([]int64, len(products))
	for i, p := range products {
		byID[p.ID], ids[i] = p, p.ID
	}
	end := start.AddDate(0, 0, days)
	// Kind 0: live devices whose codes expire before the horizon's end, by
	// product and day; those already expired that the renewal worker has
	// not reached yet are due today. Kind 1: of those, the blacklisted ones:
	// an entry keeps its live device's expiry (NULL when the device is
	// lapsed, deleted or absent; migration 00021), so no device is probed.
	// Kind 2: the first connects of the rate window (day 0).
	rows, err := q.QueryxContext(ctx, `SELECT 0 AS kind, e.product_id, greatest(e.day - $2::date, 0) AS day, sum(e.devices) AS n
		FROM expiry_counts e WHERE e.product_id = ANY($1) AND e.day < $3::date GROUP BY 2, 3 HAVING sum(e.devices) <> 0
		UNION ALL
		SELECT 1, b.product_id, greatest((b.expires_at AT TIME ZONE 'UTC')::date - $2::date, 0), count(*)
		FROM blacklist b WHERE b.account_id = $4 AND b.expires_at < $5 AND b.product_id = ANY($1) GROUP BY 2, 3
		UNION ALL
		SELECT 2, c.product_id, 0, sum(c.first_codes) FROM consumption_days c
		WHERE c.product_id = ANY($1) AND c.day >= $2::date - `+itoa(ForecastRateDays)+` AND c.day < $2::date GROUP BY 2`,
		pq.Array(ids), start, end, sc.AccountID, end)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kind int
		var id int64
		var d dayCount
		if err := rows.Scan(&kind, &id, &d.day, &d.n); err != nil {
			return err
		}
		switch p := byID[id]; kind {
		case 0:
			p.expiring = append(p.expiring, d)
		case 1:
			p.blacklist = append(p.blacklist, d)
		default:
			p.firstCodes = d.n
		}
	}
	return rows.Err()
}

// ForecastProducts lists the scope's live products by name: the choices of
// the forecast's product filter.
func (s *Store) ForecastProducts(ctx context.Context, sc Scope) ([]ForecastProduct, error) {
	var out []ForecastProduct
	err := s.db.SelectContext(ctx, &out, `SELECT p.id, p.name, p.product_key FROM products p
		WHERE `+sc.productFilter(1)+` AND p.deleted_at IS NULL ORDER BY p.name, p.id`, sc.args()...)
	return out, err
}
