package session

import (
	"fmt"
	"strings"

	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/functions"
	"github.com/modelsql/modelsql/internal/llm"
	"github.com/modelsql/modelsql/internal/parser"
)

// planOutput fixes AI_GENERATE's output type when the statement is planned:
// the constant model_parameters' output_schema, else the version's
// OUTPUT_SCHEMA, else none (text). The binding's client is given that type,
// so every row is asked for and checked against it.
func planOutput(b *functions.Binding, c *parser.InferenceCall) error {
	var perCall *string
	if n := len(c.Args); n > 0 {
		if s, ok := sqlStringLiteral(c.Args[n-1]); ok && strings.HasPrefix(strings.TrimSpace(s), "{") {
			perCall = &s
		}
	}
	if perCall != nil {
		p, err := llm.ParseParams(*perCall)
		if err != nil {
			return fmt.Errorf("%s: model_parameters: %w", c.Func, err)
		}
		ty, err := llm.ParamsOutputSchema(p)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Func, err)
		}
		if ty != nil {
			if c.Func != "AI_GENERATE" {
				return fmt.Errorf("%s: model_parameters: %q is taken by AI_GENERATE only", c.Func, llm.ParamOutputSchema)
			}
			ep := b.Remote.Client.Endpoint()
			ep.Output = ty
			client, err := llm.NewClient(ep)
			if err != nil {
				return err
			}
			b.Remote.Client = client
		}
	}
	return nil
}

// outputSQL wraps a rewritten AI_GENERATE call whose version (or call) has
// an output type, turning the checked JSON answer into a value of the type.
func outputSQL(b *functions.Binding, call string) string {
	if b.Func != "AI_GENERATE" || b.Remote == nil || b.Remote.Client.Endpoint().Output == nil {
		return call
	}
	t := b.Remote.Client.Endpoint().Output
	return "from_json_strict(" + call + ", " + engine.QuoteString(t.Structure()) + ")"
}

// outputStandIn is the stand-in of a call for outer calls' type signatures:
// the output type's, for a typed AI_GENERATE.
func outputStandIn(b *functions.Binding, standIn string) string {
	if b.Func != "AI_GENERATE" || b.Remote == nil || b.Remote.Client.Endpoint().Output == nil {
		return standIn
	}
	return "(SELECT CAST(NULL AS " + b.Remote.Client.Endpoint().Output.String() + "))"
}

// sqlStringLiteral returns the content of a DuckDB string literal ('...'
// with ” for a quote), or false when s is anything else.
func sqlStringLiteral(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	inner := s[1 : len(s)-1]
	if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
		return "", false
	}
	return strings.ReplaceAll(inner, "''", "'"), true
}
