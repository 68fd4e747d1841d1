package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"syscall"

	"github.com/lib/pq"
)

// Kind says which family an Error belongs to; the handlers map it to a status.
type Kind int

// The kinds of Error.
const (
	KindInvalid   Kind = iota + 1 // the input breaks a rule of form (400)
	KindNotFound                  // something named does not exist for the caller (404)
	KindConflict                  // the ledger refuses the operation as things stand (409)
	KindForbidden                 // the caller may not do this (403)
)

// Error is an error whose message is safe to show to the person or program
// that caused it. Code is the API's error code (docs/api.md, "Conventions").
// The store keeps no words: Msg is the id of the message in
// views/locales/errors_store.*.yaml and Args fill its placeholders;
// views.ErrorText words it in a person's language (the API's in English).
type Error struct {
	Kind   Kind
	Code   string
	Msg    string         // the message's id, err.something
	Args   map[string]any // the message's placeholders: counts as ints, what a person typed as Quoted
	Field  string         // the input field at fault, when one
	Reason LapseReason    // why a device's activation expired, for activation_expired
}

// Quoted is what a person or program typed, shown in quotes and escaped
// (as Go's %q does), so that spaces or control characters in it are seen.
type Quoted string

// Error is for logs: the code, the message id and its arguments.
func (e *Error) Error() string {
	s := "store: " + e.Code + ": " + e.Msg
	if len(e.Args) > 0 {
		names := make([]string, 0, len(e.Args))
		for n := range e.Args {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			s += fmt.Sprintf(" %s=%v", n, e.Args[n])
		}
	}
	return s
}

// at files e under the input field at fault.
func (e *Error) at(field string) *Error {
	e.Field = field
	return e
}

// newError is an Error of kind and code with the message id msg, its
// placeholders given in pairs as views.T takes them: "Name", value, ...
func newError(kind Kind, code, msg string, args ...any) *Error {
	e := &Error{Kind: kind, Code: code, Msg: msg}
	if len(args) > 0 {
		e.Args = make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			e.Args[fmt.Sprint(args[i])] = args[i+1]
		}
	}
	return e
}

// AsError returns the *Error inside err, if there is one. PostgreSQL's data
// exceptions (class 22: a NUL byte, invalid UTF-8, a number out of range in
// what a client sent) are the client's input too, and come back as
// invalid_request rather than as internal errors.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code.Class() == "22" {
		return newError(KindInvalid, CodeInvalid, "err.unstorable_input"), true
	}
	return nil, false
}

// HasCode tells whether err is an *Error with the given code.
func HasCode(err error, code string) bool {
	e, ok := AsError(err)
	return ok && e.Code == code
}

// invalid refuses input that breaks a rule of form, about field ("" for
// the whole input), with the message msg and its placeholders in pairs.
func invalid(field, msg string, args ...any) *Error {
	return newError(KindInvalid, CodeInvalid, msg, args...).at(field)
}

// Invalid is invalid for the store's other packages (store/demo).
func Invalid(field, msg string, args ...any) *Error { return invalid(field, msg, args...) }

func notFoundErr(code, msg string, args ...any) *Error {
	return newError(KindNotFound, code, msg, args...)
}

func conflict(code, msg string, args ...any) *Error {
	return newError(KindConflict, code, msg, args...)
}

// Error codes of the API (docs/api.md, "Conventions") and of the console.
const (
	CodeInvalid          = "invalid_request"
	CodeUnknownAccount   = "unknown_account"
	CodeUnknownProduct   = "unknown_product"
	CodeUnknownDevice    = "unknown_device"
	CodeUnknownPackage   = "unknown_package"
	CodeUnknownDC        = "unknown_data_center"
	CodeProductExists    = "product_exists"
	CodeOrderConflict    = "order_conflict"
	CodePackageMismatch  = "package_mismatch"
	CodeNoActivationCode = "no_activation_code"
	CodeExpired          = "activation_expired"
	CodeNotEnoughCodes   = "not_enough_codes"
	CodeNotLapsed        = "not_lapsed"
	CodeExists           = "already_exists"
	CodeForbidden        = "forbidden"
	CodeTestAlertLimit   = "test_alert_limit" // over the test alert's limits (store/test_alert.go)
	CodeNoSession        = "no_session"
	CodeUnknownUser      = "unknown_user"
	CodeUnknownMail      = "unknown_mail"
	CodeUnknownToken     = "unknown_token"
	CodeTokenRevoked     = "token_revoked"
	CodeNotEnterprise    = "not_enterprise"
	CodeAutoRenewOff     = "auto_renew_off" // a blacklist change while automatic renewal is off
	CodeUnknownEndpoint  = "unknown_webhook_endpoint"
	CodeTooManyEndpoints = "too_many_webhook_endpoints"
)

// isUniqueViolation tells whether err is PostgreSQL's unique_violation (23505),
// optionally on the named constraint or index.
func isUniqueViolation(err error, constraint string) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "23505" {
		return false
	}
	return constraint == "" || pqErr.Constraint == constraint
}

// isCheckViolation tells whether err is PostgreSQL's check_violation (23514).
func isCheckViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23514"
}

// unavailableCodes are PostgreSQL's errors that say the database is briefly
// unable to serve, not that the request is wrong: the same request later
// may well succeed.
var unavailableCodes = map[pq.ErrorCode]bool{
	"57014": true, // query_canceled: statement_timeout
	"55P03": true, // lock_not_available: lock_timeout
	"57P01": true, // admin_shutdown: the backend was terminated
	"57P02": true, // crash_shutdown
	"57P03": true, // cannot_connect_now: starting up or shutting down
	"40001": true, // serialization_failure
	"40P01": true, // deadlock_detected
	"53300": true, // too_many_connections
}

// IsUnavailable tells whether err means the database cannot be reached or
// is too slow right now (the handlers answer 503 with Retry-After): a
// connection refused, reset or broken, a deadline that passed, a statement
// or lock timeout, the backend terminated or the server shutting down, a
// serialization failure or deadlock, or any connection exception (class 08).
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return unavailableCodes[pqErr.Code] || pqErr.Code.Class() == "08"
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr)
}
