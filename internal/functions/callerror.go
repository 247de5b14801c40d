package functions

import (
	"errors"
	"fmt"
	"strings"

	"github.com/modelsql/modelsql/internal/llm"
)

// CallError is the error of one inference call as the user sees it: the
// function, where the call is in the statement (for errors found while
// planning) and what went wrong, without the layers it passed through
// (DuckDB's error type, the driver's wrapping, the rewritten SQL).
type CallError struct {
	Func      string // ML_PREDICT, AI_CLASSIFY, ...
	Line, Col int    // position of the call in the statement; 0 when unknown
	Planning  bool   // found while the statement was planned (arguments, labels, ...)
	Err       error
}

func (e *CallError) Error() string {
	msg := e.Err.Error()
	if le, ok := llm.AsError(e.Err); ok {
		msg = le.UserMessage()
	}
	// Inner messages often start with the function's name already.
	msg = strings.TrimPrefix(msg, e.Func+": ")
	if e.Planning && e.Line > 0 {
		return fmt.Sprintf("%s at line %d, column %d: %s", e.Func, e.Line, e.Col, msg)
	}
	return e.Func + ": " + msg
}

func (e *CallError) Unwrap() error { return e.Err }

// SQLState is the PostgreSQL error code the server sends for the error
// (docs/server.md lists them): the class of a remote call's failure, or
// 42804 (datatype_mismatch) for a call whose arguments do not fit.
func (e *CallError) SQLState() string {
	if le, ok := llm.AsError(e.Err); ok {
		switch le.Class {
		case llm.ClassInvalidArgument:
			return "22023" // invalid_parameter_value
		case llm.ClassValidation:
			return "22000" // data_exception: the answer does not fit the task
		case llm.ClassRateLimited:
			return "53000" // insufficient_resources: try again later
		case llm.ClassConnection:
			return "HV00N" // fdw_unable_to_establish_connection: the remote service is unreachable
		case llm.ClassCanceled:
			return "57014" // query_canceled
		default: // timeout, server_error, client_error, auth, bad_response
			return "HV000" // fdw_error: the remote service failed
		}
	}
	if e.Planning {
		return "42804"
	}
	return "22000"
}

// AsCallError returns err as a *CallError when it is (or wraps) one.
func AsCallError(err error) (*CallError, bool) {
	var ce *CallError
	ok := errors.As(err, &ce)
	return ce, ok
}
