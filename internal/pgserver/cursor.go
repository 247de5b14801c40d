package pgserver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/session"
)

// cursor is a server-side cursor (DECLARE ... CURSOR FOR query). A cursor
// declared without SCROLL streams: its statement runs in a goroutine that
// hands rows over one at a time as FETCH asks (DuckDB waits meanwhile), so
// the server holds a few rows, not the result. The session can run one
// statement at a time, so any other statement first settles open streams:
// their remaining rows are read into memory (settle). SCROLL cursors, and
// statements the session computes whole (AI calls, modelsql's own), keep
// every row.
type cursor struct {
	cols     []column
	rows     [][]any // rows base+1 .. base+len(rows)
	base     int     // rows dropped from the front (streaming cursors keep no past rows)
	pos      int     // PostgreSQL's position: 0 before the first row, total+1 after the last
	stream   *cursorStream
	hold     bool
	noScroll bool
	scroll   bool
	binary   bool
}

// cursorStream is a cursor's running statement.
type cursorStream struct {
	rows   chan []any
	cols   chan []column
	done   chan struct{}
	err    error // valid once done is closed
	res    *session.Result
	cancel context.CancelFunc
}

// Start hands the columns to DECLARE.
func (cs *cursorStream) Start(res *session.Result) (bool, error) {
	if len(res.Columns) == 1 && (res.Columns[0] == "Count" || res.Columns[0] == "Success") {
		return false, nil
	}
	cs.cols <- resultColumns(res)
	return true, nil
}

// Row waits until FETCH takes the row (or the cursor is closed).
func (cs *cursorStream) Row(vals []any) error {
	select {
	case cs.rows <- append([]any(nil), vals...):
		return nil
	case <-cs.done:
		return context.Canceled
	}
}

// startStream runs the query in a goroutine and waits for its columns.
func (c *conn) startStream(ctx context.Context, cur *cursor, query string) error {
	sctx, cancel := context.WithCancel(context.Background())
	cs := &cursorStream{rows: make(chan []any), cols: make(chan []column, 1), done: make(chan struct{}), cancel: cancel}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		cs.res, cs.err = c.sess.ExecStream(sctx, query, cs)
	}()
	select {
	case cols := <-cs.cols:
		cur.cols, cur.stream = cols, cs
		go func() { <-finished; cs.finish() }()
		return nil
	case <-finished:
		cancel()
		close(cs.done)
		if cs.err != nil {
			return cs.err
		}
		out := shape(query, cs.res)
		if !out.hasRows {
			return pgErr("42601", "DECLARE CURSOR needs a query that returns rows")
		}
		cur.cols, cur.rows = out.cols, out.rows
		return nil
	case <-ctx.Done():
		cancel()
		<-finished
		return ctx.Err()
	}
}

// finish marks the end of the statement (it sends no more rows).
func (cs *cursorStream) finish() { close(cs.rows) }

// next takes the stream's next row; false at the end (or on error).
func (cur *cursor) next() ([]any, bool, error) {
	cs := cur.stream
	row, ok := <-cs.rows
	if ok {
		return row, true, nil
	}
	cur.stream = nil
	cs.cancel()
	if cs.err != nil && !errors.Is(cs.err, context.Canceled) {
		return nil, false, cs.err
	}
	return nil, false, nil
}

// pull reads from the stream until row want (1-based) is held, or all rows
// for want < 0.
func (cur *cursor) pull(want int) error {
	for cur.stream != nil && (want < 0 || cur.base+len(cur.rows) < want) {
		row, ok, err := cur.next()
		if err != nil {
			return err
		}
		if ok {
			cur.rows = append(cur.rows, row)
		}
	}
	return nil
}

// stop ends a cursor's running statement.
func (cur *cursor) stop() {
	if cs := cur.stream; cs != nil {
		cur.stream = nil
		cs.cancel()
		select {
		case <-cs.done:
		default:
			close(cs.done)
		}
		for range cs.rows { // until the statement has returned
		}
	}
}

// settleCursors is called before any statement other than FETCH, MOVE and
// CLOSE: the session is free again once open streams are read to their
// end (kept in memory, as PostgreSQL does for WITH HOLD cursors at
// commit). A transaction's end stops the cursors it closes instead.
func (c *conn) settleCursors(text string) error {
	ending := false
	switch firstKeyword(text) {
	case "COMMIT", "END", "ROLLBACK", "ABORT":
		ending = true
	}
	for name, cur := range c.cursors {
		if cur.stream == nil {
			continue
		}
		if ending && !cur.hold {
			cur.stop()
			delete(c.cursors, name)
			continue
		}
		if err := cur.pull(-1); err != nil {
			cur.stop()
			delete(c.cursors, name)
			return err
		}
	}
	return nil
}

// closeCursors ends every cursor (at the session's end).
func (c *conn) closeCursors() {
	for name, cur := range c.cursors {
		cur.stop()
		delete(c.cursors, name)
	}
}

