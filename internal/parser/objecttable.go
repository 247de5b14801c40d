package parser

import "strings"

// This file parses the object-table statements (package objtable runs
// them): CREATE OBJECT TABLE and ALTER TABLE ... REFRESH METADATA.

// CreateObjectTable is
// CREATE OBJECT TABLE [IF NOT EXISTS] name [COMMENT '...']
// [WITH SERDEPROPERTIES ('k'='v', ...)] LOCATION '...' [COMMENT '...'].
type CreateObjectTable struct {
	IfNotExists bool
	Table       Name
	// Properties are the SERDEPROPERTIES in written order, keys lower-cased
	// (odps.properties.rolearn), duplicates kept (the runner rejects them).
	Properties []Option
	Location   string
	Comment    *string
}

// RefreshMetadata is ALTER TABLE name REFRESH METADATA.
type RefreshMetadata struct{ Table Name }

func (*CreateObjectTable) stmt() {}
func (*RefreshMetadata) stmt()   {}

// refreshAhead reports whether the tokens after ALTER TABLE are a table
// name followed by REFRESH (the rest of ALTER TABLE is DuckDB's).
func (p *parser) refreshAhead() bool {
	for k := 2; k < 12; k++ {
		t, err := p.tryPeek(k)
		if err != nil {
			return false
		}
		switch {
		case t.Kind == TokIdent && strings.EqualFold(t.Text, "REFRESH") && k > 2:
			return true
		case t.Kind == TokIdent || t.Kind == TokQuotedIdent || isOp(t, "."):
		default:
			return false
		}
	}
	return false
}

func (p *parser) refreshMetadata() Statement {
	s := &RefreshMetadata{Table: p.name(3, "a table name")}
	p.expectKw("REFRESH", "")
	p.expectKw("METADATA", "")
	p.end("")
	return s
}

