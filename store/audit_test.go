package store_test

import (
	"fmt"
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
