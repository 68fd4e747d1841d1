package handlers_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"activation-console/handlers"
)

// exportFixture is a real HTTP server (exports stream over real sockets) on
// the API fixture's database, with an audit log of auditRows long entries
// (megabytes of CSV), and the owner's session cookies.
type exportFixture struct {
	*apiFixture
	url     string
	cookies []*http.Cookie
}

const auditRows = 6000

func newExportFixture(t *testing.T, cfg handlers.Config) *exportFixture {
	t.Helper()
	f := newAPI(t)
	if _, err := f.st.DB().Exec(`INSERT INTO audit_log (account_id, at, actor, type, operation, description)
		SELECT 1, now() - n * interval '1 second', 'owner@acme.example', 'license', 'assign', repeat('x', 300) || n
		FROM generate_series(1, $1) n`, auditRows); err != nil {
		t.Fatal(err)
	}
	cfg.Store = f.st
	cfg.Logger = slog.New(slog.NewTextHandler(f.logs, nil))
	srv := newServer(t, cfg)
	b := (&consoleFixture{st: f.st, clock: f.clock, srv: srv, account: f.account, ctx: f.ctx}).signIn(t, "owner@acme.example", ownerPassword)
	ts := httptest.NewUnstartedServer(srv)
	ts.Listener = smallSendBuffers{ts.Listener}
	ts.Start()
	t.Cleanup(ts.Close)
	return &exportFixture{apiFixture: f, url: ts.URL, cookies: b.jar.Cookies(site)}
}

// smallSendBuffers gives the server's sockets an 8 KiB send buffer, so that
// a client that stops reading stops the server's writes (the kernel would
// otherwise grow the buffer to megabytes and take a whole export).
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tcp, ok := c.(*net.TCPConn); ok {
		tcp.SetWriteBuffer(8 << 10)
	}
	return c, err
}

// slowClient reads through a 4 KiB socket buffer, so that a client that
// stops reading stops the server's writes within a few kilobytes.
func slowClient() *http.Client {
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true, DisableCompression: true}}
}

// download starts the audit log's CSV export and returns the open answer.
func (f *exportFixture) download(t *testing.T, ctx context.Context) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/eu-frankfurt/audit?format=csv", nil)
	for _, c := range f.cookies {
		req.AddCookie(c)
	}
	resp, err := slowClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// downloadWhenFree starts a download once the exports that were closed have
