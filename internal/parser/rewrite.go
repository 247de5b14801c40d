package parser

import (
	"fmt"
	"strconv"
	"strings"
)

// InferenceCall is one call of an inference function found by RewriteSQL.
type InferenceCall struct {
	Func string // upper-case function name, e.g. ML_PREDICT
	// Model is the first argument. Written as an identifier it may be bare,
	// back-quoted or double-quoted and qualified (p.s.m). Written as a
	// string literal (ModelIsString) its content is split at dots outside
	// back-quotes; with more than three parts the first is the project, the
	// second the schema and the rest, joined by ".", the model name (so
	// 'p.s.qwen3.6-plus' names model "qwen3.6-plus").
	Model         Name
	ModelIsString bool
	// ModelText is the string literal's content when ModelIsString.
	ModelText string
	// Version is the second argument's name; "" when DefaultVersion.
	Version string
	// DefaultVersion is set when the version is the unquoted word
	// DEFAULT_VERSION (any case).
	DefaultVersion bool
	// Args are the remaining arguments as DuckDB SQL text, rewritten (inner
	// calls already replaced, MaxCompute literals converted), trimmed, with
	// comments replaced by a space.
	Args []string
	// ArgShapes are Args with every inference call inside replaced by its
	// StandIn: the same types as Args without the inner calls' text. A
	// callback that writes an argument more than once (its type and its
	// value) writes the shape for all but one, which keeps the rewritten
	// statement linear in the size of the original.
	ArgShapes []string
	// ArgHasCall tells, per argument, whether it contains an inference call
	// (whose value is not known when the statement is planned).
	ArgHasCall []bool
	// StandIn is for the callback to set: a short expression of the type
	// of its replacement, e.g. CAST(NULL AS VARCHAR), which outer calls'
	// ArgShapes hold in place of this call. Left empty it is NULL.
	StandIn string
	Pos     Pos // position of the function name
}

// MaxInferenceNesting is how deeply inference calls may be nested in each
// other's arguments; RewriteSQL refuses deeper nesting with a *SyntaxError.
// Deeper chains are better written as a subquery or CTE per step.
const MaxInferenceNesting = 16

// inferenceFuncs are the functions RewriteSQL hands to its callback.
var inferenceFuncs = map[string]bool{
	"ML_PREDICT":    true,
	"AI_GENERATE":   true,
	"AI_EMBEDDING":  true,
	"AI_CLASSIFY":   true,
	"AI_EXTRACT":    true,
	"AI_SUMMARIZE":  true,
	"AI_TRANSLATE":  true,
	"AI_SENTIMENT":  true,
	"AI_SIMILARITY": true,
	// AI_GENERATE with provenance (modelsql's own, docs/ai-functions.md).
	"AI_GENERATE_WITH_INFO": true,
}

// IsInferenceFunction reports whether name (any case) is one of the
// inference functions RewriteSQL recognises.
func IsInferenceFunction(name string) bool { return inferenceFuncs[strings.ToUpper(name)] }

