package parser

import "strings"

// PivotCheckForm returns DuckDB SQL in which every column of a simplified
// PIVOT (PIVOT source ON col [IN (...)], ... USING ...) that has no IN list
// gets IN (NULL), and whether it changed anything.
//
// DuckDB expands a PIVOT without an IN list into several statements (a
// temporary ENUM of each such column's distinct values, then the query), so
// the statement cannot be prepared or planned as one. The check form is one
// statement that names exactly the same tables and columns (only IN lists
// were added), so a privilege check of what it reads holds for the PIVOT.
// Text that cannot be tokenized is returned unchanged.
func PivotCheckForm(text string) (string, bool) {
	toks, err := Tokenize(text, false)
	if err != nil {
		return text, false
	}
	// Parenthesis depth of each token: a ")" has the depth outside it.
	depth := make([]int, len(toks))
	d := 0
	for i, t := range toks {
		if isOp(t, ")") {
			d--
		}
		depth[i] = d
		if isOp(t, "(") {
			d++
		}
	}
	var at []int // offsets where " IN (NULL)" goes
	for i, t := range toks {
		if !isAnyKw(t, "PIVOT", "PIVOT_WIDER") {
			continue
		}
		if standardPivot(toks, i) {
			continue // FROM t PIVOT (agg FOR col IN ...): IN is required
		}
		on := pivotOn(toks, depth, i)
		if on < 0 {
			continue
		}
		at = append(at, pivotColumnsWithoutIn(toks, depth, on)...)
	}
	if len(at) == 0 {
		return text, false
	}
	var b strings.Builder
	last := 0
	for _, off := range at {
		b.WriteString(text[last:off])
		b.WriteString(" IN (NULL)")
		last = off
	}
	b.WriteString(text[last:])
	return b.String(), true
}

// isAnyKw reports whether t is one of the keywords.
func isAnyKw(t Token, kws ...string) bool {
	if t.Kind != TokIdent {
		return false
	}
	for _, k := range kws {
		if strings.EqualFold(t.Text, k) {
			return true
		}
	}
	return false
}

// standardPivot reports whether the PIVOT at i is the SQL-standard form,
// PIVOT ( aggregates FOR ... ), rather than PIVOT (subquery) ON ....
func standardPivot(toks []Token, i int) bool {
	if i+1 >= len(toks) || !isOp(toks[i+1], "(") {
		return false
	}
	return i+2 >= len(toks) || !isAnyKw(toks[i+2], "SELECT", "FROM", "WITH", "VALUES", "TABLE", "PIVOT", "PIVOT_WIDER", "UNPIVOT") && !isOp(toks[i+2], "(")
}

// pivotOn finds the ON of the PIVOT at i (same depth), or -1.
func pivotOn(toks []Token, depth []int, i int) int {
	for j := i + 1; j < len(toks); j++ {
		switch {
		case depth[j] < depth[i] || depth[j] == depth[i] && isOp(toks[j], ";"):
			return -1
		case depth[j] == depth[i] && isKw(toks[j], "ON"):
			return j
		case depth[j] == depth[i] && isAnyKw(toks[j], "USING", "GROUP", "ORDER", "LIMIT"):
			return -1
		}
	}
	return -1
}

// pivotColumnsWithoutIn returns the end offsets of the ON list's columns
// that have no IN list.
func pivotColumnsWithoutIn(toks []Token, depth []int, on int) []int {
	d := depth[on]
	var at []int
	start, hasIn := on+1, false
	for k := on + 1; ; k++ {
		end := k == len(toks) || depth[k] < d ||
			depth[k] == d && (isOp(toks[k], ",") || isOp(toks[k], ";") ||
				isAnyKw(toks[k], "USING", "GROUP", "ORDER", "LIMIT", "OFFSET", "UNION", "EXCEPT", "INTERSECT", "AS"))
		if !end {
			if depth[k] == d && isKw(toks[k], "IN") {
				hasIn = true
			}
			continue
		}
		if k > start && !hasIn {
			at = append(at, toks[k-1].End)
		}
		if k == len(toks) || !isOp(toks[k], ",") {
			return at
		}
		start, hasIn = k+1, false
	}
}
