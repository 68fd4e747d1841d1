package store

import "time"

// DateRange bounds a moment in time, as every dated filter of a list does
// (the history's and the audit log's times, a device's activation and
// expiry): From is included, To is excluded, and the zero time leaves that
// side open. A filter of whole days passes To as 00:00 of the day after the
// last one.
type DateRange struct {
	From, To time.Time
}

// IsOpen tells whether neither side is bounded.
func (r DateRange) IsOpen() bool { return r.From.IsZero() && r.To.IsZero() }

// where is the range as conditions on column (" AND column >= $n AND
// column < $m", a side left out when open), with its values appended to args.
func (r DateRange) where(column string, args []any) (string, []any) {
	cond := ""
	if !r.From.IsZero() {
		args = append(args, r.From)
		cond += ` AND ` + column + ` >= $` + itoa(len(args))
	}
	if !r.To.IsZero() {
		args = append(args, r.To)
		cond += ` AND ` + column + ` < $` + itoa(len(args))
	}
	return cond, args
}