// RewriteSQL prepares ordinary (passthrough) SQL for DuckDB. Outside string
// literals, quoted identifiers and comments it:
//
//   - replaces every call of an inference function (ML_PREDICT, AI_*; see
//     IsInferenceFunction) by the text fn returns for it, innermost calls
//     first, so that an outer call's Args hold the replacements of inner
//     ones; a name preceded by '.' (a qualified function) or by MACRO or
//     FUNCTION (a definition) is not a call;
//   - turns back-quoted identifiers into double-quoted ones;
//   - turns MaxCompute typed numeric literals into casts: 0.5f → CAST(0.5 AS
//     FLOAT), 1d → DOUBLE, 1L → BIGINT, 1Y → TINYINT, 1S → SMALLINT,
//     1.25BD → CAST(1.25 AS DECIMAL(3,2)) (precision and scale from the
//     literal);
//   - turns ARRAY( into list_value( unless the parenthesis opens a subquery
//     (SELECT, WITH, FROM or "(SELECT" follows);
//   - quotes the keyword DEFAULT where it is part of a qualified name
//     (default.default.t), as MaxCompute's default schema and project.
//
// Strings follow DuckDB's rules (a backslash is an ordinary character
// except in E'...'); double-quoted text is a DuckDB identifier and is left
// alone. Text with nothing to rewrite is returned byte-identical. Errors are
// *SyntaxError (malformed call, unterminated literal) or *RewriteError
// (wrapping an error of fn). A nil fn leaves calls in place (their arguments
// still get the other rewrites).
func RewriteSQL(sql string, fn func(call *InferenceCall) (string, error)) (string, error) {
	toks, err := Tokenize(sql, false)
	if err != nil {
		return "", err
	}
	if len(toks) == 0 {
		return sql, nil
	}
	r := &rewriter{src: sql, toks: toks, fn: fn, match: matchBrackets(toks), standIns: map[int]string{}}
	var b strings.Builder
	b.Grow(len(sql))
	b.WriteString(sql[:toks[0].Off])
	if err := r.emit(&b, 0, len(toks), false); err != nil {
		return "", err
	}
	b.WriteString(sql[toks[len(toks)-1].End:])
	return b.String(), nil
}

type rewriter struct {
	src   string
	toks  []Token
	fn    func(*InferenceCall) (string, error)
	match []int // for an opening bracket token, the index of its closing one; -1 otherwise
	// standIns holds, by the index of its name token, the stand-in of
	// each call already rewritten.
	standIns map[int]string
	depth    int // inference calls being rewritten, innermost included
}

// matchBrackets pairs (), [] and {} tokens. A closer that does not match
// the innermost open bracket is ignored, so pairs are always properly
// nested.
func matchBrackets(toks []Token) []int {
	match := make([]int, len(toks))
	var stack []int
	for i, t := range toks {
		match[i] = -1
		if t.Kind != TokOp {
			continue
		}
		switch t.Text {
		case "(", "[", "{":
			stack = append(stack, i)
		case ")", "]", "}":
			if n := len(stack); n > 0 && closerOf(toks[stack[n-1]].Text) == t.Text {
				match[stack[n-1]] = i
				stack = stack[:n-1]
			}
		}
	}
	return match
}

func closerOf(open string) string {
	switch open {
	case "(":
		return ")"
	case "[":
		return "]"
	}
	return "}"
}

// emit writes the rewritten text of toks[lo:hi], with the text between
// them; with strip, comments between tokens become a space.
func (r *rewriter) emit(b *strings.Builder, lo, hi int, strip bool) error {
	return r.emitMode(b, lo, hi, strip, false)
}

// emitMode is emit; with shape, calls (already rewritten) are written as
// their stand-ins.
func (r *rewriter) emitMode(b *strings.Builder, lo, hi int, strip, shape bool) error {
	for i := lo; i < hi; {
		if i > lo {
			gap := r.src[r.toks[i-1].End:r.toks[i].Off]
			if strip {
				gap = stripComments(gap)
			}
			b.WriteString(gap)
		}
		t := r.toks[i]
		switch {
		case shape && r.isCall(i):
			b.WriteString(r.standIns[i])
			i = r.match[i+1] + 1
			continue
		case r.isCall(i):
			text, next, err := r.call(i)
			if err != nil {
				return err
			}
			b.WriteString(text)
			i = next
			continue
		case t.Kind == TokQuotedIdent:
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(t.Value, `"`, `""`))
			b.WriteByte('"')
		case t.Kind == TokNumber && t.Suffix != "":
			b.WriteString(castLiteral(t.Value, t.Suffix))
		case isKw(t, "ARRAY") && r.isListArray(i):
			b.WriteString("list_value")
		case isKw(t, "DEFAULT") && r.isNamePart(i):
			// MaxCompute's schema "default" (and project "default") is a
			// keyword to DuckDB: quote it inside qualified names.
			b.WriteString(`"` + t.Text + `"`)
		default:
			b.WriteString(t.Text)
		}
		i++
	}
	return nil
}

