package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// auditLog is the account's audit log (docs/pages.md, "8. Audit log"), or its CSV.
func (h *Handler) auditLog(c echo.Context) error {
	v := currentViewer(c)
	q := parseAuditQuery(c, v.loc)
	p := h.page(c, views.T(c.Request().Context(), "audit.title"), "audit")
	return listPage(h, c, list[store.AuditFilter, store.AuditEntry]{query: q, page: p, path: h.url(c, routenames.Audit),
		csv: func(f store.AuditFilter) error { return h.auditCSV(c, f, v.account.ID, v.loc) },
		read: func(ctx context.Context, f store.AuditFilter, page store.PageRequest) (store.Page[store.AuditEntry], error) {
			return h.store.AuditLog(ctx, v.account.ID, f, page)
		},
		show: func(rows store.Page[store.AuditEntry], pager views.Pager) (templ.Component, templ.Component) {
			l := views.AuditList{User: q.filter.User, Type: q.filter.Type, From: queryText(c, "from"), To: queryText(c, "to"),
				Errors: q.errs, Types: store.AuditTypes, Rows: rows.Rows, Pager: pager}
			return views.AuditResults(l), views.AuditLog(l)
		}})
}

// parseAuditQuery reads the log's filters: the user, the type (one of
// store.AuditTypes, else none) and the dates.
func parseAuditQuery(c echo.Context, loc *time.Location) listQuery[store.AuditFilter] {
	q := listQuery[store.AuditFilter]{keep: url.Values{}}
	q.filter = store.AuditFilter{User: queryText(c, "user"), Type: store.AuditType(c.QueryParam("type"))}
	if q.filter.User != "" {
		q.keep.Set("user", q.filter.User)
	}
	if !slices.Contains(store.AuditTypes, q.filter.Type) {
		q.filter.Type = ""
	} else {
		q.keep.Set("type", string(q.filter.Type))
	}
	q.filter.DateRange = q.dateRange(c, "from", "to", "", loc)
	return q
}

// auditCSV exports the log with times in the viewer's zone.
func (h *Handler) auditCSV(c echo.Context, f store.AuditFilter, accountID int64, loc *time.Location) error {
	ctx := c.Request().Context()
	return exportCSV(c, "audit-log.csv", views.AuditCSV(ctx, loc),
		func(row func(store.AuditEntry) error) error {
			return h.store.EachAuditEntry(ctx, accountID, f, row)
		})
}

// requireOwnerOrSupport keeps a route to the account's owner and to support staff.
func (h *Handler) requireOwnerOrSupport(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if v := currentViewer(c); v.user.Role != store.RoleOwner && !v.support() {
			return echo.NewHTTPError(http.StatusForbidden, views.T(c.Request().Context(), "audit.owner_only"))
		}
		return next(c)
	}
}
