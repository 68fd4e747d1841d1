package main

import (
	"bufio"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// buckets are one route's cumulative histogram buckets: upper bound -> count.
type buckets map[float64]float64

var bucketLine = regexp.MustCompile(`^console_http_request_duration_seconds_bucket\{method="GET",route="([^"]+)",status="2xx",le="([^"]+)"\} (\S+)$`)

// scrapeDurations reads the request duration histograms of /metrics, by route.
func scrapeDurations(base string) (map[string]buckets, error) {
	resp, err := http.Get(base + metricsPath)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]buckets{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := bucketLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		le, err1 := strconv.ParseFloat(strings.Replace(m[2], "+Inf", "Inf", 1), 64)
		n, err2 := strconv.ParseFloat(m[3], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		if out[m[1]] == nil {
			out[m[1]] = buckets{}
		}
		out[m[1]][le] = n
	}
	return out, sc.Err()
}

// quantile estimates the q-quantile of what a route's histogram counted
// between two scrapes, as PromQL's histogram_quantile does.
func quantile(before, after buckets, q float64) float64 {
	var les []float64
	for le := range after {
		les = append(les, le)
	}
	sort.Float64s(les)
	if len(les) == 0 {
		return 0
	}
	total := after[les[len(les)-1]] - before[les[len(les)-1]]
	if total == 0 {
		return 0
	}
	rank := q * total
	prevLe, prevN := 0.0, 0.0
	for _, le := range les {
		n := after[le] - before[le]
		if n >= rank {
			if le > 1e300 { // the +Inf bucket: the largest finite bound is all we know
				return prevLe
			}
			return prevLe + (le-prevLe)*(rank-prevN)/max(n-prevN, 1e-9)
		}
		prevLe, prevN = le, n
	}
	return prevLe
}