// stripComments replaces each comment of gap (text between tokens: only
// whitespace and comments) by a space.
func stripComments(gap string) string {
	if !strings.Contains(gap, "--") && !strings.Contains(gap, "/*") {
		return gap
	}
	var b strings.Builder
	for i := 0; i < len(gap); {
		switch {
		case strings.HasPrefix(gap[i:], "--"):
			for i < len(gap) && gap[i] != '\n' {
				i++
			}
			b.WriteByte(' ')
		case strings.HasPrefix(gap[i:], "/*"):
			depth := 0
			for i < len(gap) {
				if strings.HasPrefix(gap[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(gap[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
			b.WriteByte(' ')
		default:
			b.WriteByte(gap[i])
			i++
		}
	}
	return b.String()
}

// prevIs reports whether the token before i satisfies f.
func (r *rewriter) prev(i int) (Token, bool) {
	if i == 0 {
		return Token{}, false
	}
	return r.toks[i-1], true
}

func (r *rewriter) isCall(i int) bool {
	t := r.toks[i]
	if r.fn == nil || t.Kind != TokIdent || !inferenceFuncs[strings.ToUpper(t.Text)] {
		return false
	}
	if i+1 >= len(r.toks) || !isOp(r.toks[i+1], "(") {
		return false
	}
	if p, ok := r.prev(i); ok && (isOp(p, ".") || isKw(p, "MACRO") || isKw(p, "FUNCTION")) {
		return false
	}
	return true
}

// isNamePart reports whether the token at i is joined to a name by a '.'
// on either side (default.default.t, p.default.m).
func (r *rewriter) isNamePart(i int) bool {
	if p, ok := r.prev(i); ok && isOp(p, ".") && p.End == r.toks[i].Off {
		return true
	}
	return i+1 < len(r.toks) && isOp(r.toks[i+1], ".") && r.toks[i].End == r.toks[i+1].Off
}

// isListArray reports whether ARRAY at i is MaxCompute's ARRAY(a, b, ...)
// rather than DuckDB's ARRAY(subquery).
func (r *rewriter) isListArray(i int) bool {
	if i+1 >= len(r.toks) || !isOp(r.toks[i+1], "(") {
		return false
	}
	if p, ok := r.prev(i); ok && isOp(p, ".") {
		return false
	}
	subquery := func(j int) bool {
		if j >= len(r.toks) {
			return false
		}
		t := r.toks[j]
		return isKw(t, "SELECT") || isKw(t, "WITH") || isKw(t, "FROM")
	}
	if subquery(i + 2) {
		return false
	}
	if i+2 < len(r.toks) && isOp(r.toks[i+2], "(") && subquery(i+3) {
		return false
	}
	return true
}

// call rewrites the call whose name is at i and returns its replacement and
// the index of the token after its closing parenthesis.
func (r *rewriter) call(i int) (string, int, error) {
	name := r.toks[i]
	open := i + 1
	fname := strings.ToUpper(name.Text)
	closeIdx := r.match[open]
	if closeIdx < 0 {
		return "", 0, &SyntaxError{Pos: r.toks[open].Pos, Detail: "unclosed '(' of " + fname, Expected: "')'"}
	}
	if r.depth == MaxInferenceNesting {
		return "", 0, &SyntaxError{Pos: name.Pos, Detail: fmt.Sprintf(
			"%s nested more than %d deep in the arguments of ML_PREDICT and AI_* calls (the limit); compute inner results in a subquery or CTE", fname, MaxInferenceNesting)}
	}
	r.depth++
	defer func() { r.depth-- }()
	// Split the arguments at top-level commas.
	type span struct{ lo, hi int }
	var args []span
	start := open + 1
	for j := open + 1; j < closeIdx; j++ {
		t := r.toks[j]
		if m := r.match[j]; m >= 0 {
			j = m
			continue
		}
		if isOp(t, ",") {
			args = append(args, span{start, j})
			start = j + 1
		}
	}
	args = append(args, span{start, closeIdx})
	for k, a := range args {
		if a.lo == a.hi {
			expected := "an argument"
			switch k {
			case 0:
				expected = "a model name"
			case 1:
				expected = "a version name or DEFAULT_VERSION"
			}
			return "", 0, foundError(r.toks[a.hi], false, expected)
		}
	}
	if len(args) < 2 {
		return "", 0, &SyntaxError{Pos: r.toks[closeIdx].Pos, Found: ")", Expected: "',' and a version name (" + fname + "(model, version, ...))"}
	}
	call := &InferenceCall{Func: fname, Pos: name.Pos}
	if err := r.modelArg(call, args[0].lo, args[0].hi); err != nil {
		return "", 0, err
	}
	if args[1].hi-args[1].lo != 1 {
		t := r.toks[args[1].lo+1]
		return "", 0, foundError(t, false, "',' after the version name")
	}
	switch v := r.toks[args[1].lo]; {
	case v.Kind == TokIdent && strings.EqualFold(v.Text, "DEFAULT_VERSION"):
		call.DefaultVersion = true
	case v.Kind == TokIdent || v.Kind == TokQuotedIdent || v.Kind == TokString:
		call.Version = v.Value
	default:
		return "", 0, foundError(v, false, "a version name or DEFAULT_VERSION")
	}
	for _, a := range args[2:] {
		var b strings.Builder
		if err := r.emit(&b, a.lo, a.hi, true); err != nil {
			return "", 0, err
		}
		arg := strings.TrimSpace(b.String())
		hasCall := false
		for j := a.lo; j < a.hi; j++ {
			if r.isCall(j) {
				hasCall = true
				break
			}
		}
		shape := arg
		if hasCall {
			b.Reset()
			if err := r.emitMode(&b, a.lo, a.hi, true, true); err != nil {
				return "", 0, err
			}
			shape = strings.TrimSpace(b.String())
		}
		call.Args = append(call.Args, arg)
		call.ArgShapes = append(call.ArgShapes, shape)
		call.ArgHasCall = append(call.ArgHasCall, hasCall)
	}
	text, err := r.fn(call)
	if err != nil {
		return "", 0, &RewriteError{Pos: name.Pos, Func: fname, Err: err}
	}
	standIn := call.StandIn
	if standIn == "" {
		standIn = "NULL"
	}
	r.standIns[i] = standIn
	return text, closeIdx + 1, nil
}

// modelArg parses the model argument toks[lo:hi] into call.
func (r *rewriter) modelArg(call *InferenceCall, lo, hi int) error {
	first := r.toks[lo]
	if hi-lo == 1 && first.Kind == TokString {
		parts, ok := splitModelString(first.Value)
		if !ok {
			return foundError(first, false, "a model name")
		}
		call.Model = Name{Parts: parts, Pos: first.Pos}
		call.ModelIsString, call.ModelText = true, first.Value
		return nil
	}
	n := Name{Pos: first.Pos}
	for j := lo; j < hi; j++ {
		t := r.toks[j]
		if len(n.Parts) > 0 {
			if !isOp(t, ".") {
				return foundError(t, false, "',' after the model name")
			}
			if len(n.Parts) == 3 {
				return foundError(t, false, nameShape(3))
			}
			j++
			if j == hi {
				nt := r.toks[hi]
				return foundError(nt, false, "a name part after '.'")
			}
			t = r.toks[j]
		}
		switch {
		case t.Kind == TokIdent, t.Kind == TokQuotedIdent, t.Kind == TokString && t.Quote == '"':
			n.Parts = append(n.Parts, t.Value)
		default:
			return foundError(t, false, "a model name")
		}
	}
	call.Model = n
	return nil
}

// splitModelString splits the content of a string literal naming a model:
// parts separated by '.', each bare or back-quoted (“ inside back-quotes
// is one back-quote). More than three parts: the rest after project and
// schema is joined back into the model name. Empty parts are refused.
func splitModelString(s string) ([]string, bool) {
	var parts []string
	var cur strings.Builder
	quoted := false // the current part was back-quoted
	for i := 0; i <= len(s); {
		if i == len(s) || s[i] == '.' {
			if cur.Len() == 0 && !quoted {
				return nil, false
			}
			parts = append(parts, cur.String())
			cur.Reset()
			quoted = false
			i++
			if i > len(s) {
				break
			}
			continue
		}
		if s[i] == '`' && cur.Len() == 0 && !quoted {
			j := i + 1
			for {
				k := strings.IndexByte(s[j:], '`')
				if k < 0 {
					return nil, false
				}
				cur.WriteString(s[j : j+k])
				j += k + 1
				if j < len(s) && s[j] == '`' {
					cur.WriteByte('`')
					j++
					continue
				}
				break
			}
			quoted = true
			i = j
			if i < len(s) && s[i] != '.' {
				return nil, false
			}
			continue
		}
		if quoted {
			return nil, false
		}
		cur.WriteByte(s[i])
		i++
	}
	if len(parts) > 3 {
		parts = []string{parts[0], parts[1], strings.Join(parts[2:], ".")}
	}
	return parts, true
}

// castLiteral turns a MaxCompute typed literal into a DuckDB cast.
func castLiteral(num, suffix string) string {
	var typ string
	switch strings.ToUpper(suffix) {
	case "F":
		typ = "FLOAT"
	case "D":
		typ = "DOUBLE"
	case "L":
		typ = "BIGINT"
	case "Y":
		typ = "TINYINT"
	case "S":
		typ = "SMALLINT"
	default: // BD
		typ = decimalType(num)
	}
	return "CAST(" + num + " AS " + typ + ")"
}

// decimalType returns DECIMAL(p,s) just wide enough for the literal num
// (at most DECIMAL(38,...)).
func decimalType(num string) string {
	num = strings.ReplaceAll(num, "_", "")
	mant, exp := num, 0
	if i := strings.IndexAny(num, "eE"); i >= 0 {
		mant = num[:i]
		e, err := strconv.Atoi(strings.TrimPrefix(num[i+1:], "+"))
		if err != nil || e > 1000 {
			e = 1000
		} else if e < -1000 {
			e = -1000
		}
		exp = e
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	digits := intPart + frac
	point := len(intPart) + exp // position of the decimal point in digits
	scale := len(digits) - point
	if scale < 0 {
		scale = 0
	}
	intDigits := 0
	switch {
	case point <= 0:
	case point <= len(digits):
		intDigits = len(strings.TrimLeft(digits[:point], "0"))
	default:
		if t := strings.TrimLeft(digits, "0"); t != "" {
			intDigits = len(t) + point - len(digits)
		}
	}
	prec := intDigits + scale
	if prec == 0 {
		prec = 1
	}
	if prec > 38 {
		prec = 38
		scale = 38 - intDigits
		if scale < 0 {
			scale = 0
		}
	}
	return fmt.Sprintf("DECIMAL(%d,%d)", prec, scale)
}

// ParseName parses a possibly qualified name (at most project.schema.name)
// written in SQL syntax: bare or back-quoted parts separated by '.'.
func ParseName(s string) (n Name, err error) {
	p := newParser(s)
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			n, err = Name{}, b.err
		}
	}()
	n = p.name(3, "a name")
	if t := p.peek(); t.Kind != TokEOF {
		p.fail(t, "end of name")
	}
	return n, nil
}
