package access

import (
	"encoding/json"
	"strings"
)

// DuckDB's metadata functions show every object's definition text (view
// SQL, DEFAULT and CHECK expressions, index SQL) to whoever asks. Names and
// types are not secret; those texts are, so a non-administrator's statement
// may not let them reach its result or its filters. The plan is followed
// column by column (BOUND_REF indexes are positions in the child's output):
// information_schema.columns reads column_default whatever is selected, and
// is fine as long as a projection or aggregate drops it.

// definitionColumns are the columns of DuckDB's metadata functions that hold
// definitions (the information_schema and pg_catalog views read them too).
var definitionColumns = map[string]map[string]bool{
	"duckdb_views":       {"sql": true},
	"duckdb_tables":      {"sql": true},
	"duckdb_columns":     {"column_default": true},
	"duckdb_constraints": {"expression": true, "constraint_text": true},
	"duckdb_indexes":     {"sql": true, "expressions": true},
}

// checkDefinitions refuses a plan that lets a definition column reach the
// result, a filter, a sort or a join.
func (z *analyzer) checkDefinitions(p map[string]any) {
	plans, _ := p["plans"].([]any)
	for _, op := range plans {
		m, _ := op.(map[string]any)
		if m == nil {
			continue
		}
		out, leak := definitionFlow(m)
		if leak == "" && anyTrue(out) {
			leak = "the result"
		}
		if leak != "" {
			z.a.deny("showing definitions of objects (view SQL, DEFAULT, CHECK and index expressions reach %s; names and types may be read, and DESCRIBE shows a table one may describe)", leak)
			return
		}
	}
}

// definitionFlow returns, for each output column of an operator, whether it
// carries definition text, and where a definition is used otherwise ("" if
// nowhere).
func definitionFlow(op map[string]any) (tainted []bool, leak string) {
	typ := str(op, "type")
	children, _ := op["children"].([]any)
	var in [][]bool
	childTainted := false
	for _, c := range children {
		cm, _ := c.(map[string]any)
		if cm == nil {
			continue
		}
		t, l := definitionFlow(cm)
		if l != "" {
			return nil, l
		}
		in = append(in, t)
		childTainted = childTainted || anyTrue(t)
	}
	exprs, _ := op["expressions"].([]any)
	switch typ {
	case "LOGICAL_GET":
		secret := definitionColumns[strings.ToLower(str(op, "name"))]
		names, _ := op["names"].([]any)
		idx, _ := op["column_indexes"].([]any)
		cols := make([]bool, len(idx))
		for i, c := range idx {
			cm, _ := c.(map[string]any)
			n, ok := intOf(cm["index"])
			if ok && n >= 0 && n < len(names) {
				name, _ := names[n].(string)
				cols[i] = secret[name]
			}
		}
		if pids, _ := op["projection_ids"].([]any); len(pids) > 0 {
			out := make([]bool, len(pids))
			for i, p := range pids {
				n, ok := intOf(p)
				out[i] = !ok || n < 0 || n >= len(cols) || cols[n]
			}
			cols = out
		}
		if childTainted {
			return nil, "a table function's input"
		}
		return cols, ""
	case "LOGICAL_PROJECTION":
		if len(in) != 1 {
			return nil, "a projection"
		}
		out := make([]bool, len(exprs))
		for i, e := range exprs {
			out[i] = refsTainted(e, in[0])
		}
		return out, ""
	case "LOGICAL_AGGREGATE_AND_GROUP_BY":
		if len(in) != 1 {
			return nil, "an aggregate"
		}
		var out []bool
		groups, _ := op["groups"].([]any)
		for _, g := range groups {
			out = append(out, refsTainted(g, in[0]))
		}
		for _, e := range exprs {
			out = append(out, refsTainted(e, in[0]))
		}
		if gf, _ := op["grouping_functions"].([]any); len(gf) > 0 {
			out = append(out, make([]bool, len(gf))...)
		}
		return out, ""
	case "LOGICAL_UNION", "LOGICAL_EXCEPT", "LOGICAL_INTERSECT":
		// DuckDB merges a chain of UNION ALLs into one operator with
		// every branch as a child; a clean branch (a join, a constant)
		// may report no columns.
		width := 0
		for _, c := range in {
			width = max(width, len(c))
		}
		if len(in) < 2 {
			return nil, "a set operation"
		}
		out := make([]bool, width)
		for _, c := range in {
			if c == nil {
				continue
			}
			if len(c) != width {
				return nil, "a set operation"
			}
			if typ != "LOGICAL_UNION" && anyTrue(c) {
				return nil, "a set operation" // compares the rows
			}
			for i := range out {
				out[i] = out[i] || c[i]
			}
		}
		return out, ""
	case "LOGICAL_FILTER", "LOGICAL_ORDER_BY", "LOGICAL_TOP_N", "LOGICAL_LIMIT", "LOGICAL_DISTINCT":
		if len(in) != 1 {
			return nil, "a filter"
		}
		for _, k := range []string{"expressions", "orders", "distinct_targets"} {
			if refsTainted(op[k], in[0]) {
				return nil, "a filter or sort"
			}
		}
		out := in[0]
		if pm, _ := op["projection_map"].([]any); len(pm) > 0 {
			mapped := make([]bool, len(pm))
			for i, p := range pm {
				n, ok := intOf(p)
				mapped[i] = !ok || n < 0 || n >= len(out) || out[n]
			}
			out = mapped
		}
		return out, ""
	}
	if childTainted {
		return nil, strings.ToLower(strings.TrimPrefix(typ, "LOGICAL_"))
	}
	// An operator of its own making (a constant, a join of clean inputs):
	// its columns carry no definitions.
	return nil, ""
}

// refsTainted reports whether an expression tree references a tainted
// column of its input.
func refsTainted(v any, in []bool) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if refsTainted(e, in) {
				return true
			}
		}
	case map[string]any:
		if str(x, "expression_class") == "BOUND_REF" {
			n, ok := intOf(x["index"])
			if !ok || n < 0 || n >= len(in) {
				// Not a column this analysis knows: harmless only when
				// nothing below carries a definition.
				return anyTrue(in)
			}
			return in[n]
		}
		for _, e := range x {
			if refsTainted(e, in) {
				return true
			}
		}
	}
	return false
}

func intOf(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	if err != nil || i > 1<<31 {
		return 0, false
	}
	return int(i), true
}

func anyTrue(b []bool) bool {
	for _, x := range b {
		if x {
			return true
		}
	}
	return false
}
