package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"activation-console/handlers/routenames"
	"activation-console/store"
	"activation-console/views"
)

// auditLog is the account's audit log (docs/pages.md, "8. Audit log"), or its CSV.
func (h *Handler) auditLog(c echo.Context) error {
	v := currentViewer(c)
	keep := url.Values{}
	filter := store.AuditFilter{User: strings.TrimSpace(c.QueryParam("user")), Type: store.AuditType(c.QueryParam("type"))}
	if filter.User != "" {
		keep.Set("user", filter.User)
	}
	if !slices.Contains(store.AuditTypes, filter.Type) {
		filter.Type = ""
	} else {
		keep.Set("type", string(filter.Type))
	}
	var dateErrs map[string]string
	filter.DateRange, dateErrs = parseDateRange(c, "from", "to", "", v.loc, keep)
	if wantsCSV(c) {
		w, err := startCSV(c, "audit-log.csv", "Time", "User", "Type", "Operation", "Description")
		if err != nil {
			return err
		}
		err = h.store.EachAuditEntry(c.Request().Context(), v.account.ID, filter, func(e store.AuditEntry) error {
			return w.Row(e.At.In(v.loc).Format(time.RFC3339), e.Actor, views.AuditTypeText(e.Type), e.Operation, e.Description)
		})
		return h.endCSV(c, w, err)
	}
	page, err := h.store.AuditLog(c.Request().Context(), v.account.ID, filter, pageRequest(c))
	if err != nil {
		return err
	}
	p := h.page(c, "Audit log", "audit")
	path := h.url(c, routenames.Audit)
	list := views.AuditList{User: filter.User, Type: filter.Type, From: queryText(c, "from"), To: queryText(c, "to"),
		FromError: dateErrs["from"], ToError: dateErrs["to"], Types: store.AuditTypes, Rows: page.Rows,
		PrevURL: cursorURL(path, keep, "before", page.Prev), NextURL: cursorURL(path, keep, "after", page.Next),
		CSVURL: cursorURL(path, keep, "format", "csv"), ClearURL: path}
	status := http.StatusOK
	if len(dateErrs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return h.render(c, status, p, views.AuditLog(p, list), views.AuditResults(p, list))
}

// requireOwnerOrSupport keeps a route to the account's owner and to support staff.
func (h *Handler) requireOwnerOrSupport(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if v := currentViewer(c); v.user.Role != store.RoleOwner && !v.support() {
			return echo.NewHTTPError(http.StatusForbidden, "Only the account owner reads the audit log.")
		}
		return next(c)
	}
}
