package store

// The product page's consumption history (docs/pages.md, "4. A product's
// details"): per calendar month of the last ConsumptionMonths, the codes
// the product's first activations and its renewals consumed, and the codes
// assigned to it in all by the month's end; and the day the forecast
// (forecast.go) sees its codes run out. The months are UTC months, as
// consumption_days keeps UTC days: a month is about thirty of its rows, and
// no request reads the activations one by one. The assignments of a product
// are few (one row each).

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// ConsumptionMonths is how many calendar months the history covers, the
// current one (so far) last.
const ConsumptionMonths = 24

// ConsumptionMonth is one calendar month (UTC) of a product's history.
type ConsumptionMonth struct {
	Start    time.Time // 00:00 UTC on the month's first day
	First    int64     // codes consumed by first activations
	Renewals int64     // codes consumed by renewals, automatic and by hand
	Assigned int64     // codes assigned to the product in all, up to the month's end (for the current month, up to now)
}

// Codes is the codes consumed in the month.
func (m ConsumptionMonth) Codes() int64 { return m.First + m.Renewals }

// ConsumptionForecastWeeks is the horizon of the product page's forecast.
const ConsumptionForecastWeeks = 52

// ProductConsumption is a product's consumption history and the forecast's
// day its codes run out (docs/renewal.md, "The forecast").
type ProductConsumption struct {
	Product Product
	Months  []ConsumptionMonth // ConsumptionMonths of them, oldest first
	// RunsOut is the day (UTC) the forecast's renewals and first connects
	// need more codes than the product has left; zero when its codes last
	// to Horizon, the forecast's last day.
	RunsOut, Horizon time.Time
	// The forecast's inputs, for its assumption: the codes available now,
	// and the first activations of the last RateDays days, whose rate new
	// devices are expected to keep.
	Available, RecentFirst int64
	RateDays               int
}

// Codes is the codes consumed in the months shown.
func (c ProductConsumption) Codes() int64 {
	var n int64
	for _, m := range c.Months {
		n += m.Codes()
	}
	return n
}

// FirstCodes is the codes first activations consumed in the months shown.
func (c ProductConsumption) FirstCodes() int64 {
	var n int64
	for _, m := range c.Months {
		n += m.First
	}
	return n
}

// Empty tells whether the product has had neither a code assigned nor one
// consumed in the months shown.
func (c ProductConsumption) Empty() bool {
	for _, m := range c.Months {
		if m.Codes() > 0 || m.Assigned > 0 {
			return false
		}
	}
	return true
}

// consumptionStart is the first month of the history that ends with the
// month of now (UTC).
func consumptionStart(now time.Time) time.Time {
	now = now.UTC()
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1-ConsumptionMonths, 0)
}

// ProductConsumption reads the consumption history of a product of the
// scope; any other is not found.
func (s *Store) ProductConsumption(ctx context.Context, sc Scope, id int64) (ProductConsumption, error) {
	p, err := s.ScopedProduct(ctx, sc, id)
	if err != nil {
		return ProductConsumption{}, err
	}
	return s.ProductConsumptionOf(ctx, sc, p)
}

// ProductConsumptionOf is ProductConsumption of p, a product the caller has
// just read from the scope (ScopedProduct, ProductDetails).
func (s *Store) ProductConsumptionOf(ctx context.Context, sc Scope, p Product) (ProductConsumption, error) {
	out, err := s.productConsumption(ctx, s.preparedReads(ctx), p)
	if err != nil {
		return ProductConsumption{}, err
	}
	// The run-out day is the forecast's, not a model of this page's own.
	f, err := s.Forecast(ctx, sc, ForecastQuery{ProductID: p.ID, Weeks: ConsumptionForecastWeeks})
	if err != nil {
		return ProductConsumption{}, err
	}
	out.RunsOut, out.Horizon = f.RunsOut, f.Start.AddDate(0, 0, 7*ConsumptionForecastWeeks-1)
	out.Available, out.RecentFirst, out.RateDays = f.Available, f.FirstCodes, ForecastRateDays
	return out, nil
}

// productConsumption reads the history of p, a product of the scope. One
// statement, so that the consumption and the assignments are of one moment.
func (s *Store) productConsumption(ctx context.Context, q sqlx.QueryerContext, p Product) (ProductConsumption, error) {
	start := consumptionStart(s.Now())
	end := start.AddDate(0, ConsumptionMonths, 0)
	var rows []struct {
		Month    time.Time `db:"month"`
		First    int64     `db:"first"`
		Renewals int64     `db:"renewals"`
		Assigned int64     `db:"assigned"`
	}
	// The assignments before the first month count in it: the line starts
	// at what the product had been assigned by then.
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT month, sum(first)::bigint AS first, sum(renewals)::bigint AS renewals,
			sum(assigned)::bigint AS assigned
		FROM (
			SELECT date_trunc('month', c.day)::date AS month, c.first_codes AS first, c.codes - c.first_codes AS renewals, 0 AS assigned
			FROM consumption_days c WHERE c.product_id = $1 AND c.day >= $2::date AND c.day < $3::date
			UNION ALL
			SELECT greatest(date_trunc('month', a.created_at AT TIME ZONE 'UTC')::date, $2::date), 0, 0, a.quantity
			FROM assignments a WHERE a.product_id = $1 AND a.created_at < $3
		) x GROUP BY month`, p.ID, start, end)
	if err != nil {
		return ProductConsumption{}, err
	}
	out := ProductConsumption{Product: p, Months: make([]ConsumptionMonth, ConsumptionMonths)}
	index := make(map[time.Time]int, ConsumptionMonths)
	for i := range out.Months {
		out.Months[i].Start = start.AddDate(0, i, 0)
		index[out.Months[i].Start] = i
	}
	assigned := make([]int64, ConsumptionMonths)
	for _, r := range rows {
		i, ok := index[time.Date(r.Month.Year(), r.Month.Month(), 1, 0, 0, 0, 0, time.UTC)]
		if !ok {
			continue
		}
		out.Months[i].First, out.Months[i].Renewals, assigned[i] = r.First, r.Renewals, r.Assigned
	}
	var total int64
	for i := range out.Months {
		total += assigned[i]
		out.Months[i].Assigned = total
	}
	return out, nil
}
