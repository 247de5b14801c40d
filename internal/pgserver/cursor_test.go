package pgserver

import (
	"context"
	"fmt"
	"testing"

	"github.com/modelsql/modelsql/internal/parser"
)

func cursorConn(n int, noScroll bool) *conn {
	cur := &cursor{cols: []column{newColumn("i", "INTEGER")}, noScroll: noScroll, scroll: !noScroll}
	for i := 1; i <= n; i++ {
		cur.rows = append(cur.rows, []any{int32(i)})
	}
	return &conn{cursors: map[string]*cursor{"c": cur}}
}

// PostgreSQL's answers for a 10-row SCROLL cursor (e2e/pgcatalog_test.go
// compares the same with a live server).
func TestFetch(t *testing.T) {
	c := cursorConn(10, false)
	steps := []struct{ stmt, want string }{
		{"FETCH 3 FROM c", "FETCH 3 [1 2 3]"},
		{"FETCH NEXT FROM c", "FETCH 1 [4]"},
		{"MOVE FORWARD 2 IN c", "MOVE 2 []"},
		{"FETCH BACKWARD 2 FROM c", "FETCH 2 [5 4]"},
		{"FETCH PRIOR FROM c", "FETCH 1 [3]"},
		{"FETCH ABSOLUTE -1 FROM c", "FETCH 1 [10]"},
		{"FETCH RELATIVE -3 FROM c", "FETCH 1 [7]"},
		{"FETCH ALL FROM c", "FETCH 3 [8 9 10]"},
		{"FETCH c", "FETCH 0 []"},
		{"FETCH FIRST FROM c", "FETCH 1 [1]"},
		{"FETCH RELATIVE 0 FROM c", "FETCH 1 [1]"},
		{"FETCH ABSOLUTE 20 FROM c", "FETCH 0 []"},
		{"FETCH BACKWARD ALL FROM c", "FETCH 10 [10 9 8 7 6 5 4 3 2 1]"},
		{"FETCH -2 FROM c", "FETCH 0 []"},
		{"FETCH FORWARD -1 FROM c", "FETCH 0 []"},
	}
	for _, s := range steps {
		out, ok, err := c.cursorStatement(context.Background(), s.stmt)
		if !ok || err != nil {
			t.Fatalf("%s: %v %v", s.stmt, ok, err)
		}
		var got []any
		for _, r := range out.rows {
			got = append(got, r[0])
		}
		if g := fmt.Sprintf("%s %v", out.tag, got); g != s.want {
			t.Errorf("%s: got %q, want %q", s.stmt, g, s.want)
		}
	}
	ns := cursorConn(3, true)
	if _, _, err := ns.cursorStatement(context.Background(), "FETCH PRIOR FROM c"); err == nil || sqlState(err) != "55000" {
		t.Errorf("backward on NO SCROLL: %v", err)
	}
	if _, _, err := ns.cursorStatement(context.Background(), "FETCH 1 FROM nope"); sqlState(err) != "34000" {
		t.Errorf("unknown cursor: %v", err)
	}
	if _, _, err := ns.cursorStatement(context.Background(), "CLOSE c"); err != nil || len(ns.cursors) != 0 {
		t.Errorf("CLOSE: %v %v", err, ns.cursors)
	}
}

// FuzzCursorStatement: FETCH/MOVE/CLOSE text never panics.
func FuzzCursorStatement(f *testing.F) {
	for _, s := range []string{"FETCH 3 FROM c", "MOVE -", "FETCH ABSOLUTE - c", "FETCH FORWARD ALL IN c", "CLOSE ALL", "FETCH", "FETCH 99999999999999999999 c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if w := parser.LeadingWords(s, 1); len(w) == 1 && w[0] == "DECLARE" {
			return // runs a query: needs a session
		}
		c := cursorConn(5, false)
		c.cursorStatement(context.Background(), s)
	})
}
