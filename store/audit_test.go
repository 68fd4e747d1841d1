package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"activation-console/store"
)

func TestAuditLog_PagesForwardAndBackNewestFirst(t *testing.T) {
	f := newFixture(t)
	// The account's creation wrote nothing; 120 assignments write 120 entries.
	f.buy(t, "o-1", "std-1y", 200)
	for i := 0; i < 120; i++ {
		f.assign(t, f.product.ID, 1)
	}
	var seen []int64
	page := store.PageRequest{}
	var pages []store.Page[store.AuditEntry]
	for {
		p, err := f.st.AuditLog(f.ctx, f.account.ID, store.AuditFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
		for _, e := range p.Rows {
			seen = append(seen, e.ID)
		}
		if p.Next == "" {
			break
		}
		page = store.PageRequest{After: p.Next}
	}
	if len(seen) != 120 || len(pages) != 3 {
		t.Fatalf("read %d entries in %d pages, want 120 in 3", len(seen), len(pages))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] >= seen[i-1] {
			t.Fatalf("not newest first at %d: %v", i, seen[i-1:i+1])
		}
	}
	if pages[0].Prev != "" {
		t.Error("the first page has a previous page")
	}
	// Back from the last page gives the middle page again.
	back, err := f.st.AuditLog(f.ctx, f.account.ID, store.AuditFilter{}, store.PageRequest{Before: pages[2].Prev})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back.Rows) != fmt.Sprint(pages[1].Rows) || back.Next == "" || back.Prev == "" {
		t.Fatalf("back from the last page: %d rows, prev %q next %q", len(back.Rows), back.Prev, back.Next)
	}
	// Filters: by type and by user.
	p, err := f.st.AuditLog(f.ctx, f.account.ID, store.AuditFilter{Type: "sign-in"}, store.PageRequest{})
	if err != nil || len(p.Rows) != 0 {
		t.Fatalf("type filter: %d rows, %v", len(p.Rows), err)
	}
	p, err = f.st.AuditLog(f.ctx, f.account.ID, store.AuditFilter{User: "tes"}, store.PageRequest{})
	if err != nil || len(p.Rows) != store.PageSize {
		t.Fatalf("user filter: %d rows, %v", len(p.Rows), err)
	}
	if _, err := f.st.AuditLog(f.ctx, f.account.ID, store.AuditFilter{}, store.PageRequest{After: "garbage!"}); !store.HasCode(err, store.CodeInvalid) {
		t.Fatalf("a forged cursor: %v", err)
	}
}

// TestAuditLog_DateRange: From is included, To excluded, a zero bound is
// open, and the export reads the same entries as the page.
func TestAuditLog_DateRange(t *testing.T) {
	f := newFixture(t)
	f.buy(t, "o-1", "std-1y", 10)
	start := f.clock.Now()
	hour := func(n int) time.Time { return start.Add(time.Duration(n) * time.Hour) }
	for i := 0; i < 3; i++ { // one assignment, so one entry, at hours 1, 2 and 3
		f.clock.Set(hour(i + 1))
		f.assign(t, f.product.ID, 1)
	}
	for _, tc := range []struct {
		name  string
		dates store.DateRange
		want  []time.Time
	}{
		{"open", store.DateRange{}, []time.Time{hour(3), hour(2), hour(1)}},
		{"from, included", store.DateRange{From: hour(2)}, []time.Time{hour(3), hour(2)}},
		{"to, excluded", store.DateRange{To: hour(2)}, []time.Time{hour(1)}},
		{"from and to", store.DateRange{From: hour(2), To: hour(3)}, []time.Time{hour(2)}},
		{"an empty range", store.DateRange{From: hour(2), To: hour(2)}, nil},
		{"after everything", store.DateRange{From: hour(4)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			filter := store.AuditFilter{DateRange: tc.dates}
			p, err := f.st.AuditLog(f.ctx, f.account.ID, filter, store.PageRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var got, exported []time.Time
			for _, e := range p.Rows {
				got = append(got, e.At)
			}
			if err := f.st.EachAuditEntry(f.ctx, f.account.ID, filter, func(e store.AuditEntry) error {
				exported = append(exported, e.At)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || fmt.Sprint(exported) != fmt.Sprint(tc.want) {
				t.Fatalf("page %v, export %v, want %v", got, exported, tc.want)
			}
		})
	}
}

// TestAuditLog_EntriesKeepTheirMessage: each entry keeps, beside its
// English text, the messages that word it in the reader's language, with
// their values; an entry written without them reads none.
func TestAuditLog_EntriesKeepTheirMessage(t *testing.T) {
	f := newFixture(t)
	f.buy(t, "o-1", "std-1y", 10)
	f.assign(t, f.product.ID, 2)
	if err := f.st.SetAlertThreshold(f.ctx, f.scope(), store.AlertThresholdInput{Threshold: 1500, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetBlacklisted(f.ctx, f.scope(), store.BlacklistInput{ProductID: f.product.ID, DeviceKeys: []string{"dk-1", "dk-2"},
		Blacklisted: true, Actor: store.SystemActor("test")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.DB().Exec(`INSERT INTO audit_log (account_id, actor, type, operation, description) VALUES ($1, 'x', 'license', 'assign', 'old')`,
		f.account.ID); err != nil {
		t.Fatal(err)
	}
	p, err := f.st.AuditLog(f.ctx, f.account.ID, store.AuditFilter{}, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range p.Rows {
		got[e.Operation] = fmt.Sprintf("%s: %+v", e.Description, e.Message)
		if e.Description == "old" && e.Message != nil {
			t.Errorf("an entry written without a message reads %+v", e.Message)
		}
	}
	for op, want := range map[store.AuditOperation]string{
		store.OpAssign:       "assigned 2 codes of package std-1y to Thermostat (PK-1): [{ID:audit.entry.assigned Args:map[Package:std-1y Product:Thermostat ProductKey:PK-1] Nums:map[Count:2] Times:map[]}]",
		store.OpThreshold:    "changed the alert threshold from 10 to 1500 available codes: [{ID:audit.entry.threshold_changed Args:map[] Nums:map[New:1500 Old:10] Times:map[]}]",
		store.OpBlacklistAdd: "2 devices were added to the renewal blacklist of Thermostat (PK-1): dk-1, dk-2: [{ID:audit.entry.blacklist_added Args:map[Devices:dk-1, dk-2 Product:Thermostat ProductKey:PK-1] Nums:map[Count:2] Times:map[]}]",
	} {
		if !strings.HasPrefix(got[string(op)], want) {
			t.Errorf("%s: %s\nwant %s…", op, got[string(op)], want)
		}
	}
}
