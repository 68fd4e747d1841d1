package mail

import (
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"activation-console/store"
	"activation-console/views"
)

// Every word of a mail comes from the message files: rendered in the
// pseudo-locale, nothing but data is left outside the ⟦ ⟧ markers, and in
// Chinese no English word is left but data and the words kept as they are.

var at = time.Date(2026, 12, 2, 6, 5, 0, 0, time.UTC)

// everyFact is a digest with every sentence an alert mail may hold: lapses,
// refusals with and without devices waiting, a shortfall, low codes, a
// product without a package, and counts of one and of many.
func everyFact(lang store.Language) store.AlertDigest {
	return store.AlertDigest{AccountName: "Acme", Threshold: 10, Language: lang, At: at,
		Recipients: []string{"owner@acme.example"},
		Products: []store.ProductAlert{
			{ProductID: 1, ProductKey: "PK-1", Name: "Thermostat", DC: "eu-frankfurt", DCName: "Frankfurt", Package: "std-1y", Available: 1,
				LowCodes: true, Shortfall: &store.Shortfall{Due: 3, Missing: 2, FirstLapse: at},
				Lapsed: &store.Lapses{Since: at, Devices: 1}, Refused: &store.Refusals{Since: at, Waiting: 1}},
			{ProductID: 2, ProductKey: "PK-2", Name: "Sensor", DC: "eu-frankfurt", DCName: "Frankfurt", Available: 0,
				Shortfall: &store.Shortfall{Due: 1, Missing: 1, FirstLapse: at},
				Lapsed:    &store.Lapses{Since: at, Devices: 1200}, Refused: &store.Refusals{Since: at, Waiting: 3}},
			{ProductID: 3, ProductKey: "PK-3", Name: "Meter", DC: "eu-frankfurt", DCName: "Frankfurt", Available: 0,
				Refused: &store.Refusals{Since: at}},
		}}
}

func testRenderer() Renderer {
	return NewRenderer("https://console.example.com/", func(dc, name string, _ ...any) string { return "/" + dc + "/" + name })
}

func testAlert(lang store.Language) TestAlert {
	return TestAlert{AccountName: "Acme", Threshold: 10, Recipients: []string{"owner@acme.example", "ops@acme.example"},
		SentBy: "owner@acme.example", DC: "eu-frankfurt", At: at, Language: lang}
}

// data are the words of the mails above that are data, not words of ours.
var data = []string{"Acme", "Thermostat", "Sensor", "Meter", "PK-1", "PK-2", "PK-3", "Frankfurt", "std-1y",
	"owner@acme.example", "ops@acme.example", "--", "*"}

var (
	link = regexp.MustCompile(`https://\S+`)
	tag  = regexp.MustCompile(`(?s)<[^>]*>`)
)

// words are the words of a text part, or of an HTML part's visible text.
func words(part string, isHTML bool) []string {
	if isHTML { // its text, without tags and their attributes (the links)
		part = html.UnescapeString(tag.ReplaceAllString(part, " "))
	}
	return strings.Fields(link.ReplaceAllString(part, " "))
}

