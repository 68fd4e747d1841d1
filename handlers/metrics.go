package handlers

// Metrics for Prometheus at GET /metrics: request durations per route, the
// database pool, the renewal worker, the outbox and the standbys. The endpoint carries no
// account data and is not signed in; bind the console (--addr) where only
// the scraper reaches it, like every other route.

import (
	"context"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"activation-console/store"
)

// durationBuckets resolve around the pages' target of 50 ms.
var durationBuckets = []float64{.001, .0025, .005, .0075, .01, .015, .02, .03, .04, .05, .075, .1, .25, .5, 1, 2.5, 5, 10}

// metrics holds the console's collectors in a registry of its own, so that
// every Handler (and every test) counts for itself.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.HistogramVec
	passes   *prometheus.CounterVec
	passTime prometheus.Histogram
	devices  *prometheus.CounterVec
}

func newMetrics(st *store.Store) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "console_http_request_duration_seconds",
			Help:    "Time to handle a request, by route pattern, method and status class.",
			Buckets: durationBuckets,
		}, []string{"route", "method", "status"}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "console_renewal_passes_total",
			Help: "Renewal worker passes, by result (ok or error).",
		}, []string{"result"}),
		passTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "console_renewal_pass_duration_seconds",
			Help:    "Time a renewal pass took.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
		}),
		devices: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "console_renewal_devices_total",
			Help: "Expiries the renewal worker handled, by outcome (renewed, lapsed, deleted with their product).",
		}, []string{"outcome"}),
	}
	m.registry.MustRegister(m.requests, m.passes, m.passTime, m.devices,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range []string{"renewed", "lapsed", "deleted"} {
		m.devices.WithLabelValues(o)
	}
	if st != nil {
		m.registry.MustRegister(collectors.NewDBStatsCollector(st.DB().DB, "console"), outboxCollector{st: st})
		if st.HasStandbys() {
			m.registry.MustRegister(standbyCollector{st: st})
		}
	}
	return m
}

// measure records every request's duration under its route pattern (never
// the raw URL, whose ids would make a series per product), and tells the
// client the server's time in a Server-Timing header.
func (h *Handler) measure(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		c.Response().Before(func() {
			c.Response().Header().Set("Server-Timing", "app;dur="+strconv.FormatFloat(float64(time.Since(start).Microseconds())/1000, 'f', 3, 64))
		})
		err := next(c)
		if err != nil {
			// Let the error handler write the response now, so its status is the one counted.
			c.Error(err)
		}
		// Echo names a request it could not route by the nearest pattern: still one of a few.
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := strconv.Itoa(c.Response().Status/100) + "xx"
		h.metrics.requests.WithLabelValues(route, c.Request().Method, status).Observe(time.Since(start).Seconds())
		return nil
	}
}

// serveMetrics is GET /metrics.
func (h *Handler) serveMetrics(c echo.Context) error {
	promhttp.HandlerFor(h.metrics.registry, promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}

// ObserveRenewalPass counts one pass of the renewal worker.
func (h *Handler) ObserveRenewalPass(st store.RenewalStats, took time.Duration, err error) {
	m := h.metrics
	if err != nil {
		m.passes.WithLabelValues("error").Inc()
	} else {
		m.passes.WithLabelValues("ok").Inc()
	}
	m.passTime.Observe(took.Seconds())
	m.devices.WithLabelValues("renewed").Add(float64(st.Renewed))
	m.devices.WithLabelValues("lapsed").Add(float64(st.Lapsed))
	m.devices.WithLabelValues("deleted").Add(float64(st.Swept))
}

// outboxCollector reports the mails waiting in the outbox, by status, when scraped.
type outboxCollector struct{ st *store.Store }

var outboxDesc = prometheus.NewDesc("console_outbox_mails", "Mails in the outbox not yet sent or given up, by status.", []string{"status"}, nil)

func (o outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- outboxDesc }

func (o outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	depth, err := o.st.OutboxDepth(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxDesc, err)
		return
	}
	for status, n := range depth {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n), status)
	}
}

// standbyCollector reports the standbys (docs/scaling.md, "A standby for
// reads") when scraped: each one's lag and whether reads may go to it, and
// the reads that went to the primary instead, by reason.
type standbyCollector struct{ st *store.Store }

var (
	standbyLagDesc = prometheus.NewDesc("console_db_standby_lag_seconds",
		"How stale the standby's data is: the age of the newest primary WAL position it has replayed (0: caught up).", []string{"standby"}, nil)
	standbyUsableDesc = prometheus.NewDesc("console_db_standby_usable",
		"1 when reads may go to the standby; 0 when it is down, lags more than the setting, or is no standby (promoted).", []string{"standby", "reason"}, nil)
	standbyFallbackDesc = prometheus.NewDesc("console_db_standby_fallbacks_total",
		"Reads that could have gone to a standby but went to the primary, by reason (down, not_standby, lag, own_writes).", []string{"reason"}, nil)
)

func (o standbyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- standbyLagDesc
	ch <- standbyUsableDesc
	ch <- standbyFallbackDesc
}

func (o standbyCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	standbys, fallbacks := o.st.Standbys(ctx)
	for _, sb := range standbys {
		ch <- prometheus.MustNewConstMetric(standbyLagDesc, prometheus.GaugeValue, sb.Lag.Seconds(), sb.Name)
		usable := 0.0
		if sb.Usable {
			usable = 1
		}
		ch <- prometheus.MustNewConstMetric(standbyUsableDesc, prometheus.GaugeValue, usable, sb.Name, sb.Why)
	}
	for reason, n := range fallbacks {
		ch <- prometheus.MustNewConstMetric(standbyFallbackDesc, prometheus.CounterValue, float64(n), reason)
	}
}
