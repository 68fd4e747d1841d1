package views

import (
	"context"
	"testing"

	"activation-console/store"
)

// TestTn_PicksThePluralFormByTheLanguagesRule: "1 row" and "2 rows" in
// English, one form in Chinese, the number written with separators.
func TestTn_PicksThePluralFormByTheLanguagesRule(t *testing.T) {
	en := WithLanguage(context.Background(), store.English)
	zh := WithLanguage(context.Background(), store.Chinese)
	for _, tc := range []struct {
		n      int64
		en, zh string
	}{
		{0, "Showing 0 rows", "显示 0 条"},
		{1, "Showing 1 row", "显示 1 条"},
		{2, "Showing 2 rows", "显示 2 条"},
		{1200, "Showing 1,200 rows", "显示 1,200 条"},
	} {
		if got := Tn(en, "components.pager.showing", tc.n); got != tc.en {
			t.Errorf("en %d: %q, want %q", tc.n, got, tc.en)
		}
		if got := Tn(zh, "components.pager.showing", tc.n); got != tc.zh {
			t.Errorf("zh %d: %q, want %q", tc.n, got, tc.zh)
		}
	}
}

func TestSentence(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"there is no such product", "There is no such product."},
		{"this recipient is not on the list (any more)", "This recipient is not on the list (any more)."},
		{`there is no product "PK-1"`, `There is no product "PK-1".`},
		{"already a sentence.", "Already a sentence."},
		{"really?", "Really?"},
		{`"key!" is not a DeviceKey: use '-', '_' or '.'`, `"key!" is not a DeviceKey: use '-', '_' or '.'`},
		{"échec", "Échec."},
	} {
		if got := Sentence(tc.in); got != tc.want {
			t.Errorf("Sentence(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
