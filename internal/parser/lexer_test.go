package parser

import (
	"errors"
	"strings"
	"testing"
)

func TestLexerTokens(t *testing.T) {
	type tk struct {
		kind   TokenKind
		text   string
		value  string
		suffix string
	}
	tests := []struct {
		src       string
		backslash bool
		want      []tk
	}{
		{"select Foo_1 名字 _x a$b", true, []tk{
			{TokIdent, "select", "select", ""}, {TokIdent, "Foo_1", "Foo_1", ""}, {TokIdent, "名字", "名字", ""},
			{TokIdent, "_x", "_x", ""}, {TokIdent, "a$b", "a$b", ""}}},
		{"`a``b` `Qwen3-0.6B-GGUF` `名 字`", true, []tk{
			{TokQuotedIdent, "`a``b`", "a`b", ""}, {TokQuotedIdent, "`Qwen3-0.6B-GGUF`", "Qwen3-0.6B-GGUF", ""},
			{TokQuotedIdent, "`名 字`", "名 字", ""}}},
		// MaxCompute strings
		{`'it\'s' "a\"b" 'a''b' "a""b" '\\\n\t\r\0\Z\;' '\q' '\%'`, true, []tk{
			{TokString, `'it\'s'`, "it's", ""}, {TokString, `"a\"b"`, `a"b`, ""}, {TokString, `'a''b'`, "a'b", ""},
			{TokString, `"a""b"`, `a"b`, ""}, {TokString, `'\\\n\t\r\0\Z\;'`, "\\\n\t\r\x00\x1a;", ""},
			{TokString, `'\q'`, `\q`, ""}, {TokString, `'\%'`, `\%`, ""}}},
		// DuckDB strings: no backslash escapes except in E''
		{`'a\' "x\" E'it\'s' e'\n' $$a;'b$$ $t$x$$y$t$`, false, []tk{
			{TokString, `'a\'`, `a\`, ""}, {TokString, `"x\"`, `x\`, ""}, {TokString, `E'it\'s'`, "it's", ""},
			{TokString, `e'\n'`, "\n", ""}, {TokString, "$$a;'b$$", "a;'b", ""}, {TokString, "$t$x$$y$t$", "x$$y", ""}}},
		// numbers and suffixes
		{"1 1.5 .5 1. 1e5 1.5E-3 0.22438f 0f 1L 1y 1S 3.14BD 1d 2D 1_000 1_000L", false, []tk{
			{TokNumber, "1", "1", ""}, {TokNumber, "1.5", "1.5", ""}, {TokNumber, ".5", ".5", ""}, {TokNumber, "1.", "1.", ""},
			{TokNumber, "1e5", "1e5", ""}, {TokNumber, "1.5E-3", "1.5E-3", ""}, {TokNumber, "0.22438f", "0.22438", "f"},
			{TokNumber, "0f", "0", "f"}, {TokNumber, "1L", "1", "L"}, {TokNumber, "1y", "1", "y"}, {TokNumber, "1S", "1", "S"},
			{TokNumber, "3.14BD", "3.14", "BD"}, {TokNumber, "1d", "1", "d"}, {TokNumber, "2D", "2", "D"},
			{TokNumber, "1_000", "1_000", ""}, {TokNumber, "1_000L", "1_000", "L"}}},
		// not suffixes
		{"1day 1e 1f2 x1L f1 1__0", false, []tk{
			{TokNumber, "1", "1", ""}, {TokIdent, "day", "day", ""}, {TokNumber, "1", "1", ""}, {TokIdent, "e", "e", ""},
			{TokNumber, "1", "1", ""}, {TokIdent, "f2", "f2", ""}, {TokIdent, "x1L", "x1L", ""}, {TokIdent, "f1", "f1", ""},
			{TokNumber, "1", "1", ""}, {TokIdent, "__0", "__0", ""}}},
		// operators, params, comments
		{"a>=b -- c ; d\n/* x /* nested ; */ y */ $1 $ ;", false, []tk{
			{TokIdent, "a", "a", ""}, {TokOp, ">", ">", ""}, {TokOp, "=", "=", ""}, {TokIdent, "b", "b", ""},
			{TokParam, "$1", "$1", ""}, {TokOp, "$", "$", ""}, {TokOp, ";", ";", ""}}},
	}
	for _, tc := range tests {
		toks, err := Tokenize(tc.src, tc.backslash)
		if err != nil {
			t.Errorf("Tokenize(%q): %v", tc.src, err)
			continue
		}
		var got []tk
		for _, x := range toks {
			got = append(got, tk{x.Kind, x.Text, x.Value, x.Suffix})
			if tc.src[x.Off:x.End] != x.Text {
				t.Errorf("%q: token %q has offsets %d:%d", tc.src, x.Text, x.Off, x.End)
			}
		}
		if show(got) != show(tc.want) {
			t.Errorf("Tokenize(%q)\n got %v\nwant %v", tc.src, got, tc.want)
		}
	}
}

func TestLexerPositions(t *testing.T) {
	src := "a\n  名字 `x`\n\t'y' -- c\n/* d\n e */ 1f"
	toks, err := Tokenize(src, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []Pos{{1, 1}, {2, 3}, {2, 6}, {3, 2}, {5, 7}}
	if len(toks) != len(want) {
		t.Fatalf("%d tokens", len(toks))
	}
	for i, tok := range toks {
		if tok.Pos != want[i] {
			t.Errorf("token %q at %v, want %v", tok.Text, tok.Pos, want[i])
		}
	}
}

func TestLexerErrors(t *testing.T) {
	tests := []struct {
		src       string
		backslash bool
		pos       Pos
		msg       string
	}{
		{"a 'bc", true, Pos{1, 3}, "unterminated string literal, expected closing '"},
		{`a 'bc\'`, true, Pos{1, 3}, "unterminated string literal"},
		{"x\n \"bc", false, Pos{2, 2}, `unterminated string literal, expected closing "`},
		{"`abc", false, Pos{1, 1}, "unterminated quoted identifier, expected closing `"},
		{"/* a /* b */", false, Pos{1, 1}, "unterminated comment, expected */"},
		{"$$abc", false, Pos{1, 1}, "unterminated dollar-quoted string, expected closing $$"},
		{"E'abc\\'", false, Pos{1, 1}, "unterminated string literal"},
	}
	for _, tc := range tests {
		_, err := Tokenize(tc.src, tc.backslash)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Tokenize(%q) = %v, want *SyntaxError", tc.src, err)
			continue
		}
		if se.Pos != tc.pos || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Tokenize(%q) = %v at %v, want %q at %v", tc.src, err, se.Pos, tc.msg, tc.pos)
		}
	}
}

func TestLexerEOFRepeats(t *testing.T) {
	l := NewLexer("a", false)
	for i := range 3 {
		tok, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		if (i == 0) != (tok.Kind == TokIdent) {
			t.Fatalf("token %d = %v", i, tok)
		}
	}
}
