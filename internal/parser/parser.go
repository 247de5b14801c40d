package parser

import (
	"strings"
)

// Parse parses one statement (a trailing ';' is allowed). Statements that
// modelsql implements itself are returned as their AST type; everything else
// is returned as *Passthrough holding sql unchanged, for DuckDB (after
// RewriteSQL). Errors are *SyntaxError values.
//
// Which statements are modelsql's is decided by the first one or two words:
// SET, USE, GRANT, REVOKE; CREATE/DROP MODEL|USER|ROLE; ALTER MODEL|USER;
// SHOW MODELS|VERSIONS|GRANTS; DESC/DESCRIBE MODEL. Two of these still fall
// through to DuckDB: a SET that is not "SET key = value" / "SET key TO value"
// (DuckDB's SET SESSION, SET GLOBAL, SET VARIABLE ...), and "DESCRIBE model"
// with nothing after MODEL (DuckDB's DESCRIBE of a table named model).
func Parse(sql string) (stmt Statement, err error) {
	p := newParser(sql)
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			stmt, err = nil, b.err
		}
	}()
	// Decide from the first words, tolerating lexical errors there: a
	// statement that is not ours may use DuckDB string rules.
	t1, err1 := p.tryPeek(0)
	if err1 != nil {
		return &Passthrough{SQL: sql}, nil
	}
	if t1.Kind == TokEOF || (isOp(t1, ";") && p.peekKindAfterSemi()) {
		return nil, foundError(t1, false, "a statement")
	}
	if t1.Kind != TokIdent {
		return &Passthrough{SQL: sql}, nil
	}
	yes, final := modelStatement(t1.Text, "")
	if !final {
		t2, err2 := p.tryPeek(1)
		if err2 != nil || t2.Kind != TokIdent {
			return &Passthrough{SQL: sql}, nil
		}
		yes, _ = modelStatement(t1.Text, t2.Text)
		if !yes && isKw(t1, "ALTER") && isKw(t2, "TABLE") && p.refreshAhead() {
			yes = true
		}
	}
	if !yes {
		return &Passthrough{SQL: sql}, nil
	}
	return p.statement(), nil
}

// newParser returns a parser of src in the MaxCompute string dialect.
func newParser(src string) *parser {
	return &parser{src: src, lx: NewLexer(src, true), optionsAt: -1}
}

// bailout carries a syntax error out of the recursive descent.
type bailout struct{ err error }

type parser struct {
	src string
	lx  *Lexer
	buf []Token
	err error // lexer error met while filling buf
	// secret is set in USER statements: errors then quote no word of the
	// statement, which may be a password.
	secret bool
	// optionsAt is the offset of the first "OPTIONS (" lexed, -1 before
	// one: from there on a word may be a key, and errors quote none. It
	// follows the text rather than the grammar, so that a word in a
	// malformed statement (INPUT(a OPTIONS(sk...))) is masked too.
	optionsAt int
	last      Token // the token lexed last
}

// tryPeek returns the k-th token ahead without consuming, or the lexer's
// error if lexing up to it failed.
func (p *parser) tryPeek(k int) (Token, error) {
	for len(p.buf) <= k {
		if p.err != nil {
			return Token{}, p.err
		}
		if n := len(p.buf); n > 0 && p.buf[n-1].Kind == TokEOF {
			return p.buf[n-1], nil
		}
		t, err := p.lx.Next()
		if err != nil {
			p.err = err
			return Token{}, err
		}
		if p.optionsAt < 0 && isOp(t, "(") && isKw(p.last, "OPTIONS") {
			p.optionsAt = t.Off
		}
		p.last = t
		p.buf = append(p.buf, t)
	}
	return p.buf[k], nil
}

// peekKindAfterSemi reports whether the statement is only ";".
func (p *parser) peekKindAfterSemi() bool {
	t, err := p.tryPeek(1)
	return err == nil && t.Kind == TokEOF
}

func (p *parser) peekN(k int) Token {
	t, err := p.tryPeek(k)
	if err != nil {
		panic(bailout{err})
	}
	return t
}

