package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestErrorPages_SpeakTheViewersLanguage: an error page's title, message and
// way back are in the viewer's language, like every page; an htmx request's
// fragment too.
func TestErrorPages_SpeakTheViewersLanguage(t *testing.T) {
	f := newConsole(t)
	b := f.owner(t)
	b.lang = "zh-CN"
	rec, doc := b.get("/eu-frankfurt/no-such-page", false)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d", rec.Code)
	}
	for sel, want := range map[string]string{
		"title":        "页面不存在 · 激活码管理",
		"h1":           "页面不存在",
		"[data-error]": "这里没有这个页面，或者您无权查看。",
		"p.muted":      "错误 404。",
		"a[href='/']":  "返回控制台",
	} {
		if got := text(doc.Find(sel).First()); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	if lang, _ := doc.Find("html").Attr("lang"); lang != "zh-CN" {
		t.Errorf("lang %q", lang)
	}
	rec, doc = b.get("/eu-frankfurt/no-such-page", true)
	if got := text(doc.Find("[data-error]")); rec.Code != http.StatusNotFound || got != "这里没有这个页面，或者您无权查看。" {
		t.Errorf("htmx: %d %q", rec.Code, got)
	}
	b.lang = "en"
	if _, doc = b.get("/eu-frankfurt/no-such-page", false); !strings.Contains(text(doc.Find("h1")), "Not Found") {
		t.Errorf("in English: %q", text(doc.Find("h1")))
	}
}
