package store_test

import (
	"fmt"
	"testing"

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
	var pages []store.AuditPage
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
