package handlers_test

import (
	"net/http"
	"testing"
)

// TestAssign_InChinese: the dialog's steps, its refusals, the flash and the
// overview it returns to speak the viewer's language.
func TestAssign_InChinese(t *testing.T) {
	f := newLicenseConsole(t)
	thermo := f.product(t, "PK-1", "Thermostat")
	b := f.owner(t)
	b.lang = "zh-CN"

	rec, doc := b.post("/eu-frankfurt/assign", assignForm(thermo, "std-1y", "0"), true)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if got := text(doc.Find("#assign-quantity-error")); got != "请输入 1 到 10 之间的数字。" {
		t.Errorf("refusal %q", got)
	}
	_, doc = b.post("/eu-frankfurt/assign", assignForm(thermo, "std-1y", "1"), true)
	if got := text(doc.Find(".assign-question")); got != "确定将套餐 “Standard, 1 year” 的 1 个激活码分配给 Thermostat（PK-1）吗？" {
		t.Errorf("question %q", got)
	}
	rec, _ = b.post("/eu-frankfurt/assign", with(assignForm(thermo, "std-1y", "1"), "confirm", "1"), false)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("confirm: %d", rec.Code)
	}
	_, doc = b.get("/eu-frankfurt/licenses", false)
	if got := text(doc.Find(".flash")); got != "已为 Thermostat 分配 1 个激活码。" {
		t.Errorf("flash %q", got)
	}
	if got := text(doc.Find("h1")); got != "激活码概览" {
		t.Errorf("heading %q", got)
	}
	if got := doc.Find("head title").Text(); got != "激活码概览 · 激活码管理" {
		t.Errorf("title %q", got)
	}
	if got := text(doc.Find(`.tabs a[aria-current=page]`)); got != "产品激活码" {
		t.Errorf("tab %q", got)
	}
}
