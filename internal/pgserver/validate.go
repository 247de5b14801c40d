package pgserver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/modelsql/modelsql/internal/parser"
)

// This file checks the fields of extended-protocol messages before they are
// used: pgproto3 decodes a message's framing, but what the numbers in it
// mean (format codes, parameter counts, object types) is the server's to
// check. Every violation is an ERROR with PostgreSQL's SQLSTATE, never a
// panic.

// maxParams is PostgreSQL's limit on a statement's parameters: Bind and
// ParameterDescription carry the count in 16 bits.
const maxParams = 65535

// paramCount returns the highest $n in a statement; $n must be 1..65535.
func paramCount(toks []parser.Token) (int, error) {
	n := 0
	for _, t := range toks {
		if t.Kind != parser.TokParam {
			continue
		}
		digits := strings.TrimPrefix(t.Text, "$")
		i, err := strconv.Atoi(digits)
		if err != nil || i < 1 || i > maxParams {
			if len(digits) > 12 {
				digits = digits[:12] + "..."
			}
			return 0, pgErr("42P02", fmt.Sprintf("there is no parameter $%s (parameters are $1 to $%d)", digits, maxParams))
		}
		if i > n {
			n = i
		}
	}
	return n, nil
}

// checkFormatCodes checks the format codes of a Bind: each 0 (text) or 1
// (binary), and as many as the values they describe, one (for all), or none.
func checkFormatCodes(what string, codes []int16, n int) error {
	for _, f := range codes {
		if f != 0 && f != 1 {
			return pgErr("22023", fmt.Sprintf("unsupported format code: %d", f))
		}
	}
	if n >= 0 && len(codes) > 1 && len(codes) != n {
		return pgErr("08P01", fmt.Sprintf("bind message has %d %s formats but %d %ss", len(codes), what, n, what))
	}
	return nil
}

// checkBind validates a Bind against its prepared statement.
func checkBind(m *pgproto3.Bind, ps *prepared) error {
	if len(m.Parameters) != ps.nparams {
		return pgErr("08P01", fmt.Sprintf("bind message supplies %d parameters, but prepared statement %q requires %d", len(m.Parameters), m.PreparedStatement, ps.nparams))
	}
	if err := checkFormatCodes("parameter", m.ParameterFormatCodes, len(m.Parameters)); err != nil {
		return err
	}
	// The number of result columns is known once the statement has run (or
	// been described); checkResultFormats checks it then.
	return checkFormatCodes("result", m.ResultFormatCodes, -1)
}

// checkResultFormats checks a portal's result formats against its columns.
func checkResultFormats(formats []int16, ncols int) error {
	if len(formats) > 1 && len(formats) != ncols {
		return pgErr("08P01", fmt.Sprintf("bind message has %d result formats but query has %d columns", len(formats), ncols))
	}
	return nil
}

// checkObjectType checks the 'S' (statement) or 'P' (portal) of a Describe
// or Close.
func checkObjectType(msg string, t byte) error {
	if t != 'S' && t != 'P' {
		return pgErr("08P01", fmt.Sprintf("invalid %s message subtype %d", msg, t))
	}
	return nil
}

// isProtocolViolation reports whether a receive error is a malformed
// message (to be answered) rather than a connection that went away.
func isProtocolViolation(err error) bool {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return false
	}
	var ne net.Error
	return !errors.As(err, &ne)
}
