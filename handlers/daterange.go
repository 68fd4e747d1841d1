package handlers

import (
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// dateRange reads a date-range filter of the list from the query
// parameters fromKey and toKey: days typed as YYYY-MM-DD in the viewer's
// zone, used from 00:00 of the first to 24:00 of the last (the range's To is
// excluded). A date that cannot be used leaves its side open, with the
// reason filed in q.errs under its parameter; what is used is kept in
// q.keep (the filters kept in page and CSV links). kind names the dates in
// the refusals: "" as start and end dates, "activated" or "expires" as a
// device list's first and last activation or expiration dates.
func (q *listQuery[F]) dateRange(c echo.Context, fromKey, toKey, kind string, loc *time.Location) store.DateRange {
	ctx, msgs := c.Request().Context(), rangeRefusals[kind]
	var r store.DateRange
	refuse := q.errs.Set
	fromText, toText := queryText(c, fromKey), queryText(c, toKey)
	if fromText != "" {
		if d, err := time.ParseInLocation("2006-01-02", fromText, loc); err != nil {
			refuse(fromKey, views.T(ctx, msgs.fromNotADate))
		} else {
			r.From = d
			q.keep.Set(fromKey, fromText)
		}
	}
	if toText != "" {
		d, err := time.ParseInLocation("2006-01-02", toText, loc)
		switch {
		case err != nil:
			refuse(toKey, views.T(ctx, msgs.toNotADate))
		case !r.From.IsZero() && d.Before(r.From):
			refuse(toKey, views.T(ctx, msgs.toBeforeFrom, "From", fromText))
		default:
			r.To = d.AddDate(0, 0, 1)
			q.keep.Set(toKey, toText)
		}
	}
	return r
}

// rangeMessages are the ids of the messages refusing a range's dates.
type rangeMessages struct{ fromNotADate, toNotADate, toBeforeFrom string }

// rangeRefusals are the refusals of each kind of range (listQuery.dateRange).
var rangeRefusals = map[string]rangeMessages{
	"":          {"components.dates.start_not_a_date", "components.dates.end_not_a_date", "components.dates.end_before_start"},
	"activated": {"components.dates.activated_first_not_a_date", "components.dates.activated_last_not_a_date", "components.dates.activated_last_before_first"},
	"expires":   {"components.dates.expires_first_not_a_date", "components.dates.expires_last_not_a_date", "components.dates.expires_last_before_first"},
}

// dayRange reads name_from and name_to, the device lists' activation and
// expiration filters (name "activated" or "expires").
func (q *listQuery[F]) dayRange(c echo.Context, name string, loc *time.Location) store.DateRange {
	return q.dateRange(c, name+"_from", name+"_to", name, loc)
}

// queryText is a query parameter as typed, without surrounding spaces.
func queryText(c echo.Context, key string) string { return strings.TrimSpace(c.QueryParam(key)) }
