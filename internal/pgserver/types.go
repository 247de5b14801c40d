package pgserver

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5/pgtype"
)

// PostgreSQL type OIDs modelsql sends.
const (
	oidUnspecified = 0
	oidBool        = 16
	oidBytea       = 17
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidJSON        = 114
	oidFloat4      = 700
	oidFloat8      = 701
	oidBPChar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidTimetz      = 1266
	oidInterval    = 1186
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802
)

// column is one result column: its name, the DuckDB type and the
// PostgreSQL type it is sent as.
type column struct {
	Name     string
	TypeName string // DuckDB type name ("" when unknown)
	OID      uint32
	Mod      int32
	node     *typeNode
}

// Type mapping (DuckDB → PostgreSQL), see docs/server.md:
//
//	BOOLEAN → bool; TINYINT, SMALLINT, UTINYINT → int2; INTEGER, USMALLINT → int4;
//	BIGINT, UINTEGER → int8; UBIGINT, HUGEINT, UHUGEINT, BIGNUM, DECIMAL → numeric;
//	FLOAT → float4; DOUBLE → float8; VARCHAR, ENUM, BIT → text; TIMETZ → timetz; BLOB → bytea;
//	DATE → date; TIME → time; TIMESTAMP[_S|_MS|_NS] → timestamp; TIMESTAMPTZ → timestamptz;
//	INTERVAL → interval; UUID → uuid; JSON, STRUCT, LIST, ARRAY, MAP, UNION → json (JSON text).
func newColumn(name, typeName string) column {
	c := column{Name: name, TypeName: typeName, Mod: -1}
	c.node = parseType(typeName)
	c.OID = oidForNode(c.node)
	if c.OID == oidNumeric && c.node.name == "DECIMAL" && len(c.node.args) == 2 {
		p, _ := strconv.Atoi(c.node.args[0])
		s, _ := strconv.Atoi(c.node.args[1])
		c.Mod = int32(p<<16|s) + 4
	}
	return c
}

func oidForNode(n *typeNode) uint32 {
	if n == nil {
		return oidText
	}
	switch n.kind {
	case kindList, kindStruct, kindMap, kindUnion:
		return oidJSON
	}
	switch n.name {
	case "BOOLEAN", "BOOL":
		return oidBool
	case "TINYINT", "SMALLINT", "UTINYINT", "INT1", "INT2":
		return oidInt2
	case "INTEGER", "USMALLINT", "INT", "INT4":
		return oidInt4
	case "BIGINT", "UINTEGER", "INT8":
		return oidInt8
	case "UBIGINT", "HUGEINT", "UHUGEINT", "BIGNUM", "VARINT", "DECIMAL", "NUMERIC":
		return oidNumeric
	case "FLOAT", "REAL", "FLOAT4":
		return oidFloat4
	case "DOUBLE", "FLOAT8":
		return oidFloat8
	case "BLOB", "BYTEA":
		return oidBytea
	case "DATE":
		return oidDate
	case "TIME":
		return oidTime
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATETIME":
		return oidTimestamp
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		return oidTimestamptz
	case "TIMETZ", "TIME WITH TIME ZONE":
		return oidTimetz
	case "INTERVAL":
		return oidInterval
	case "UUID":
		return oidUUID
	case "JSON":
		return oidJSON
	}
	return oidText
}

// typeNameForValue guesses a DuckDB type name from a Go value, for results
// that carry no type names (modelsql's own statements).
func typeNameForValue(v any) string {
	switch v.(type) {
	case bool:
		return "BOOLEAN"
	case int8, int16:
		return "SMALLINT"
	case int32:
		return "INTEGER"
	case int, int64, uint32, uint16, uint8:
		return "BIGINT"
	case float32:
		return "FLOAT"
	case float64:
		return "DOUBLE"
	case []byte:
		return "BLOB"
	case time.Time:
		return "TIMESTAMP"
	case duckdb.Decimal, *big.Int, uint64, uint:
		return "HUGEINT"
	case map[string]any, []any:
		return "JSON"
	}
	return "VARCHAR"
}

