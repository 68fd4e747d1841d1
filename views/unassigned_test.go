package views

import (
	"context"
	"testing"

	"activation-console/store"
)

func TestValidityText(t *testing.T) {
	en := WithLanguage(context.Background(), store.English)
	zh := WithLanguage(context.Background(), store.Chinese)
	for _, tc := range []struct{ interval, en, zh string }{
		{"1 year", "1 year", "1 年"},
		{"5 years", "5 years", "5 年"},
		{"1 mon", "1 month", "1 个月"},
		{"1 year 6 mons", "1 year 6 months", "1 年 6 个月"},
		{"30 days", "30 days", "30 天"},
		{"1 day 02:30:00", "1 day 2 hours 30 minutes", "1 天 2 小时 30 分钟"},
		{"00:01:30", "1 minute 30 seconds", "1 分钟 30 秒"},
		{"P1Y", "P1Y", "P1Y"}, // not PostgreSQL's style: shown as it is
		{"3 fortnights", "3 fortnights", "3 fortnights"},
	} {
		if got := ValidityText(en, tc.interval); got != tc.en {
			t.Errorf("en %q: %q, want %q", tc.interval, got, tc.en)
		}
		if got := ValidityText(zh, tc.interval); got != tc.zh {
			t.Errorf("zh %q: %q, want %q", tc.interval, got, tc.zh)
		}
	}
}
