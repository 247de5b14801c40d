// Package outputschema is the typed output of AI_GENERATE: a DuckDB type
// written as text (OUTPUT_SCHEMA = 'STRUCT(name VARCHAR, tags VARCHAR[])'),
// the JSON schema sent to the model as response_format, the check of the
// model's JSON answer against the type, and the structure DuckDB's
// from_json_strict needs to turn the checked answer into a value of the type.
package outputschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Kind is the kind of a Type.
type Kind int

const (
	Varchar Kind = iota
	Boolean
	Integer // TINYINT, SMALLINT, INTEGER, BIGINT (Name says which)
	Float   // FLOAT, DOUBLE
	Decimal
	Date
	Timestamp
	List
	Struct
)

// Type is a parsed output type.
type Type struct {
	Kind  Kind
	Name  string // canonical scalar name: VARCHAR, BIGINT, DECIMAL(10,2), ...
	Elem  *Type  // List
	Field []Field
	// Precision and Scale of a DECIMAL.
	Precision, Scale int
}

// Field is one STRUCT field.
type Field struct {
	Name string
	Type *Type
}

// MaxLen bounds the text of a type.
const MaxLen = 8 << 10

// maxDepth bounds nesting, so a hostile type cannot exhaust the stack.
const maxDepth = 16

var scalars = map[string]Type{
	"VARCHAR": {Kind: Varchar, Name: "VARCHAR"}, "STRING": {Kind: Varchar, Name: "VARCHAR"}, "TEXT": {Kind: Varchar, Name: "VARCHAR"},
	"BOOLEAN": {Kind: Boolean, Name: "BOOLEAN"}, "BOOL": {Kind: Boolean, Name: "BOOLEAN"},
	"TINYINT": {Kind: Integer, Name: "TINYINT"}, "SMALLINT": {Kind: Integer, Name: "SMALLINT"},
	"INTEGER": {Kind: Integer, Name: "INTEGER"}, "INT": {Kind: Integer, Name: "INTEGER"},
	"BIGINT": {Kind: Integer, Name: "BIGINT"},
	"FLOAT":  {Kind: Float, Name: "FLOAT"}, "REAL": {Kind: Float, Name: "FLOAT"},
	"DOUBLE": {Kind: Float, Name: "DOUBLE"},
	"DATE":   {Kind: Date, Name: "DATE"}, "TIMESTAMP": {Kind: Timestamp, Name: "TIMESTAMP"},
}

var intBits = map[string]int{"TINYINT": 8, "SMALLINT": 16, "INTEGER": 32, "BIGINT": 64}

// Parse parses a DuckDB type: VARCHAR, BOOLEAN, TINYINT, SMALLINT,
// INTEGER, BIGINT, FLOAT, DOUBLE, DECIMAL(p,s), DATE, TIMESTAMP (and the
// aliases STRING, TEXT, BOOL, INT, REAL), T[] for a list, and
// STRUCT(name T, ...) with bare or double-quoted field names.
func Parse(s string) (*Type, error) {
	if len(s) > MaxLen {
		return nil, fmt.Errorf("output type is %d bytes; at most %d are allowed", len(s), MaxLen)
	}
	p := &typeParser{src: s}
	t, err := p.typ(0)
	if err != nil {
		return nil, fmt.Errorf("output type %q: %w", abbreviate(s), err)
	}
	p.space()
	if p.pos < len(p.src) {
		return nil, fmt.Errorf("output type %q: unexpected %q at offset %d", abbreviate(s), abbreviate(p.src[p.pos:]), p.pos)
	}
	return t, nil
}

