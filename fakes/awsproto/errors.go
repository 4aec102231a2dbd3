package awsproto

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error AWS would return: a code spelled exactly as AWS spells it,
// a human message and the HTTP status that goes with it.
type Error struct {
	Code    string
	Message string
	Status  int
	// Sender is true for client faults (Query protocol "Sender"), false for
	// server faults ("Receiver").
	Sender bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// NewError builds an AWS error. Status 5xx marks it a server fault.
func NewError(status int, code, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg, Status: status, Sender: status < 500}
}

// AsError returns err as an *Error, or nil when it is not one.
func AsError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

// statusOf returns the HTTP status of an AWS error, 400 when unset.
func (e *Error) statusOf() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// Common codes shared by the JSON protocols.
const (
	CodeSerialization        = "SerializationException"
	CodeUnknownOperation     = "UnknownOperationException"
	CodeMissingAuthToken     = "MissingAuthenticationTokenException"
	CodeInvalidAction        = "InvalidAction"
	CodeInternalFailureQuery = "InternalFailure"
)
