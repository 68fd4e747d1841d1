package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/store/storetest"
)

// Pages on a standby (docs/scaling.md, "A standby for reads"), against a
// real primary and a streaming standby of it.

// waitStandby polls the store's view of its one standby until want holds (a minute at most).
func waitStandby(t *testing.T, f *consoleFixture, what string, want func(store.StandbyStatus) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		sts, _ := f.st.Standbys(f.ctx)
		if len(sts) == 1 && want(sts[0]) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for the standby to be %s: %+v", what, sts)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fallbacks reads the fallback counter of reason from /metrics.
func fallbacks(t *testing.T, f *consoleFixture, reason string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^console_db_standby_fallbacks_total\{reason="` + reason + `"\} (\d+)$`).FindStringSubmatch(scrape(t, f.srv))
	if m == nil {
		t.Fatalf("/metrics has no fallback counter for %s", reason)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestStandbyPages_APersonSeesTheirChangeAtOnceAndTheConsoleOutlivesTheStandby(t *testing.T) {
	pair := storetest.StartPair(t)
	f := newConsole(t, storetest.OnPair(pair, time.Hour))
	mine, theirs := f.owner(t), f.owner(t) // two sessions of one person: two browsers
	pair.WaitReplayed(t)
	waitStandby(t, f, "usable", func(s store.StandbyStatus) bool { return s.Usable })
	pair.PauseReplay(t)

	mine.get(recipientsPath, false)
	if rec, _ := mine.post(recipientsPath, url.Values{"email": {"carol@acme.example"}}, false); rec.Code != http.StatusSeeOther {
		t.Fatalf("add recipient: %d", rec.Code)
	}
	carol := "– | carol@acme.example | Remove carol@acme.example"
	if _, doc := mine.get(recipientsPath, false); !slices.Contains(recipientRows(doc), carol) {
		t.Errorf("the person who added carol reads %q: their change is missing", recipientRows(doc))
	}
	if _, doc := theirs.get(recipientsPath, false); slices.Contains(recipientRows(doc), carol) {
		t.Errorf("another session reads %q: its page did not come from the (paused) standby", recipientRows(doc))
	}
	if fallbacks(t, f, store.FallbackOwnWrites) == 0 {
		t.Error("the page read on the primary for the person's own change is not counted")
	}
	wantLines(t, scrape(t, f.srv), `console_db_standby_lag_seconds{standby="`, `console_db_standby_usable{reason="",standby="`)

	pair.ResumeReplay(t)
	pair.WaitReplayed(t)
	waitStandby(t, f, "usable", func(s store.StandbyStatus) bool { return s.Usable })
	if _, doc := theirs.get(recipientsPath, false); !slices.Contains(recipientRows(doc), carol) {
		t.Errorf("once replayed, the other session reads %q", recipientRows(doc))
	}

	// The standby stops: pages read the primary, the console stays ready,
	// and /metrics says why.
	pair.StopStandby(t)
	if rec, doc := theirs.get(recipientsPath, false); rec.Code != http.StatusOK || !slices.Contains(recipientRows(doc), carol) {
		t.Errorf("with the standby down the page answers %d with %q", rec.Code, recipientRows(doc))
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/readyz with the standby down: %d %s", rec.Code, rec.Body.String())
	}
	if fallbacks(t, f, store.FallbackDown) == 0 {
		t.Error("reads left for the primary while the standby is down are not counted")
	}
	wantLines(t, scrape(t, f.srv), `console_db_standby_usable{reason="down",standby="`)
}
