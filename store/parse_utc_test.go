package store

import (
	"database/sql"
	"testing"
	"time"
)

// parseUTC reads what PostgreSQL writes for a timestamp in UTC, to the
// microsecond: the export's keyset cursor is the expiry it returns, so a
// time read a microsecond off would skip or repeat a row.
func TestParseUTC(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"2027-03-01 08:00:00", time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)},
		{"2027-03-01 08:00:00.5", time.Date(2027, 3, 1, 8, 0, 0, 500_000_000, time.UTC)},
		{"2027-03-01 08:00:00.000001", time.Date(2027, 3, 1, 8, 0, 0, 1_000, time.UTC)},
		{"1999-12-31 23:59:59.999999", time.Date(1999, 12, 31, 23, 59, 59, 999_999_000, time.UTC)},
	} {
		got, err := parseUTC(sql.NullString{String: c.in, Valid: true})
		if err != nil || !got.Valid || !got.Time.Equal(c.want) || got.Time.Location() != time.UTC {
			t.Errorf("parseUTC(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	if got, err := parseUTC(sql.NullString{}); err != nil || got.Valid {
		t.Errorf("parseUTC(NULL) = %v, %v; want not valid", got, err)
	}
	for _, in := range []string{"2027-03-01 08:00:0x", "2027-03-01T08:00:00", "2027-03-01 08:00:00.", "infinity", "", "0001-01-01 00:00:00 BC", "12027-03-01 08:00:00"} {
		if got, err := parseUTC(sql.NullString{String: in, Valid: true}); err == nil {
			t.Errorf("parseUTC(%q) = %v, want an error", in, got)
		}
	}
}
