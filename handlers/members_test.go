package handlers_test

import (
	"net/http"
	"net/url"
	"testing"
)

func TestMembers_SpeakThePersonsLanguage(t *testing.T) {
	t.Parallel()
	f := newConsole(t)
	b := f.owner(t)
	b.lang = "zh-CN"
	_, doc := b.get("/eu-frankfurt/members", false)
	if got := doc.Find("title").Text(); got != "子账号 · 激活码管理" || text(doc.Find("main .empty")) == "" {
		t.Errorf("title %q, empty state %q", got, text(doc.Find("main .empty")))
	}
	rec, _ := b.post("/eu-frankfurt/members", url.Values{"name": {"Lee"}, "email": {"lee@acme.example"}, "password": {"lee long password"}, "scope": {"all"}}, false)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("add: %d", rec.Code)
	}
	_, doc = b.get("/eu-frankfurt/members", false)
	if got := text(doc.Find("main > .flash")); got != "已添加子账号 Lee。" {
		t.Errorf("flash = %q", got)
	}
	if got := text(doc.Find("main tbody tr td").Eq(2)); got != "全部产品（包括以后新增的产品）" {
		t.Errorf("products cell = %q", got)
	}
	_, doc = b.get("/account/password", false)
	if got := doc.Find("title").Text(); got != "修改密码 · 激活码管理" || text(doc.Find(`label[for="old-password"]`)) != "当前密码" {
		t.Errorf("password page: title %q, label %q", got, text(doc.Find(`label[for="old-password"]`)))
	}
	if rec, _ := b.get("/eu-frankfurt/members/new", false); rec.Code != http.StatusOK {
		t.Errorf("new form: %d", rec.Code)
	}
}
