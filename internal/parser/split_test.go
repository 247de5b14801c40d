package parser

import (
	"errors"
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		script string
		want   []Piece
	}{
		{"", nil},
		{" ;; -- only comments\n/* x; */ ;", nil},
		{"SELECT 1", []Piece{{"SELECT 1", Pos{1, 1}, 0}}},
		{"\uFEFFSELECT 1\r\n;\r\nSELECT 2\r\n", []Piece{{"SELECT 1", Pos{1, 2}, 3}, {"SELECT 2", Pos{3, 1}, 16}}},
		{"SELECT 1;SELECT 2;", []Piece{{"SELECT 1", Pos{1, 1}, 0}, {"SELECT 2", Pos{1, 10}, 9}}},
		{"  -- lead\n  SELECT 'a;b', \"c;d\", `e;f` -- x;y\n  FROM t /* ; */ ; \n\n DROP MODEL m",
			[]Piece{
				{"SELECT 'a;b', \"c;d\", `e;f` -- x;y\n  FROM t", Pos{2, 3}, 12},
				{"DROP MODEL m", Pos{5, 2}, 68},
			}},
		// CJK text and back-quotes holding ';'
		{"SELECT '名字;' AS `列;名`; SELECT 名字 FROM 表",
			[]Piece{{"SELECT '名字;' AS `列;名`", Pos{1, 1}, 0}, {"SELECT 名字 FROM 表", Pos{1, 24}, 31}}},
		// MaxCompute escapes in model statements, DuckDB rules elsewhere
		{`CREATE MODEL m WITH VERSION v OPTIONS(a='x\';y') COMMENT "it\"s;"; SELECT 'C:\'; SELECT 2`,
			[]Piece{
				{`CREATE MODEL m WITH VERSION v OPTIONS(a='x\';y') COMMENT "it\"s;"`, Pos{1, 1}, 0},
				{`SELECT 'C:\'`, Pos{1, 68}, 67},
				{`SELECT 2`, Pos{1, 82}, 81},
			}},
		{`SET a = 'x\';y'; select 1`,
			[]Piece{{`SET a = 'x\';y'`, Pos{1, 1}, 0}, {"select 1", Pos{1, 18}, 17}}},
		// doubled quotes, E-strings, dollar quotes, nested comments
		{"SELECT 'it''s;'; SELECT E'a\\';b'; SELECT $$x;y$$; /* a /* b; */ c; */ SELECT 3",
			[]Piece{
				{"SELECT 'it''s;'", Pos{1, 1}, 0},
				{"SELECT E'a\\';b'", Pos{1, 18}, 17},
				{"SELECT $$x;y$$", Pos{1, 35}, 34},
				{"SELECT 3", Pos{1, 71}, 70},
			}},
		// a line comment ends at the newline; ';' inside it does not split
		{"SELECT 1 -- ;\n, 2;", []Piece{{"SELECT 1 -- ;\n, 2", Pos{1, 1}, 0}}},
	}
	for _, tc := range tests {
		got, err := Split(tc.script)
		if err != nil {
			t.Errorf("Split(%q): %v", tc.script, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Split(%q)\n got %#v\nwant %#v", tc.script, got, tc.want)
		}
		for _, p := range got {
			if tc.script[p.Offset:p.Offset+len(p.Text)] != p.Text {
				t.Errorf("piece %q: wrong offset %d", p.Text, p.Offset)
			}
		}
	}
}

func TestSplitError(t *testing.T) {
	pieces, err := Split("SELECT 1;\nSELECT 2;\nSELECT 'abc;\n")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Pos != (Pos{3, 8}) {
		t.Fatalf("err = %v", err)
	}
	if len(pieces) != 2 || pieces[1].Text != "SELECT 2" {
		t.Fatalf("pieces = %#v", pieces)
	}
}

func TestPieceScriptPos(t *testing.T) {
	script := "SELECT 1;\n  CREATE MODEL m WITH VERSION v1\n  INPUT(a INT) OPTIONZ()"
	pieces, err := Split(script)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(pieces[1].Text)
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v", err)
	}
	if se.Pos != (Pos{2, 16}) {
		t.Fatalf("piece pos %v", se.Pos)
	}
	if got := pieces[1].ScriptPos(se.Pos); got != (Pos{3, 16}) {
		t.Errorf("script pos %v, want line 3, column 16", got)
	}
	if got := pieces[1].ScriptPos(Pos{1, 8}); got != (Pos{2, 10}) {
		t.Errorf("script pos %v, want line 2, column 10", got)
	}
}

func TestComplete(t *testing.T) {
	tests := []struct {
		buf  string
		want bool
	}{
		{"", false},
		{"   ", false},
		{";", true},
		{"SELECT 1", false},
		{"SELECT 1;", true},
		{"SELECT 1;  \n\t", true},
		{"SELECT 1; -- done", true},
		{"SELECT 1; /* done */", true},
		{"SELECT 1 -- ;", false},
		{"SELECT 1 /* ; */", false},
		{"SELECT 1; /* open", false},
		{"SELECT ';", false},
		{"SELECT ';'", false},
		{"SELECT ';';", true},
		{"SELECT \"a;", false},
		{"SELECT `a;", false},
		{"SELECT 1;\nSELECT 2", false},
		{"SELECT 1;\nSELECT 2;", true},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a='x\\';", false},
		{"CREATE MODEL m WITH VERSION v OPTIONS(a='x\\'');", true},
		{"SELECT 'x\\';", true}, // DuckDB: the backslash does not escape
		{"SELECT $$;", false},
		{"SELECT $$;$$;", true},
		{"SELECT '名字';", true},
	}
	for _, tc := range tests {
		if got := Complete(tc.buf); got != tc.want {
			t.Errorf("Complete(%q) = %v, want %v", tc.buf, got, tc.want)
		}
	}
}