func abbreviate(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

type typeParser struct {
	src string
	pos int
}

func (p *typeParser) space() {
	for p.pos < len(p.src) && unicode.IsSpace(rune(p.src[p.pos])) {
		p.pos++
	}
}

func (p *typeParser) accept(c byte) bool {
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *typeParser) word() string {
	p.space()
	start := p.pos
	for p.pos < len(p.src) && (p.src[p.pos] == '_' || isAlnum(p.src[p.pos])) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// ident reads a field name: bare or "double-quoted" ("" escapes a quote).
func (p *typeParser) ident() (string, error) {
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == '"' {
		var b strings.Builder
		for i := p.pos + 1; i < len(p.src); i++ {
			if p.src[i] == '"' {
				if i+1 < len(p.src) && p.src[i+1] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				p.pos = i + 1
				if b.Len() == 0 {
					return "", fmt.Errorf("empty field name")
				}
				return b.String(), nil
			}
			b.WriteByte(p.src[i])
		}
		return "", fmt.Errorf("unterminated quoted field name")
	}
	w := p.word()
	if w == "" {
		return "", fmt.Errorf("expected a field name at offset %d", p.pos)
	}
	return w, nil
}

func (p *typeParser) integer() (int, error) {
	p.space()
	start := p.pos
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
	}
	n, err := strconv.Atoi(p.src[start:p.pos])
	if err != nil || p.pos-start > 3 {
		return 0, fmt.Errorf("expected a small integer at offset %d", start)
	}
	return n, nil
}

func (p *typeParser) typ(depth int) (*Type, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d levels", maxDepth)
	}
	w := strings.ToUpper(p.word())
	var t *Type
	switch {
	case w == "":
		return nil, fmt.Errorf("expected a type at offset %d", p.pos)
	case w == "STRUCT":
		if !p.accept('(') {
			return nil, fmt.Errorf("STRUCT needs (name type, ...)")
		}
		t = &Type{Kind: Struct}
		seen := map[string]bool{}
		for {
			name, err := p.ident()
			if err != nil {
				return nil, err
			}
			if seen[strings.ToLower(name)] {
				return nil, fmt.Errorf("STRUCT field %q is given twice", name)
			}
			seen[strings.ToLower(name)] = true
			ft, err := p.typ(depth + 1)
			if err != nil {
				return nil, err
			}
			t.Field = append(t.Field, Field{Name: name, Type: ft})
			if p.accept(',') {
				continue
			}
			if !p.accept(')') {
				return nil, fmt.Errorf("expected ',' or ')' at offset %d", p.pos)
			}
			break
		}
	case w == "DECIMAL" || w == "NUMERIC":
		t = &Type{Kind: Decimal, Precision: 18, Scale: 3}
		if p.accept('(') {
			var err error
			if t.Precision, err = p.integer(); err != nil {
				return nil, err
			}
			t.Scale = 0
			if p.accept(',') {
				if t.Scale, err = p.integer(); err != nil {
					return nil, err
				}
			}
			if !p.accept(')') {
				return nil, fmt.Errorf("expected ')' at offset %d", p.pos)
			}
		}
		if t.Precision < 1 || t.Precision > 38 || t.Scale > t.Precision {
			return nil, fmt.Errorf("DECIMAL(p,s) needs 1 <= p <= 38 and s <= p")
		}
		t.Name = fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale)
	case w == "LIST" || w == "MAP" || w == "UNION" || w == "JSON" || w == "BLOB":
		return nil, fmt.Errorf("%s is not supported; use T[] for lists, STRUCT(...) for objects and VARCHAR for text", w)
	default:
		s, ok := scalars[w]
		if !ok {
			return nil, fmt.Errorf("unknown or unsupported type %s (supported: VARCHAR, BOOLEAN, TINYINT, SMALLINT, INTEGER, BIGINT, FLOAT, DOUBLE, DECIMAL(p,s), DATE, TIMESTAMP, T[], STRUCT(...))", w)
		}
		t = &s
	}
	for {
		save := p.pos
		if p.accept('[') {
			if p.accept(']') {
				t = &Type{Kind: List, Elem: t}
				continue
			}
			return nil, fmt.Errorf("fixed-size arrays are not supported; use T[]")
		}
		p.pos = save
		return t, nil
	}
}

// String is the canonical DuckDB spelling of the type (field names quoted).
func (t *Type) String() string {
	switch t.Kind {
	case List:
		return t.Elem.String() + "[]"
	case Struct:
		parts := make([]string, len(t.Field))
		for i, f := range t.Field {
			parts[i] = `"` + strings.ReplaceAll(f.Name, `"`, `""`) + `" ` + f.Type.String()
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")"
	}
	return t.Name
}

// Structure is the JSON structure from_json_strict takes for the type.
func (t *Type) Structure() string {
	b, _ := json.Marshal(t.structure())
	return string(b)
}

func (t *Type) structure() any {
	switch t.Kind {
	case List:
		return []any{t.Elem.structure()}
	case Struct:
		m := orderedObject{}
		for _, f := range t.Field {
			m = append(m, kv{f.Name, f.Type.structure()})
		}
		return m
	}
	return t.Name
}

// Wrapped reports whether the type travels wrapped as {"value": ...}: JSON
// schema response formats want an object at the top (OpenAI's strict mode
// requires one).
func (t *Type) Wrapped() bool { return t.Kind != Struct }

// JSONSchema is the JSON schema of the answer the model is asked for: the
// type itself for a STRUCT, {"value": <type>} otherwise.
func (t *Type) JSONSchema() json.RawMessage {
	s := t.schema()
	if t.Wrapped() {
		s = orderedObject{{"type", "object"}, {"properties", orderedObject{{"value", s}}},
			{"required", []string{"value"}}, {"additionalProperties", false}}
	}
	b, _ := json.Marshal(s)
	return b
}

func (t *Type) schema() any {
	switch t.Kind {
	case Varchar:
		return orderedObject{{"type", "string"}}
	case Boolean:
		return orderedObject{{"type", "boolean"}}
	case Integer:
		return orderedObject{{"type", "integer"}}
	case Float, Decimal:
		return orderedObject{{"type", "number"}}
	case Date:
		return orderedObject{{"type", "string"}, {"format", "date"}}
	case Timestamp:
		return orderedObject{{"type", "string"}, {"format", "date-time"}}
	case List:
		return orderedObject{{"type", "array"}, {"items", t.Elem.schema()}}
	}
	props := orderedObject{}
	req := make([]string, len(t.Field))
	for i, f := range t.Field {
		props = append(props, kv{f.Name, f.Type.schema()})
		req[i] = f.Name
	}
	return orderedObject{{"type", "object"}, {"properties", props}, {"required", req}, {"additionalProperties", false}}
}

// Check reads a model's answer as JSON of the type and returns it as the
// canonical JSON from_json_strict turns into the type. The answer may be
// wrapped in a markdown code fence; a wrapped type also accepts the bare
// value. An error says what does not match, for the model to correct.
func (t *Type) Check(answer string) (string, error) {
	s := strings.TrimSpace(answer)
	if strings.HasPrefix(s, "```") {
		s = strings.TrimPrefix(s, "```")
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "```"))
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("the answer is not JSON: %v", err)
	}
	if dec.More() {
		return "", fmt.Errorf("the answer has more than one JSON value")
	}
	if t.Wrapped() {
		if m, ok := v.(map[string]any); ok {
			if inner, ok := m["value"]; ok && len(m) == 1 {
				v = inner
			} else if t.Kind != Struct {
				return "", fmt.Errorf(`the answer must be an object {"value": ...} holding a %s`, t)
			}
		}
	}
	out, err := t.check(v, "$", 0)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}