func (p *parser) peek() Token { return p.peekN(0) }

func (p *parser) next() Token {
	t := p.peek()
	if t.Kind != TokEOF {
		p.buf = p.buf[1:]
	}
	return t
}

// fail stops parsing with a syntax error at token t.
func (p *parser) fail(t Token, expected string) {
	panic(bailout{foundError(t, p.secret || p.optionsAt >= 0 && t.Off >= p.optionsAt, expected)})
}

func isKw(t Token, kw string) bool { return t.Kind == TokIdent && strings.EqualFold(t.Text, kw) }

func isOp(t Token, op string) bool { return t.Kind == TokOp && t.Text == op }

// acceptKw consumes the next token if it is the keyword kw.
func (p *parser) acceptKw(kw string) bool {
	if isKw(p.peek(), kw) {
		p.next()
		return true
	}
	return false
}

// expectKw consumes the keyword kw or fails, naming expected (kw when "").
func (p *parser) expectKw(kw, expected string) Token {
	t := p.peek()
	if !isKw(t, kw) {
		if expected == "" {
			expected = kw
		}
		p.fail(t, expected)
	}
	return p.next()
}

func (p *parser) acceptOp(op string) bool {
	if isOp(p.peek(), op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectOp(op string) Token {
	t := p.peek()
	if !isOp(t, op) {
		p.fail(t, "'"+op+"'")
	}
	return p.next()
}

// end accepts an optional ';' and then requires the end of the statement.
// expected describes what else could have come at this point.
func (p *parser) end(expected string) {
	p.acceptOp(";")
	if t := p.peek(); t.Kind != TokEOF {
		if expected == "" {
			expected = "end of statement"
		} else {
			expected += " or end of statement"
		}
		p.fail(t, expected)
	}
}

// statement dispatches on the first words; the caller has checked with
// modelStatement that the statement is ours.
func (p *parser) statement() Statement {
	t := p.next()
	switch strings.ToUpper(t.Text) {
	case "CREATE":
		switch k := p.next(); strings.ToUpper(k.Text) {
		case "MODEL":
			return p.createModel()
		case "USER":
			return p.createUser()
		case "OBJECT":
			return p.createObjectTable()
		default: // ROLE
			s := &CreateRole{Name: p.principal("a role name")}
			p.end("")
			return s
		}
	case "DROP":
		switch k := p.next(); strings.ToUpper(k.Text) {
		case "MODEL":
			s := &DropModel{IfExists: p.ifExists()}
			s.Model = p.name(3, "a model name")
			p.end("")
			return s
		case "USER":
			s := &DropUser{IfExists: p.ifExists()}
			s.Name = p.principal("a user name")
			p.end("")
			return s
		default: // ROLE
			s := &DropRole{IfExists: p.ifExists()}
			s.Name = p.principal("a role name")
			p.end("")
			return s
		}
	case "ALTER":
		k := p.next()
		if strings.EqualFold(k.Text, "MODEL") {
			return p.alterModel()
		}
		if strings.EqualFold(k.Text, "TABLE") {
			return p.refreshMetadata()
		}
		p.secret = true
		s := &AlterUser{Name: p.principal("a user name")}
		p.expectKw("PASSWORD", "")
		p.acceptOp("=")
		s.Password = p.stringLit("a password string")
		p.end("")
		return s
	case "SHOW":
		return p.show()
	case "EXPLAIN":
		c := p.next() // COST
		rest := strings.TrimSpace(p.src[c.End:])
		if strings.Trim(rest, "; \t\r\n") == "" {
			p.fail(p.peek(), "a statement")
		}
		return &ExplainCost{SQL: rest}
	case "CLEAR":
		p.next() // AI
		p.expectKw("CACHE", "")
		s := &ClearAICache{}
		if p.acceptKw("FOR") {
			p.expectKw("MODEL", "")
			s.Model = p.name(3, "a model name")
			if p.acceptKw("VERSION") {
				s.Version, _ = p.version()
			}
			p.end("VERSION")
			return s
		}
		p.end("FOR MODEL")
		return s
	case "DESC", "DESCRIBE":
		p.next() // MODEL
		if p.peek().Kind == TokEOF || isOp(p.peek(), ";") {
			// DESCRIBE model: DuckDB's DESCRIBE of a table named "model".
			return &Passthrough{SQL: p.src}
		}
		s := &DescModel{Model: p.name(3, "a model name")}
		if p.acceptKw("VERSION") {
			s.Version, _ = p.version()
			p.end("")
		} else {
			p.end("VERSION")
		}
		return s
	case "SET":
		return p.set()
	case "USE":
		s := &Use{Target: p.name(2, "a project name")}
		p.end("")
		return s
	case "GRANT":
		return p.grant(true)
	case "REVOKE":
		return p.grant(false)
	}
	// not reached: modelStatement accepted only the words above
	p.fail(t, "a statement")
	return nil
}

// ifExists parses an optional IF EXISTS. A lone IF not followed by EXISTS is
// left alone (it may be a name).
func (p *parser) ifExists() bool {
	if isKw(p.peek(), "IF") && isKw(p.peekN(1), "EXISTS") {
		p.next()
		p.next()
		return true
	}
	return false
}

// namePart parses one bare or back-quoted identifier.
func (p *parser) namePart(expected string) (string, Token) {
	t := p.peek()
	if t.Kind != TokIdent && t.Kind != TokQuotedIdent {
		p.fail(t, expected)
	}
	p.next()
	return t.Value, t
}

// name parses a name of at most maxParts dot-separated parts.
func (p *parser) name(maxParts int, expected string) Name {
	v, t := p.namePart(expected)
	n := Name{Parts: []string{v}, Pos: t.Pos}
	for isOp(p.peek(), ".") {
		if len(n.Parts) == maxParts {
			p.fail(p.peek(), nameShape(maxParts))
		}
		p.next()
		v, _ := p.namePart("a name part after '.'")
		n.Parts = append(n.Parts, v)
	}
	return n
}

func nameShape(maxParts int) string {
	switch maxParts {
	case 1:
		return "a name without '.'"
	case 2:
		return "at most two name parts (project.schema)"
	}
	return "at most three name parts (project.schema.name)"
}

// version parses a version name: bare, back-quoted or a string literal.
func (p *parser) version() (string, Pos) { return p.versionLike("a version name") }

// versionLike parses a name written like a version (a version or an alias).
func (p *parser) versionLike(expected string) (string, Pos) {
	t := p.peek()
	switch t.Kind {
	case TokIdent, TokQuotedIdent, TokString:
		p.next()
		return t.Value, t.Pos
	}
	p.fail(t, expected)
	return "", Pos{}
}

// principal parses a user or role name: bare, back-quoted or a string
// literal (for names such as RAM$account:user).
func (p *parser) principal(expected string) string {
	t := p.peek()
	switch t.Kind {
	case TokIdent, TokQuotedIdent, TokString:
		p.next()
		return t.Value
	}
	p.fail(t, expected)
	return ""
}

func (p *parser) stringLit(expected string) string {
	t := p.peek()
	if t.Kind != TokString {
		p.fail(t, expected)
	}
	p.next()
	return t.Value
}

// modelBody is what CREATE MODEL and ADD VERSION share after the version.
type modelBody struct {
	input    []Column
	hasInput bool
	options  []Option
	comment  *string
	query    string
	queryPos Pos
}

// body parses [INPUT(...)] [WITH] OPTIONS(...) [COMMENT 'text'] [AS query]
// and the end. The query is kept as text (up to a trailing ';') for DuckDB;
// it must start with SELECT, WITH, FROM, VALUES, TABLE or '('.
func (p *parser) body() modelBody {
	var b modelBody
	if p.acceptKw("INPUT") {
		b.hasInput = true
		b.input = p.columns()
		p.optionsClause("OPTIONS")
	} else {
		p.optionsClause("INPUT or OPTIONS")
	}
	b.options = p.options()
	expected := "COMMENT or AS"
	if p.acceptKw("COMMENT") {
		c := p.stringLit("a comment string")
		b.comment = &c
		expected = "AS"
	}
	if p.acceptKw("AS") {
		b.query, b.queryPos = p.query()
		return b
	}
	p.end(expected)
	return b
}

// query takes the rest of the statement as a query's text.
func (p *parser) query() (string, Pos) {
	t := p.peek()
	if !(isKw(t, "SELECT") || isKw(t, "WITH") || isKw(t, "FROM") || isKw(t, "VALUES") || isKw(t, "TABLE") || isOp(t, "(")) {
		p.fail(t, "a query (SELECT ...)")
	}
	q := strings.TrimSpace(p.src[t.Off:])
	for strings.HasSuffix(q, ";") {
		q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	}
	return q, t.Pos
}

// optionsClause consumes [WITH] OPTIONS.
func (p *parser) optionsClause(expected string) {
	if p.acceptKw("WITH") {
		p.expectKw("OPTIONS", "")
		return
	}
	p.expectKw("OPTIONS", expected)
}

func (p *parser) createModel() Statement {
	s := &CreateModel{}
	if isKw(p.peek(), "IF") && isKw(p.peekN(1), "NOT") {
		p.next()
		p.next()
		p.expectKw("EXISTS", "")
		s.IfNotExists = true
	}
	s.Model = p.name(3, "a model name")
	p.expectKw("WITH", "WITH VERSION")
	p.expectKw("VERSION", "")
	s.Version, s.VersionPos = p.version()
	b := p.body()
	s.Input, s.HasInput, s.Options, s.Comment, s.Query, s.QueryPos = b.input, b.hasInput, b.options, b.comment, b.query, b.queryPos
	return s
}

func (p *parser) alterModel() Statement {
	m := p.name(3, "a model name")
	t := p.peek()
	switch {
	case isKw(t, "ADD"):
		p.next()
		p.expectKw("VERSION", "")
		s := &AddVersion{Model: m}
		s.Version, s.VersionPos = p.version()
		b := p.body()
		s.Input, s.HasInput, s.Options, s.Comment, s.Query, s.QueryPos = b.input, b.hasInput, b.options, b.comment, b.query, b.queryPos
		return s
	case isKw(t, "DROP"):
		p.next()
		p.expectKw("VERSION", "")
		s := &DropVersion{Model: m, IfExists: p.ifExists()}
		s.Version, _ = p.version()
		p.end("")
		return s
	case isKw(t, "VERSION"):
		p.next()
		s := &SetAlias{Model: m}
		s.Version, _ = p.version()
		p.expectKw("SET", "SET ALIAS")
		p.expectKw("ALIAS", "")
		s.Alias, s.AliasPos = p.versionLike("an alias name")
		p.end("")
		return s
	case isKw(t, "UNSET"):
		p.next()
		p.expectKw("ALIAS", "")
		s := &UnsetAlias{Model: m, IfExists: p.ifExists()}
		s.Alias, _ = p.versionLike("an alias name")
		p.end("")
		return s
	case isKw(t, "SET"):
		p.next()
		p.expectKw("DEFAULT_VERSION", "")
		p.acceptOp("=")
		s := &SetDefaultVersion{Model: m}
		s.Version, _ = p.version()
		p.end("")
		return s
	}
	p.fail(t, "ADD VERSION, DROP VERSION, SET DEFAULT_VERSION, VERSION ... SET ALIAS or UNSET ALIAS")
	return nil
}

// columns parses '(' name type {, name type} ')'.
func (p *parser) columns() []Column {
	p.expectOp("(")
	var cols []Column
	for {
		name, t := p.namePart("a column name")
		cols = append(cols, Column{Name: name, Type: p.dataType(), Pos: t.Pos})
		if p.acceptOp(",") {
			continue
		}
		if t := p.peek(); !isOp(t, ")") {
			p.fail(t, "',' or ')'")
		}
		p.next()
		return cols
	}
}

// dataType parses a MaxCompute type: NAME, NAME(n[, m]), ARRAY<t>,
// MAP<k, v>, STRUCT<name:t, ...>. The result is upper-case without spaces
// (struct field names keep their spelling).
func (p *parser) dataType() string {
	t := p.peek()
	if t.Kind != TokIdent {
		p.fail(t, "a data type")
	}
	p.next()
	name := strings.ToUpper(t.Text)
	var b strings.Builder
	b.WriteString(name)
	switch {
	case isOp(p.peek(), "("):
		p.next()
		b.WriteByte('(')
		for i := 0; ; i++ {
			n := p.peek()
			if n.Kind != TokNumber || n.Suffix != "" || strings.ContainsAny(n.Value, ".eE_") {
				p.fail(n, "an integer")
			}
			p.next()
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n.Value)
			if p.acceptOp(",") {
				continue
			}
			if c := p.peek(); !isOp(c, ")") {
				p.fail(c, "',' or ')'")
			}
			p.next()
			b.WriteByte(')')
			break
		}
	case isOp(p.peek(), "<"):
		p.next()
		b.WriteByte('<')
		for i := 0; ; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			if name == "STRUCT" {
				field, _ := p.namePart("a field name")
				b.WriteString(field)
				b.WriteByte(':')
				p.acceptOp(":")
			}
			b.WriteString(p.dataType())
			if p.acceptOp(",") {
				continue
			}
			if c := p.peek(); !isOp(c, ">") {
				p.fail(c, "',' or '>'")
			}
			p.next()
			b.WriteByte('>')
			break
		}
	}
	return b.String()
}