// typeSize is the RowDescription type length.
func typeSize(oid uint32) int16 {
	switch oid {
	case oidBool:
		return 1
	case oidInt2:
		return 2
	case oidInt4, oidFloat4, oidDate:
		return 4
	case oidInt8, oidFloat8, oidTime, oidTimestamp, oidTimestamptz:
		return 8
	case oidTimetz:
		return 12
	case oidInterval, oidUUID:
		return 16
	}
	return -1
}

// pgValue converts a value scanned from DuckDB into what pgtype encodes for
// the column's OID.
func (c *column) pgValue(v any) (any, error) {
	switch c.OID {
	case oidBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case oidInt2, oidInt4, oidInt8:
		if i, ok := toInt64(v); ok {
			return i, nil
		}
	case oidFloat4:
		switch x := v.(type) {
		case float32:
			return x, nil
		case float64:
			return float32(x), nil
		}
	case oidFloat8:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
		if i, ok := toInt64(v); ok {
			return float64(i), nil
		}
	case oidNumeric:
		return toNumeric(v)
	case oidBytea:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case oidDate:
		if t, ok := v.(time.Time); ok {
			return pgtype.Date{Time: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), Valid: true}, nil
		}
	case oidTime:
		if t, ok := v.(time.Time); ok {
			us := int64(t.Hour())*3600e6 + int64(t.Minute())*60e6 + int64(t.Second())*1e6 + int64(t.Nanosecond()/1000)
			return pgtype.Time{Microseconds: us, Valid: true}, nil
		}
	case oidTimestamp:
		if t, ok := v.(time.Time); ok {
			return pgtype.Timestamp{Time: t.UTC(), Valid: true}, nil
		}
	case oidTimestamptz:
		if t, ok := v.(time.Time); ok {
			return pgtype.Timestamptz{Time: t, Valid: true}, nil
		}
	case oidInterval:
		if iv, ok := v.(duckdb.Interval); ok {
			return pgtype.Interval{Months: iv.Months, Days: iv.Days, Microseconds: iv.Micros, Valid: true}, nil
		}
	case oidUUID:
		switch x := v.(type) {
		case []byte:
			if len(x) == 16 {
				var u [16]byte
				copy(u[:], x)
				return pgtype.UUID{Bytes: u, Valid: true}, nil
			}
		case string:
			return x, nil
		}
	case oidJSON, oidJSONB:
		if s, ok := v.(string); ok && c.node != nil && c.node.name == "JSON" {
			return s, nil
		}
		var b bytes.Buffer
		writeJSON(&b, v, c.node)
		return b.String(), nil
	case oidText, oidVarchar:
		return textValue(v, c.node), nil
	}
	return nil, fmt.Errorf("cannot send a %T value as PostgreSQL type %d (column %s, DuckDB type %s)", v, c.OID, c.Name, c.TypeName)
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

func toNumeric(v any) (any, error) {
	switch x := v.(type) {
	case duckdb.Decimal:
		return pgtype.Numeric{Int: new(big.Int).Set(x.Value), Exp: -int32(x.Scale), Valid: true}, nil
	case *big.Int:
		return pgtype.Numeric{Int: new(big.Int).Set(x), Valid: true}, nil
	case uint64:
		return pgtype.Numeric{Int: new(big.Int).SetUint64(x), Valid: true}, nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case string:
		return x, nil
	}
	if i, ok := toInt64(v); ok {
		return pgtype.Numeric{Int: big.NewInt(i), Valid: true}, nil
	}
	return nil, fmt.Errorf("cannot send a %T value as numeric", v)
}

