package pgserver

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelsql/modelsql/internal/parser"
)

// cursor is a server-side cursor (DECLARE ... CURSOR FOR query). Its rows
// are the query's whole result, kept by the connection until CLOSE or the
// end of the transaction (WITH HOLD: the end of the session): the session
// has no streaming result yet, so a cursor bounds what is sent per FETCH,
// not the server's memory.
type cursor struct {
	out      *outcome
	pos      int // PostgreSQL's position: 0 before the first row, len+1 after the last
	hold     bool
	noScroll bool
	binary   bool
}

// cursorStatement answers DECLARE, FETCH, MOVE and CLOSE; ok is false for
// other statements.
func (c *conn) cursorStatement(ctx context.Context, text string) (*outcome, bool, error) {
	toks, err := parser.Tokenize(text, false)
	if err != nil || len(toks) < 2 {
		return nil, false, nil
	}
	for len(toks) > 0 && isOpTok(toks[len(toks)-1], ";") {
		toks = toks[:len(toks)-1]
	}
	switch strings.ToUpper(toks[0].Text) {
	case "DECLARE":
		out, err := c.declare(ctx, text, toks)
		return out, true, err
	case "FETCH", "MOVE":
		out, err := c.fetch(toks)
		return out, true, err
	case "CLOSE":
		if len(toks) == 2 && strings.EqualFold(toks[1].Text, "ALL") {
			c.cursors = nil
			return &outcome{tag: "CLOSE CURSOR"}, true, nil
		}
		if len(toks) != 2 {
			return nil, true, pgErr("42601", "syntax error: CLOSE name")
		}
		name := cursorName(toks[1])
		if _, ok := c.cursors[name]; !ok {
			return nil, true, pgErr("34000", fmt.Sprintf("cursor %q does not exist", name))
		}
		delete(c.cursors, name)
		return &outcome{tag: "CLOSE CURSOR"}, true, nil
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
		case "ASENSITIVE", "INSENSITIVE", "SCROLL", "CURSOR":
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
	out, err := c.run(ctx, text[toks[i+1].Off:])
	if err != nil {
		return nil, err
	}
	if !out.hasRows {
		return nil, pgErr("42601", "DECLARE CURSOR needs a query that returns rows")
	}
	cur.out = out
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
	total := len(cur.out.rows)
	var rows [][]any
	forward := func(n int) {
		for ; n > 0 && cur.pos <= total; n-- {
			cur.pos++
			if cur.pos <= total {
				rows = append(rows, cur.out.rows[cur.pos-1])
			}
		}
	}
	backward := func(n int) {
		for ; n > 0 && cur.pos > 0; n-- {
			cur.pos--
			if cur.pos > 0 {
				rows = append(rows, cur.out.rows[cur.pos-1])
			}
		}
	}
	absolute := func(k int) {
		switch {
		case k > 0:
			cur.pos = min(k, total+1)
		case k < 0:
			cur.pos = max(total+1+k, 0)
		default:
			cur.pos = 0
		}
		if cur.pos >= 1 && cur.pos <= total {
			rows = append(rows, cur.out.rows[cur.pos-1])
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
				if cur.pos >= 1 && cur.pos <= total {
					rows = append(rows, cur.out.rows[cur.pos-1])
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
	if back && cur.noScroll {
		cur.pos = saved
		return nil, pgErr("55000", "cursor can only scan forward")
	}
	verb := "FETCH"
	if move {
		verb = "MOVE"
		return &outcome{tag: fmt.Sprintf("MOVE %d", len(rows))}, nil
	}
	return &outcome{cols: cur.out.cols, rows: rows, hasRows: true, binary: cur.binary, tag: fmt.Sprintf("%s %d", verb, len(rows))}, nil
}

// endTransaction closes the cursors declared WITHOUT HOLD.
func (c *conn) endTransaction() {
	for name, cur := range c.cursors {
		if !cur.hold {
			delete(c.cursors, name)
		}
	}
}

// isCursorFetch reports whether a statement is a FETCH (which returns rows).
func isCursorFetch(text string) bool {
	w := parser.LeadingWords(text, 1)
	return len(w) == 1 && w[0] == "FETCH"
}
