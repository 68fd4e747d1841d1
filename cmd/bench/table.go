package main

import (
	"fmt"
	"strings"
	"time"

	"activation-console/store"
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
	ran := cfg.ran
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("Measured %s on %s: %d cores, %s memory, %s; load average %s at the start, %s at the end.\n",
		r.started.UTC().Format("2006-01-02 15:04 MST"), r.server, r.cores, r.memory, r.database, r.load, r.loadEnd)
	w("Large account: %s products, %s devices (%s waiting, %s lapsed), %s activations, %s blacklisted, %s assignments; largest product %s.\n\n",
		num(float64(r.seed.Products)), num(float64(r.seed.Devices)), num(float64(r.seed.Waiting)), num(float64(r.seed.Lapsed)),
		num(float64(r.seed.Activations)), num(float64(r.seed.Blacklisted)), num(float64(r.seed.Assignments)), r.bigProduct)
	w("Server settings (the console, its renewals and seed, and pgbench all ran with them): %s.\n\n", r.settings)
	if sb := r.standby; len(sb.pages) > 0 {
		w("Standby (the rows \"reads on the standby\"): a streaming standby of that server, made in the same run with pg_basebackup (%.1f GB copied in %s) "+
			"and run by %s on this machine, read by a second `console serve` with DATABASE_REPLICA_URL on it; its settings: %s.\n\n",
			float64(sb.copied)/1e9, sb.backupTook.Round(time.Second), sb.programs, sb.settings)
	}
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
	for _, c := range r.charts {
		w("| Chart alone: %s, one request at a time (in-process) | p50 %s, p99 %s (%d requests) | | | ≤ %s of server time | %s |\n",
			c.name, ms(c.p50), ms(c.p99), c.requests, ms(chartTarget), yes(c.p50 <= chartTarget))
	}
	if ran("connect") {
		r.connectRows(w, cfg)
	} else {
		w("| `console verify` after the run | %d ledger violations | | | none | %s |\n", len(r.violations), yes(len(r.violations) == 0))
	}
	if ran("standby") {
		r.standbyRows(w, cfg)
	}
	if ran("renewal") {
		r.renewalRows(w, cfg)
	}
	if ran("export") {
		exportRate := float64(r.exportRows) / r.exportTook.Seconds()
		w("| CSV export of %s devices of one product | %s rows/s (%s) | console RSS %s before, peak %s during | | ≥ 300,000 rows/s, flat memory | %s |\n",
			num(float64(r.exportRows)), num(exportRate), r.exportTook.Round(time.Millisecond), mib(r.exportRSSBefore), mib(r.exportRSSPeak),
			yes(exportRate >= exportRateTarget && r.exportRSSPeak-r.exportRSSBefore < 50*1024))
	}
	if ran("pages") || ran("connect") {
		peak := max(r.rssPages, r.rssConnect)
		w("| Console resident memory under the page and connect load | peak %s (pages %s, connect %s) | | | ≤ 150 MB | %s |\n",
			mib(peak), mib(r.rssPages), mib(r.rssConnect), yes(peak <= residentTargetMiB*1000*1000/1024))
	}
	return b.String()
}

// connectRows are the connect API's rows beside pgbench, and the oversell check.
func (r *results) connectRows(w func(string, ...any), cfg config) {
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
}

// renewalRows are the renewal worker's rows, without and with webhooks.
func (r *results) renewalRows(w func(string, ...any), cfg config) {
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
}

// standbyRows are the rows of the standby phase: each page and the valid
// connects read on the standby, beside the same without it, and the
// standby's lag and the console's fallbacks during those runs; or why there
// was no standby.
func (r *results) standbyRows(w func(string, ...any), cfg config) {
	sb := r.standby
	if sb.skipped != "" {
		w("| Pages and valid connects with their reads on a streaming standby | **skipped**: %s | | | | **no** |\n", strings.ReplaceAll(sb.skipped, "|", "\\|"))
		return
	}
	if len(sb.pages) == 0 {
		return
	}
	for _, p := range sb.pages {
		s, q := p.standby, p.primary
		ratio := float64(s.p99) / float64(max(q.p99, time.Microsecond))
		w("| Page: %s (reads on the standby) | p50 %s, p99 %s (client p99 %s, /metrics p99 ≈ %s; %d requests, %d errors) | without the standby: p50 %s, p99 %s | %.2fx | p99 ≤ 50 ms | %s |\n",
			s.name, ms(s.p50), ms(s.p99), ms(s.clientP99), ms(time.Duration(s.metricsP99*float64(time.Second))), s.requests, s.errors,
			ms(q.p50), ms(q.p99), ratio, yes(s.p99 <= pageP99Target && s.errors == 0))
	}
	v, pv := sb.valid, sb.primaryValid
	ofSelect := v.rps / r.pgbenchSelect.tps
	met, target := "", "≥ 0.5x pgbench -S"
	if r.pgbenchSelect.tps > 0 {
		met = fmt.Sprintf("%s (%.2fx pgbench -S)", yes(ofSelect >= validRatioTarget && v.errors == 0), ofSelect)
	} else {
		target, met = "no errors", yes(v.errors == 0)
	}
	w("| Connect API, %d clients, devices whose code is valid (reads on the standby) | %s req/s, p99 %s (%s valid, %d errors) | without the standby: %s req/s, p99 %s | %.2fx | %s | %s |\n",
		cfg.clients, num(v.rps), ms(v.p99), num(float64(v.valid)), v.errors, num(pv.rps), ms(pv.p99), v.rps/max(pv.rps, 1e-9), target, met)
	var falls []string
	total := 0.0
	for _, reason := range []string{store.FallbackDown, store.FallbackNotStandby, store.FallbackLag, store.FallbackOwnWrites} {
		falls = append(falls, fmt.Sprintf("%s %s", reason, num(sb.fallbacks[reason])))
		total += sb.fallbacks[reason]
	}
	w("| The standby during those runs | replay lag at most %s (%s bytes of WAL behind at most; the console's `console_db_standby_lag_seconds` at most %s) | %s transactions on the standby | | reads on the standby, none falling back | %s (fallbacks to the primary: %s) |\n",
		ms(sb.lag.replay), num(float64(sb.lag.bytes)), ms(time.Duration(sb.lag.console*float64(time.Second))), num(float64(sb.transactions)),
		yes(total == 0 && sb.transactions > 0), strings.Join(falls, ", "))
}
