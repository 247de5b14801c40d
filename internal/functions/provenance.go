package functions

import (
	"encoding/json"

	"github.com/modelsql/modelsql/internal/llm"
)

// Provenance is what AI_GENERATE_WITH_INFO adds to each value: the model
// version that answered (resolved when the statement was planned; the
// fallback's when it answered), the alias the statement named, attempts and
// tokens. The SQL layer turns the JSON envelope into a STRUCT (InfoFields).
type Provenance struct {
	Alias string // the alias written in the call, "" when a version name or DEFAULT_VERSION
	Typed bool   // the value is the checked JSON of an output type, else text
}

// InfoFields are the envelope's fields after "value", as DuckDB types, in order.
var InfoFields = [][2]string{
	{"model", "VARCHAR"}, {"version", "VARCHAR"}, {"alias", "VARCHAR"}, {"fell_back", "BOOLEAN"},
	{"attempts", "INTEGER"}, {"prompt_tokens", "INTEGER"}, {"completion_tokens", "INTEGER"},
}

// envelope wraps one row's value (text, or the checked JSON of a typed
// output) with its provenance, as JSON.
func (p *Provenance) envelope(v any, info *llm.CallInfo) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	value := json.RawMessage(s)
	if !p.Typed || !json.Valid(value) {
		value, _ = json.Marshal(s)
	}
	var alias any
	if p.Alias != "" {
		alias = p.Alias
	}
	b, err := json.Marshal(map[string]any{
		"value": value, "model": info.Model, "version": info.Version, "alias": alias, "fell_back": info.FellBack,
		"attempts": info.Attempts, "prompt_tokens": info.PromptTokens, "completion_tokens": info.CompletionTokens,
	})
	if err != nil {
		return v
	}
	return string(b)
}