// options parses '(' KEY = value {, KEY = value} ')'. A value is a string
// literal, a number or a bare word (such as true).
func (p *parser) options() []Option {
	p.expectOp("(")
	var opts []Option
	if p.acceptOp(")") {
		return opts
	}
	for {
		key, kt := p.namePart("an option name")
		p.expectOp("=")
		v := p.peek()
		var val string
		switch {
		case v.Kind == TokString || v.Kind == TokIdent:
			val = v.Value
			p.next()
		case v.Kind == TokNumber:
			val = v.Text
			p.next()
		case (isOp(v, "-") || isOp(v, "+")) && p.peekN(1).Kind == TokNumber:
			p.next()
			val = v.Text + p.next().Text
		default:
			p.fail(v, "an option value (a string literal)")
		}
		opts = append(opts, Option{Key: strings.ToUpper(key), Value: val, Pos: kt.Pos})
		if p.acceptOp(",") {
			continue
		}
		if c := p.peek(); !isOp(c, ")") {
			p.fail(c, "',' or ')'")
		}
		p.next()
		return opts
	}
}

func (p *parser) show() Statement {
	k := p.next()
	switch strings.ToUpper(k.Text) {
	case "MODELS":
		s := &ShowModels{}
		expected := "IN or LIKE"
		if p.acceptKw("IN") {
			n := p.name(2, "a project name")
			s.In = &n
			expected = "LIKE"
		}
		if p.acceptKw("LIKE") {
			pat := p.stringLit("a pattern string")
			s.Like = &pat
			expected = ""
		}
		p.end(expected)
		return s
	case "VERSIONS":
		if t := p.peek(); !isKw(t, "FOR") && !isKw(t, "IN") {
			p.fail(t, "FOR MODEL")
		}
		p.next()
		p.expectKw("MODEL", "")
		s := &ShowVersions{Model: p.name(3, "a model name")}
		p.end("")
		return s
	default: // GRANTS
		s := &ShowGrants{}
		if p.acceptKw("FOR") {
			p.acceptKw("USER")
			s.User = p.principal("a user name")
			p.end("")
		} else {
			p.end("FOR USER")
		}
		return s
	}
}

