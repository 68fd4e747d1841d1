package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"activation-console/store"
	"activation-console/views"
)

// maxBodyBytes caps an API request body (body_limit.go); the largest
// legitimate one is a few hundred bytes.
const maxBodyBytes = bodyLimit

// apiErrorBody is the one shape of every API error (docs/api.md, "Conventions").
type apiErrorBody struct {
	Error   string            `json:"error"`
	Message string            `json:"message"`
	Field   string            `json:"field,omitempty"`
	Reason  store.LapseReason `json:"reason,omitempty"`
}

// The API's error codes that only the HTTP layer raises; the store's are
// store.Code* (docs/api.md, "Conventions").
const (
	codeUnauthorized     = "unauthorized"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeTooLarge         = "request_too_large"
	codeTooManyRequests  = "too_many_requests"
	codeWrongDC          = "wrong_data_center"
	codeUnavailable      = "unavailable"
	codeInternal         = "internal"
)

// apiRefusal is a 400 invalid_request the HTTP layer raises about the form
// of an API request (its JSON, a path segment). Only programs read it, and
// the API speaks English (docs/i18n.md), so it keeps its words here rather
// than as a store refusal's message id; encoding/json's details are English
// anyway.
type apiRefusal struct{ field, message string }

func (e *apiRefusal) Error() string { return "api: " + store.CodeInvalid + ": " + e.message }

// badRequest is a 400 invalid_request about one input field.
func badRequest(field, format string, args ...any) *apiRefusal {
	return &apiRefusal{field: field, message: fmt.Sprintf(format, args...)}
}

// decodeJSON reads exactly one JSON object of at most maxBodyBytes into dst,
// refusing fields dst does not have. Its errors are 400 invalid_request that
// name the field at fault when the decoder knows it, or 413 request_too_large.
func decodeJSON(c echo.Context, dst any) error {
	body := http.MaxBytesReader(c.Response(), c.Request().Body, maxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var tooLarge *http.MaxBytesError
	if err := dec.Decode(dst); errors.As(err, &tooLarge) {
		return errBodyTooLarge(c.Request().Context(), maxBodyBytes)
	} else if err != nil {
		return jsonError(err)
	}
	// Anything after the object, even a second valid value, is a malformed request.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if errors.As(err, &tooLarge) {
			return errBodyTooLarge(c.Request().Context(), maxBodyBytes)
		}
		return badRequest("", "the body must hold exactly one JSON object")
	}
	return nil
}

// jsonError words a decoding error for the client.
func jsonError(err error) *apiRefusal {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return badRequest("", "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &syntax):
		return badRequest("", "malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("", "the body must be a JSON object")
		}
		return badRequest(typ.Field, "%s must be %s", typ.Field, jsonTypeName(typ.Type))
	}
	// encoding/json has no typed error for an unknown field, only this message.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if unquoted, uerr := strconv.Unquote(name); uerr == nil {
			name = unquoted
		}
		return badRequest(name, "unknown field %q", name)
	}
	return badRequest("", "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonTypeName says what JSON a Go type of a request struct expects.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[accountRef]() {
		return "an account id or its owner's e-mail"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// requireFields refuses the first of name/value pairs whose value is empty.
func requireFields(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return badRequest(pairs[i], "%s is required", pairs[i])
		}
	}
	return nil
}

// pathParam reads a path parameter. Echo routes on the escaped path when the
// URL has escapes the default encoding would not make, and then hands the
// parameter over still escaped.
func pathParam(c echo.Context, name string) (string, error) {
	v := c.Param(name)
	if c.Request().URL.RawPath == "" {
		return v, nil
	}
	unescaped, err := url.PathUnescape(v)
	if err != nil {
		return "", badRequest(name, "%s is not a valid URL path segment", name)
	}
	return unescaped, nil
}

// accountRef is the API's reference to an account: its id (a JSON number or
// string) or its owner's e-mail.
type accountRef string

// UnmarshalJSON accepts a string or a whole number.
func (a *accountRef) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = accountRef(s)
		return nil
	}
	var id int64
	if err := json.Unmarshal(b, &id); err == nil {
		*a = accountRef(strconv.FormatInt(id, 10))
		return nil
	}
	// The decoder adds the field's name to this error type only.
	return &json.UnmarshalTypeError{Value: "value", Type: reflect.TypeFor[accountRef]()}
}

// apiTime is a time as the API writes it: RFC 3339 in UTC.
func apiTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// apiTimeOrNull is apiTime, or null for no time.
func apiTimeOrNull(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := apiTime(*t)
	return &s
}

// apiStatuses maps the store's error kinds to HTTP statuses.
var apiStatuses = map[store.Kind]int{
	store.KindInvalid:   http.StatusBadRequest,
	store.KindNotFound:  http.StatusNotFound,
	store.KindConflict:  http.StatusConflict,
	store.KindForbidden: http.StatusForbidden,
}

// writeAPIError answers an API request with err: a *store.Error as its code
// and its message in English, an apiRefusal as invalid_request, anything else as 500 "Internal error", the real error going
// only to the log with the request id.
func (h *Handler) writeAPIError(c echo.Context, err error) {
	status, body := http.StatusInternalServerError, apiErrorBody{Error: codeInternal, Message: "Internal error"}
	var refusal *apiRefusal
	if errors.As(err, &refusal) {
		status, body = http.StatusBadRequest, apiErrorBody{Error: store.CodeInvalid, Message: refusal.message, Field: refusal.field}
	} else if e, ok := store.AsError(err); ok && apiStatuses[e.Kind] != 0 {
		english := views.WithLanguage(c.Request().Context(), store.English)
		status, body = apiStatuses[e.Kind], apiErrorBody{Error: e.Code, Message: views.ErrorText(english, e), Field: e.Field, Reason: e.Reason}
	} else if store.IsUnavailable(err) {
		h.unavailable(c, err)
		status, body = http.StatusServiceUnavailable, apiErrorBody{Error: codeUnavailable, Message: "the service is briefly unavailable; retry"}
	} else {
		h.logInternal(c, err)
	}
	h.writeJSONError(c, status, body)
}

// The longest message and field name an error body carries (docs/openapi.json,
// "Error"): a message quotes what the client sent, which may be up to the
// body limit or a long URL, and an answer need not repeat it in full.
const (
	maxErrorMessage = 500
	maxErrorField   = 64
)

// clip cuts s to at most max characters, the last of them "…" when it cut.
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}

// writeJSONError sends an error body; a HEAD request gets the status alone.
func (h *Handler) writeJSONError(c echo.Context, status int, body apiErrorBody) {
	body.Message, body.Field = clip(body.Message, maxErrorMessage), clip(body.Field, maxErrorField)
	var err error
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = c.JSON(status, body)
	}
	if err != nil {
		h.log.Error("handlers: write error response", "request_id", requestID(c), "err", err)
	}
}

// retryAfter is the Retry-After of a 503: seconds after which the same
// request may well succeed.
const retryAfter = "2"

// unavailable records that the database could not serve a request and sets
// the answer's Retry-After.
func (h *Handler) unavailable(c echo.Context, err error) {
	c.Response().Header().Set("Retry-After", retryAfter)
	h.log.WarnContext(c.Request().Context(), "handlers: database unavailable", "request_id", requestID(c),
		"method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
}

// logInternal records an error the client is not told about.
func (h *Handler) logInternal(c echo.Context, err error) {
	h.log.ErrorContext(c.Request().Context(), "handlers: internal error", "request_id", requestID(c),
		"method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
}

// requestID is the id echo's RequestID middleware gave the request.
func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}