// cursorStatement answers DECLARE, FETCH, MOVE and CLOSE; ok is false for
// other statements.
func (c *conn) cursorStatement(ctx context.Context, text string) (*outcome, bool, error) {
	toks, err := parser.Tokenize(text, false)
	if err != nil || len(toks) < 2 {
		if err := c.settleCursors(text); err != nil {
			return nil, true, err
		}
		return nil, false, nil
	}
	for len(toks) > 0 && isOpTok(toks[len(toks)-1], ";") {
		toks = toks[:len(toks)-1]
	}
	switch strings.ToUpper(toks[0].Text) {
	case "DECLARE":
		if err := c.settleCursors(text); err != nil {
			return nil, true, err
		}
		out, err := c.declare(ctx, text, toks)
		return out, true, err
	case "FETCH", "MOVE":
		out, err := c.fetch(toks)
		return out, true, err
	case "CLOSE":
		if len(toks) == 2 && strings.EqualFold(toks[1].Text, "ALL") {
			c.closeCursors()
			return &outcome{tag: "CLOSE CURSOR"}, true, nil
		}
		if len(toks) != 2 {
			return nil, true, pgErr("42601", "syntax error: CLOSE name")
		}
		name := cursorName(toks[1])
		cur, ok := c.cursors[name]
		if !ok {
			return nil, true, pgErr("34000", fmt.Sprintf("cursor %q does not exist", name))
		}
		cur.stop()
		delete(c.cursors, name)
		return &outcome{tag: "CLOSE CURSOR"}, true, nil
	}
	if err := c.settleCursors(text); err != nil {
		return nil, true, err
	}
	return nil, false, nil
}

func isOpTok(t parser.Token, s string) bool { return t.Kind == parser.TokOp && t.Text == s }

func cursorName(t parser.Token) string {
	if t.Kind == parser.TokString && t.Quote == '"' {
		return t.Value
	}
	return strings.ToLower(t.Text)
}

// declare: DECLARE name [BINARY] [ASENSITIVE|INSENSITIVE] [[NO] SCROLL]
// CURSOR [{WITH|WITHOUT} HOLD] FOR query.
func (c *conn) declare(ctx context.Context, text string, toks []parser.Token) (*outcome, error) {
	name := cursorName(toks[1])
	cur := &cursor{}
	i := 2
	for ; i < len(toks); i++ {
		w := strings.ToUpper(toks[i].Text)
		switch w {
		case "BINARY":
			cur.binary = true
		case "SCROLL":
			cur.scroll = true
		case "ASENSITIVE", "INSENSITIVE", "CURSOR":
		case "NO":
			if i+1 < len(toks) && strings.EqualFold(toks[i+1].Text, "SCROLL") {
				cur.noScroll = true
				i++
			}
		case "WITH", "WITHOUT":
			if i+1 < len(toks) && strings.EqualFold(toks[i+1].Text, "HOLD") {
				cur.hold = w == "WITH"
				i++
			}
		case "FOR":
			goto query
		default:
			return nil, pgErr("42601", fmt.Sprintf("syntax error at or near %q in DECLARE", toks[i].Text))
		}
	}
	return nil, pgErr("42601", "syntax error: DECLARE name CURSOR FOR query")
query:
	if i+1 >= len(toks) {
		return nil, pgErr("42601", "DECLARE CURSOR needs a query")
	}
	if !cur.hold && (c.tx == 'I' || c.tx == 0) {
		return nil, pgErr("25P01", "DECLARE CURSOR can only be used in transaction blocks")
	}
	if _, dup := c.cursors[name]; dup {
		return nil, pgErr("42P03", fmt.Sprintf("cursor %q already exists", name))
	}
	if !returnsRows(toks[i+1:]) {
		return nil, pgErr("42601", "DECLARE CURSOR needs a query that returns rows")
	}
	query, err := c.catalogRewrite(ctx, text[toks[i+1].Off:])
	if err != nil {
		return nil, err
	}
	if cur.scroll {
		out, err := c.run(ctx, query)
		if err != nil {
			return nil, err
		}
		if !out.hasRows {
			return nil, pgErr("42601", "DECLARE CURSOR needs a query that returns rows")
		}
		cur.cols, cur.rows = out.cols, out.rows
	} else if err := c.startStream(ctx, cur, query); err != nil {
		return nil, err
	}
	if c.cursors == nil {
		c.cursors = map[string]*cursor{}
	}
	c.cursors[name] = cur
	return &outcome{tag: "DECLARE CURSOR"}, nil
}

