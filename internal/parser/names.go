package parser

import "strings"

// String returns the name in SQL syntax: parts joined by '.', each part
// back-quoted unless it is a plain identifier (letters, digits and '_',
// not starting with a digit).
func (n Name) String() string {
	var b strings.Builder
	for i, p := range n.Parts {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(QuoteIdent(p))
	}
	return b.String()
}

// QuoteIdent returns s as written in SQL: unchanged when it is a plain
// identifier, otherwise back-quoted with embedded back-quotes doubled.
func QuoteIdent(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(isIdentStart(r) || (i > 0 && isIdentPart(r) && r != '$')) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}
