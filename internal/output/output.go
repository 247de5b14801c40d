// Package output renders result sets as MaxCompute-style ASCII tables, CSV or
// JSON lines.
package output

import (
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Formats accepted by Write.
const (
	Table = "table"
	CSV   = "csv"
	JSONL = "jsonl"
)

// Valid reports whether f names a format.
func Valid(f string) bool { return f == Table || f == CSV || f == JSONL }

// Write renders one result set.
func Write(w io.Writer, format string, cols []string, rows [][]any) error {
	switch format {
	case CSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(cols); err != nil {
			return err
		}
		rec := make([]string, len(cols))
		for _, r := range rows {
			for i, v := range r {
				rec[i] = Text(v)
				if v == nil {
					rec[i] = ""
				}
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case JSONL:
		for _, r := range rows {
			var b strings.Builder
			b.WriteByte('{')
			for i, c := range cols {
				if i > 0 {
					b.WriteByte(',')
				}
				k, _ := json.Marshal(c)
				b.Write(k)
				b.WriteByte(':')
				b.WriteString(JSON(r[i]))
			}
			b.WriteString("}\n")
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
		}
		return nil
	default:
		return writeTable(w, cols, rows)
	}
}

func writeTable(w io.Writer, cols []string, rows [][]any) error {
	width := make([]int, len(cols))
	for i, c := range cols {
		width[i] = displayWidth(c)
	}
	cells := make([][]string, len(rows))
	for r, row := range rows {
		cells[r] = make([]string, len(cols))
		for i, v := range row {
			s := Text(v)
			if v == nil {
				s = "NULL"
			}
			cells[r][i] = s
			width[i] = max(width[i], displayWidth(s))
		}
	}
	var b strings.Builder
	sep := func() {
		b.WriteByte('+')
		for _, wd := range width {
			b.WriteString(strings.Repeat("-", wd+2))
			b.WriteByte('+')
		}
		b.WriteByte('\n')
	}
	line := func(vals []string) {
		b.WriteByte('|')
		for i, v := range vals {
			b.WriteByte(' ')
			b.WriteString(v)
			b.WriteString(strings.Repeat(" ", width[i]-displayWidth(v)+1))
			b.WriteByte('|')
		}
		b.WriteByte('\n')
	}
	sep()
	line(cols)
	sep()
	for _, r := range cells {
		line(r)
	}
	sep()
	_, err := io.WriteString(w, b.String())
	return err
}

// displayWidth counts wide (CJK) characters as two columns and keeps
// multi-line values on one line.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 || r >= 0xf900 && r <= 0xfaff || r >= 0xff00 && r <= 0xff60 || r >= 0x20000):
			n += 2
		default:
			n++
		}
	}
	return n
}

// Text renders a value for table and CSV cells: scalars plainly, nested
// values as JSON.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.NewReplacer("\n", "\\n", "\r", "\\r").Replace(x)
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return "\\x" + hex.EncodeToString(x)
	case time.Time:
		return formatTime(x)
	case map[string]any, []any:
		return JSON(v)
	}
	if s, ok := scalar(v); ok {
		return s
	}
	return JSON(v)
}

// JSON renders a value as JSON.
func JSON(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		b, _ := json.Marshal(x)
		return string(b)
	case []byte:
		b, _ := json.Marshal(Text(x))
		return string(b)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		b, _ := json.Marshal(formatTime(x))
		return string(b)
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return `"` + strconv.FormatFloat(float64(x), 'g', -1, 32) + `"`
		}
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return `"` + strconv.FormatFloat(x, 'g', -1, 64) + `"`
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case map[string]any:
		var b strings.Builder
		b.WriteByte('{')
		// DuckDB hands structs over as maps, which lose field order: sort
		// keys for stable output.
		keys := orderedKeys(x)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			b.WriteString(JSON(x[k]))
		}
		b.WriteByte('}')
		return b.String()
	case []any:
		return jsonArray(x)
	case []float32:
		return jsonArray(x)
	}
	if s, ok := scalar(v); ok {
		if _, isNum := v.(fmt.Stringer); isNum {
			b, _ := json.Marshal(s)
			return string(b)
		}
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(fmt.Sprint(v))
	}
	return string(b)
}

func orderedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case int8:
		return strconv.FormatInt(int64(x), 10), true
	case int16:
		return strconv.FormatInt(int64(x), 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint8:
		return strconv.FormatUint(uint64(x), 10), true
	case uint16:
		return strconv.FormatUint(uint64(x), 10), true
	case uint32:
		return strconv.FormatUint(uint64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case *big.Int:
		return x.String(), true
	case fmt.Stringer:
		return x.String(), true
	}
	return "", false
}

func formatTime(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 && t.Location() == time.UTC {
		return t.Format("2006-01-02")
	}
	if t.Nanosecond() != 0 {
		return t.Format("2006-01-02 15:04:05.999999")
	}
	return t.Format("2006-01-02 15:04:05")
}

func jsonArray[T any](xs []T) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(JSON(e))
	}
	b.WriteByte(']')
	return b.String()
}
