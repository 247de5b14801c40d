// Package tablefunc finds modelsql's table functions in a statement —
// ML_EVALUATE, ML_EXPLAIN_PREDICT, ML_FEATURE_IMPORTANCE,
// ML_EXPORT_MODEL and MODELSQL_PROGRESS — so that the
// session can replace each call by the subquery that computes it.
package tablefunc

import (
	"fmt"
	"strings"

	"github.com/modelsql/modelsql/internal/parser"
)

// Names of the table functions.
const (
	Evaluate          = "ML_EVALUATE"
	ExplainPredict    = "ML_EXPLAIN_PREDICT"
	FeatureImportance = "ML_FEATURE_IMPORTANCE"
	ExportModel       = "ML_EXPORT_MODEL"
	// Progress lists the running statements with AI calls (package aiprogress).
	Progress = "MODELSQL_PROGRESS"
)

var names = map[string]bool{Evaluate: true, ExplainPredict: true, FeatureImportance: true, ExportModel: true, Progress: true}

// Call is one call in a statement's text.
type Call struct {
	Func       string   // upper-cased name
	Start, End int      // byte range of the call, name to closing parenthesis
	Args       []string // each top-level argument's text, trimmed
}

// Mentions reports cheaply whether sql may hold a call.
func Mentions(sql string) bool {
	u := strings.ToUpper(sql)
	for n := range names {
		if strings.Contains(u, n) {
			return true
		}
	}
	return false
}

// Find returns the calls in sql, outermost only, in order.
func Find(sql string) ([]Call, error) {
	if !Mentions(sql) {
		return nil, nil
	}
	toks, err := parser.Tokenize(sql, false)
	if err != nil {
		return nil, err
	}
	var calls []Call
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		name := strings.ToUpper(t.Text)
		if t.Kind != parser.TokIdent || !names[name] {
			continue
		}
		if i+1 >= len(toks) || toks[i+1].Kind != parser.TokOp || toks[i+1].Text != "(" {
			continue
		}
		c := Call{Func: name, Start: t.Off}
		depth, argStart := 0, toks[i+1].End
		j := i + 1
		for ; j < len(toks); j++ {
			tj := toks[j]
			if tj.Kind != parser.TokOp {
				continue
			}
			switch tj.Text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth--
			case ",":
				if depth == 1 {
					c.Args = append(c.Args, strings.TrimSpace(sql[argStart:tj.Off]))
					argStart = tj.End
				}
				continue
			default:
				continue
			}
			if depth == 0 {
				break
			}
		}
		if j >= len(toks) {
			return nil, fmt.Errorf("%s: missing closing parenthesis", name)
		}
		if last := strings.TrimSpace(sql[argStart:toks[j].Off]); last != "" || len(c.Args) > 0 {
			c.Args = append(c.Args, last)
		}
		c.End = toks[j].End
		calls = append(calls, c)
		i = j
	}
	return calls, nil
}

// Query returns the text of a parenthesised query argument without its
// outer parentheses, or an error naming the function.
func Query(fn, arg string) (string, error) {
	a := strings.TrimSpace(arg)
	if !strings.HasPrefix(a, "(") || !strings.HasSuffix(a, ")") {
		return "", fmt.Errorf("%s: the third argument must be a query in parentheses, e.g. (SELECT * FROM t)", fn)
	}
	inner := strings.TrimSpace(a[1 : len(a)-1])
	head := strings.ToUpper(inner)
	for _, kw := range []string{"SELECT", "WITH", "FROM", "VALUES", "TABLE", "("} {
		if strings.HasPrefix(head, kw) {
			return inner, nil
		}
	}
	return "", fmt.Errorf("%s: the third argument must be a query in parentheses, e.g. (SELECT * FROM t)", fn)
}
