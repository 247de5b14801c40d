package parser

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TokenKind classifies a token.
type TokenKind int

// Token kinds. Keywords are not a kind of their own: they are TokIdent
// tokens compared case-insensitively by the parser.
const (
	TokEOF         TokenKind = iota // end of input
	TokIdent                        // bare identifier or keyword; Value == Text
	TokQuotedIdent                  // `back-quoted` identifier; Value has `` resolved
	TokString                       // '...', "..." , E'...' or $tag$...$tag$; Value is the decoded text
	TokNumber                       // numeric literal; Value is the number without its suffix, Suffix the MaxCompute type suffix
	TokParam                        // positional parameter $1, $2, ...
	TokOp                           // any other single character (punctuation, operator)
)

func (k TokenKind) String() string {
	switch k {
	case TokEOF:
		return "end of input"
	case TokIdent:
		return "identifier"
	case TokQuotedIdent:
		return "quoted identifier"
	case TokString:
		return "string"
	case TokNumber:
		return "number"
	case TokParam:
		return "parameter"
	case TokOp:
		return "operator"
	}
	return fmt.Sprintf("TokenKind(%d)", int(k))
}

// Token is one lexical token. Text is the exact source text (src[Off:End]).
type Token struct {
	Kind   TokenKind
	Text   string // exact source text
	Value  string // decoded value: identifier name, string contents, number without suffix
	Quote  byte   // for TokString: '\'', '"', 'E' (E'...') or '$' (dollar-quoted)
	Suffix string // for TokNumber: MaxCompute type suffix as written (f, L, Y, S, BD, d), or ""
	Pos    Pos    // position of the first character
	Off    int    // byte offset of the first character
	End    int    // byte offset just past the last character
}

// String returns "line L, column C".
func (p Pos) String() string { return fmt.Sprintf("line %d, column %d", p.Line, p.Col) }

// Lexer splits SQL text into tokens. Whitespace and comments are skipped
// (they are the text between consecutive tokens). Columns count characters
// (runes), not bytes; a tab counts as one column.
//
// Two string dialects exist. With Backslash set (MaxCompute, used for the
// statements modelsql parses itself) single- and double-quoted literals both
// are strings and a backslash escapes the next character (\' \" \\ \n \t \r
// \b \0 \Z \;); a doubled quote also stands for one quote. Without it
// (DuckDB, used for passthrough SQL) a backslash is an ordinary character,
// only the doubled quote escapes, and double-quoted text is a quoted
// identifier (it is still reported as TokString with Quote '"'); E'...'
// strings use backslash escapes in both dialects.
//
// Block comments nest, as in DuckDB.
type Lexer struct {
	src       string
	off       int
	line, col int
	// Backslash selects the MaxCompute string dialect (see the type comment).
	// It may be changed between calls to Next.
	Backslash bool
}

// NewLexer returns a lexer over src.
func NewLexer(src string, backslash bool) *Lexer {
	return &Lexer{src: src, line: 1, col: 1, Backslash: backslash}
}

// Tokenize returns all tokens of src up to, not including, the end of input.
func Tokenize(src string, backslash bool) ([]Token, error) {
	l := NewLexer(src, backslash)
	var toks []Token
	for {
		t, err := l.Next()
		if err != nil {
			return toks, err
		}
		if t.Kind == TokEOF {
			return toks, nil
		}
		toks = append(toks, t)
	}
}

// pos returns the current position.
func (l *Lexer) pos() Pos { return Pos{Line: l.line, Col: l.col} }

// peekRune returns the rune at byte offset off (relative to the whole
// source) and its width; width 0 at the end of input.
func (l *Lexer) runeAt(off int) (rune, int) {
	if off >= len(l.src) {
		return 0, 0
	}
	c := l.src[off]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(l.src[off:])
}

// byteAt returns the byte at offset off, or 0 past the end.
func (l *Lexer) byteAt(off int) byte {
	if off >= len(l.src) || off < 0 {
		return 0
	}
	return l.src[off]
}

// advance moves past one rune, keeping line and column up to date.
func (l *Lexer) advance() {
	r, w := l.runeAt(l.off)
	if w == 0 {
		return
	}
	l.off += w
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
}

// advanceN moves past n bytes of ASCII text (no newlines).
func (l *Lexer) advanceASCII(n int) {
	l.off += n
	l.col += n
}

