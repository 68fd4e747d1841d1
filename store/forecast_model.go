package store

import "time"

// forecastOf runs the forecast's model (docs/renewal.md, "The forecast")
// over the products' inputs, each product against its own codes, and adds
// the products up week by week.
func forecastOf(products []*forecastProduct, start time.Time, weeks int) Forecast {
	f := newForecast(start, weeks)
	for _, p := range products {
		f.add(p, p.part(weeks))
	}
	return f
}

// newForecast is a forecast of weeks weeks from start without any product.
func newForecast(start time.Time, weeks int) Forecast {
	f := Forecast{Start: start, Weeks: make([]ForecastWeek, weeks), RunsOutWeek: -1}
	for w := range f.Weeks {
		f.Weeks[w].Start = start.AddDate(0, 0, 7*w)
	}
	return f
}

// forecastPart is a product's share of a forecast: its figures per week
// (Start left zero), the day its codes run out (-1: beyond the horizon),
// and its first connects of the rate window.
type forecastPart struct {
	weeks      []ForecastWeek
	runsOut    int
	firstCodes int64
	fresh      int64 // the rows appended to its counters since the last fold, that it was made with (forecast_parts.go)
}

// part runs the model over the product's inputs, a day at a time.
func (p *forecastProduct) part(weeks int) forecastPart {
	days := 7 * weeks
	will, wont := make([]int64, days), make([]int64, days)
	for _, e := range p.expiring {
		if p.autoRenew {
			will[e.day] += e.n
		} else {
			wont[e.day] += e.n
		}
	}
	if p.autoRenew { // with the switch off, the blacklisted are among wont already
		for _, b := range p.blacklist {
			will[b.day] -= b.n
			wont[b.day] += b.n
		}
	}
	part := forecastPart{weeks: make([]ForecastWeek, weeks), firstCodes: p.firstCodes}
	part.runsOut = p.simulate(will, wont, part.weeks)
	return part
}

// add adds a product's part to the forecast.
func (f *Forecast) add(p *forecastProduct, part forecastPart) {
	for w := range f.Weeks {
		x, y := &f.Weeks[w], part.weeks[w]
		x.WillRenew += y.WillRenew
		x.WontRenew += y.WontRenew
		x.New += y.New
		x.Left += y.Left
		x.Short += y.Short
	}
	f.FirstCodes += part.firstCodes
	runsOut := part.runsOut
	// Added in name order: the first by name of the products that run out first is the forecast's.
	f.Available += p.available
	f.Products++
	if runsOut >= 0 {
		f.ProductsShort++
		if day := f.Start.AddDate(0, 0, runsOut); f.RunsOut.IsZero() || day.Before(f.RunsOut) {
			f.RunsOut, f.RunsOutWeek, f.RunsOutProduct = day, runsOut/7, p.ForecastProduct
		}
	}
}

// simulate walks the product's days, adding its figures to weeks, and
// returns the first day its codes fall short of what the day takes (-1 when
// they last). will and wont hold the devices whose current codes expire on
// each day; a code taken on a day shorter than the horizon's remainder
// expires again within it, and renews (or not) again.
func (p *forecastProduct) simulate(will, wont []int64, weeks []ForecastWeek) int {
	days := len(will)
	runsOut := -1
	var used int64 // codes taken so far, taken or lacked
	for d := range days {
		fresh := p.newOn(d)
		if next := d + p.validity; p.validity > 0 && next < days {
			if p.autoRenew {
				will[next] += will[d] + fresh
			} else {
				wont[next] += fresh
			}
		}
		before := max(used-p.available, 0)
		used += will[d] + fresh
		short := max(used-p.available, 0)
		if short > 0 && runsOut < 0 {
			runsOut = d
		}
		w := &weeks[d/7]
		w.WillRenew += will[d]
		w.WontRenew += wont[d]
		w.New += fresh
		w.Short += short - before
		if d%7 == 6 {
			w.Left += max(p.available-used, 0)
		}
	}
	return runsOut
}

// newOn is how many new devices are expected to connect on day d: the
// first connects of the rate window spread evenly over the days, rounded
// so that the days add up to the rounded total of the period.
func (p *forecastProduct) newOn(d int) int64 {
	upTo := func(days int) int64 { return (p.firstCodes*int64(days)*2 + ForecastRateDays) / (2 * ForecastRateDays) }
	return upTo(d+1) - upTo(d)
}
