package views

import "testing"

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 codes"},
		{1, "1 code"},
		{2, "2 codes"},
		{1200, "1,200 codes"},
		{-1, "-1 codes"},
	} {
		if got := Count(tc.n, "code", "codes"); got != tc.want {
			t.Errorf("Count(%d) = %q, want %q", tc.n, got, tc.want)
		}
		if got, want := Plural(tc.n, "needs", "need"), map[bool]string{true: "needs", false: "need"}[tc.n == 1]; got != want {
			t.Errorf("Plural(%d) = %q, want %q", tc.n, got, want)
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
