package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrorClass is the machine-readable kind of an *Error.
type ErrorClass string

const (
	ClassRateLimited     ErrorClass = "rate_limited"     // HTTP 429 (retried)
	ClassTimeout         ErrorClass = "timeout"          // an attempt exceeded the timeout, or HTTP 408 (retried)
	ClassConnection      ErrorClass = "connection"       // dial/reset/EOF mid-body (retried)
	ClassServerError     ErrorClass = "server_error"     // HTTP 5xx (retried, except 501/505)
	ClassAuth            ErrorClass = "auth"             // HTTP 401/403
	ClassClientError     ErrorClass = "client_error"     // other HTTP 4xx
	ClassBadResponse     ErrorClass = "bad_response"     // body is not the expected JSON (retried when unparseable)
	ClassValidation      ErrorClass = "validation"       // the answer does not fit the task (label not in set, …)
	ClassInvalidArgument ErrorClass = "invalid_argument" // the caller's input is invalid; no request was sent
	ClassCanceled        ErrorClass = "canceled"         // the caller's context ended
	ClassBudget          ErrorClass = "budget_exhausted" // the statement's AI budget was spent; nothing was sent
)

// Retryable reports whether the client retries errors of this class.
func (c ErrorClass) Retryable() bool {
	switch c {
	case ClassRateLimited, ClassTimeout, ClassConnection, ClassServerError:
		return true
	}
	return false
}

// Error is the error of every Client operation. Error() names the model,
// the version, the class, the HTTP status, the attempts and an excerpt of
// the server's message; it never contains the API key (it is scrubbed from
// the server's message too).
type Error struct {
	Model      string
	Version    string
	Op         string // "chat" or "embeddings", or the task ("classify", …)
	Class      ErrorClass
	Status     int           // HTTP status of the last attempt, 0 when there was none
	Attempts   int           // HTTP attempts made (0 when no request was sent)
	RetryAfter time.Duration // the last Retry-After the server sent, if any
	Message    string        // short excerpt (≤ 200 characters), scrubbed
	Err        error         // cause, scrubbed; errors.Is(err, context.Canceled) works
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("llm: ")
	if e.Model != "" {
		fmt.Fprintf(&b, "model %s", e.Model)
		if e.Version != "" {
			fmt.Fprintf(&b, " version %s", e.Version)
		}
		b.WriteString(": ")
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Class))
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the error's class is one the client retries.
func (e *Error) Retryable() bool { return e.Class.Retryable() }

// AsError returns err as an *Error when it is (or wraps) one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// ClassOf returns the ErrorClass of err ("" when err is not an *Error).
func ClassOf(err error) ErrorClass {
	if e, ok := AsError(err); ok {
		return e.Class
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ClassCanceled
	}
	return ""
}

// scrubbedError keeps the cause for errors.Is/As but prints scrubbed text.
type scrubbedError struct {
	msg   string
	cause error
}

func (s *scrubbedError) Error() string { return s.msg }
func (s *scrubbedError) Unwrap() error { return s.cause }

// scrubber removes a secret from text.
type scrubber string

func (k scrubber) str(s string) string {
	if k == "" || s == "" {
		return s
	}
	return strings.ReplaceAll(s, string(k), "***")
}

func (k scrubber) err(err error) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: k.str(err.Error()), cause: err}
}

const excerptLen = 200

// excerpt shortens s to excerptLen characters on one line.
func excerpt(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > excerptLen {
		r := []rune(s)
		s = string(r[:excerptLen]) + "…"
	}
	return s
}

// serverMessage extracts the human message from an error body: OpenAI style
// {"error":{"message":…}}, {"error":"…"}, {"message":…}, {"detail":…}, or
// the raw text.
func serverMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message any             `json:"message"`
		Detail  any             `json:"detail"`
		Msg     any             `json:"msg"`
	}
	if json.Unmarshal(body, &v) == nil {
		if len(v.Error) > 0 {
			var s string
			if json.Unmarshal(v.Error, &s) == nil && s != "" {
				return s
			}
			var o struct {
				Message any `json:"message"`
			}
			if json.Unmarshal(v.Error, &o) == nil && o.Message != nil {
				return anyText(o.Message)
			}
		}
		for _, m := range []any{v.Message, v.Detail, v.Msg} {
			if m != nil {
				return anyText(m)
			}
		}
	}
	return string(body)
}

func anyText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// UserMessage renders e for the user of a SQL function: the model, the
// version and what went wrong, without the client's layers (the "llm:"
// prefix, the operation). The class is named, except for validation and
// invalid_argument errors, whose message says it all.
func (e *Error) UserMessage() string {
	var b strings.Builder
	if e.Model != "" {
		fmt.Fprintf(&b, "model %s", e.Model)
		if e.Version != "" {
			fmt.Fprintf(&b, " version %s", e.Version)
		}
		b.WriteString(": ")
	}
	if (e.Class != ClassValidation && e.Class != ClassInvalidArgument) || e.Message == "" {
		b.WriteString(strings.ReplaceAll(string(e.Class), "_", " "))
		if e.Status != 0 {
			fmt.Fprintf(&b, " (HTTP %d)", e.Status)
		}
		if e.Attempts > 1 {
			fmt.Fprintf(&b, " after %d attempts", e.Attempts)
		}
		if e.Message != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(e.Message)
	return b.String()
}