func (t *Type) check(v any, path string, depth int) (any, error) {
	if v == nil {
		return nil, nil // SQL NULL
	}
	bad := func(want string) error {
		got, _ := json.Marshal(v)
		return fmt.Errorf("%s must be %s, got %s", path, want, abbreviate(string(got)))
	}
	switch t.Kind {
	case Varchar:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, bad("a string")
	case Boolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, bad("true or false")
	case Integer:
		n, ok := v.(json.Number)
		if !ok {
			return nil, bad("an integer")
		}
		r, ok := new(big.Rat).SetString(string(n))
		if !ok || !r.IsInt() {
			return nil, bad("an integer")
		}
		bits := intBits[t.Name]
		lim := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
		if r.Num().Cmp(lim) >= 0 || r.Num().Cmp(new(big.Int).Neg(lim)) < 0 {
			return nil, bad("an integer that fits " + t.Name)
		}
		return json.Number(r.Num().String()), nil
	case Float:
		n, ok := v.(json.Number)
		if !ok {
			return nil, bad("a number")
		}
		bits := 64
		if t.Name == "FLOAT" {
			bits = 32
		}
		if _, err := strconv.ParseFloat(string(n), bits); err != nil {
			return nil, bad("a number in the range of " + t.Name)
		}
		return n, nil
	case Decimal:
		n, ok := v.(json.Number)
		if !ok {
			return nil, bad("a number")
		}
		r, ok := new(big.Rat).SetString(string(n))
		if !ok {
			return nil, bad("a number")
		}
		lim := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Precision-t.Scale)), nil))
		if new(big.Rat).Abs(r).Cmp(lim) >= 0 {
			return nil, bad(fmt.Sprintf("a number with at most %d digits before the point", t.Precision-t.Scale))
		}
		return json.Number(r.FloatString(t.Scale)), nil
	case Date:
		s, ok := v.(string)
		if !ok {
			return nil, bad("a date string YYYY-MM-DD")
		}
		d, err := time.Parse("2006-01-02", strings.TrimSpace(s))
		if err != nil {
			return nil, bad("a date string YYYY-MM-DD")
		}
		return d.Format("2006-01-02"), nil
	case Timestamp:
		s, ok := v.(string)
		if !ok {
			return nil, bad("a timestamp string")
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04:05.999999", "2006-01-02"} {
			if ts, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
				return ts.UTC().Format("2006-01-02 15:04:05.999999"), nil
			}
		}
		return nil, bad("a timestamp string (ISO 8601)")
	case List:
		l, ok := v.([]any)
		if !ok {
			return nil, bad("an array")
		}
		if depth > maxDepth {
			return nil, bad("less deeply nested")
		}
		out := make([]any, len(l))
		for i, e := range l {
			c, err := t.Elem.check(e, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, bad("an object")
	}
	out := orderedObject{}
	for _, f := range t.Field {
		val, ok := m[f.Name]
		if !ok {
			for k, x := range m { // a model may change the case
				if strings.EqualFold(k, f.Name) {
					val, ok = x, true
					break
				}
			}
		}
		if !ok {
			return nil, fmt.Errorf("%s lacks the field %q", path, f.Name)
		}
		c, err := f.Type.check(val, path+"."+f.Name, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, kv{f.Name, c})
	}
	return out, nil
}

// orderedObject marshals as a JSON object keeping its key order.
type orderedObject []kv

type kv struct {
	k string
	v any
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(e.k)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