func (p *parser) createObjectTable() Statement {
	p.expectKw("TABLE", "TABLE after CREATE OBJECT")
	s := &CreateObjectTable{}
	if isKw(p.peek(), "IF") && isKw(p.peekN(1), "NOT") && isKw(p.peekN(2), "EXISTS") {
		p.next()
		p.next()
		p.next()
		s.IfNotExists = true
	}
	s.Table = p.name(3, "a table name")
	if t := p.peek(); isOp(t, "(") {
		p.failMsg(t, "an object table has no column list: its columns are fixed (key, size, type, last_modified, etag, owner_id, storage_class)")
	}
	comment := func() {
		if isKw(p.peek(), "COMMENT") {
			t := p.next()
			if s.Comment != nil {
				p.fail(t, "LOCATION")
			}
			c := p.stringLit("a comment string")
			s.Comment = &c
		}
	}
	comment()
	if isKw(p.peek(), "PARTITIONED") {
		p.failMsg(p.peek(), "object tables do not support partitions")
	}
	if p.acceptKw("WITH") {
		p.expectKw("SERDEPROPERTIES", "")
		p.expectOp("(")
		for {
			kt := p.peek()
			key := strings.ToLower(p.stringLit("a property name string"))
			p.expectOp("=")
			val := p.stringLit("a property value string")
			s.Properties = append(s.Properties, Option{Key: key, Value: val, Pos: kt.Pos})
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	}
	if isKw(p.peek(), "PARTITIONED") {
		p.failMsg(p.peek(), "object tables do not support partitions")
	}
	p.expectKw("LOCATION", "")
	s.Location = p.stringLit("a location string")
	comment()
	if isKw(p.peek(), "PARTITIONED") {
		p.failMsg(p.peek(), "object tables do not support partitions")
	}
	p.end("COMMENT")
	return s
}

// failMsg stops parsing with a message about token t.
func (p *parser) failMsg(t Token, msg string) {
	panic(bailout{&SyntaxError{Pos: t.Pos, Detail: msg}})
}

// TableStatement recognises the statements that may name an object table
// and that modelsql must handle or refuse for one: Verb is DROP (DROP TABLE
// [IF EXISTS] t), DESC (DESC/DESCRIBE [EXTENDED] t), or INSERT, UPDATE,
// DELETE, TRUNCATE, MERGE, COPY (COPY t FROM), ALTER (ALTER TABLE t other
// than REFRESH METADATA) and REPLACE (CREATE OR REPLACE TABLE t), which
// change a table. ok is false for any other statement.
type TableStatement struct {
	Verb     string
	Table    Name
	IfExists bool // DROP
	Extended bool // DESC
}

// ParseTableStatement looks at the first words of sql only.
func ParseTableStatement(sql string) (ts TableStatement, ok bool) {
	p := newParser(sql)
	defer func() {
		if r := recover(); r != nil {
			if _, isB := r.(bailout); !isB {
				panic(r)
			}
			ok = false
		}
	}()
	t1, err := p.tryPeek(0)
	if err != nil || t1.Kind != TokIdent {
		return ts, false
	}
	verb := strings.ToUpper(t1.Text)
	p.next()
	if verb == "WITH" {
		// WITH ... INSERT/UPDATE/DELETE/MERGE writes the table after the
		// common table expressions.
		if !p.skipCTEs() {
			return ts, false
		}
		t, err := p.tryPeek(0)
		if err != nil || t.Kind != TokIdent {
			return ts, false
		}
		switch verb = strings.ToUpper(t.Text); verb {
		case "INSERT", "UPDATE", "DELETE", "MERGE":
			p.next()
		default:
			return ts, false
		}
	}
	switch verb {
	case "DROP":
		p.expectKw("TABLE", "")
		ts.IfExists = p.ifExists()
	case "DESC", "DESCRIBE":
		if isKw(p.peek(), "EXTENDED") && p.peekN(1).Kind != TokEOF && !isOp(p.peekN(1), ";") {
			p.next()
			ts.Extended = true
		}
		verb = "DESC"
	case "INSERT":
		if !p.acceptKw("INTO") {
			p.expectKw("OVERWRITE", "")
		}
		p.acceptKw("TABLE")
	case "UPDATE":
	case "DELETE":
		p.expectKw("FROM", "")
	case "TRUNCATE":
		p.acceptKw("TABLE")
	case "MERGE":
		p.expectKw("INTO", "")
	case "ALTER", "COPY":
		if verb == "ALTER" {
			p.expectKw("TABLE", "")
			ts.IfExists = p.ifExists()
		}
	case "CREATE":
		p.expectKw("OR", "")
		p.expectKw("REPLACE", "")
		p.expectKw("TABLE", "")
		verb = "CREATE OR REPLACE"
	default:
		return ts, false
	}
	ts.Verb = verb
	ts.Table = p.name(3, "a table name")
	if verb == "COPY" && !isKw(p.peek(), "FROM") && !isOp(p.peek(), "(") {
		return ts, false // COPY t TO ...: a read
	}
	if verb == "DESC" || verb == "DROP" {
		p.end("")
	}
	return ts, true
}

// FunctionFirstStrings finds the calls of the functions names (upper case)
// in sql, outside strings and comments, and returns the string literals
// they take as first argument; dynamic is set when a call's first argument
// is anything else (or sql does not lex).
func FunctionFirstStrings(sql string, names []string) (firsts []string, dynamic bool) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	lx := NewLexer(sql, false)
	var toks []Token
	for {
		t, err := lx.Next()
		if err != nil {
			return firsts, true
		}
		toks = append(toks, t)
		if t.Kind == TokEOF {
			break
		}
	}
	for i := 0; i+1 < len(toks); i++ {
		t := toks[i]
		if t.Kind != TokIdent && t.Kind != TokQuotedIdent || !want[strings.ToUpper(t.Value)] || !isOp(toks[i+1], "(") {
			continue
		}
		if i+3 < len(toks) && toks[i+2].Kind == TokString && (isOp(toks[i+3], ",") || isOp(toks[i+3], ")")) {
			firsts = append(firsts, toks[i+2].Value)
		} else {
			dynamic = true
		}
	}
	return firsts, dynamic
}

// skipCTEs consumes the common table expressions after WITH
// ([RECURSIVE] name [(columns)] AS [NOT] [MATERIALIZED] (query), ...);
// false if they are not well formed.
func (p *parser) skipCTEs() bool {
	p.acceptKw("RECURSIVE")
	for {
		if t := p.next(); t.Kind != TokIdent && t.Kind != TokQuotedIdent {
			return false
		}
		if isOp(p.peek(), "(") && !p.skipParens() {
			return false
		}
		if !p.acceptKw("AS") {
			return false
		}
		p.acceptKw("NOT")
		p.acceptKw("MATERIALIZED")
		if !isOp(p.peek(), "(") || !p.skipParens() {
			return false
		}
		if !isOp(p.peek(), ",") {
			return true
		}
		p.next()
	}
}

// skipParens consumes a parenthesised group, nested groups included;
// false at the end of the input.
func (p *parser) skipParens() bool {
	depth := 0
	for {
		t := p.next()
		switch {
		case t.Kind == TokEOF:
			return false
		case isOp(t, "("):
			depth++
		case isOp(t, ")"):
			depth--
			if depth == 0 {
				return true
			}
		}
	}
}
