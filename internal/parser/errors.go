package parser

import (
	"fmt"
	"strconv"
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
	Pos      Pos
	Found    string // the offending token exactly as written; "" at the end of the statement
	Expected string // what would have been accepted: a keyword (OPTIONS), a quoted symbol ('('), or a description (a model name)
	Detail   string // for lexical errors: what is wrong, instead of Found
}

func (e *SyntaxError) Error() string {
	what := e.Detail
	if what == "" {
		what = "found " + describeFound(e.Found)
	}
	if e.Expected == "" {
		return fmt.Sprintf("syntax error at line %d, column %d: %s", e.Pos.Line, e.Pos.Col, what)
	}
	return fmt.Sprintf("syntax error at line %d, column %d: %s, expected %s", e.Pos.Line, e.Pos.Col, what, e.Expected)
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
	return fmt.Sprintf("%s at line %d, column %d: %v", e.Func, e.Pos.Line, e.Pos.Col, e.Err)
}

func (e *RewriteError) Unwrap() error { return e.Err }
