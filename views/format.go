package views

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Num formats an integer with thousands separators: 1234567 -> "1,234,567".
// English and Chinese both group digits by three with a comma (CLDR), so
// the number needs no language.
func Num[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// DateTime shows t in the zone loc, to the minute, the way the language on
// ctx writes it ("2026-12-02 14:05", "2026年12月2日 14:05").
func DateTime(ctx context.Context, t time.Time, loc *time.Location) string {
	return t.In(zone(loc)).Format(T(ctx, "format.datetime"))
}

// Date shows the day of t in the zone loc, the language's way.
func Date(ctx context.Context, t time.Time, loc *time.Location) string {
	return t.In(zone(loc)).Format(T(ctx, "format.date"))
}

// LongDate shows the day of t in the zone loc written out, for a sentence
// ("3 Mar 2027", "2027年3月3日"); Date is for columns and fields.
func LongDate(ctx context.Context, t time.Time, loc *time.Location) string {
	return t.In(zone(loc)).Format(T(ctx, "format.long_date"))
}

// UTC is t in UTC for the tooltip.
func UTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") + " UTC" }

func zone(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// Sentence makes a message written to follow a colon ("there is no such
// product") a sentence for a page ("There is no such product."). A message
// ending in a quoted character ('.') gets no period, which would read as
// one more character. A Chinese message ends in its own full stop (。), and
// gets none.
func Sentence(msg string) string {
	if msg == "" {
		return msg
	}
	r, size := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[size:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "!") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "'") &&
		!strings.HasSuffix(msg, "。") && !strings.HasSuffix(msg, "！") && !strings.HasSuffix(msg, "？") {
		msg += "."
	}
	return msg
}
