package session

import (
	"strings"

	"github.com/modelsql/modelsql/internal/functions"
)

// userError is what a failed statement with inference calls reports. When
// one of the calls failed, its error (function, model, version, the
// failure) replaces DuckDB's wrapping of it ("Invalid Input Error:
// database/sql/driver: ..."). Any other DuckDB error keeps its message, but
// without the context lines DuckDB quotes from the statement it ran: that
// is the rewritten statement, whose text (__modelsql_...) and positions
// mean nothing to the user.
func userError(err error, calls []*functions.Binding) error {
	if len(calls) == 0 {
		return err
	}
	for _, b := range calls {
		if f := b.Failure(); f != nil {
			return f
		}
	}
	msg := err.Error()
	clean := cleanRewritten(msg)
	if clean == msg {
		return err
	}
	return &rewrittenError{msg: clean, cause: err}
}

// withoutQuotedStatement drops DuckDB's "LINE n: ..." context (the
// statement's text around the error) from err's message.
func withoutQuotedStatement(err error) error {
	msg := err.Error()
	i := strings.Index(msg, "\nLINE ")
	if i < 0 {
		return err
	}
	return &rewrittenError{msg: strings.TrimRight(msg[:i], "\n "), cause: err}
}

// cleanRewritten drops DuckDB's "LINE n: ..." context (and the caret line
// under it) and replaces what remains of the rewritten calls.
func cleanRewritten(msg string) string {
	if i := strings.Index(msg, "\nLINE "); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimRight(msg, "\n ")
	if !strings.Contains(msg, functions.InternalPrefix) {
		return msg
	}
	// A quoted fragment of the rewritten text: name it instead of quoting it.
	var out strings.Builder
	for _, line := range strings.Split(msg, "\n") {
		if strings.Contains(line, functions.InternalPrefix) {
			line = cutInternal(line)
		}
		if out.Len() > 0 {
			out.WriteByte('\n')
		}
		out.WriteString(line)
	}
	return out.String()
}

// cutInternal shortens a line at the first internal name, keeping the text
// before it: "No function matches '__modelsql_x(...)'" becomes "No
// function matches an inference call".
func cutInternal(line string) string {
	i := strings.Index(line, functions.InternalPrefix)
	head := strings.TrimRight(line[:i], `'"( `)
	if head == "" {
		return "(in an inference call)"
	}
	return head + " (in an inference call)"
}

// rewrittenError is a DuckDB error with the rewritten statement removed
// from its text; errors.As still finds the DuckDB error under it.
type rewrittenError struct {
	msg   string
	cause error
}

func (e *rewrittenError) Error() string { return e.msg }
func (e *rewrittenError) Unwrap() error { return e.cause }
