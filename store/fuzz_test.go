package store

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// Fuzz tests of the store's input parsers: whatever arrives from a URL or a
// form, they answer with a value or an *Error, never a panic. Their seed
// corpora (f.Add and testdata/fuzz) run on every `go test`.

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), int64(42)))
	f.Add(encodeCursor("T3-0001", int64(7)))
	f.Add("")
	f.Add("garbage!")
	f.Add("W10")        // []
	f.Add("WzEsMiwzXQ") // [1,2,3]
	f.Fuzz(func(t *testing.T, cursor string) {
		var at time.Time
		var id int64
		if err := decodeCursor(cursor, &at, &id); err != nil {
			if e, ok := AsError(err); !ok || e.Code != CodeInvalid {
				t.Fatalf("cursor %q: %v is not an invalid_request", cursor, err)
			}
		}
		ks := keyset{columns: "a.at, a.id", desc: true, page: PageRequest{After: cursor}}
		_, _, _, _ = ks.clause(nil, &at, &id)
	})
}

func FuzzParseDeviceKeys(f *testing.F) {
	f.Add("dev-1\ndev-2\r\ndev-3")
	f.Add("a, b; c\td")
	f.Add("")
	f.Add("bad key with spaces but\nok")
	f.Add(strings.Repeat("x", 65))
	f.Fuzz(func(t *testing.T, text string) {
		keys, err := ParseDeviceKeys(text)
		if err != nil {
			if e, ok := AsError(err); !ok || e.Field != "device_keys" {
				t.Fatalf("%q: %v", text, err)
			}
			return
		}
		if len(keys) == 0 {
			t.Fatalf("%q: no keys and no error", text)
		}
		for _, k := range keys {
			if checkKey("device_key", k) != nil {
				t.Fatalf("%q gave the malformed key %q", text, k)
			}
		}
	})
}

func FuzzParseValidity(f *testing.F) {
	for _, v := range []string{"5y", "12mo", "30d", "90s", "0d", "1x", "", "999999y", "-1d"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		interval, err := ParseValidity(v)
		if err == nil && (interval == "" || strings.HasPrefix(interval, "0 ")) {
			t.Fatalf("%q: %q", v, interval)
		}
	})
}

func FuzzCheckEmail(f *testing.F) {
	for _, e := range []string{"ops@acme.example", "  ops@acme.example ", "no-at", "a@b", `"quoted"@x.example`, "x@y.example>", "<x@y.example>"} {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, email string) {
		got, err := CheckEmail("email", email)
		if err == nil && (!strings.Contains(got, "@") || !utf8.ValidString(got) || strings.ContainsAny(got, "<> \n")) {
			t.Fatalf("%q accepted as %q", email, got)
		}
	})
}

// FuzzGroupByScope: whatever the recipients' scopes, each gets the alerting
// products it may see, exactly, in one mail, and nobody gets an empty one
// (docs/SECURITY.md, "Tenant scope in alert mail").
func FuzzGroupByScope(f *testing.F) {
	f.Add([]byte{3, 0, 1, 2, 1, 5, 2, 7})
	f.Add([]byte{1, 2, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 1 {
			return
		}
		var alerts []ProductAlert
		for i := range int(b[0]%6) + 1 {
			alerts = append(alerts, ProductAlert{ProductID: int64(i + 1)})
		}
		var rs []scopedRecipient
		for i := 1; i+1 < len(b); i += 2 {
			r := scopedRecipient{Email: "r" + itoa(i) + "@x.example", Reach: []string{ReachAll, ReachChosen, ReachNone}[b[i]%3]}
			for bit := range 8 {
				if b[i+1]&(1<<bit) != 0 {
					r.ProductIDs = append(r.ProductIDs, int64(bit))
				}
			}
			rs = append(rs, r)
		}
		got := map[string][]int64{}
		for _, g := range groupByScope(alerts, rs) {
			if len(g.products) == 0 || len(g.to) == 0 {
				t.Fatalf("an empty group: %+v", g)
			}
			for _, to := range g.to {
				if _, twice := got[to]; twice {
					t.Fatalf("%s in two mails", to)
				}
				got[to] = column(g.products, func(p ProductAlert) int64 { return p.ProductID })
			}
		}
		for _, r := range rs {
			var want []int64
			for _, a := range alerts {
				if r.Reach == ReachAll || r.Reach == ReachChosen && slices.Contains(r.ProductIDs, a.ProductID) {
					want = append(want, a.ProductID)
				}
			}
			if !slices.Equal(got[r.Email], want) {
				t.Fatalf("%s (%s %v) gets %v, want %v", r.Email, r.Reach, r.ProductIDs, got[r.Email], want)
			}
		}
	})
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, e := range []string{"owner@acme.example", " Owner@ACME.example\u00a0", "ｏｗｎｅｒ＠ａｃｍｅ．ｅｘａｍｐｌｅ", "a\x00b", "\xff", "İSTANBUL@x.example", "ǅ@x", "ß@x", "\u212a@x", "ﬃ@x"} {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormalizeEmail(in)
		if err != nil {
			return
		}
		if got == "" || len(got) > MaxEmailLength || !utf8.ValidString(got) || strings.ContainsFunc(got, unicode.IsControl) ||
			strings.TrimSpace(got) != got || strings.ToLower(got) != got {
			t.Fatalf("%q normalized to %q", in, got)
		}
		// One normal form: normalizing it again, or another case of it, changes nothing.
		if again, err := NormalizeEmail(got); err != nil || again != got {
			t.Fatalf("%q -> %q -> %q, %v", in, got, again, err)
		}
		if upper, err := NormalizeEmail(strings.ToUpper(in)); err == nil && upper != got && strings.ToLower(strings.ToUpper(in)) == strings.ToLower(in) {
			t.Fatalf("%q -> %q but its upper case -> %q", in, got, upper)
		}
	})
}