func (p *parser) createUser() Statement {
	p.secret = true
	s := &CreateUser{Name: p.principal("a user name")}
	p.expectKw("PASSWORD", "")
	p.acceptOp("=")
	s.Password = p.stringLit("a password string")
	if p.acceptKw("ADMIN") {
		s.Admin = true
		p.end("")
	} else {
		p.end("ADMIN")
	}
	return s
}

// set parses SET key {=|TO} value. Other forms are passed through.
func (p *parser) set() Statement {
	var parts []string
	i := 0
	for {
		t := p.peekN(i)
		if t.Kind != TokIdent && t.Kind != TokQuotedIdent {
			return &Passthrough{SQL: p.src}
		}
		parts = append(parts, t.Value)
		i++
		if !isOp(p.peekN(i), ".") {
			break
		}
		i++
	}
	eq := p.peekN(i)
	if !isOp(eq, "=") && !isKw(eq, "TO") {
		return &Passthrough{SQL: p.src}
	}
	for range i + 1 {
		p.next()
	}
	s := &Set{Key: strings.ToLower(strings.Join(parts, ".")), SQL: p.src}
	var first, last Token
	n := 0
	for {
		t := p.peek()
		if t.Kind == TokEOF || isOp(t, ";") {
			break
		}
		if n == 0 {
			first = t
		}
		last = t
		n++
		p.next()
	}
	if n == 0 {
		p.fail(p.peek(), "a value")
	}
	p.end("")
	s.Raw = p.src[first.Off:last.End]
	s.Value = s.Raw
	if n == 1 && first.Kind == TokString {
		s.Value = first.Value
	}
	return s
}