// fetch: FETCH|MOVE [NEXT|PRIOR|FIRST|LAST|ABSOLUTE n|RELATIVE n|n|ALL|
// FORWARD [n|ALL]|BACKWARD [n|ALL]] [FROM|IN] name.
func (c *conn) fetch(toks []parser.Token) (*outcome, error) {
	move := strings.EqualFold(toks[0].Text, "MOVE")
	rest := toks[1:]
	if len(rest) == 0 {
		return nil, pgErr("42601", "syntax error: FETCH needs a cursor name")
	}
	name := cursorName(rest[len(rest)-1])
	rest = rest[:len(rest)-1]
	if n := len(rest); n > 0 && (strings.EqualFold(rest[n-1].Text, "FROM") || strings.EqualFold(rest[n-1].Text, "IN")) {
		rest = rest[:n-1]
	}
	cur, ok := c.cursors[name]
	if !ok {
		return nil, pgErr("34000", fmt.Sprintf("cursor %q does not exist", name))
	}
	num := func(i int) (int, error) {
		if i >= len(rest) {
			return 1, nil
		}
		s := rest[i].Text
		neg := false
		if s == "-" || s == "+" {
			neg = s == "-"
			if i+1 >= len(rest) {
				return 0, pgErr("42601", "syntax error in FETCH count")
			}
			s = rest[i+1].Text
		}
		if strings.EqualFold(s, "ALL") {
			return 1 << 62, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, pgErr("42601", fmt.Sprintf("syntax error at or near %q in FETCH", s))
		}
		if neg {
			n = -n
		}
		return n, nil
	}
	var rows [][]any
	var fail error
	// take appends the row at position p, which a streaming cursor may
	// have let go already.
	take := func(p int) {
		if p <= cur.base {
			fail = pgErr("55000", "cursor can only scan forward")
			return
		}
		rows = append(rows, cur.rows[p-1-cur.base])
	}
	total := func() int { return cur.base + len(cur.rows) }
	forward := func(n int) {
		for ; n > 0 && fail == nil; n-- {
			if err := cur.pull(cur.pos + 1); err != nil {
				fail = err
				return
			}
			if cur.pos > total() {
				return
			}
			cur.pos++
			if cur.pos <= total() {
				take(cur.pos)
			}
		}
	}
	backward := func(n int) {
		for ; n > 0 && cur.pos > 0 && fail == nil; n-- {
			cur.pos--
			if cur.pos > 0 {
				take(cur.pos)
			}
		}
	}
	absolute := func(k int) {
		want := k
		if k < 0 {
			want = -1
		}
		if err := cur.pull(want); err != nil {
			fail = err
			return
		}
		switch {
		case k > 0:
			cur.pos = min(k, total()+1)
		case k < 0:
			cur.pos = max(total()+1+k, 0)
		default:
			cur.pos = 0
		}
		if cur.pos >= 1 && cur.pos <= total() {
			take(cur.pos)
		}
	}
	saved := cur.pos
	back := false
	dir := ""
	if len(rest) > 0 {
		dir = strings.ToUpper(rest[0].Text)
	}
	switch {
	case dir == "" || dir == "NEXT":
		forward(1)
	case dir == "PRIOR":
		back = true
		backward(1)
	case dir == "FIRST":
		back = true
		absolute(1)
	case dir == "LAST":
		absolute(-1)
	case dir == "ABSOLUTE", dir == "RELATIVE":
		k, err := num(1)
		if err != nil {
			return nil, err
		}
		if dir == "RELATIVE" {
			back = k < 0
			switch {
			case k > 0:
				forward(k - 1)
				rows = nil
				forward(1)
			case k < 0:
				backward(-k - 1)
				rows = nil
				backward(1)
			default:
				if cur.pos >= 1 && cur.pos <= total() {
					take(cur.pos)
				}
			}
		} else {
			back = true
			absolute(k)
		}
	case dir == "FORWARD":
		n, err := num(1)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			back = true
			backward(-n)
		} else {
			forward(n)
		}
	case dir == "BACKWARD":
		n, err := num(1)
		if err != nil {
			return nil, err
		}
		back = n > 0
		if n < 0 {
			forward(-n)
		} else {
			backward(n)
		}
	default:
		n, err := num(0)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			back = true
			backward(-n)
		} else {
			forward(n)
		}
	}
	if fail == nil && back && cur.noScroll {
		fail = pgErr("55000", "cursor can only scan forward")
	}
	if fail != nil {
		cur.pos = saved
		return nil, fail
	}
	if !cur.scroll && cur.pos-1 > cur.base {
		// A cursor without SCROLL keeps only its current row.
		drop := min(cur.pos-1-cur.base, len(cur.rows))
		cur.rows = append([][]any(nil), cur.rows[drop:]...)
		cur.base += drop
	}
	verb := "FETCH"
	if move {
		verb = "MOVE"
		return &outcome{tag: fmt.Sprintf("MOVE %d", len(rows))}, nil
	}
	return &outcome{cols: cur.cols, rows: rows, hasRows: true, binary: cur.binary, tag: fmt.Sprintf("%s %d", verb, len(rows))}, nil
}

// endTransaction closes the cursors declared WITHOUT HOLD.
func (c *conn) endTransaction() {
	for name, cur := range c.cursors {
		if !cur.hold {
			cur.stop()
			delete(c.cursors, name)
		}
	}
}

// isCursorFetch reports whether a statement is a FETCH (which returns rows).
func isCursorFetch(text string) bool {
	w := parser.LeadingWords(text, 1)
	return len(w) == 1 && w[0] == "FETCH"
}
