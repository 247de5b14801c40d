package pgserver

import (
	"context"
	"fmt"

	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/session"
)

// flushBytes is how much row data is buffered before it is written to the
// socket. A write blocks while the client does not read, and DuckDB waits
// meanwhile: a session holds about this much plus DuckDB's streaming buffer
// and one vector, whatever the size of the result.
const flushBytes = 256 << 10

// streamer sends a statement's rows as DuckDB produces them (a
// session.Sink).
type streamer struct {
	c        *conn
	formats  []int16
	cols     []column // described columns (extended protocol), or nil
	describe bool     // send a RowDescription first (simple protocol)

	text    string
	used    []column
	pending int
}

// runStream is run with the rows of ordinary SQL streamed: the outcome of
// a streamed statement carries only its tag (and columns), its rows are
// already sent.
func (c *conn) runStream(ctx context.Context, text string, st *streamer) (*outcome, error) {
	if out, ok, err := c.cursorStatement(ctx, text); ok {
		return out, err
	}
	if out, ok, err := c.compat(text); ok {
		c.catalog.dirty = true // SET TimeZone & co. show in pg_settings
		return out, err
	}
	text, err := c.catalogRewrite(ctx, text)
	if err != nil {
		return nil, err
	}
	st.text = text
	res, err := c.execTo(ctx, text, st)
	if err != nil {
		return nil, err
	}
	if !res.Streamed {
		return shape(text, res), nil
	}
	if err := st.flush(); err != nil {
		return nil, err
	}
	kw := ""
	if kws := parser.LeadingWords(text, 1); len(kws) > 0 {
		kw = kws[0]
	}
	return &outcome{cols: st.used, tag: rowsTag(kw, res.RowCount)}, nil
}

// Start accepts every row set except DuckDB's one-column answers of DDL
// and DML (Count, Success), which shape reads whole.
func (s *streamer) Start(res *session.Result) (bool, error) {
	kw := ""
	if kws := parser.LeadingWords(s.text, 1); len(kws) > 0 {
		kw = kws[0]
	}
	if len(res.Columns) == 1 && (res.Columns[0] == "Count" || res.Columns[0] == "Success") && !rowsKeywords[kw] {
		return false, nil
	}
	cols := resultColumns(res)
	if s.cols != nil {
		if len(s.cols) != len(cols) {
			return false, fmt.Errorf("the statement's result has %d columns, %d were described", len(cols), len(s.cols))
		}
		cols = s.cols
	}
	if err := checkResultFormats(s.formats, len(cols)); err != nil {
		return false, err
	}
	if s.describe {
		s.c.be.Send(s.c.rowDescription(cols, s.formats))
	}
	s.used = cols
	return true, nil
}

// Row sends one row, writing to the socket every flushBytes.
func (s *streamer) Row(vals []any) error {
	if err := s.c.sendRows(s.used, s.formats, [][]any{vals}); err != nil {
		return err
	}
	for _, v := range vals {
		switch t := v.(type) {
		case string:
			s.pending += len(t)
		case []byte:
			s.pending += len(t)
		}
		s.pending += 16
	}
	if s.pending >= flushBytes {
		return s.flush()
	}
	return nil
}

func (s *streamer) flush() error {
	s.pending = 0
	if err := s.c.be.Flush(); err != nil {
		return errConnLost{err}
	}
	return nil
}

// describeByPrepare gives the columns of an ordinary SQL statement (bound
// portal text) from DuckDB's prepared statement, without running it; false
// for modelsql's own statements, statements the guard refuses (running
// them reports why) and whatever DuckDB cannot prepare.
func (c *conn) describeByPrepare(ctx context.Context, text string) ([]column, bool) {
	if _, ok := compatColumns(text); ok || isModelRows(text) {
		return nil, false
	}
	st, err := parser.Parse(text)
	if err != nil {
		return nil, false
	}
	if _, ok := st.(*parser.Passthrough); !ok {
		return nil, false
	}
	// Prepared inside the guard's check, in its snapshot, so that the
	// columns shown are those of what the check allowed.
	var cols []column
	shape, err := c.guardedShape(ctx, text)
	if err == nil && len(shape.cols) > 0 && len(shape.paramTypes) == 0 {
		cols = shape.cols
	}
	if err != nil || cols == nil {
		return nil, false
	}
	return cols, true
}
