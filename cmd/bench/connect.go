package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"activation-console/handlers/routenames"
)

// api is a platform client of the console's JSON API.
type api struct {
	base   string
	token  string
	client *http.Client
}

func newAPI(base, token string, conns int) *api {
	return &api{base: base, token: token, client: &http.Client{Timeout: time.Minute,
		Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns}}}
}

func (a *api) call(method, path string, body any) (int, map[string]any, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, a.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &out)
	return resp.StatusCode, out, nil
}

// connectResult is one connect run.
type connectResult struct {
	requests  int
	activated int
	valid     int
	refused   int
	errors    int
	rps       float64
	p50, p99  time.Duration
}

// runConnects has clients connect new devices for d: each picks a product
// of pks and a DeviceKey never seen, so every connect that finds a code
// consumes one (the ledger's write path, not the read-only one).
func runConnects(ctx context.Context, a *api, dc string, pks []string, clients int, d time.Duration, tag string, limit int) connectResult {
	return runDevices(ctx, a, dc, clients, d, limit, func(rnd *rand.Rand, c, i int) (string, string) {
		return pks[rnd.IntN(len(pks))], fmt.Sprintf("%s-c%d-%d", tag, c, i)
	})
}

// runDevices has clients connect the devices pick chooses, for d or limit
// connects each.
func runDevices(ctx context.Context, a *api, dc string, clients int, d time.Duration, limit int,
	pick func(rnd *rand.Rand, client, i int) (pk, dk string)) connectResult {
	var mu sync.Mutex
	var r connectResult
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for c := range clients {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(c), uint64(start.UnixNano())))
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil && (limit == 0 || i < limit); i++ {
				pk, dk := pick(rnd, c, i)
				body := map[string]string{"product_key": pk, "device_key": dk, "data_center": dc}
				t0 := time.Now()
				status, out, err := a.call(http.MethodPost, apiPath(routenames.APIConnect), body)
				took := time.Since(t0)
				mu.Lock()
				switch {
				case err != nil || (status != http.StatusOK && status != http.StatusConflict):
					r.errors++
				case status == http.StatusOK && out["result"] == "activated":
					r.activated++
				case status == http.StatusOK && out["result"] == "valid":
					r.valid++
				case status == http.StatusConflict:
					r.refused++
				}
				r.requests++
				lat = append(lat, took)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r.rps = float64(r.requests) / time.Since(start).Seconds()
	r.p50, r.p99 = percentile(lat, 0.5), percentile(lat, 0.99)
	return r
}

// pgbenchResult is a pgbench run on the same server.
type pgbenchResult struct {
	tps      float64
	p99      time.Duration
	duration time.Duration
	command  string
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

func findPgbench() string {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	if len(matches) > 0 {
		return matches[len(matches)-1]
	}
	return "pgbench"
}

// runPgbench initialises a pgbench database and runs the simple-update
// script without the teller and branch updates (-N), clients at once.
// initPgbench runs pgbench -i on dbURL.
func initPgbench(ctx context.Context, dbURL string, scale int, log io.Writer) error {
	init := exec.CommandContext(ctx, findPgbench(), "-i", "-q", "-s", strconv.Itoa(scale), dbURL)
	init.Stdout, init.Stderr = log, log
	if err := init.Run(); err != nil {
		return fmt.Errorf("pgbench -i: %w", err)
	}
	return nil
}

// runPgbench runs pgbench in mode (-N: the simple update, -S: select only)
// on a database pgbench -i made, on the server the console uses, with its
// settings (printed in the table's heading).
func runPgbench(ctx context.Context, dbURL, mode string, clients int, d time.Duration, dir string, log io.Writer) (pgbenchResult, error) {
	bin := findPgbench()
	prefix := filepath.Join(dir, "pgbench")
	args := []string{mode, "-c", strconv.Itoa(clients), "-j", "2", "-T", strconv.Itoa(int(d.Seconds())), "-l", "--log-prefix", prefix, dbURL}
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, log
	if err := cmd.Run(); err != nil {
		return pgbenchResult{}, fmt.Errorf("pgbench: %w\n%s", err, out.String())
	}
	r := pgbenchResult{duration: d, command: fmt.Sprintf("pgbench %s -c %d -j 2 -T %d", mode, clients, int(d.Seconds()))}
	m := tpsLine.FindStringSubmatch(out.String())
	if m == nil {
		return r, fmt.Errorf("pgbench printed no tps:\n%s", out.String())
	}
	r.tps, _ = strconv.ParseFloat(m[1], 64)
	// Per-transaction log lines: client transaction latency_us script epoch us.
	files, _ := filepath.Glob(prefix + ".*")
	var lat []time.Duration
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) >= 3 {
				us, _ := strconv.ParseInt(fields[2], 10, 64)
				lat = append(lat, time.Duration(us)*time.Microsecond)
			}
		}
		fh.Close()
		os.Remove(f)
	}
	r.p99 = percentile(lat, 0.99)
	return r, nil
}
