package handlers

import (
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// parseDateRange reads a date-range filter from the query parameters
// fromKey and toKey: days typed as YYYY-MM-DD in the viewer's zone, used
// from 00:00 of the first to 24:00 of the last (the range's To is
// excluded). A date that cannot be used leaves its side open, with the
// reason filed in errs under its parameter; what is used
// is added to keep (the filters kept in page and CSV links). what names the
// dates in messages ("activation": "the first activation date"); "" words
// them as the start and end dates.
func parseDateRange(c echo.Context, fromKey, toKey, what string, loc *time.Location, keep url.Values, errs *views.FormErrors) store.DateRange {
	first, last, earlier := "The start date", "The end date", "the start date"
	if what != "" {
		first, last, earlier = "The first "+what+" date", "The last "+what+" date", "the first"
	}
	var r store.DateRange
	refuse := errs.Set
	fromText, toText := queryText(c, fromKey), queryText(c, toKey)
	if fromText != "" {
		if d, err := time.ParseInLocation("2006-01-02", fromText, loc); err != nil {
			refuse(fromKey, first+" is not a date: pick one from the calendar, or type it as YYYY-MM-DD.")
		} else {
			r.From = d
			keep.Set(fromKey, fromText)
		}
	}
	if toText != "" {
		d, err := time.ParseInLocation("2006-01-02", toText, loc)
		switch {
		case err != nil:
			refuse(toKey, last+" is not a date: pick one from the calendar, or type it as YYYY-MM-DD.")
		case !r.From.IsZero() && d.Before(r.From):
			refuse(toKey, last+" is before "+earlier+": pick a day on or after "+fromText+".")
		default:
			r.To = d.AddDate(0, 0, 1)
			keep.Set(toKey, toText)
		}
	}
	return r
}

// parseDayRange reads name_from and name_to, the device lists' activation
// and expiration filters (name "activated" or "expires").
func parseDayRange(c echo.Context, name string, loc *time.Location, keep url.Values, errs *views.FormErrors) store.DateRange {
	label := map[string]string{"activated": "activation", "expires": "expiration"}[name]
	return parseDateRange(c, name+"_from", name+"_to", label, loc, keep, errs)
}

// queryText is a query parameter as typed, without surrounding spaces.
func queryText(c echo.Context, key string) string { return strings.TrimSpace(c.QueryParam(key)) }
