// Package aibudget bounds the AI requests and tokens of one statement
// (SET modelsql.ai.max_requests and modelsql.ai.max_tokens). Once a bound
// is reached no further request is sent: the rows still waiting become
// NULL, and the statement succeeds with a warning.
package aibudget

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// Budget is one statement's budget; its methods are safe for concurrent
// use. A nil *Budget has no limits.
type Budget struct {
	// MaxRequests and MaxTokens bound the statement; negative: no limit.
	MaxRequests, MaxTokens int64
	// Reason names the limit in the warning (default: the settings).
	Reason string

	requests atomic.Int64 // requests sent
	tokens   atomic.Int64 // tokens the server reported
	skipped  atomic.Int64 // rows left without an answer
}

// New returns a budget from the session's settings (0: no limit).
func New(maxRequests, maxTokens int64) *Budget {
	b := &Budget{MaxRequests: -1, MaxTokens: -1}
	if maxRequests > 0 {
		b.MaxRequests = maxRequests
	}
	if maxTokens > 0 {
		b.MaxTokens = maxTokens
	}
	return b
}

// Cap lowers the bounds to requests and tokens (negative: unchanged) and,
// when that tightens one, names reason in the warning.
func (b *Budget) Cap(requests, tokens int64, reason string) {
	if requests >= 0 && (b.MaxRequests < 0 || requests < b.MaxRequests) {
		b.MaxRequests, b.Reason = requests, reason
	}
	if tokens >= 0 && (b.MaxTokens < 0 || tokens < b.MaxTokens) {
		b.MaxTokens, b.Reason = tokens, reason
	}
}

// ParseLimit reads a setting's value: a non-negative integer.
func ParseLimit(key, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s must be a non-negative integer (0: no limit), got %q", key, v)
	}
	return n, nil
}

// Take reserves one request; false means the budget is spent and the
// request must not be sent. Tokens are known only after answers arrive, so
// requests already in flight when the token bound is reached may end above
// it.
func (b *Budget) Take() bool {
	if b == nil {
		return true
	}
	if b.MaxTokens >= 0 && b.tokens.Load() >= b.MaxTokens {
		return false
	}
	if b.requests.Add(1) > b.MaxRequests && b.MaxRequests >= 0 {
		b.requests.Add(-1)
		return false
	}
	return true
}

// AddTokens counts the tokens of an answer.
func (b *Budget) AddTokens(n int64) {
	if b != nil {
		b.tokens.Add(n)
	}
}

// Skip counts a row left NULL because the budget was spent.
func (b *Budget) Skip() {
	if b != nil {
		b.skipped.Add(1)
	}
}

// Skipped is the number of rows left NULL.
func (b *Budget) Skipped() int64 {
	if b == nil {
		return 0
	}
	return b.skipped.Load()
}

// Spent returns the requests sent and tokens used so far.
func (b *Budget) Spent() (requests, tokens int64) {
	if b == nil {
		return 0, 0
	}
	return b.requests.Load(), b.tokens.Load()
}

// Warning is the message of a statement that left rows NULL.
func (b *Budget) Warning() string {
	what := b.Reason
	if what == "" {
		var parts []string
		if b.MaxRequests >= 0 {
			parts = append(parts, fmt.Sprintf("modelsql.ai.max_requests = %d", b.MaxRequests))
		}
		if b.MaxTokens >= 0 {
			parts = append(parts, fmt.Sprintf("modelsql.ai.max_tokens = %d", b.MaxTokens))
		}
		what = strings.Join(parts, ", ")
	}
	return fmt.Sprintf("AI budget reached (%s): %d rows were left NULL (recorded in __modelsql.ai_errors as budget_exhausted); run the statement again with a larger budget and only those rows are sent (the answered ones come from the AI result cache)",
		what, b.Skipped())
}
