package pgserver

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/modelsql/modelsql/internal/parser"
)

// Parameters of the extended protocol ($1, $2, ...) are substituted into the
// statement text as typed SQL literals before it runs: the session takes
// text, and a literal is exactly as safe as a bound value as long as it is
// quoted correctly, which is all this file does. Strings are quoted with
// doubled quotes (and doubled backslashes in statements modelsql parses
// itself, whose strings take backslash escapes); numbers are checked
// against a strict pattern; everything else goes through a quoted string
// and a CAST to the parameter's type.

var (
	intPattern   = regexp.MustCompile(`^[+-]?[0-9]+$`)
	floatPattern = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
)

// backslashDialect reports whether a statement is one modelsql parses
// itself (MaxCompute string rules) rather than DuckDB SQL. A statement of
// modelsql's with $n in it does not parse until its parameters are bound:
// that also counts as modelsql's (DuckDB statements always pass through).
func backslashDialect(text string) bool {
	st, err := parser.Parse(text)
	if err != nil {
		return true
	}
	_, pass := st.(*parser.Passthrough)
	return !pass
}

// substitute replaces $n by literals.
func substitute(text string, lits []string) (string, error) {
	if len(lits) == 0 {
		return text, nil
	}
	bs := backslashDialect(text)
	toks, err := parser.Tokenize(text, bs)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	last := 0
	for _, t := range toks {
		if t.Kind != parser.TokParam {
			continue
		}
		i, err := strconv.Atoi(strings.TrimPrefix(t.Text, "$"))
		if err != nil || i < 1 || i > len(lits) {
			return "", fmt.Errorf("there is no parameter %s", t.Text)
		}
		b.WriteString(text[last:t.Off])
		lit := lits[i-1]
		if bs && strings.HasPrefix(lit, "'") { // string literals (not quoted names)
			lit = strings.ReplaceAll(lit, `\`, `\\`)
		}
		b.WriteString(lit)
		last = t.End
	}
	b.WriteString(text[last:])
	return b.String(), nil
}

// quote makes a DuckDB string literal. (substitute doubles backslashes for
// statements with MaxCompute string rules.)
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// castType is the DuckDB type a parameter of a PostgreSQL type is cast to;
// "" means "leave it a string literal".
func castType(oid uint32) string {
	switch oid {
	case oidBool:
		return "BOOLEAN"
	case oidInt2:
		return "SMALLINT"
	case oidInt4:
		return "INTEGER"
	case oidInt8, oidOID:
		return "BIGINT"
	case oidFloat4:
		return "FLOAT"
	case oidFloat8:
		return "DOUBLE"
	case oidNumeric:
		return "DECIMAL(38,10)"
	case oidBytea:
		return "BLOB"
	case oidDate:
		return "DATE"
	case oidTime:
		return "TIME"
	case oidTimestamp:
		return "TIMESTAMP"
	case oidTimestamptz:
		return "TIMESTAMPTZ"
	case oidInterval:
		return "INTERVAL"
	case oidUUID:
		return "UUID"
	case oidJSON, oidJSONB:
		return "JSON"
	}
	return ""
}

// literal renders one parameter value as SQL.
func literal(tm *pgtype.Map, oid uint32, format int16, v []byte) (string, error) {
	if v == nil {
		if t := castType(oid); t != "" {
			return "CAST(NULL AS " + t + ")", nil
		}
		return "NULL", nil
	}
	if format == 1 {
		return binaryLiteral(tm, oid, v)
	}
	return textLiteral(oid, string(v))
}

// modelLiteral renders a parameter of one of modelsql's statements, whose
// values (OPTIONS, COMMENT, passwords) are string literals: every value
// becomes one, binary values first decoded.
func modelLiteral(tm *pgtype.Map, oid uint32, format int16, v []byte) (string, error) {
	if v == nil {
		return "NULL", nil
	}
	s := string(v)
	if format == 1 {
		switch oid {
		case oidText, oidVarchar, oidBPChar, oidUnspecified, oidJSON:
		default:
			var x any
			if err := tm.Scan(oid, pgtype.BinaryFormatCode, v, &x); err != nil {
				return "", fmt.Errorf("cannot decode binary parameter of type %d: %w", oid, err)
			}
			s = fmt.Sprint(x)
		}
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", fmt.Errorf("parameter contains a NUL byte")
	}
	return quote(s), nil
}

func textLiteral(oid uint32, s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", fmt.Errorf("parameter contains a NUL byte")
	}
	switch oid {
	case oidInt2, oidInt4, oidInt8, oidOID:
		if intPattern.MatchString(s) {
			return "CAST(" + s + " AS " + castType(oid) + ")", nil
		}
	case oidNumeric:
		if floatPattern.MatchString(s) {
			return "(" + s + ")", nil
		}
	case oidFloat4, oidFloat8:
		if floatPattern.MatchString(s) {
			return "CAST(" + s + " AS " + castType(oid) + ")", nil
		}
	case oidBytea:
		if h, ok := strings.CutPrefix(s, `\x`); ok {
			if _, err := hex.DecodeString(h); err != nil {
				return "", fmt.Errorf("invalid bytea parameter")
			}
			return "from_hex(" + quote(h) + ")", nil
		}
		return "CAST(" + quote(s) + " AS BLOB)", nil
	}
	if t := castType(oid); t != "" {
		return "CAST(" + quote(s) + " AS " + t + ")", nil
	}
	return quote(s), nil
}

func binaryLiteral(tm *pgtype.Map, oid uint32, v []byte) (string, error) {
	switch oid {
	case oidText, oidVarchar, oidBPChar, oidUnspecified, oidJSON:
		return textLiteral(oid, string(v))
	case oidJSONB:
		if len(v) > 0 && v[0] == 1 {
			return textLiteral(oid, string(v[1:]))
		}
		return "", fmt.Errorf("unsupported jsonb binary version")
	case oidBytea:
		return "from_hex(" + quote(hex.EncodeToString(v)) + ")", nil
	}
	var x any
	if err := tm.Scan(oid, pgtype.BinaryFormatCode, v, &x); err != nil {
		return "", fmt.Errorf("cannot decode binary parameter of type %d: %w", oid, err)
	}
	switch y := x.(type) {
	case nil:
		return literal(tm, oid, 0, nil)
	case bool:
		if y {
			return "TRUE", nil
		}
		return "FALSE", nil
	case int16, int32, int64, uint32:
		return fmt.Sprintf("CAST(%d AS %s)", y, castType(oid)), nil
	case float32:
		return floatLiteral(float64(y), "FLOAT"), nil
	case float64:
		return floatLiteral(y, "DOUBLE"), nil
	case pgtype.Numeric:
		if y.NaN {
			return "CAST('NaN' AS DOUBLE)", nil
		}
		if y.InfinityModifier != pgtype.Finite {
			return "CAST('" + map[bool]string{true: "Infinity", false: "-Infinity"}[y.InfinityModifier == pgtype.Infinity] + "' AS DOUBLE)", nil
		}
		return "(" + numericText(y) + ")", nil
	case time.Time:
		switch oid {
		case oidDate:
			return "CAST(" + quote(y.Format("2006-01-02")) + " AS DATE)", nil
		case oidTimestamp:
			return "CAST(" + quote(y.Format("2006-01-02 15:04:05.999999")) + " AS TIMESTAMP)", nil
		default:
			return "CAST(" + quote(y.UTC().Format("2006-01-02 15:04:05.999999")+"+00") + " AS TIMESTAMPTZ)", nil
		}
	case pgtype.Time:
		t := time.Unix(0, 0).UTC().Add(time.Duration(y.Microseconds) * time.Microsecond)
		return "CAST(" + quote(t.Format("15:04:05.999999")) + " AS TIME)", nil
	case pgtype.Interval:
		return fmt.Sprintf("(INTERVAL %d MONTH + INTERVAL %d DAY + INTERVAL %d MICROSECOND)", y.Months, y.Days, y.Microseconds), nil
	case [16]byte:
		return "CAST(" + quote(formatUUID(y[:])) + " AS UUID)", nil
	case string:
		return textLiteral(oid, y)
	}
	return "", fmt.Errorf("unsupported binary parameter of type %d (%T); send it in text format", oid, x)
}

func floatLiteral(f float64, typ string) string {
	switch {
	case math.IsNaN(f):
		return "CAST('NaN' AS " + typ + ")"
	case math.IsInf(f, 1):
		return "CAST('Infinity' AS " + typ + ")"
	case math.IsInf(f, -1):
		return "CAST('-Infinity' AS " + typ + ")"
	}
	return "CAST(" + strconv.FormatFloat(f, 'g', -1, 64) + " AS " + typ + ")"
}

func numericText(n pgtype.Numeric) string {
	if n.Int == nil {
		return "0"
	}
	s := new(big.Int).Abs(n.Int).String()
	sign := ""
	if n.Int.Sign() < 0 {
		sign = "-"
	}
	switch {
	case n.Exp > 0:
		return sign + s + strings.Repeat("0", int(n.Exp))
	case n.Exp < 0:
		k := int(-n.Exp)
		if len(s) <= k {
			s = strings.Repeat("0", k-len(s)+1) + s
		}
		return sign + s[:len(s)-k] + "." + s[len(s)-k:]
	}
	return sign + s
}