// unmarked is s without its ⟦ ⟧ segments, which may nest.
func unmarked(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '⟦':
			depth++
		case r == '⟧':
			depth = max(depth-1, 0)
			b.WriteRune(' ')
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var rules = regexp.MustCompile(`^=+$`)

func TestMails_EveryWordIsAMessage(t *testing.T) {
	views.EnablePseudo()
	alert, err := testRenderer().Alert(everyFact(views.Pseudo))
	if err != nil {
		t.Fatal(err)
	}
	test, err := testRenderer().Test(testAlert(views.Pseudo))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []store.Mail{alert, test} {
		if rest := strings.TrimSpace(unmarked(m.Subject)); rest != "" {
			t.Errorf("subject %q: %q is not from a message", m.Subject, rest)
		}
		for i, part := range []string{m.Text, m.HTML} {
			for _, w := range words(unmarked(part), i == 1) {
				if !slices.Contains(data, w) && !rules.MatchString(w) {
					t.Errorf("%q is not from a message in:\n%s", w, part)
				}
			}
		}
	}
}

// english is a word of three or more Latin letters.
var english = regexp.MustCompile(`[A-Za-z]{3,}`)

func TestMails_InChineseHaveNoEnglishButData(t *testing.T) {
	alert, err := testRenderer().Alert(everyFact(store.Chinese))
	if err != nil {
		t.Fatal(err)
	}
	test, err := testRenderer().Test(testAlert(store.Chinese))
	if err != nil {
		t.Fatal(err)
	}
	kept := []string{"ProductKey", "UTC"} // kept as they are (docs/i18n.md)
	for _, m := range []store.Mail{alert, test} {
		for i, part := range []string{m.Subject, m.Text, m.HTML} {
			for _, w := range words(part, i == 2) {
				for _, e := range english.FindAllString(w, -1) {
					if !slices.ContainsFunc(data, func(d string) bool { return strings.Contains(d, e) }) && !slices.Contains(kept, e) {
						t.Errorf("English %q in the Chinese mail:\n%s", e, part)
					}
				}
			}
		}
		if !strings.Contains(m.HTML, `<html lang="zh-CN">`) {
			t.Errorf("the Chinese mail's HTML part is not marked Chinese:\n%s", m.HTML)
		}
	}
	for _, want := range []string{
		"激活码告警：3 个产品需要处理（Acme）",
		"Acme 有 3 个产品需要激活码。",
		"ProductKey PK-1，Frankfurt，套餐 std-1y，可用激活码 1 个",
		"ProductKey PK-2，Frankfurt，尚无套餐，可用激活码 0 个",
		"* 自 2026年12月2日 06:05 UTC 起，1,200 台设备已离线",
		"* 到期后将有 2 台设备离线（最早一台在 2026年12月2日 06:05 UTC）：未来 30 天内有 3 台设备需要续费，而可用激活码只有 1 个。",
		"* 可用激活码仅剩 1 个，已达到或低于告警阈值 10。",
		"分配激活码：https://console.example.com/eu-frankfurt/assign.form?product=1",
	} {
		if !strings.Contains(alert.Subject+"\n"+alert.Text, want) {
			t.Errorf("the Chinese alert does not say %q:\n%s\n%s", want, alert.Subject, alert.Text)
		}
	}
}

// The English mail reads as it did before it had a language: one and many
// by the plural rules, dates in UTC.
func TestMails_InEnglish(t *testing.T) {
	alert, err := testRenderer().Alert(everyFact(store.English))
	if err != nil {
		t.Fatal(err)
	}
	if alert.Subject != "Activation code alert: 3 products need attention (Acme)" {
		t.Errorf("subject %q", alert.Subject)
	}
	for _, want := range []string{
		"3 products of Acme need activation codes.",
		"PK PK-1, Frankfurt, package std-1y, 1 code available",
		"PK PK-2, Frankfurt, no package yet, 0 codes available",
		"* 1 device went offline since 2 Dec 2026 at 06:05 UTC: its code expired",
		"* 1,200 devices went offline since 2 Dec 2026 at 06:05 UTC: their codes expired",
		"* 2 devices will go offline at expiry, the first on 2 Dec 2026 at 06:05 UTC: 3 devices are due to renew in the next 30 days and only 1 code is available.",
		"* 1 device will go offline at expiry, the first on 2 Dec 2026 at 06:05 UTC: 1 device is due to renew in the next 30 days and only 0 codes are available.",
		"* Devices were refused since 2 Dec 2026 at 06:05 UTC because the product has no activation code.",
		"* Only 1 activation code is left, at or below the alert threshold of 10.",
		"Assign codes:  https://console.example.com/eu-frankfurt/assign.form?product=1",
	} {
		if !strings.Contains(alert.Text, want) {
			t.Errorf("the English alert does not say %q:\n%s", want, alert.Text)
		}
	}
	if !strings.Contains(alert.HTML, `<html lang="en">`) {
		t.Errorf("HTML part not marked English:\n%s", alert.HTML)
	}
}

// A heading's underline is as wide as the heading shows in a fixed-width
// font, where a Chinese character takes two columns.
func TestRule_CountsWideCharactersTwice(t *testing.T) {
	if got := columns("Acme 的激活码告警"); got != 5+2*6 {
		t.Errorf("columns = %d", got)
	}
}
