package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// httpErrorCodes are the API's codes for the errors echo itself raises.
var httpErrorCodes = map[int]string{
	http.StatusBadRequest:            store.CodeInvalid,
	http.StatusUnauthorized:          codeUnauthorized,
	http.StatusForbidden:             store.CodeForbidden,
	http.StatusNotFound:              codeNotFound,
	http.StatusMethodNotAllowed:      codeMethodNotAllowed,
	http.StatusRequestEntityTooLarge: codeTooLarge,
	http.StatusUnsupportedMediaType:  store.CodeInvalid,
	http.StatusTooManyRequests:       codeTooManyRequests,
	http.StatusMisdirectedRequest:    codeWrongDC,
	http.StatusServiceUnavailable:    codeUnavailable,
}

// handleError is echo's HTTPErrorHandler: every error a handler returns ends
// here. API paths get the API's JSON error shape (docs/api.md, "Conventions"),
// other paths a short page. The text of an internal error never reaches the client.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if isAPI(c) {
		h.apiError(err, c)
		return
	}
	h.pageError(err, c)
}

// apiError answers an API request that failed.
func (h *Handler) apiError(err error, c echo.Context) {
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		h.writeAPIError(c, err)
		return
	}
	code, known := httpErrorCodes[he.Code]
	if !known || he.Code >= 500 {
		h.writeAPIError(c, err)
		return
	}
	h.writeJSONError(c, he.Code, apiErrorBody{Error: code, Message: httpErrorMessage(he)})
}

// httpErrorMessage words the errors echo raises, in the style of the store's
// messages; echo's own text may carry internals.
func httpErrorMessage(he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusNotFound:
		return "there is no such API endpoint"
	case http.StatusMethodNotAllowed:
		return "this API endpoint does not take that method"
	case http.StatusRequestEntityTooLarge, http.StatusTooManyRequests, http.StatusMisdirectedRequest:
		if m, ok := he.Message.(string); ok {
			return m // worded by the console (body_limit.go, csv_export.go, datacenters.go)
		}
	}
	return strings.ToLower(http.StatusText(he.Code))
}

// pageError answers a console request that failed: a page of its own, or for
// htmx a fragment whose message app.js shows, in the request's language.
func (h *Handler) pageError(err error, c echo.Context) {
	ctx := c.Request().Context()
	status, message := http.StatusInternalServerError, views.T(ctx, "errors.internal")
	var he *echo.HTTPError
	switch e, ok := store.AsError(err); {
	case ok && apiStatuses[e.Kind] != 0:
		status, message = apiStatuses[e.Kind], views.Sentence(views.ErrorText(c.Request().Context(), e))
	case errors.As(err, &he) && he.Code < 500:
		status, message = he.Code, views.T(ctx, "errors.status_sentence", "Status", statusText(ctx, he.Code))
		if m, ok := he.Message.(string); ok && he.Message != http.StatusText(he.Code) {
			message = views.Sentence(m) // handlers word their refusals for people
		}
		if he.Code == http.StatusNotFound {
			message = views.T(ctx, "errors.not_found")
		}
	case store.IsUnavailable(err):
		h.unavailable(c, err)
		status, message = http.StatusServiceUnavailable, views.T(ctx, "errors.unavailable")
	default:
		h.logInternal(c, err)
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	comp := views.ErrorPage(status, statusText(ctx, status), message)
	if isPartial(c) { // as render decides: a history restore or a swap of #main gets the page
		comp = views.ErrorFragment(message)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	var buf bytes.Buffer
	// Not the request's context: its deadline may be what failed it (deadline.go).
	if err := comp.Render(views.WithPage(context.WithoutCancel(c.Request().Context()), h.barePage(c)), &buf); err != nil {
		h.log.Error("handlers: render error page", "request_id", requestID(c), "err", err)
		return
	}
	if err := c.HTMLBlob(status, buf.Bytes()); err != nil {
		h.log.Error("handlers: write error page", "request_id", requestID(c), "err", err)
	}
}

// statusTexts name the statuses of the console's error pages, as their titles.
var statusTexts = map[int]string{
	http.StatusBadRequest:            "errors.status.bad_request",
	http.StatusUnauthorized:          "errors.status.unauthorized",
	http.StatusForbidden:             "errors.status.forbidden",
	http.StatusNotFound:              "errors.status.not_found",
	http.StatusMethodNotAllowed:      "errors.status.method_not_allowed",
	http.StatusConflict:              "errors.status.conflict",
	http.StatusRequestEntityTooLarge: "errors.status.too_large",
	http.StatusUnsupportedMediaType:  "errors.status.unsupported_media_type",
	http.StatusMisdirectedRequest:    "errors.status.misdirected",
	http.StatusUnprocessableEntity:   "errors.status.unprocessable",
	http.StatusTooManyRequests:       "errors.status.too_many_requests",
	http.StatusInternalServerError:   "errors.status.internal",
	http.StatusServiceUnavailable:    "errors.status.unavailable",
}

// statusText is the title of an error page with this status, in the
// language on ctx; a status the console does not expect is named by its number.
func statusText(ctx context.Context, status int) string {
	if id, ok := statusTexts[status]; ok {
		return views.T(ctx, id)
	}
	return views.T(ctx, "errors.status.unknown", "Status", strconv.Itoa(status))
}
