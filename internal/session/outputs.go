package session

import (
	"fmt"
	"strings"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/functions"
	"github.com/modelsql/modelsql/internal/llm"
	"github.com/modelsql/modelsql/internal/outputschema"
	"github.com/modelsql/modelsql/internal/parser"
)

// planOutput fixes AI_GENERATE's output type when the statement is planned:
// the constant model_parameters' output_schema, else the version's
// OUTPUT_SCHEMA, else none (text). The binding's client is given that type,
// so every row is asked for and checked against it.
func planOutput(b *functions.Binding, c *parser.InferenceCall) error {
	lit, ok := constParams(b, c.Args)
	if !ok {
		return nil
	}
	// Errors as the call's own (message and SQLSTATE by their class, no
	// "llm: invalid_argument:" layers), as when functions plans the call.
	p, err := llm.ParseParams(lit)
	if err != nil {
		return &functions.CallError{Func: c.Func, Planning: true, Err: err}
	}
	ty, err := llm.ParamsOutputSchema(p)
	if err != nil || ty == nil {
		if err != nil {
			err = &functions.CallError{Func: c.Func, Planning: true, Err: err}
		}
		return err
	}
	if b.Func != "AI_GENERATE" {
		return fmt.Errorf("%s: model_parameters: %q is taken by AI_GENERATE only", c.Func, llm.ParamOutputSchema)
	}
	ep := b.Remote.Client.Endpoint()
	ep.Output = ty
	client, err := llm.NewClient(ep)
	if err != nil {
		return err
	}
	b.Remote.Client = client
	return nil
}

// argsBeforeParams is how many arguments (after model and version) come
// before model_parameters, for the functions whose shape fixes it.
var argsBeforeParams = map[string]int{
	"AI_EMBEDDING": 1, "AI_CLASSIFY": 2, "AI_EXTRACT": 2, "AI_SUMMARIZE": 1,
	"AI_TRANSLATE": 2, "AI_SENTIMENT": 1, "AI_SIMILARITY": 2,
}

// constParams returns the call's model_parameters when it is a string
// constant holding a JSON object.
func constParams(b *functions.Binding, args []string) (string, bool) {
	n := len(args)
	if n == 0 {
		return "", false
	}
	switch {
	case b.Func == "AI_GENERATE" && b.Model.ModelType == catalog.TypeMLLM:
		// (data, prompt [, type] [, params]): a 3rd argument is params
		// when it is a JSON object, as the function decides too.
		if n < 3 {
			return "", false
		}
	case b.Func == "AI_GENERATE":
		if n != 2 {
			return "", false
		}
	default:
		if k, ok := argsBeforeParams[b.Func]; !ok || n != k+1 {
			return "", false
		}
	}
	s, ok := sqlStringLiteral(args[n-1])
	if !ok || !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return "", false
	}
	return s, true
}

// withInfo turns AI_GENERATE_WITH_INFO into AI_GENERATE with provenance.
// written is the version as the call names it ("" for the default): when it
// is not the resolved version's name, it was an alias.
func withInfo(b *functions.Binding, written string) {
	if b.Func != "AI_GENERATE_WITH_INFO" {
		return
	}
	b.Func = "AI_GENERATE"
	b.Info = &functions.Provenance{}
	if written != "" && !strings.EqualFold(written, b.Version.Name) {
		b.Info.Alias = written
	}
}

// outputType is the SQL type of a typed AI_GENERATE, or nil.
func outputType(b *functions.Binding) *outputschema.Type {
	if b.Func != "AI_GENERATE" || b.Remote == nil {
		return nil
	}
	return b.Remote.Client.Endpoint().Output
}

// outputSQL wraps a rewritten AI_GENERATE call whose version (or call) has
// an output type, or that returns provenance, turning the JSON it returns
// into a value of its type.
func outputSQL(b *functions.Binding, call string) string {
	t := outputType(b)
	if b.Info != nil {
		b.Info.Typed = t != nil
		value := `"VARCHAR"`
		if t != nil {
			value = t.Structure()
		}
		st := `{"value":` + value
		for _, f := range functions.InfoFields {
			st += `,"` + f[0] + `":"` + f[1] + `"`
		}
		return "from_json_strict(" + call + ", " + engine.QuoteString(st+"}") + ")"
	}
	if t == nil {
		return call
	}
	return "from_json_strict(" + call + ", " + engine.QuoteString(t.Structure()) + ")"
}

// outputStandIn is the stand-in of a call for outer calls' type signatures:
// the output type's, for a typed AI_GENERATE.
func outputStandIn(b *functions.Binding, standIn string) string {
	t := outputType(b)
	typ := "VARCHAR"
	if t != nil {
		typ = t.String()
	}
	if b.Info != nil {
		typ = "STRUCT(value " + typ
		for _, f := range functions.InfoFields {
			typ += ", " + f[0] + " " + f[1]
		}
		typ += ")"
	} else if t == nil {
		return standIn
	}
	return "(SELECT CAST(NULL AS " + typ + "))"
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