func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v'
	}
	return unicode.IsSpace(r) || r == '\uFEFF' // a byte-order mark counts as space
}

func isIdentStart(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
	}
	return unicode.IsLetter(r)
}

func isIdentPart(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// skipSpaceAndComments skips whitespace and comments. It returns an error for
// an unterminated block comment.
func (l *Lexer) skipSpaceAndComments() error {
	for l.off < len(l.src) {
		r, _ := l.runeAt(l.off)
		switch {
		case isSpace(r):
			l.advance()
		case r == '-' && l.byteAt(l.off+1) == '-':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance()
			}
		case r == '/' && l.byteAt(l.off+1) == '*':
			start := l.pos()
			l.advanceASCII(2)
			depth := 1
			for depth > 0 {
				if l.off >= len(l.src) {
					return &SyntaxError{Pos: start, Detail: "unterminated comment", Expected: "*/"}
				}
				if l.src[l.off] == '*' && l.byteAt(l.off+1) == '/' {
					l.advanceASCII(2)
					depth--
				} else if l.src[l.off] == '/' && l.byteAt(l.off+1) == '*' {
					l.advanceASCII(2)
					depth++
				} else {
					l.advance()
				}
			}
		default:
			return nil
		}
	}
	return nil
}

// Next returns the next token. At the end of input it returns a TokEOF
// token (repeatedly). Errors are *SyntaxError values for unterminated
// strings, quoted identifiers and comments.
func (l *Lexer) Next() (Token, error) {
	if err := l.skipSpaceAndComments(); err != nil {
		return Token{Kind: TokEOF, Pos: l.pos(), Off: l.off, End: l.off}, err
	}
	start, startPos := l.off, l.pos()
	tok := Token{Pos: startPos, Off: start}
	finish := func(kind TokenKind) (Token, error) {
		tok.Kind = kind
		tok.End = l.off
		tok.Text = l.src[start:l.off]
		if kind == TokIdent || kind == TokOp || kind == TokParam {
			tok.Value = tok.Text
		}
		return tok, nil
	}
	if l.off >= len(l.src) {
		return finish(TokEOF)
	}
	r, _ := l.runeAt(l.off)
	c := l.src[l.off]
	switch {
	case (c == 'E' || c == 'e') && l.byteAt(l.off+1) == '\'':
		l.advanceASCII(1)
		v, err := l.quoted('\'', true, startPos)
		if err != nil {
			return tok, err
		}
		tok.Value, tok.Quote = v, 'E'
		return finish(TokString)
	case isIdentStart(r):
		for {
			r, w := l.runeAt(l.off)
			if w == 0 || !isIdentPart(r) {
				break
			}
			l.advance()
		}
		return finish(TokIdent)
	case isDigit(c) || (c == '.' && isDigit(l.byteAt(l.off+1))):
		l.number(&tok)
		return finish(TokNumber)
	case c == '\'' || c == '"':
		v, err := l.quoted(c, l.Backslash, startPos)
		if err != nil {
			return tok, err
		}
		tok.Value, tok.Quote = v, c
		return finish(TokString)
	case c == '`':
		v, err := l.quoted('`', false, startPos)
		if err != nil {
			return tok, err
		}
		tok.Value = v
		return finish(TokQuotedIdent)
	case c == '$':
		if isDigit(l.byteAt(l.off + 1)) {
			l.advanceASCII(1)
			for isDigit(l.byteAt(l.off)) {
				l.advanceASCII(1)
			}
			return finish(TokParam)
		}
		if tag, ok := l.dollarTag(l.off); ok {
			v, err := l.dollarString(tag, startPos)
			if err != nil {
				return tok, err
			}
			tok.Value, tok.Quote = v, '$'
			return finish(TokString)
		}
		l.advance()
		return finish(TokOp)
	default:
		l.advance()
		return finish(TokOp)
	}
}

