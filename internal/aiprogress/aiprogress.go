// Package aiprogress keeps the running statements that make AI calls, so that
// any session of the process can see how far they are (modelsql_progress())
// and a finished statement can print a one-line summary. The counts come from
// the statement's own accounting (the counters package aiusage stores when
// it ends), read when asked.
package aiprogress

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Counts is what a statement's AI calls have done so far.
type Counts struct {
	Rows      int64 // rows finished
	RowsTotal int64 // rows to do, or -1 when unknown
	Requests  int64 // requests answered
	InFlight  int64 // requests sent and not yet answered
	CacheHits int64
	Tokens    int64 // input and output, as the server reported them
	Errors    int64
}

// Row is one running statement as modelsql_progress() shows it.
type Row struct {
	QueryID, User string
	Counts
	Elapsed time.Duration
	ETA     time.Duration // -1: unknown
}

type statement struct {
	queryID, user string
	started       time.Time
	read          func() Counts
}

// Registry is the process's running statements with AI calls.
type Registry struct {
	mu      sync.Mutex
	running map[*statement]struct{}
}

// New returns an empty registry.
func New() *Registry { return &Registry{running: map[*statement]struct{}{}} }

// Handle is one statement in the registry.
type Handle struct {
	r  *Registry
	st *statement
}

// Start adds a statement; read returns its counts and may be called from
// any goroutine while it runs.
func (r *Registry) Start(queryID, user string, started time.Time, read func() Counts) *Handle {
	st := &statement{queryID: queryID, user: user, started: started, read: read}
	r.mu.Lock()
	r.running[st] = struct{}{}
	r.mu.Unlock()
	return &Handle{r: r, st: st}
}

// Row is the statement's progress now.
func (h *Handle) Row() Row { return h.st.row(time.Now()) }

// End removes the statement and returns its final row.
func (h *Handle) End() Row {
	h.r.mu.Lock()
	delete(h.r.running, h.st)
	h.r.mu.Unlock()
	return h.Row()
}

// List returns the running statements, oldest first; user "" lists every
// user's, else only that user's.
func (r *Registry) List(user string) []Row {
	r.mu.Lock()
	sts := make([]*statement, 0, len(r.running))
	for st := range r.running {
		if user == "" || st.user == user {
			sts = append(sts, st)
		}
	}
	r.mu.Unlock()
	now := time.Now()
	rows := make([]Row, len(sts))
	for i, st := range sts {
		rows[i] = st.row(now) // outside the lock: read takes the calls' own locks
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Elapsed != rows[j].Elapsed {
			return rows[i].Elapsed > rows[j].Elapsed
		}
		return rows[i].QueryID < rows[j].QueryID
	})
	return rows
}

func (st *statement) row(now time.Time) Row {
	c := st.read()
	el := now.Sub(st.started)
	return Row{QueryID: st.queryID, User: st.user, Counts: c, Elapsed: el, ETA: eta(c, el)}
}

// eta extrapolates the rate so far to the rows left (-1 when the total is
// unknown or nothing is done yet).
func eta(c Counts, elapsed time.Duration) time.Duration {
	if c.RowsTotal < 0 || c.Rows <= 0 {
		return -1
	}
	left := max(c.RowsTotal-c.Rows, 0)
	return time.Duration(float64(elapsed) * float64(left) / float64(c.Rows))
}

// Summary is the one line printed when a statement ends.
func (r Row) Summary() string {
	s := fmt.Sprintf("AI calls: %d rows, %d requests, %d cache hits, %d tokens", r.Rows, r.Requests, r.CacheHits, r.Tokens)
	if r.Errors > 0 {
		s += fmt.Sprintf(", %d errors", r.Errors)
	}
	return s + fmt.Sprintf(" in %.1fs", r.Elapsed.Seconds())
}

// Bar is the one-line progress shown in the interactive shell.
func (r Row) Bar() string {
	done := fmt.Sprintf("%d rows", r.Rows)
	if r.RowsTotal >= 0 {
		done = fmt.Sprintf("%d of %d rows", r.Rows, r.RowsTotal)
	}
	s := fmt.Sprintf("AI: %s, %d requests (%d in flight), %d cache hits, %d tokens", done, r.Requests, r.InFlight, r.CacheHits, r.Tokens)
	if r.Errors > 0 {
		s += fmt.Sprintf(", %d errors", r.Errors)
	}
	s += fmt.Sprintf(" (%.0fs", r.Elapsed.Seconds())
	if r.ETA >= 0 {
		s += fmt.Sprintf(", about %.0fs left", r.ETA.Seconds())
	}
	return s + ")"
}

// Columns are modelsql_progress()'s columns, with their types.
var Columns = []struct{ Name, Type string }{
	{"query_id", "VARCHAR"}, {"user_name", "VARCHAR"}, {"rows_done", "BIGINT"}, {"rows_total", "BIGINT"},
	{"requests", "BIGINT"}, {"in_flight", "BIGINT"}, {"cache_hits", "BIGINT"}, {"tokens", "BIGINT"},
	{"errors", "BIGINT"}, {"elapsed_s", "DOUBLE"}, {"eta_s", "DOUBLE"},
}

// SQL is a subquery returning rows as modelsql_progress()'s table: a typed
// row of NULLs, filtered out, gives the columns their types when no
// statement runs.
func SQL(rows []Row) string {
	var b strings.Builder
	names := make([]string, len(Columns))
	nulls := make([]string, len(Columns))
	for i, c := range Columns {
		names[i] = c.Name
		nulls[i] = "NULL::" + c.Type
	}
	b.WriteString("(SELECT * FROM (VALUES (" + strings.Join(nulls, ", ") + ")")
	for _, r := range rows {
		total, etaS := "NULL", "NULL"
		if r.RowsTotal >= 0 {
			total = fmt.Sprint(r.RowsTotal)
		}
		if r.ETA >= 0 {
			etaS = fmt.Sprintf("%.3f", r.ETA.Seconds())
		}
		fmt.Fprintf(&b, ", (%s, %s, %d, %s, %d, %d, %d, %d, %d, %.3f, %s)", quote(r.QueryID), quote(r.User),
			r.Rows, total, r.Requests, r.InFlight, r.CacheHits, r.Tokens, r.Errors, r.Elapsed.Seconds(), etaS)
	}
	b.WriteString(") AS __modelsql_progress(" + strings.Join(names, ", ") + ") WHERE query_id IS NOT NULL)")
	return b.String()
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
