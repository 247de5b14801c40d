package fakellm

import (
	"encoding/json"
	"strings"
)

// SchemaAnswer is the deterministic answer to a chat request with
// response_format json_schema: a JSON value of the schema built from the
// prompt. Strings are "echo: <prompt>", integers the prompt's word count,
// numbers that count plus 0.5, booleans whether the count is even, arrays
// two items, dates 2024-01-02 and date-times 2024-01-02T03:04:05Z. A schema
// it cannot read gives "{}".
func SchemaAnswer(schema json.RawMessage, prompt string) string {
	var s map[string]any
	if json.Unmarshal(schema, &s) != nil {
		return "{}"
	}
	b, err := json.Marshal(schemaValue(s, prompt, 0))
	if err != nil {
		return "{}"
	}
	return string(b)
}

func schemaValue(s map[string]any, prompt string, depth int) any {
	if depth > 32 {
		return nil
	}
	n := len(strings.Fields(prompt))
	switch s["type"] {
	case "string":
		switch s["format"] {
		case "date":
			return "2024-01-02"
		case "date-time":
			return "2024-01-02T03:04:05Z"
		}
		return Generate(prompt, nil)
	case "integer":
		return n
	case "number":
		return float64(n) + 0.5
	case "boolean":
		return n%2 == 0
	case "array":
		item, _ := s["items"].(map[string]any)
		return []any{schemaValue(item, prompt, depth+1), schemaValue(item, prompt+" again", depth+1)}
	case "object":
		props, _ := s["properties"].(map[string]any)
		out := make(map[string]any, len(props))
		for k, v := range props {
			sub, _ := v.(map[string]any)
			out[k] = schemaValue(sub, prompt, depth+1)
		}
		return out
	}
	return nil
}