// number lexes a numeric literal at l.off: digits (single underscores
// allowed between digits), an optional fraction, an optional exponent, and
// an optional MaxCompute type suffix (f, l, y, s, bd, d in any case) that is
// not followed by further identifier characters.
func (l *Lexer) number(tok *Token) {
	start := l.off
	digits := func() {
		for isDigit(l.byteAt(l.off)) || (l.byteAt(l.off) == '_' && isDigit(l.byteAt(l.off+1)) && l.off > start && isDigit(l.byteAt(l.off-1))) {
			l.advanceASCII(1)
		}
	}
	digits()
	if l.byteAt(l.off) == '.' {
		l.advanceASCII(1)
		digits()
	}
	if c := l.byteAt(l.off); c == 'e' || c == 'E' {
		n := 1
		if s := l.byteAt(l.off + 1); s == '+' || s == '-' {
			n = 2
		}
		if isDigit(l.byteAt(l.off + n)) {
			l.advanceASCII(n)
			digits()
		}
	}
	tok.Value = l.src[start:l.off]
	// A suffix is the whole run of identifier characters that follows.
	end := l.off
	for {
		r, w := l.runeAt(end)
		if w == 0 || !isIdentPart(r) {
			break
		}
		end += w
	}
	if end > l.off {
		switch strings.ToUpper(l.src[l.off:end]) {
		case "F", "L", "Y", "S", "BD", "D":
			tok.Suffix = l.src[l.off:end]
			l.advanceASCII(end - l.off)
		}
	}
}

// quoted lexes a literal delimited by q starting at l.off (the opening
// quote). A doubled delimiter stands for one; with backslash, \x escapes.
func (l *Lexer) quoted(q byte, backslash bool, startPos Pos) (string, error) {
	l.advanceASCII(1)
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			what := "string literal"
			if q == '`' {
				what = "quoted identifier"
			}
			return "", &SyntaxError{Pos: startPos, Detail: "unterminated " + what, Expected: "closing " + string(q)}
		}
		c := l.src[l.off]
		switch {
		case c == q:
			if l.byteAt(l.off+1) == q {
				b.WriteByte(q)
				l.advanceASCII(2)
				continue
			}
			l.advanceASCII(1)
			return b.String(), nil
		case c == '\\' && backslash && l.off+1 < len(l.src):
			l.advanceASCII(1)
			r, w := l.runeAt(l.off)
			switch r {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case '0':
				b.WriteByte(0)
			case 'Z':
				b.WriteByte(0x1a)
			case '\\', '\'', '"', '`', ';', '%', '_':
				if r == '%' || r == '_' {
					// kept escaped, as in LIKE patterns
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			default:
				// unknown escape: keep both characters
				b.WriteByte('\\')
				b.WriteString(l.src[l.off : l.off+w])
			}
			l.advance()
		default:
			_, w := l.runeAt(l.off)
			b.WriteString(l.src[l.off : l.off+w])
			l.advance()
		}
	}
}

// dollarTag reports whether a dollar-quote opener ($$ or $tag$) starts at
// off and returns it.
func (l *Lexer) dollarTag(off int) (string, bool) {
	i := off + 1
	if l.byteAt(i) == '$' {
		return "$$", true
	}
	r, w := l.runeAt(i)
	if w == 0 || !isIdentStart(r) {
		return "", false
	}
	i += w
	for {
		r, w := l.runeAt(i)
		if w == 0 {
			return "", false
		}
		if r == '$' {
			return l.src[off : i+1], true
		}
		if !isIdentPart(r) {
			return "", false
		}
		i += w
	}
}

// dollarString lexes $tag$...$tag$ at l.off.
func (l *Lexer) dollarString(tag string, startPos Pos) (string, error) {
	for range utf8.RuneCountInString(tag) {
		l.advance()
	}
	idx := strings.Index(l.src[l.off:], tag)
	if idx < 0 {
		return "", &SyntaxError{Pos: startPos, Detail: "unterminated dollar-quoted string", Expected: "closing " + tag}
	}
	body := l.src[l.off : l.off+idx]
	end := l.off + idx + len(tag)
	for l.off < end {
		l.advance()
	}
	return body, nil
}

// LeadingWords returns the first n words of a statement, upper-cased: the
// identifiers and keywords before its first other token (comments are not
// tokens), e.g. CREATE OR REPLACE VIEW.
func LeadingWords(text string, n int) []string {
	toks, _ := Tokenize(text, false)
	var out []string
	for _, t := range toks {
		if len(out) == n || t.Kind != TokIdent {
			break
		}
		out = append(out, strings.ToUpper(t.Text))
	}
	return out
}
