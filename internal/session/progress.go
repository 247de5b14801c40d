package session

import (
	"context"
	"fmt"
	"time"

	"github.com/modelsql/modelsql/internal/aiprogress"
	"github.com/modelsql/modelsql/internal/duckrun"
	"github.com/modelsql/modelsql/internal/functions"
)

// summaryAfter is how long a statement with AI calls runs before it ends
// with a summary notice (and before the shell shows its progress bar).
const summaryAfter = time.Second

// trackProgress lists the statement's AI calls in the warehouse's progress
// registry while it runs; the returned function removes them and, when the
// statement ran longer than summaryAfter, sends its summary to Notices.
func (s *Session) trackProgress(bindings []*functions.Binding, started time.Time) func() {
	var remote []*functions.Binding
	for _, b := range bindings {
		if b.Remote != nil {
			remote = append(remote, b)
		}
	}
	if len(remote) == 0 || s.costCalls != nil {
		return func() {}
	}
	s.toRead.Store(0)
	h := s.w.Progress.Start(s.queryID, s.User, started, func() aiprogress.Counts {
		return withTotal(progressCounts(remote), s.toRead.Load(), len(remote))
	})
	s.runMu.Lock()
	s.progress = h
	s.runMu.Unlock()
	return func() {
		s.runMu.Lock()
		s.progress = nil
		s.runMu.Unlock()
		row := h.End()
		if row.Elapsed > summaryAfter && s.Notices != nil {
			fmt.Fprintf(s.Notices, "NOTICE: %s\n", row.Summary())
		}
	}
}

// withTotal estimates the rows the statement's AI calls will see: the rows
// DuckDB's scans will read (its own estimate, exact for a table read whole,
// after its guess of what filters keep), once per call. When more rows
// than that reached the calls (a join) the total stays unknown.
func withTotal(c aiprogress.Counts, toRead uint64, calls int) aiprogress.Counts {
	if toRead == 0 {
		return c
	}
	if total := int64(toRead) * int64(calls); total >= c.Rows {
		c.RowsTotal = total
	}
	return c
}

// progressContext asks duckrun for DuckDB's progress of the statement when
// its AI calls are being tracked.
func (s *Session) progressContext(ctx context.Context) context.Context {
	s.runMu.Lock()
	tracked := s.progress != nil
	s.runMu.Unlock()
	if !tracked {
		return ctx
	}
	return duckrun.WithProgress(ctx, func(p duckrun.Progress) { s.toRead.Store(p.RowsToRead) })
}

// progressCounts adds up what the statement's AI calls have done so far.
func progressCounts(bindings []*functions.Binding) aiprogress.Counts {
	c := aiprogress.Counts{RowsTotal: -1} // the rows a call will see are not known before DuckDB has read them
	for _, b := range bindings {
		rc := b.Remote
		c.Rows += b.Rows.Load()
		c.Requests += rc.Requests.Load()
		c.InFlight += rc.InFlight.Load()
		c.CacheHits += rc.CacheHits.Load()
		c.Tokens += rc.PromptTokens.Load() + rc.CompletionTokens.Load()
		c.Errors += int64(len(rc.Failures()))
		if b.Failure() != nil {
			c.Errors++
		}
	}
	return c
}

// AIProgress is the running statement's progress (ok false when it makes no
// AI calls), for the shell's progress bar.
func (s *Session) AIProgress() (row aiprogress.Row, ok bool) {
	s.runMu.Lock()
	h := s.progress
	s.runMu.Unlock()
	if h == nil {
		return aiprogress.Row{}, false
	}
	return h.Row(), true
}

// progressSQL is modelsql_progress()'s table. In the server a user who is
// not an administrator sees only their own statements: another user's query
// ids and progress are not theirs to watch.
func (s *Session) progressSQL() string {
	user := ""
	if s.guard != nil && !s.Admin {
		user = s.User
	}
	return aiprogress.SQL(s.w.Progress.List(user))
}
