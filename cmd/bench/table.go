package main

import (
	"fmt"
	"strings"
	"time"
)

// The performance targets (docs/running.md, "Benchmarks"; issue 16), on
// this 2-core machine.
const (
	pageP99Target     = 50 * time.Millisecond
	pageRatioTarget   = 2.0
	manyRatioTarget   = 0.5
	hotRatioTarget    = 0.5
	validRatioTarget  = 0.5 // of pgbench -S
	renewalsTarget    = 20_000.0
	exportRateTarget  = 300_000.0
	residentTargetMiB = 150
	seedTarget        = 120 * time.Second
)

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// table renders the results as one Markdown table with its heading.
func (r *results) table(cfg config) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("Measured %s on %s: %d cores, %s memory, %s; load average %s at the start, %s at the end.\n",
		r.started.UTC().Format("2006-01-02 15:04 MST"), r.server, r.cores, r.memory, r.database, r.load, r.loadEnd)
	w("Large account: %s products, %s devices (%s waiting, %s lapsed), %s activations, %s blacklisted, %s assignments; largest product %s.\n\n",
		num(float64(r.seed.Products)), num(float64(r.seed.Devices)), num(float64(r.seed.Waiting)), num(float64(r.seed.Lapsed)),
		num(float64(r.seed.Activations)), num(float64(r.seed.Blacklisted)), num(float64(r.seed.Assignments)), r.bigProduct)
	w("Server settings (the console, its renewals and seed, and pgbench all ran with them): %s.\n\n", r.settings)
	w("| Measure | Result | Beside it | Ratio | Target | Met |\n| --- | --- | --- | --- | --- | --- |\n")
	if r.seedTook > 0 {
		w("| Seed: %s devices, %s products (`console seed`) | %s | (one product of %s devices: %s) | | ≤ 120 s | %s |\n",
			num(float64(cfg.devices)), num(float64(cfg.products)), r.seedTook.Round(time.Second),
			num(float64(cfg.csvDevices)), r.exportSeedTook.Round(time.Second), yes(r.seedTook < seedTarget))
	}
	for _, p := range r.pages {
		ratio := float64(p.p99) / float64(max(p.sqlP99, time.Microsecond))
		w("| Page: %s | p50 %s, p99 %s (client p99 %s, /metrics p99 ≈ %s; %d requests) | SQL p50 %s, p99 %s (%d statements) | %.1fx | p99 ≤ 50 ms, ≤ 2x SQL | %s |\n",
			p.name, ms(p.p50), ms(p.p99), ms(p.clientP99), ms(time.Duration(p.metricsP99*float64(time.Second))), p.requests,
			ms(p.sqlP50), ms(p.sqlP99), p.statements, ratio, yes(p.p99 <= pageP99Target && ratio <= pageRatioTarget))
	}
	pg := fmt.Sprintf("`%s`: %s tps, p99 %s", r.pgbench.command, num(r.pgbench.tps), ms(r.pgbench.p99))
	manyRatio, hotRatio := r.many.rps/r.pgbench.tps, r.hot.rps/r.pgbench.tps
	w("| Connect API, %d clients, new devices over many products | %s req/s, p99 %s (%s activated, %s refused, %d errors) | %s | %.2fx | ≥ 0.5x pgbench | %s |\n",
		cfg.clients, num(r.many.rps), ms(r.many.p99), num(float64(r.many.activated)), num(float64(r.many.refused)), r.many.errors, pg, manyRatio,
		yes(manyRatio >= manyRatioTarget && r.many.errors == 0))
	w("| Connect API, %d clients, new devices of one hot product | %s req/s, p99 %s (%s activated, %d errors) | %s | %.2fx | ≥ 0.5x pgbench | %s |\n",
		cfg.clients, num(r.hot.rps), ms(r.hot.p99), num(float64(r.hot.activated)), r.hot.errors, pg, hotRatio,
		yes(hotRatio >= hotRatioTarget && r.hot.errors == 0))
	pgS := fmt.Sprintf("`%s`: %s tps, p99 %s", r.pgbenchSelect.command, num(r.pgbenchSelect.tps), ms(r.pgbenchSelect.p99))
	validRatio := r.valid.rps / r.pgbenchSelect.tps
	w("| Connect API, %d clients, devices whose code is valid (nothing consumed) | %s req/s, p99 %s (%s valid, %d errors) | %s | %.2fx | ≥ 0.5x pgbench -S | %s |\n",
		cfg.clients, num(r.valid.rps), ms(r.valid.p99), num(float64(r.valid.valid)), r.valid.errors, pgS, validRatio,
		yes(validRatio >= validRatioTarget && r.valid.errors == 0))
	oversold := r.scarce.activated != r.scarceCodes || r.scarceConsumed != int64(r.scarceCodes) || len(r.violations) > 0
	w("| Oversell: %d clients, %s connects for %d codes; then `console verify` | %d activated, %d refused; product consumed %d; %d ledger violations | | | zero oversell | %s |\n",
		cfg.clients, num(float64(r.scarce.requests)), r.scarceCodes, r.scarce.activated, r.scarce.refused, r.scarceConsumed, len(r.violations), yes(!oversold))
	rate := float64(r.renewal.Renewed) / r.renewalTook.Seconds()
	handled := max(1, r.renewal.Renewed+r.renewal.Lapsed+r.renewal.Swept)
	w("| Renewal worker: %s simultaneous expiries | %s renewals/s (%s renewed, %s lapsed in %s) | %s bytes of WAL per expiry | | ≥ 20,000/s | %s |\n",
		num(float64(cfg.renewals)), num(rate), num(float64(r.renewal.Renewed)), num(float64(r.renewal.Lapsed)), r.renewalTook.Round(time.Millisecond),
		num(float64(r.renewalWAL)/float64(handled)), yes(rate >= renewalsTarget))
	// Both rows are the better of two passes over windows of as many
	// expiries (benchRenewal); their mixes of renewals and lapses differ, so
	// they compare by time per device handled.
	hooksRate := float64(r.renewalHooks.Renewed) / r.renewalHooksTook.Seconds()
	slower := 100 * (float64(perDevice(r.renewalHooksTook, r.renewalHooks))/float64(perDevice(r.renewalTook, r.renewal)) - 1)
	w("| Renewal worker with a webhook endpoint (renewed, lapsed): %s simultaneous expiries | %s renewals/s (%s renewed, %s lapsed in %s; %s events written) | %s per device handled, against %s without | | ≤ 20 %% slower than without | %s (%.0f %% slower) |\n",
		num(float64(cfg.renewals)), num(hooksRate), num(float64(r.renewalHooks.Renewed)), num(float64(r.renewalHooks.Lapsed)),
		r.renewalHooksTook.Round(time.Millisecond), num(float64(r.hookEvents)),
		perDevice(r.renewalHooksTook, r.renewalHooks), perDevice(r.renewalTook, r.renewal), yes(slower <= 20), slower)
	exportRate := float64(r.exportRows) / r.exportTook.Seconds()
	w("| CSV export of %s devices of one product | %s rows/s (%s) | console RSS %s before, peak %s during | | ≥ 300,000 rows/s, flat memory | %s |\n",
		num(float64(r.exportRows)), num(exportRate), r.exportTook.Round(time.Millisecond), mib(r.exportRSSBefore), mib(r.exportRSSPeak),
		yes(exportRate >= exportRateTarget && r.exportRSSPeak-r.exportRSSBefore < 50*1024))
	peak := max(r.rssPages, r.rssConnect)
	w("| Console resident memory under the page and connect load | peak %s (pages %s, connect %s) | | | ≤ 150 MB | %s |\n",
		mib(peak), mib(r.rssPages), mib(r.rssConnect), yes(peak <= residentTargetMiB*1000*1000/1024))
	return b.String()
}
