package pgserver

import (
	"errors"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/modelsql/modelsql/internal/access"
	"github.com/modelsql/modelsql/internal/parser"
)

// pgError is an error with an explicit SQLSTATE.
type pgError struct {
	code, msg string
}

func (e *pgError) Error() string { return e.msg }

func pgErr(code, msg string) error { return &pgError{code, msg} }

// sqlState picks the SQLSTATE of an error.
func sqlState(err error) string {
	var pe *pgError
	if errors.As(err, &pe) {
		return pe.code
	}
	// Errors that know their code, such as an inference call's failure
	// (functions.CallError: docs/server.md lists the codes).
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		return coded.SQLState()
	}
	var de *access.DeniedError
	if errors.As(err, &de) {
		return "42501" // insufficient_privilege
	}
	var ce *cancelError
	if errors.As(err, &ce) {
		return "57014" // query_canceled
	}
	var se *parser.SyntaxError
	if errors.As(err, &se) {
		return "42601"
	}
	var dd *duckdb.Error
	if errors.As(err, &dd) {
		switch dd.Type {
		case duckdb.ErrorTypeParser, duckdb.ErrorTypeSyntax:
			return "42601"
		case duckdb.ErrorTypeCatalog:
			if strings.Contains(dd.Msg, "does not exist") {
				return "42P01"
			}
			return "42000"
		case duckdb.ErrorTypeBinder:
			return "42703"
		case duckdb.ErrorTypeConversion, duckdb.ErrorTypeInvalidInput, duckdb.ErrorTypeOutOfRange:
			return "22000"
		case duckdb.ErrorTypeDivideByZero:
			return "22012"
		case duckdb.ErrorTypeConstraint:
			return "23000"
		case duckdb.ErrorTypeTransaction:
			if strings.Contains(dd.Msg, "Conflict") {
				return "40001"
			}
			return "25000"
		case duckdb.ErrorTypeInterrupt:
			return "57014"
		case duckdb.ErrorTypePermission:
			return "42501"
		case duckdb.ErrorTypeOutOfMemory:
			return "53200"
		}
		return "XX000"
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "permission denied"):
		return "42501"
	case strings.Contains(msg, "statement cancelled"):
		return "57014"
	case strings.Contains(msg, "does not exist"):
		return "42704"
	case strings.Contains(msg, "already exists"):
		return "42710"
	}
	return "42000"
}

// errorResponse renders an error for the client.
func errorResponse(err error) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: sqlState(err), Message: err.Error()}
}

func fatal(code, msg string) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg}
}
