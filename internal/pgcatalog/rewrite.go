package pgcatalog

import (
	"strings"

	"github.com/modelsql/modelsql/internal/parser"
)

// regCasts are PostgreSQL's object-identifier types: a cast of a string
// literal to one looks the object up (pgc_<type>_oid), a cast of anything
// else prints its name (pgc_<type>_name).
var regCasts = map[string]string{
	"regclass": "regclass", "regtype": "regtype", "regproc": "regproc", "regprocedure": "regproc",
	"regnamespace": "regnamespace",
}

// typeRenames are PostgreSQL type names DuckDB does not know.
var typeRenames = map[string]string{"oid": "BIGINT", "name": "VARCHAR", "regrole": "VARCHAR", "int2vector": "SMALLINT[]", "oidvector": "BIGINT[]", "char": "VARCHAR"}

// funcRenames are PostgreSQL functions DuckDB has under another name.
var funcRenames = map[string]string{"json_build_object": "json_object", "jsonb_build_object": "json_object"}

// listColumns are catalog columns PostgreSQL prints as space-separated
// vectors (int2vector, oidvector) but the catalog keeps as lists.
var listColumns = map[string]bool{"indkey": true, "indoption": true, "indclass": true, "indcollation": true}

// aliasStop are words that may follow a table name and are not its alias.
var aliasStop = map[string]bool{
	"WHERE": true, "JOIN": true, "LEFT": true, "RIGHT": true, "INNER": true, "FULL": true, "CROSS": true,
	"NATURAL": true, "ON": true, "USING": true, "ORDER": true, "GROUP": true, "HAVING": true, "LIMIT": true,
	"OFFSET": true, "UNION": true, "EXCEPT": true, "INTERSECT": true, "WINDOW": true, "FETCH": true, "FOR": true,
	"RETURNING": true, "LATERAL": true, "QUALIFY": true, "TABLESAMPLE": true, "OUTER": true,
}

// Kind says what a statement needs of the compatibility schema.
type Kind int

const (
	// None: the statement does not use the catalog.
	None Kind = iota
	// SessionOnly: it uses only the session's own functions (current_user,
	// version(), pg_backend_pid(), ...): the schema must be installed.
	SessionOnly
	// Catalog: it reads the catalog: the session's visibility must be
	// refreshed (Refresh) before it runs.
	Catalog
)

// Rewrite turns a client's catalog statement into one over the
// compatibility schema; a statement of kind None is returned unchanged.
func Rewrite(text string) (out string, kind Kind) {
	low := strings.ToLower(text)
	if !strings.Contains(low, "pg_") && !strings.Contains(low, "pgc_") && !strings.Contains(low, "information_schema") && !strings.Contains(low, "::reg") &&
		!strings.Contains(low, "modelsql.model") && !strings.Contains(low, "user") && !strings.Contains(low, "role") &&
		!strings.Contains(low, "version") && !strings.Contains(low, "description") && !strings.Contains(low, "format_type") {
		return text, None
	}
	toks, err := parser.Tokenize(text, false)
	if err != nil {
		return text, None
	}
	kind = mentionsCatalog(toks)
	if kind == None {
		return text, None
	}
	r := &rewriter{src: text, toks: toks}
	pieces := r.run(0, len(toks))
	var b strings.Builder
	for _, p := range pieces {
		b.WriteString(p)
	}
	b.WriteString(text[toks[len(toks)-1].End:])
	return b.String(), kind
}

// mentionsCatalog reports whether a statement names a catalog relation
// (Catalog) or only an emulated function (Session).
func mentionsCatalog(toks []parser.Token) Kind {
	kind := None
	for i, t := range toks {
		name := identName(t)
		if relations[name] != "" && !(i > 0 && isOp(toks[i-1], ".")) || strings.HasPrefix(name, "pgc_") {
			return Catalog // pgc_*: the compatibility schema itself, read directly
		}
		if (name == "pg_catalog" || name == "information_schema" || name == "modelsql") && i+2 < len(toks) && isOp(toks[i+1], ".") {
			return Catalog
		}
		if isOp(t, ":") && i+2 < len(toks) && isOp(toks[i+1], ":") && regCasts[identName(toks[i+2])] != "" {
			return Catalog
		}
		if t.Kind != parser.TokIdent || i > 0 && isOp(toks[i-1], ".") {
			continue
		}
		call := i+1 < len(toks) && isOp(toks[i+1], "(")
		switch {
		case sqlValueFunctions[name] || sessionFunctions[name] && call:
			kind = SessionOnly
		case macroNames[name] && call:
			return Catalog
		}
	}
	return kind
}

// sessionFunctions read only the session's own row (user, process id).
var sessionFunctions = map[string]bool{"current_user": true, "session_user": true, "current_role": true,
	"version": true, "pg_backend_pid": true}

// sqlValueFunctions are called without parentheses.
var sqlValueFunctions = map[string]bool{"current_user": true, "session_user": true, "user": true, "current_role": true}