// textValue renders any value as text (for text columns).
func textValue(v any, n *typeNode) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		if n != nil && (n.name == "TIMETZ" || n.name == "TIME WITH TIME ZONE") {
			return x.Format("15:04:05.999999-07:00")
		}
		return x.Format("2006-01-02 15:04:05.999999")
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// writeJSON writes a DuckDB value as JSON. STRUCT fields keep the order of
// the type; MAP values become objects (keys as text); BLOBs become "\x..."
// strings; non-finite floats become strings.
func writeJSON(b *bytes.Buffer, v any, n *typeNode) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		fmt.Fprint(b, x)
	case float32:
		writeFloat(b, float64(x), 32)
	case float64:
		writeFloat(b, x, 64)
	case string:
		writeJSONString(b, x)
	case []byte:
		if n != nil && n.name == "UUID" && len(x) == 16 {
			writeJSONString(b, formatUUID(x))
		} else {
			writeJSONString(b, `\x`+hex.EncodeToString(x))
		}
	case time.Time:
		writeJSONString(b, jsonTime(x, n))
	case duckdb.Decimal:
		b.WriteString(x.String())
	case *big.Int:
		b.WriteString(x.String())
	case duckdb.Interval:
		writeJSONString(b, formatInterval(x))
	case duckdb.Union:
		var member *typeNode
		if n != nil {
			for _, f := range n.fields {
				if f.name == x.Tag {
					member = f.typ
				}
			}
		}
		writeJSON(b, x.Value, member)
	case duckdb.OrderedMap:
		keys, vals := x.Keys(), x.Values()
		var kt, vt *typeNode
		if n != nil && n.kind == kindMap && len(n.fields) == 2 {
			kt, vt = n.fields[0].typ, n.fields[1].typ
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			if s, ok := k.(string); ok {
				writeJSONString(b, s)
			} else {
				var kb bytes.Buffer
				writeJSON(&kb, k, kt)
				writeJSONString(b, strings.Trim(kb.String(), `"`))
			}
			b.WriteByte(':')
			writeJSON(b, vals[i], vt)
		}
		b.WriteByte('}')
	case []any:
		var et *typeNode
		if n != nil {
			et = n.elem
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e, et)
		}
		b.WriteByte(']')
	case map[string]any:
		var order []string
		types := map[string]*typeNode{}
		if n != nil && n.kind == kindStruct {
			for _, f := range n.fields {
				if _, ok := x[f.name]; ok {
					order = append(order, f.name)
					types[f.name] = f.typ
				}
			}
		}
		if len(order) != len(x) {
			seen := map[string]bool{}
			for _, k := range order {
				seen[k] = true
			}
			var rest []string
			for k := range x {
				if !seen[k] {
					rest = append(rest, k)
				}
			}
			sort.Strings(rest)
			order = append(order, rest...)
		}
		b.WriteByte('{')
		for i, k := range order {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeJSON(b, x[k], types[k])
		}
		b.WriteByte('}')
	default:
		if raw, err := json.Marshal(x); err == nil {
			b.Write(raw)
		} else {
			writeJSONString(b, fmt.Sprint(x))
		}
	}
}

func writeFloat(b *bytes.Buffer, f float64, bits int) {
	switch {
	case math.IsNaN(f):
		b.WriteString(`"NaN"`)
	case math.IsInf(f, 1):
		b.WriteString(`"Infinity"`)
	case math.IsInf(f, -1):
		b.WriteString(`"-Infinity"`)
	default:
		b.WriteString(strconv.FormatFloat(f, 'g', -1, bits))
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	raw, _ := json.Marshal(s)
	b.Write(raw)
}

func jsonTime(t time.Time, n *typeNode) string {
	name := ""
	if n != nil {
		name = n.name
	}
	switch name {
	case "DATE":
		return t.Format("2006-01-02")
	case "TIME":
		return t.Format("15:04:05.999999")
	case "TIMETZ", "TIME WITH TIME ZONE":
		return t.Format("15:04:05.999999-07:00")
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		return t.UTC().Format("2006-01-02 15:04:05.999999Z07:00")
	}
	return t.Format("2006-01-02 15:04:05.999999")
}

func formatUUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func formatInterval(iv duckdb.Interval) string {
	us := iv.Micros
	neg := us < 0
	if neg {
		us = -us
	}
	h := us / 3600e6
	m := us / 60e6 % 60
	s := us / 1e6 % 60
	frac := us % 1e6
	sign := ""
	if neg {
		sign = "-"
	}
	clock := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, s)
	if frac != 0 {
		clock += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
	}
	return fmt.Sprintf("%d mons %d days %s", iv.Months, iv.Days, clock)
}

