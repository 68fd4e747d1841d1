package views

import (
	"context"
	"testing"
	"time"

	"activation-console/store"
)

// TestAuditDescriptionText_WordsTheMessageInTheReadersLanguage: clauses
// joined the language's way, figures and times written its way (times in
// the reader's zone), plurals by its rules; an entry without a message is
// shown as written.
func TestAuditDescriptionText_WordsTheMessageInTheReadersLanguage(t *testing.T) {
	en := WithLanguage(context.Background(), store.English)
	zh := WithLanguage(context.Background(), store.Chinese)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	member := store.AuditEntry{Operation: "create", Description: "created sub-account Ann (ann@x.example); 1 chosen products, manage licenses",
		Message: store.AuditMessage{
			{ID: "audit.entry.member_created", Args: map[string]string{"Name": "Ann", "Email": "ann@x.example"}},
			{ID: "audit.entry.chosen_products", Nums: map[string]int64{"Count": 1}},
			{ID: "audit.entry.manage_licenses"},
		}}
	renewed := store.AuditEntry{Operation: "renew now", Message: store.AuditMessage{{ID: "audit.entry.renewed_by_hand",
		Args:  map[string]string{"Device": "dk-1", "ProductKey": "PK-1"},
		Times: map[string]time.Time{"Until": time.Date(2027, 1, 2, 20, 30, 0, 0, time.UTC)}}}}
	threshold := store.AuditEntry{Operation: "alert threshold", Message: store.AuditMessage{{ID: "audit.entry.threshold_changed",
		Nums: map[string]int64{"Old": 10, "New": 1500}}}}
	old := store.AuditEntry{Operation: "some retired operation", Description: "as it was written"}
	for _, c := range []struct {
		ctx       context.Context
		e         store.AuditEntry
		op, words string
	}{
		{en, member, "create", "created sub-account Ann (ann@x.example); 1 chosen product; manage licenses"},
		{zh, member, "创建", "创建了子账号 Ann (ann@x.example)；指定的 1 个产品；可管理激活码"},
		{en, renewed, "renew now", "renewed device dk-1 of product PK-1 by hand until 2027-01-03 04:30"},
		{zh, renewed, "立即续费", "手动为产品 PK-1 的设备 dk-1 续费，有效期至 2027年1月3日 04:30"},
		{en, threshold, "alert threshold", "changed the alert threshold from 10 to 1,500 available codes"},
		{zh, old, "some retired operation", "as it was written"},
	} {
		if got := AuditOperationText(c.ctx, c.e.Operation); got != c.op {
			t.Errorf("%s: operation %q, want %q", LanguageOf(c.ctx), got, c.op)
		}
		if got := AuditDescriptionText(c.ctx, c.e, shanghai); got != c.words {
			t.Errorf("%s: %q, want %q", LanguageOf(c.ctx), got, c.words)
		}
	}
}
