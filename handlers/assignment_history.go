package handlers

import (
	"context"
	"net/url"
	"time"

	"github.com/a-h/templ"
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
	q := parseHistoryQuery(c, v.loc)
	p := h.page(c, views.T(c.Request().Context(), "history.title"), "overview")
	return listPage(h, c, list[store.AssignmentFilter, store.AssignmentRecord]{query: q, page: p, path: h.url(c, routenames.AssignmentHistory),
		csv: func(f store.AssignmentFilter) error { return h.assignmentHistoryCSV(c, sc, f, v.loc) },
		read: func(ctx context.Context, f store.AssignmentFilter, page store.PageRequest) (store.Page[store.AssignmentRecord], error) {
			return h.store.AssignmentHistory(ctx, sc, f, page)
		},
		show: func(rows store.Page[store.AssignmentRecord], pager views.Pager) (templ.Component, templ.Component) {
			l := views.AssignmentHistoryList{Search: q.filter.Search, From: queryText(c, "from"), To: queryText(c, "to"),
				Errors: q.errs, Rows: rows.Rows, Pager: pager}
			return views.AssignmentHistoryResults(l), later(func() (templ.Component, error) {
				head, err := h.licenseHead(c, p, views.TabHistory)
				return views.AssignmentHistory(head, l), err
			})
		}})
}

// parseHistoryQuery reads the search and the date range.
func parseHistoryQuery(c echo.Context, loc *time.Location) listQuery[store.AssignmentFilter] {
	q := listQuery[store.AssignmentFilter]{keep: url.Values{}}
	if q.filter.Search = queryText(c, "q"); q.filter.Search != "" {
		q.keep.Set("q", q.filter.Search)
	}
	q.filter.DateRange = q.dateRange(c, "from", "to", "", loc)
	return q
}

// assignmentHistoryCSV exports the history with times in the viewer's zone.
func (h *Handler) assignmentHistoryCSV(c echo.Context, sc store.Scope, filter store.AssignmentFilter, loc *time.Location) error {
	return exportCSV(c, "assignment-history-"+sc.DC+".csv", views.AssignmentHistoryCSV(c.Request().Context(), loc),
		func(row func(store.AssignmentRecord) error) error {
			return h.store.EachAssignment(c.Request().Context(), sc, filter, row)
		})
}