// given their slots back (within 5 s).
func (f *exportFixture) downloadWhenFree(t *testing.T) *http.Response {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp := f.download(t, context.Background())
		if resp.StatusCode == http.StatusOK {
			return resp
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatalf("after the downloads ended: status %d", resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stall starts n exports that read their first kilobyte and then stop
// reading, and returns a function that closes them.
func (f *exportFixture) stall(t *testing.T, n int) (closeAll func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var resps []*http.Response
	for range n {
		resp := f.download(t, ctx)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("export: status %d", resp.StatusCode)
		}
		io.ReadFull(resp.Body, make([]byte, 1024))
		resps = append(resps, resp)
	}
	return func() {
		cancel()
		for _, r := range resps {
			r.Body.Close()
		}
	}
}

func TestCSVExport_StalledDownloadsLeaveThePoolToTheDeviceAPI(t *testing.T) {
	const readers = 16 // of a pool of 20 (storetest)
	f := newExportFixture(t, handlers.Config{ExportsPerUser: readers, ExportsTotal: readers})
	f.product(t, "PK-1", 40)
	closeAll := f.stall(t, readers)
	defer closeAll()
	time.Sleep(time.Second) // every export has read its first page and blocks writing it

	// Devices keep connecting promptly while the downloads stall.
	client := &http.Client{Timeout: 5 * time.Second}
	maxInUse := 0
	for i := range 20 {
		maxInUse = max(maxInUse, f.st.DB().Stats().InUse)
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPost, f.url+"/api/v1/devices/connect",
			strings.NewReader(fmt.Sprintf(`{"product_key":"PK-1","device_key":"dev-%d","data_center":"eu-frankfurt"}`, i)))
		req.Header.Set("Authorization", "Bearer "+f.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("connect %d while exports stall: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || time.Since(start) > 2*time.Second {
			t.Fatalf("connect %d while exports stall: status %d after %v", i, resp.StatusCode, time.Since(start))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A stalled download holds no connection: what is in use is the connects' own.
	if maxInUse > 3 {
		t.Errorf("%d pool connections in use while %d downloads stall, want at most 3", maxInUse, readers)
	}

	// Nothing is lost: a download read to its end has every entry once.
	closeAll()
	resp := f.downloadWhenFree(t)
	defer resp.Body.Close()
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var entries int
	if err := f.st.DB().Get(&entries, `SELECT count(*) FROM audit_log WHERE account_id = 1`); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		seen[strings.Join(r, ",")] = true
	}
	if len(recs)-1 != entries || len(seen) != entries {
		t.Errorf("the export has %d rows (%d distinct), the audit log %d entries", len(recs)-1, len(seen), entries)
	}
}

func TestCSVExport_CapsDownloadsPerPersonAndPerInstance(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  handlers.Config
		want string
	}{
		"PerPerson":   {handlers.Config{ExportsTotal: 10}, "You already have 2 downloads running."},
		"PerInstance": {handlers.Config{ExportsPerUser: 10, ExportsTotal: 2}, "The console is busy with other downloads."},
	} {
		t.Run(name, func(t *testing.T) {
			f := newExportFixture(t, tc.cfg)
			closeAll := f.stall(t, 2)
			resp := f.download(t, context.Background())
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), tc.want) || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("third download: status %d, Retry-After %q: %.300s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
			if cd := resp.Header.Get("Content-Disposition"); cd != "" {
				t.Errorf("the refusal is offered as a download: %s", cd)
			}
			// The slots come back when the downloads end.
			closeAll()
			resp = f.downloadWhenFree(t)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
}

func TestCSVExport_EndsAtItsTimeLimitEvenWhenTheClientStalls(t *testing.T) {
	// Room enough for the rows to reach the spool on a loaded machine (under
	// -race); the download then stalls past the limit.
	f := newExportFixture(t, handlers.Config{ExportsPerUser: 1, ExportTimeout: 3 * time.Second})
	resp := f.download(t, context.Background())
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the export did not start: status %d", resp.StatusCode)
	}
	io.ReadFull(resp.Body, make([]byte, 1024))
	time.Sleep(4 * time.Second) // stalled past the limit
	_, err := io.Copy(io.Discard, resp.Body)
	if err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("a download past its time limit ended as if whole (err %v)", err)
	}
	// Its slot is free again.
	again := f.download(t, context.Background())
	io.Copy(io.Discard, again.Body)
	again.Body.Close()
	if again.StatusCode != http.StatusOK {
		t.Fatalf("the next download: status %d", again.StatusCode)
	}
}

func TestDeadline_CSVOnARouteThatDoesNotExportKeepsTheDeadline(t *testing.T) {
	f := newConsole(t)
	keys := [][]byte{[]byte(strings.Repeat("k", 64)), []byte(strings.Repeat("e", 32))}
	normal := newServer(t, handlers.Config{Store: f.st, SessionKeys: keys, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b := (&consoleFixture{st: f.st, clock: f.clock, srv: normal, account: f.account, ctx: f.ctx}).owner(t)
	// The same sessions on a server whose request deadline has always passed.
	b.srv = newServer(t, handlers.Config{Store: f.st, SessionKeys: keys, RequestTimeout: time.Nanosecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, path := range []string{"/eu-frankfurt/settings?format=csv", "/eu-frankfurt/recipients?format=csv", "/eu-frankfurt/assign?format=csv"} {
		if rec := b.do(http.MethodGet, path, nil, false); rec.Code != http.StatusServiceUnavailable {
			t.Errorf("GET %s: status %d, want 503 (past the request deadline)", path, rec.Code)
		}
	}
	for _, path := range []string{"/eu-frankfurt/licenses?format=csv", "/eu-frankfurt/audit?format=csv"} {
		if rec := b.do(http.MethodGet, path, nil, false); rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
			t.Errorf("GET %s: status %d %s, want the export (its own deadline)", path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
}
