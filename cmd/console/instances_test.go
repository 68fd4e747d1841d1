package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"activation-console/cmd/console/mailer"
	"activation-console/cmd/console/mailer/mailtest"
	"activation-console/store/storetest"
)

// Three instances on one database, each with its renewal worker and mail
// sender: codes of 3 s expire during the test, some renew and the rest lapse
// once the codes run out; every expiry is handled exactly once, and every
// outbox mail is delivered exactly once.
func TestServe_ThreeInstancesHandleEachExpiryAndMailOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three console binaries")
	}
	const (
		devices = 24
		codes   = 60 // 24 first activations, 36 renewals, then every device lapses
		mails   = 12 // outbox rows put in directly, besides the alert digests
	)
	url := storetest.NewDatabase(t)
	smtp := mailtest.Start(t, mailtest.Plain)
	env := consoleEnv(t, url, "SMTP_URL=smtp://"+smtp.Addr+"?tls=off", "SMTP_FROM=alerts@console.example.com")
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	runConsole(t, env, "package", "create", "--code", "short-3s", "--name", "Short", "--validity", "3s", "--messages-per-day", "100")
	var consoles []*served
	for range 3 {
		consoles = append(consoles, startServe(t, env, "--renew-interval", "1s"))
	}
	f := newAPIFixture(t, env, consoles[0].url, "short-3s", codes)

	ctx := context.Background()
	for i := range devices { // spread over the instances, each device connecting twice
		for j := range 2 {
			c := f.client(consoles[(i+j)%3].url)
			if code, m, err := f.connect(ctx, c, fmt.Sprintf("dev-%d", i)); err != nil || code != http.StatusOK {
				t.Fatalf("connect dev-%d: %d %v %v", i, code, m, err)
			}
		}
		time.Sleep(50 * time.Millisecond) // expiries spread over a second or so
	}
	for i := range mails {
		if _, err := db.Exec(`INSERT INTO outbox (account_id, kind, dedupe_key, recipients, subject, text_body, html_body, next_attempt_at, created_at)
			VALUES ($1, 'test', $2, ARRAY['owner@soak.example'], 'Test', 'text', '<p>html</p>', now(), now())`, f.account, fmt.Sprintf("instances-test-%d", i)); err != nil {
			t.Fatal(err)
		}
	}

	// Until every code is spent and every device lapsed: about four rounds
	// of 3 s. The alerts raised meanwhile are made due at once (they wait a
	// minute to gather others).
	deadline := time.Now().Add(40 * time.Second)
	for {
		var live int
		if err := db.QueryRow(`UPDATE alert_events SET raised_at = raised_at - interval '2 minutes'
			WHERE raised_at > now() - interval '1 minute'`).Err(); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM devices WHERE lapsed_at IS NULL`).Scan(&live); err != nil {
			t.Fatal(err)
		}
		if live == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d devices still live after 40 s", live)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// And every mail out of the outbox.
	for {
		var pending int
		if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE status IN ('queued', 'claimed', 'sending')`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline.Add(15 * time.Second)) {
			t.Fatalf("%d mails still in the outbox", pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i, c := range consoles {
		if code, _ := c.stop(t); code != 0 {
			t.Errorf("instance %d exited %d\n%s", i, code, c.stderr())
		}
	}

	// Every expiry handled once: each renewal starts where an earlier
	// activation of its device ended; one activation per code; every device
	// lapsed for want of a code, at or after its last expiry.
	var activations, renewals, orphanRenewals, duplicates, badLapses int
	if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE kind = 'renewal') FROM activations`).Scan(&activations, &renewals); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM activations r WHERE r.kind = 'renewal' AND NOT EXISTS (
		SELECT 1 FROM activations p WHERE p.device_id = r.device_id AND p.expires_at = r.activated_at)`).Scan(&orphanRenewals); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM (SELECT device_id, activated_at FROM activations
		GROUP BY 1, 2 HAVING count(*) > 1) d`).Scan(&duplicates); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM devices d WHERE lapse_reason IS DISTINCT FROM 'no_activation_code'
		OR lapsed_at < expires_at OR expires_at <> (SELECT max(expires_at) FROM activations a WHERE a.device_id = d.id)
		OR activations <> (SELECT count(*) FROM activations a WHERE a.device_id = d.id)`).Scan(&badLapses); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d activations (%d renewals)", activations, renewals)
	if activations != codes || renewals != codes-devices {
		t.Errorf("%d activations, %d renewals; want one per code: %d, %d", activations, renewals, codes, codes-devices)
	}
	if orphanRenewals+duplicates+badLapses > 0 {
		t.Errorf("%d renewals not contiguous, %d expiries renewed twice, %d devices whose lapse is wrong", orphanRenewals, duplicates, badLapses)
	}
	if out := runConsole(t, env, "verify"); !strings.Contains(out, "no violations") {
		t.Errorf("verify: %s", out)
	}

	// Every outbox row delivered once.
	var sent, other int
	var keys []string
	rows, err := db.Query(`SELECT dedupe_key FROM outbox WHERE status = 'sent'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sent = len(keys)
	if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE status <> 'sent'`).Scan(&other); err != nil {
		t.Fatal(err)
	}
	received := map[string]int{}
	got := smtp.Received()
	for _, r := range got {
		received[r.MessageID]++
	}
	t.Logf("%d outbox rows sent, %d not; %d messages received", sent, other, len(got))
	if sent < mails+1 || other != 0 {
		t.Errorf("%d outbox rows sent and %d not; want the %d put in and at least one alert digest, all sent", sent, other, mails)
	}
	if len(got) != sent {
		t.Errorf("the SMTP server received %d messages for %d sent rows", len(got), sent)
	}
	for _, k := range keys {
		if id := mailer.MessageID(k, "alerts@console.example.com"); received[id] != 1 {
			t.Errorf("mail %s (Message-ID %s) received %d times", k, id, received[id])
		}
	}
}
