package parser

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SyntaxError is a lexical or syntax error. Its message names the line and
// column, what was found and what was expected, e.g.
//
//	syntax error at line 2, column 14: found "OPTIONZ", expected OPTIONS
//
// At the end of the statement Found is "" and the message says
// "found end of statement". Lexical errors (an unterminated string, quoted
// identifier or comment) set Detail, which replaces the "found ..." part:
//
//	syntax error at line 1, column 8: unterminated string literal, expected closing '
type SyntaxError struct {
	Pos   Pos
	Found string // the offending token exactly as written; "" at the end of the statement or when Masked
	// Masked names the kind of the offending token instead of quoting it,
	// for tokens that may hold a secret: every string literal, and every
	// word inside OPTIONS(...) and CREATE/ALTER USER ("a string literal").
	Masked   string
	Expected string // what would have been accepted: a keyword (OPTIONS), a quoted symbol ('('), or a description (a model name)
	Detail   string // for lexical errors: what is wrong, instead of Found
}

func (e *SyntaxError) Error() string {
	what := e.Detail
	switch {
	case what != "":
	case e.Masked != "":
		what = "found " + e.Masked
	default:
		what = "found " + describeFound(e.Found)
	}
	if e.Expected == "" {
		return fmt.Sprintf("syntax error at line %d, column %d: %s", e.Pos.Line, e.Pos.Col, what)
	}
	return fmt.Sprintf("syntax error at line %d, column %d: %s, expected %s", e.Pos.Line, e.Pos.Col, what, e.Expected)
}

// foundError is a *SyntaxError at t whose found part is t, masked when t
// is a string literal, or any token but a one-character operator when
// secret (see Masked).
func foundError(t Token, secret bool, expected string) *SyntaxError {
	e := &SyntaxError{Pos: t.Pos, Expected: expected}
	switch {
	case t.Kind == TokEOF:
	case t.Kind == TokString:
		e.Masked = "a string literal"
	case secret && t.Kind == TokQuotedIdent:
		e.Masked = "a quoted name"
	case secret && t.Kind == TokIdent:
		e.Masked = "a word"
	case secret && t.Kind == TokNumber:
		e.Masked = "a number"
	case secret && t.Kind != TokOp:
		e.Masked = "a " + t.Kind.String()
	default:
		e.Found = t.Text
	}
	return e
}

// describeFound quotes a token for an error message, shortening long ones.
func describeFound(s string) string {
	if s == "" {
		return "end of statement"
	}
	const max = 40
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max]) + "..."
	}
	return strconv.Quote(s)
}

// RewriteError is an error returned by the callback of RewriteSQL, with
// the position and name of the call it concerns. Unwrap gives the callback's
// error.
type RewriteError struct {
	Pos  Pos
	Func string // upper-case function name, e.g. ML_PREDICT
	Err  error
}

func (e *RewriteError) Error() string {
	// The callback's message often names the function already.
	msg := strings.TrimPrefix(e.Err.Error(), e.Func+": ")
	return fmt.Sprintf("%s at line %d, column %d: %s", e.Func, e.Pos.Line, e.Pos.Col, msg)
}

func (e *RewriteError) Unwrap() error { return e.Err }