// --- DuckDB type names ---

const (
	kindScalar = iota
	kindList
	kindStruct
	kindMap
	kindUnion
)

// typeNode is a parsed DuckDB type name such as
// STRUCT("label" BIGINT, "probs" FLOAT[]) or DECIMAL(10,2)[].
type typeNode struct {
	kind   int
	name   string   // scalar base name, upper-case
	args   []string // DECIMAL(p,s) arguments
	elem   *typeNode
	fields []typeField // STRUCT and UNION members; MAP key and value
}

type typeField struct {
	name string
	typ  *typeNode
}

// parseType parses a DuckDB type name; unknown syntax gives a scalar node
// of the whole name.
func parseType(s string) *typeNode {
	p := &typeParser{s: s}
	n := p.typ()
	if n == nil || p.i != len(p.s) {
		return &typeNode{name: strings.ToUpper(strings.TrimSpace(s))}
	}
	return n
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) skip() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *typeParser) peek() byte {
	p.skip()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// word reads a base name: words up to '(', ')', ',', '['.
func (p *typeParser) word() string {
	p.skip()
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune("(),[]", rune(p.s[p.i])) {
		p.i++
	}
	return strings.ToUpper(strings.TrimSpace(p.s[start:p.i]))
}

// ident reads a field name: "quoted" (with "" escapes) or bare.
func (p *typeParser) ident() (string, bool) {
	p.skip()
	if p.i >= len(p.s) {
		return "", false
	}
	if p.s[p.i] == '"' {
		var b strings.Builder
		p.i++
		for p.i < len(p.s) {
			c := p.s[p.i]
			if c == '"' {
				if p.i+1 < len(p.s) && p.s[p.i+1] == '"' {
					b.WriteByte('"')
					p.i += 2
					continue
				}
				p.i++
				return b.String(), true
			}
			b.WriteByte(c)
			p.i++
		}
		return "", false
	}
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ' ' && !strings.ContainsRune("(),[]", rune(p.s[p.i])) {
		p.i++
	}
	return p.s[start:p.i], p.i > start
}

func (p *typeParser) typ() *typeNode {
	name := p.word()
	if name == "" {
		return nil
	}
	n := &typeNode{name: name}
	if p.peek() == '(' {
		p.i++
		switch name {
		case "STRUCT", "UNION":
			n.kind = kindStruct
			if name == "UNION" {
				n.kind = kindUnion
			}
			for {
				fname, ok := p.ident()
				if !ok {
					return nil
				}
				ft := p.typ()
				if ft == nil {
					return nil
				}
				n.fields = append(n.fields, typeField{fname, ft})
				if p.peek() == ',' {
					p.i++
					continue
				}
				break
			}
		case "MAP":
			n.kind = kindMap
			k := p.typ()
			if k == nil || p.peek() != ',' {
				return nil
			}
			p.i++
			v := p.typ()
			if v == nil {
				return nil
			}
			n.fields = []typeField{{"key", k}, {"value", v}}
		default:
			for {
				p.skip()
				start := p.i
				depth := 0
				for p.i < len(p.s) && (depth > 0 || (p.s[p.i] != ',' && p.s[p.i] != ')')) {
					if p.s[p.i] == '(' {
						depth++
					} else if p.s[p.i] == ')' {
						depth--
					}
					p.i++
				}
				n.args = append(n.args, strings.TrimSpace(p.s[start:p.i]))
				if p.peek() == ',' {
					p.i++
					continue
				}
				break
			}
		}
		if p.peek() != ')' {
			return nil
		}
		p.i++
	}
	for p.peek() == '[' {
		p.i++
		for p.i < len(p.s) && p.s[p.i] != ']' {
			p.i++
		}
		if p.i >= len(p.s) {
			return nil
		}
		p.i++
		n = &typeNode{kind: kindList, name: "LIST", elem: n}
	}
	p.skip()
	return n
}
