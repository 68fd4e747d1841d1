package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// assignmentHistory is the license overview with its second tab, the
// assignment history (docs/pages.md, "3. Assignment history"), or that history as CSV.
func (h *Handler) assignmentHistory(c echo.Context) error {
	v := currentViewer(c)
	sc := h.scope(c)
	in := parseHistoryFilters(c, v.loc)
	if wantsCSV(c) {
		return h.assignmentHistoryCSV(c, sc, in.filter, v.loc)
	}
	page, err := h.store.AssignmentHistory(c.Request().Context(), sc, in.filter, pageRequest(c))
	if err != nil {
		return err
	}
	p := h.page(c, "Assignment history", "overview")
	path := h.url(c, routenames.AssignmentHistory)
	list := views.AssignmentHistoryList{Search: in.filter.Search, From: in.from, To: in.to,
		FromError: in.fromError, ToError: in.toError, Rows: page.Rows,
		PrevURL: cursorURL(path, in.values, "before", page.Prev), NextURL: cursorURL(path, in.values, "after", page.Next),
		CSVURL: cursorURL(path, in.values, "format", "csv"), ClearURL: path}
	status := http.StatusOK
	if in.fromError != "" || in.toError != "" {
		status = http.StatusUnprocessableEntity
	}
	partial := views.AssignmentHistoryResults(p, list)
	if isPartial(c) {
		return h.render(c, status, p, partial, partial)
	}
	head, err := h.licenseHead(c, p, views.TabHistory)
	if err != nil {
		return err
	}
	return h.render(c, status, p, views.AssignmentHistory(p, head, list), partial)
}

// historyFilters are the history's query parameters, read and checked.
type historyFilters struct {
	filter             store.AssignmentFilter
	from, to           string     // as typed
	fromError, toError string     // why a date is not used
	values             url.Values // the filters to keep in page and CSV links
}

// parseHistoryFilters reads the search and the date range; the dates are
// days in the viewer's zone, from 00:00 of the first to 24:00 of the last.
// A date that cannot be used is left out, with the reason.
func parseHistoryFilters(c echo.Context, loc *time.Location) historyFilters {
	in := historyFilters{values: url.Values{}}
	in.filter.Search = strings.TrimSpace(c.QueryParam("q"))
	if in.filter.Search != "" {
		in.values.Set("q", in.filter.Search)
	}
	var errs map[string]string
	in.filter.DateRange, errs = parseDateRange(c, "from", "to", "", loc, in.values)
	in.from, in.to, in.fromError, in.toError = queryText(c, "from"), queryText(c, "to"), errs["from"], errs["to"]
	return in
}

// assignmentHistoryCSV streams the history with times in the viewer's zone.
func (h *Handler) assignmentHistoryCSV(c echo.Context, sc store.Scope, filter store.AssignmentFilter, loc *time.Location) error {
	w, err := startCSV(c, "assignment-history-"+sc.DC+".csv", "Time", "Product", "ProductKey", "Package", "Quantity", "Operator")
	if err != nil {
		return err
	}
	err = h.store.EachAssignment(c.Request().Context(), sc, filter, func(r store.AssignmentRecord) error {
		return w.Row(r.CreatedAt.In(loc).Format(time.RFC3339), r.ProductName, r.ProductKey, r.PackageCode,
			strconv.FormatInt(r.Quantity, 10), r.Operator)
	})
	return h.endCSV(c, w, err)
}
