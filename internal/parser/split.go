package parser

import "strings"

// Piece is one statement of a script.
type Piece struct {
	// Text runs from the first to the last token of the statement: leading
	// and trailing whitespace and comments and the terminating ';' are not
	// part of it (comments inside it are kept).
	Text string
	// Pos is the script position of Text's first character.
	Pos Pos
	// Offset is the byte offset of Text in the script.
	Offset int
}

// ScriptPos maps a position inside p.Text (as reported by Parse or
// RewriteSQL for p.Text) to the position in the whole script.
func (p Piece) ScriptPos(pos Pos) Pos {
	if pos.Line <= 1 {
		return Pos{Line: p.Pos.Line, Col: p.Pos.Col + pos.Col - 1}
	}
	return Pos{Line: p.Pos.Line + pos.Line - 1, Col: pos.Col}
}

// modelStatement reports whether a statement starting with the words w1 and
// w2 (w2 == "" when not known yet) is one that modelsql parses itself, and
// so uses the MaxCompute string dialect (backslash escapes, double-quoted
// strings). The second result reports whether the answer is final.
func modelStatement(w1, w2 string) (yes, final bool) {
	switch strings.ToUpper(w1) {
	case "SET", "USE", "GRANT", "REVOKE":
		return true, true
	case "CREATE", "DROP":
		if w2 == "" {
			return false, false
		}
		switch strings.ToUpper(w2) {
		case "MODEL", "USER", "ROLE":
			return true, true
		case "OBJECT":
			return strings.EqualFold(w1, "CREATE"), true
		}
	case "ALTER":
		if w2 == "" {
			return false, false
		}
		switch strings.ToUpper(w2) {
		case "MODEL", "USER":
			return true, true
		}
	case "SHOW":
		if w2 == "" {
			return false, false
		}
		switch strings.ToUpper(w2) {
		case "MODELS", "VERSIONS", "GRANTS":
			return true, true
		}
	case "EXPLAIN":
		if w2 == "" {
			return false, false
		}
		return strings.EqualFold(w2, "COST"), true
	case "CLEAR":
		if w2 == "" {
			return false, false
		}
		return strings.EqualFold(w2, "AI"), true
	case "DESC", "DESCRIBE":
		if w2 == "" {
			return false, false
		}
		if strings.EqualFold(w2, "MODEL") {
			return true, true
		}
	}
	return false, true
}

// stmtScanner runs a Lexer over a script, switching the string dialect at
// the start of every statement: statements that modelsql parses itself (see
// modelStatement) are lexed with MaxCompute rules, all others with DuckDB
// rules. The first two words of a statement never contain a string, so the
// switch always happens before the first string of the statement.
type stmtScanner struct {
	lx      *Lexer
	n       int // tokens seen in the current statement
	w1      string
	decided bool
}

func newStmtScanner(src string) *stmtScanner {
	return &stmtScanner{lx: NewLexer(src, false)}
}

func (s *stmtScanner) next() (Token, error) {
	t, err := s.lx.Next()
	if err != nil || t.Kind == TokEOF {
		return t, err
	}
	if t.Kind == TokOp && t.Text == ";" {
		s.n, s.w1, s.decided = 0, "", false
		s.lx.Backslash = false
		return t, nil
	}
	s.n++
	if s.decided {
		return t, nil
	}
	word := ""
	if t.Kind == TokIdent {
		word = t.Text
	}
	switch s.n {
	case 1:
		s.w1 = word
		if word == "" {
			s.decided = true
			return t, nil
		}
		yes, final := modelStatement(word, "")
		s.lx.Backslash, s.decided = yes, final
	case 2:
		if word == "" {
			s.decided = true
			return t, nil
		}
		yes, _ := modelStatement(s.w1, word)
		s.lx.Backslash, s.decided = yes, true
	}
	return t, nil
}

// Split splits a script into statements at every ';' that is outside
// string literals, quoted identifiers and comments. Statements that are
// empty (only whitespace and comments) are dropped; the last statement
// needs no ';'.
//
// On a lexical error (an unterminated string, quoted identifier or comment)
// Split returns the statements complete before the one holding the error,
// and the *SyntaxError (with a script position).
func Split(script string) ([]Piece, error) {
	var pieces []Piece
	s := newStmtScanner(script)
	first, last := -1, -1 // token range of the current statement
	var firstPos Pos
	flush := func() {
		if first >= 0 {
			pieces = append(pieces, Piece{Text: script[first:last], Pos: firstPos, Offset: first})
		}
		first, last = -1, -1
	}
	for {
		t, err := s.next()
		if err != nil {
			return pieces, err
		}
		if t.Kind == TokEOF {
			flush()
			return pieces, nil
		}
		if t.Kind == TokOp && t.Text == ";" {
			flush()
			continue
		}
		if first < 0 {
			first, firstPos = t.Off, t.Pos
		}
		last = t.End
	}
}

// Complete reports whether buf ends a statement: its last token, ignoring
// trailing whitespace and comments, is a ';' outside quotes and comments.
// An interactive shell keeps reading lines until Complete is true. A buffer
// with an unterminated string, quoted identifier or block comment is not
// complete.
func Complete(buf string) bool {
	s := newStmtScanner(buf)
	lastSemi := false
	for {
		t, err := s.next()
		if err != nil {
			return false
		}
		if t.Kind == TokEOF {
			return lastSemi
		}
		lastSemi = t.Kind == TokOp && t.Text == ";"
	}
}
