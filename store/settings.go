package store

import (
	"context"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zones work on machines without a zoneinfo database
)

// TimeZones are the zones the settings page offers, west to east. Any other
// IANA zone is accepted too; these are the ones people look for.
var TimeZones = []string{
	"Pacific/Honolulu",
	"America/Anchorage",
	"America/Los_Angeles",
	"America/Denver",
	"America/Phoenix",
	"America/Chicago",
	"America/Mexico_City",
	"America/New_York",
	"America/Toronto",
	"America/Bogota",
	"America/Santiago",
	"America/Sao_Paulo",
	"America/Argentina/Buenos_Aires",
	"Atlantic/Reykjavik",
	"UTC",
	"Europe/London",
	"Europe/Lisbon",
	"Africa/Lagos",
	"Europe/Paris",
	"Europe/Berlin",
	"Europe/Madrid",
	"Europe/Rome",
	"Europe/Amsterdam",
	"Europe/Stockholm",
	"Europe/Warsaw",
	"Africa/Cairo",
	"Africa/Johannesburg",
	"Europe/Athens",
	"Europe/Helsinki",
	"Europe/Istanbul",
	"Europe/Moscow",
	"Asia/Riyadh",
	"Asia/Dubai",
	"Asia/Karachi",
	"Asia/Kolkata",
	"Asia/Dhaka",
	"Asia/Bangkok",
	"Asia/Jakarta",
	"Asia/Shanghai",
	"Asia/Hong_Kong",
	"Asia/Taipei",
	"Asia/Singapore",
	"Australia/Perth",
	"Asia/Seoul",
	"Asia/Tokyo",
	"Australia/Sydney",
	"Pacific/Auckland",
}

// CheckTimeZone validates an IANA time zone name and returns its location.
func CheckTimeZone(field, tz string) (*time.Location, error) {
	tz = strings.TrimSpace(tz)
	// "" and "Local" load, but name the server's zone, not one a person chose.
	if tz == "" || tz == "Local" {
		return nil, invalid(field, "err.time_zone_missing")
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, invalid(field, "err.time_zone_unknown", "Zone", Quoted(tz))
	}
	return loc, nil
}

// SetTimeZone sets the zone a user's dates are shown in.
func (s *Store) SetTimeZone(ctx context.Context, userID int64, tz string) error {
	loc, err := CheckTimeZone("time_zone", tz)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE users SET time_zone = $2 WHERE id = $1`, userID, loc.String())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFoundErr(CodeUnknownUser, "err.no_user_id", "ID", strconv.FormatInt(userID, 10))
	}
	return nil
}
