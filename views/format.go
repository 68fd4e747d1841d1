package views

import (
	"strconv"
	"time"
)

// Num formats an integer with thousands separators: 1234567 -> "1,234,567".
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

// DateTime shows t in the user's zone, minutes precision.
func DateTime(t time.Time, loc *time.Location) string {
	return t.In(zone(loc)).Format("2006-01-02 15:04")
}

// Date shows the day of t in the user's zone.
func Date(t time.Time, loc *time.Location) string {
	return t.In(zone(loc)).Format("2006-01-02")
}

// UTC is t in UTC for the tooltip.
func UTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") + " UTC" }

func zone(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// plural picks the word for n things.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