// macroNames are the functions the catalog defines (see macros).
var macroNames = func() map[string]bool {
	out := map[string]bool{}
	for _, m := range macros {
		if _, rest, ok := strings.Cut(m, "TEMP MACRO "); ok {
			if name, _, ok := strings.Cut(rest, "("); ok && !strings.HasPrefix(name, "pgc_") {
				out[strings.TrimSpace(name)] = true
			}
		}
	}
	return out
}()

type rewriter struct {
	src  string
	toks []parser.Token
}

// identName is the lower-case name of an identifier token ("" otherwise).
func identName(t parser.Token) string {
	if t.Kind == parser.TokIdent || t.Kind == parser.TokString && t.Quote == '"' {
		return strings.ToLower(t.Value)
	}
	return ""
}

func isOp(t parser.Token, s string) bool { return t.Kind == parser.TokOp && t.Text == s }

// lead is the text between token i-1 and token i (whitespace, comments).
func (r *rewriter) lead(i int) string {
	if i == 0 {
		return r.src[:r.toks[0].Off]
	}
	return r.src[r.toks[i-1].End:r.toks[i].Off]
}

// closing finds the parenthesis closing the one at i.
func (r *rewriter) closing(i, end int) int {
	depth := 0
	for j := i; j < end; j++ {
		switch {
		case isOp(r.toks[j], "("):
			depth++
		case isOp(r.toks[j], ")"):
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// popOperand removes the operand that ends the output so far (a literal, a
// possibly qualified name, a parenthesised group with its function name)
// and returns its text, trimmed, with the whitespace that preceded it.
func popOperand(out []string) ([]string, string, string) {
	n := len(out)
	if n == 0 {
		return out, "", ""
	}
	start := n - 1
	if strings.TrimSpace(out[start]) == ")" {
		depth := 0
		for j := n - 1; j >= 0; j-- {
			switch strings.TrimSpace(out[j]) {
			case ")":
				depth++
			case "(":
				depth--
			}
			if depth == 0 {
				start = j
				break
			}
		}
		if start > 0 && isWordPiece(out[start-1]) {
			start--
		}
	}
	for start >= 2 && strings.TrimSpace(out[start-1]) == "." && isWordPiece(out[start-2]) {
		start -= 2
	}
	joined := strings.Join(out[start:], "")
	trimmed := strings.TrimLeft(joined, " \t\r\n")
	return out[:start], joined[:len(joined)-len(trimmed)], trimmed
}

func isWordPiece(p string) bool {
	p = strings.TrimSpace(p)
	if p == "" {
		return false
	}
	c := p[0]
	return c == '"' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// run rewrites tokens [from, to) into output pieces, each with its leading
// whitespace.
func (r *rewriter) run(from, to int) []string {
	var out []string
	toks := r.toks
	for i := from; i < to; i++ {
		t := toks[i]
		lead := r.lead(i)
		name := identName(t)
		next := func(k int) parser.Token {
			if i+k < to {
				return toks[i+k]
			}
			return parser.Token{}
		}
		switch {
		// schema-qualified names
		case (name == "pg_catalog" || name == "information_schema" || name == "modelsql") && isOp(next(1), ".") && identName(next(2)) != "":
			obj := identName(next(2))
			switch {
			case name == "pg_catalog" && relations[obj] != "":
				out = append(out, lead+"pgc_"+obj+r.alias(i+3, to, obj))
			case name == "information_schema" && infoSchema[obj] != "":
				out = append(out, lead+"pgc_is_"+obj+r.alias(i+3, to, obj))
			case name == "modelsql" && (obj == "models" || obj == "model_versions"):
				out = append(out, lead+"pgc_is_"+obj+r.alias(i+3, to, obj))
			case name == "pg_catalog" && obj == "generate_series" && isOp(next(3), "("):
				// PostgreSQL names a one-column function's column after
				// the alias ("generate_series(...) s" then "x[s]").
				end := r.closing(i+3, to)
				if end < 0 {
					out = append(out, lead+obj)
					break
				}
				call := obj + strings.Join(r.run(i+3, end+1), "")
				i = end - 2
				if end+1 < to && r.toks[end+1].Kind == parser.TokIdent && !aliasStop[strings.ToUpper(r.toks[end+1].Text)] &&
					!strings.EqualFold(r.toks[end+1].Text, "AS") && !(end+2 < to && isOp(r.toks[end+2], "(")) {
					a := r.toks[end+1].Text
					call += r.lead(end+1) + a + "(" + a + ")"
					i++
				}
				out = append(out, lead+call)
			case name == "information_schema" && obj == "_pg_expandarray":
				out = append(out, lead+obj)
			case name == "information_schema" || name == "modelsql":
				out = append(out, lead+r.src[t.Off:next(2).End])
			default:
				if n, ok := funcRenames[obj]; ok {
					obj = n
				}
				out = append(out, lead+obj)
			}
			i += 2
		// bare catalog relations (pg_class c, pg_type.oid)
		case relations[name] != "" && !(i > from && isOp(toks[i-1], ".")) && !isOp(next(1), ".") && !isOp(next(1), "("):
			out = append(out, lead+"pgc_"+name+r.alias(i+1, to, name))
		case funcRenames[name] != "" && isOp(next(1), "("):
			out = append(out, lead+funcRenames[name])
		// ARRAY(SELECT ...) prints as PostgreSQL's {a,b} text
		case name == "array" && isOp(next(1), "(") && identName(next(2)) == "select":
			end := r.closing(i+1, to)
			if end < 0 {
				out = append(out, lead+t.Text)
				continue
			}
			out = append(out, lead+"('{' || array_to_string(ARRAY"+strings.Join(r.run(i+1, end+1), "")+", ',') || '}')")
			i = end
		// OPERATOR(pg_catalog.~)
		case name == "operator" && isOp(next(1), "("):
			end := r.closing(i+1, to)
			if end < 0 {
				out = append(out, lead+t.Text)
				continue
			}
			op := ""
			for j := i + 2; j < end; j++ {
				if toks[j].Kind == parser.TokOp && toks[j].Text != "." {
					op += toks[j].Text
				}
			}
			i = end
			out = r.operator(out, lead, op, &i, to)
		// regular expression operators with a literal pattern
		case isOp(t, "~") || isOp(t, "!") && isOp(next(1), "~"):
			op := t.Text
			j := i + 1
			for j < to && toks[j].Kind == parser.TokOp && (toks[j].Text == "~" || toks[j].Text == "*") && toks[j].Off == toks[j-1].End {
				op += toks[j].Text
				j++
			}
			i = j - 1
			out = r.operator(out, lead, op, &i, to)
		// COLLATE pg_catalog.default / "default" / "C"
		case name == "collate" && t.Kind == parser.TokIdent:
			j := i + 1
			if identName(next(1)) == "pg_catalog" && isOp(next(2), ".") {
				j = i + 3
			}
			if j < to {
				i = j
				continue
			}
			out = append(out, lead+t.Text)
		// casts
		case isOp(t, ":") && isOp(next(1), ":") && identName(next(2)) != "":
			j := i + 2
			typ := identName(toks[j])
			if typ == "pg_catalog" && isOp(next(3), ".") && identName(next(4)) != "" {
				j = i + 4
				typ = identName(toks[j])
			}
			i = j
			switch {
			case regCasts[typ] != "":
				var ws, operand string
				out, ws, operand = popOperand(out)
				kind := "_name("
				if strings.HasPrefix(operand, "'") {
					kind = "_oid("
				}
				out = append(out, ws+"pgc_"+regCasts[typ]+kind+operand+")")
			case (typ == "varchar" || typ == "text") && len(out) > 0 && listColumns[strings.ToLower(strings.Trim(lastWord(out[len(out)-1]), `"`))]:
				var ws, operand string
				out, ws, operand = popOperand(out)
				out = append(out, ws+"array_to_string("+operand+", ' ')")
			case typeRenames[typ] != "":
				out = append(out, "::"+typeRenames[typ])
			default:
				out = append(out, "::"+toks[j].Text)
			}
		// x = ANY(list)
		case (name == "any" || name == "some") && isOp(next(1), "(") && len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "=" &&
			identName(next(2)) != "select":
			end := r.closing(i+1, to)
			if end < 0 {
				out = append(out, lead+t.Text)
				continue
			}
			inner := strings.Join(r.run(i+2, end), "")
			out = out[:len(out)-1]
			var ws, operand string
			out, ws, operand = popOperand(out)
			out = append(out, ws+"list_contains("+strings.TrimSpace(inner)+", "+operand+")")
			i = end
		default:
			out = append(out, lead+t.Text)
		}
	}
	return out
}

func lastWord(p string) string {
	p = strings.TrimSpace(p)
	if i := strings.LastIndexAny(p, " \t\n."); i >= 0 {
		return p[i+1:]
	}
	return p
}

// alias returns " AS name" when a relation at the token before k has no
// alias of its own, so that references like pg_type.oid keep working.
func (r *rewriter) alias(k, to int, name string) string {
	if k < to {
		t := r.toks[k]
		if t.Kind == parser.TokIdent && !aliasStop[strings.ToUpper(t.Text)] || t.Kind == parser.TokString && t.Quote == '"' {
			return ""
		}
	}
	return " AS " + name
}

// operator emits a PostgreSQL operator. The regular-expression operators
// (~ !~ ~* !~*) match anywhere in PostgreSQL but DuckDB's ~ matches the
// whole string, so a match against a literal pattern becomes
// regexp_matches(x, pattern).
func (r *rewriter) operator(out []string, lead, op string, i *int, to int) []string {
	if strings.Contains(op, "~") && !strings.Contains(op, "~~") && *i+1 < to && r.toks[*i+1].Kind == parser.TokString && r.toks[*i+1].Quote != '"' {
		pat := r.toks[*i+1]
		*i++
		var ws, operand string
		out, ws, operand = popOperand(out)
		flags := ""
		if strings.HasSuffix(op, "*") {
			flags = ", 'i'"
		}
		expr := "regexp_matches(" + operand + ", " + pat.Text + flags + ")"
		if strings.HasPrefix(op, "!") {
			expr = "(NOT " + expr + ")"
		}
		if ws == "" {
			ws = lead
		}
		return append(out, ws+expr)
	}
	return append(out, lead+op)
}
