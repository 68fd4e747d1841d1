package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"activation-console/store"
)

// auditTable is the log's rows, each its cells' text joined by " | ".
func auditTable(doc *goquery.Document) string {
	var rows []string
	doc.Find("#results tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var cells []string
		tr.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, text(td)) })
		rows = append(rows, strings.Join(cells, " | "))
	})
	return strings.Join(rows, "\n")
}

// TestAuditLog_InChinese_EntriesInChinese_OldEntriesAsWritten: an entry
// written with its message reads in the viewer's language on the page and in
// the CSV alike; an entry written before messages were kept shows its
// English text, as written.
func TestAuditLog_InChinese_EntriesInChinese_OldEntriesAsWritten(t *testing.T) {
	f := newConsole(t)
	p := f.base.AddProduct(t, f.account.ID, "PK-A", "Thermostat", 0)
	for _, n := range []int64{3, 1} {
		if _, err := f.st.Assign(f.ctx, store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"},
			store.AssignInput{ProductID: p.ID, PackageCode: "std-1y", Quantity: n, Actor: store.Actor{Name: "owner@acme.example"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.DB().Exec(`INSERT INTO audit_log (account_id, actor, type, operation, description)
		VALUES ($1, 'old@acme.example', 'license', 'assign', 'assigned 7 codes of package std-1y to Lamp (PK-OLD)')`, f.account.ID); err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	b.lang = "zh-CN"
	_, doc := b.get("/eu-frankfurt/audit", false)
	if got := text(doc.Find("h1")); got != "操作日志" {
		t.Errorf("title %q", got)
	}
	rows := auditTable(doc)
	for _, want := range []string{
		"激活码 | 分配 | 将套餐 std-1y 的 3 个激活码分配给 Thermostat (PK-A)",
		"激活码 | 分配 | assigned 7 codes of package std-1y to Lamp (PK-OLD)", // as written; its operation is one the console names
		"登录 | 登录 | 从 192.0.2.1 登录",
	} {
		if !strings.Contains(rows, want) {
			t.Errorf("the log does not say %q:\n%s", want, rows)
		}
	}
	rec := b.do(http.MethodGet, "/eu-frankfurt/audit?format=csv", nil, false)
	if csv := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(csv, "分配,将套餐 std-1y 的 3 个激活码分配给 Thermostat (PK-A)") ||
		!strings.Contains(csv, "assigned 7 codes of package std-1y to Lamp (PK-OLD)") {
		t.Errorf("CSV %d:\n%s", rec.Code, csv)
	}

	b.lang = "en"
	_, doc = b.get("/eu-frankfurt/audit", false)
	rows = auditTable(doc)
	for _, want := range []string{"assign | assigned 3 codes of package std-1y to Thermostat (PK-A)", "assign | assigned 1 code of package std-1y to Thermostat (PK-A)"} {
		if !strings.Contains(rows, want) {
			t.Errorf("in English, the log does not say %q:\n%s", want, rows)
		}
	}
}

// A webhook endpoint's registration and change read in Chinese with the
// facts of the English description: the endpoint, how many events it
// wants, and whether it is enabled.
func TestAuditLog_InChinese_AWebhookEntrySaysItsEventsAndState(t *testing.T) {
	f := newConsole(t)
	sc, owner := store.Scope{AccountID: f.account.ID, DC: "eu-frankfurt"}, store.Actor{Name: "owner@acme.example"}
	e, _, err := f.st.SaveWebhookEndpoint(f.ctx, sc, store.WebhookInput{URL: "https://93.184.215.14/hooks",
		Events: []string{string(store.EventDeviceActivated), string(store.EventDeviceLapsed)}, Enabled: true, Actor: owner})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.SaveWebhookEndpoint(f.ctx, sc, store.WebhookInput{ID: e.ID, URL: e.URL,
		Events: []string{string(store.EventDeviceLapsed)}, Enabled: false, Actor: owner}); err != nil {
		t.Fatal(err)
	}
	b := f.owner(t)
	for lang, wants := range map[string][]string{
		"zh-CN": {"注册了 Webhook 端点 https://93.184.215.14/hooks，订阅 2 个事件；已启用", "修改了 Webhook 端点 https://93.184.215.14/hooks：1 个事件；已停用"},
		"en": {"registered webhook endpoint https://93.184.215.14/hooks for 2 events; enabled",
			"changed webhook endpoint https://93.184.215.14/hooks: 1 event; disabled"},
	} {
		b.lang = lang
		_, doc := b.get("/eu-frankfurt/audit", false)
		rows := auditTable(doc)
		for _, want := range wants {
			if !strings.Contains(rows, want) {
				t.Errorf("in %s, the log does not say %q:\n%s", lang, want, rows)
			}
		}
	}
}
