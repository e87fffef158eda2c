// Package models holds vendrule's domain types, their validation, and the
// coded error type every layer returns.
package models

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. The web layer maps each to one HTTP status.
const (
	EINVALID      = "invalid"            // 400: the input is wrong
	EUNAUTHORIZED = "unauthorized"       // 401: no or bad credentials
	EFORBIDDEN    = "forbidden"          // 403: authenticated, not allowed
	ENOTFOUND     = "not_found"          // 404: unknown or not yours
	ECONFLICT     = "conflict"           // 409: clashes with stored state
	ETOOLARGE     = "too_large"          // 413: body too large
	EEXPRESSION   = "invalid_expression" // 422: an expression that does not compile
	ERATELIMITED  = "rate_limited"       // 429: too many attempts
	EINTERNAL     = "internal"           // 500: our fault
	EUNAVAILABLE  = "unavailable"        // 503: the database cannot be reached
)

// Error is an error with a code a client can act on and a message a person can
// read. Fields names the input fields that are wrong, where that helps.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	// RetryAfter, on an ERATELIMITED error, is how long the caller should
	// wait before it tries again (HTTP's Retry-After); 0 when unknown.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// RateLimited returns an ERATELIMITED error that tells the caller to try
// again after wait.
func RateLimited(wait time.Duration, format string, args ...any) *Error {
	return &Error{Code: ERATELIMITED, Message: fmt.Sprintf(format, args...), RetryAfter: wait}
}

// FieldError returns an EINVALID error that names one field.
func FieldError(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: EINVALID, Message: field + ": " + msg, Fields: map[string]string{field: msg}}
}

// CodeOf returns the code of err, EINTERNAL for errors that are not *Error,
// and "" for nil.
func CodeOf(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// MessageOf returns the message of err for a client; internal errors get a
// generic text so that no detail leaks.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