// grant parses GRANT/REVOKE (grant selects which).
//
//	GRANT priv {, priv} ON {PROJECT|TABLE|MODEL} name TO {USER|ROLE} principal
//	GRANT ROLE r TO [USER] u        GRANT r TO [USER] u
//	REVOKE ... FROM ...
func (p *parser) grant(grant bool) Statement {
	to := "TO"
	if !grant {
		to = "FROM"
	}
	roleGrant := func() Statement {
		role := p.principal("a role name")
		p.expectKw(to, "")
		p.acceptKw("USER")
		user := p.principal("a user name")
		p.end("")
		if grant {
			return &GrantRole{Role: role, User: user}
		}
		return &RevokeRole{Role: role, User: user}
	}
	if isKw(p.peek(), "ROLE") && !isOp(p.peekN(1), ",") && !isKw(p.peekN(1), "ON") {
		p.next()
		return roleGrant()
	}
	// A single word followed by TO/FROM is MaxCompute's role grant.
	if p.peek().Kind != TokOp && isKw(p.peekN(1), to) {
		return roleGrant()
	}
	var privs []string
	for {
		t := p.peek()
		if t.Kind != TokIdent {
			p.fail(t, "a privilege name")
		}
		p.next()
		privs = append(privs, t.Text)
		if isKw(t, "ALL") {
			p.acceptKw("PRIVILEGES")
		}
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectKw("ON", "',' or ON")
	g := Grant{Privileges: privs}
	kt := p.peek()
	switch {
	case isKw(kt, "PROJECT"), isKw(kt, "TABLE"), isKw(kt, "MODEL"):
		g.ObjectKind = strings.ToUpper(kt.Text)
		p.next()
	default:
		p.fail(kt, "PROJECT, TABLE or MODEL")
	}
	if g.ObjectKind == "PROJECT" {
		g.Object = p.name(1, "a project name")
	} else {
		g.Object = p.name(3, "a "+strings.ToLower(g.ObjectKind)+" name")
	}
	p.expectKw(to, "")
	pk := p.peek()
	if !isKw(pk, "USER") && !isKw(pk, "ROLE") {
		p.fail(pk, "USER or ROLE")
	}
	p.next()
	g.PrincipalKind = strings.ToUpper(pk.Text)
	g.Principal = p.principal("a " + strings.ToLower(g.PrincipalKind) + " name")
	p.end("")
	if grant {
		return &g
	}
	r := Revoke(g)
	return &r
}
