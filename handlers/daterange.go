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
// dates in messages ("activation": "the first activation date"); "" words
// them as the start and end dates.
func parseDateRange(c echo.Context, fromKey, toKey, what string, loc *time.Location, keep url.Values) dateRange {
	first, last, earlier := "The start date", "The end date", "the start date"
	if what != "" {
		first, last, earlier = "The first "+what+" date", "The last "+what+" date", "the first"
	}
	r := dateRange{FromText: strings.TrimSpace(c.QueryParam(fromKey)), ToText: strings.TrimSpace(c.QueryParam(toKey))}
	if r.FromText != "" {
		if d, err := time.ParseInLocation("2006-01-02", r.FromText, loc); err != nil {
			r.FromError = first + " is not a date: pick one from the calendar, or type it as YYYY-MM-DD."
		} else {
			r.From = d
			keep.Set(fromKey, r.FromText)
		}
	}
	if r.ToText != "" {
		d, err := time.ParseInLocation("2006-01-02", r.ToText, loc)
		switch {
		case err != nil:
			r.ToError = last + " is not a date: pick one from the calendar, or type it as YYYY-MM-DD."
		case !r.From.IsZero() && d.Before(r.From):
			r.ToError = last + " is before " + earlier + ": pick a day on or after " + r.FromText + "."
		default:
			r.To = d.AddDate(0, 0, 1)
			keep.Set(toKey, r.ToText)
		}
	}
	return r
}

// invalid tells whether either date was refused.
func (r dateRange) invalid() bool { return r.FromError != "" || r.ToError != "" }

// parseDayRange reads name_from and name_to (the device lists' activation and
// expiration filters) into the typed values, the used bounds (nil: open) and
// the errors by field.
func parseDayRange(c echo.Context, loc *time.Location, name string, from, to *string, values url.Values, errs map[string]string) (*time.Time, *time.Time) {
	label := map[string]string{"activated": "activation", "expires": "expiration"}[name]
	r := parseDateRange(c, name+"_from", name+"_to", label, loc, values)
	*from, *to = r.FromText, r.ToText
	if r.FromError != "" {
		errs[name+"_from"] = r.FromError
	}
	if r.ToError != "" {
		errs[name+"_to"] = r.ToError
	}
	var start, end *time.Time
	if !r.From.IsZero() {
		start = &r.From
	}
	if !r.To.IsZero() {
		end = &r.To
	}
	return start, end
}
