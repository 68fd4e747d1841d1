package handlers

import (
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// dateRange is a date-range filter as typed (YYYY-MM-DD, days in the
// viewer's zone) and as used: From at 00:00 of the first day, To at 24:00 of
// the last (excluded). A date that cannot be used is left out, with the reason.
type dateRange struct {
	FromText, ToText   string
	From, To           time.Time
	FromError, ToError string
}

// parseDateRange reads the query parameters fromKey and toKey; what is used
// is added to keep (the filters kept in page and CSV links). what names the
// dates in messages, e.g. "start date".
func parseDateRange(c echo.Context, fromKey, toKey string, loc *time.Location, keep url.Values) dateRange {
	r := dateRange{FromText: strings.TrimSpace(c.QueryParam(fromKey)), ToText: strings.TrimSpace(c.QueryParam(toKey))}
	if r.FromText != "" {
		if d, err := time.ParseInLocation("2006-01-02", r.FromText, loc); err != nil {
			r.FromError = "The start date is not a date: pick one from the calendar, or type it as YYYY-MM-DD."
		} else {
			r.From = d
			keep.Set(fromKey, r.FromText)
		}
	}
	if r.ToText != "" {
		d, err := time.ParseInLocation("2006-01-02", r.ToText, loc)
		switch {
		case err != nil:
			r.ToError = "The end date is not a date: pick one from the calendar, or type it as YYYY-MM-DD."
		case !r.From.IsZero() && d.Before(r.From):
			r.ToError = "The end date is before the start date: pick an end date on or after " + r.FromText + "."
		default:
			r.To = d.AddDate(0, 0, 1)
			keep.Set(toKey, r.ToText)
		}
	}
	return r
}

// invalid tells whether either date was refused.
func (r dateRange) invalid() bool { return r.FromError != "" || r.ToError != "" }
