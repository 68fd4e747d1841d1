package handlers

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"activation-console/store"
)

// httpErrorCodes are the API's codes for the errors echo itself raises.
var httpErrorCodes = map[int]string{
	http.StatusBadRequest:            store.CodeInvalid,
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: store.CodeInvalid,
	http.StatusUnsupportedMediaType:  store.CodeInvalid,
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusServiceUnavailable:    "unavailable",
}

// handleError is echo's HTTPErrorHandler: every error a handler returns ends
// here. API paths get the JSON shape of SPEC section 8, other paths a short
// page. The text of an internal error never reaches the client.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
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
	h.writeJSONError(c, he.Code, apiErrorBody{Error: code, Message: httpErrorMessage(he.Code)})
}

// httpErrorMessage words the errors echo raises, in the style of the store's
// messages; echo's own text may carry internals.
func httpErrorMessage(status int) string {
	switch status {
	case http.StatusNotFound:
		return "there is no such API endpoint"
	case http.StatusMethodNotAllowed:
		return "this API endpoint does not take that method"
	}
	return strings.ToLower(http.StatusText(status))
}

// pageError answers a console request that failed with a minimal page; the
// console's own error pages replace it with the console's layout.
func (h *Handler) pageError(err error, c echo.Context) {
	status, message := http.StatusInternalServerError, "Internal error"
	var he *echo.HTTPError
	switch e, ok := store.AsError(err); {
	case ok && apiStatuses[e.Kind] != 0:
		status, message = apiStatuses[e.Kind], e.Message
	case errors.As(err, &he) && he.Code < 500:
		status, message = he.Code, http.StatusText(he.Code)
	default:
		h.logInternal(c, err)
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	page := fmt.Sprintf("<!doctype html>\n<title>%d %s</title>\n<h1>%s</h1>\n<p>%s</p>\n",
		status, http.StatusText(status), http.StatusText(status), html.EscapeString(message))
	if err := c.HTML(status, page); err != nil {
		h.log.Error("handlers: write error page", "request_id", requestID(c), "err", err)
	}
}
