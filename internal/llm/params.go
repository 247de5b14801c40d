package llm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Params are the model_parameters of an AI function: a JSON object whose
// keys are copied into the request body (max_tokens, temperature, top_p,
// dimensions, and anything else the server understands). The keys the
// client sets itself (model, messages, stream, input) cannot be overridden.
type Params map[string]json.RawMessage

// reservedParams are body keys the client owns.
var reservedParams = map[string]bool{"model": true, "messages": true, "stream": true, "input": true}

// ParseParams parses a model_parameters string. "" (or only spaces) gives
// nil. Anything but a JSON object, reserved keys and ill-typed well-known
// keys are an invalid_argument *Error, so a constant can be checked at
// planning time.
func ParseParams(s string) (Params, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil || m == nil {
		msg := "model_parameters must be a JSON object"
		if err != nil {
			msg += ": " + err.Error()
		}
		return nil, &Error{Class: ClassInvalidArgument, Message: excerpt(msg)}
	}
	if dec.More() {
		return nil, &Error{Class: ClassInvalidArgument, Message: "model_parameters must be a single JSON object"}
	}
	p := Params(m)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Validate checks reserved keys and the types of well-known keys.
func (p Params) Validate() error {
	bad := func(format string, a ...any) error {
		return &Error{Class: ClassInvalidArgument, Message: excerpt("model_parameters: " + fmt.Sprintf(format, a...))}
	}
	for _, k := range sortedKeys(p) {
		v := p[k]
		if reservedParams[k] {
			return bad("%q is set by modelsql and cannot be given", k)
		}
		switch k {
		case ParamOutputSchema:
			if _, err := ParamsOutputSchema(Params{k: v}); err != nil {
				return err
			}
		case "max_tokens", "max_completion_tokens", "dimensions", "n", "top_k", "seed":
			var n int64
			if json.Unmarshal(v, &n) != nil || (k != "seed" && n < 1) {
				return bad("%q must be a positive integer, got %s", k, v)
			}
			if k == "n" && n != 1 {
				return bad(`"n" must be 1`)
			}
		case "temperature", "top_p", "presence_penalty", "frequency_penalty", "repetition_penalty":
			var f float64
			if json.Unmarshal(v, &f) != nil {
				return bad("%q must be a number, got %s", k, v)
			}
			if (k == "temperature" || k == "top_p") && f < 0 {
				return bad("%q must not be negative, got %s", k, v)
			}
		}
	}
	return nil
}

// Dimensions returns the "dimensions" parameter when present.
func (p Params) Dimensions() (int, bool) {
	v, ok := p["dimensions"]
	if !ok {
		return 0, false
	}
	var n int
	if json.Unmarshal(v, &n) != nil {
		return 0, false
	}
	return n, true
}

// WithDefault returns a copy of p with key set to value unless p already
// has key (e.g. the session's embedding dimension under "dimensions").
func (p Params) WithDefault(key string, value any) Params {
	if _, ok := p[key]; ok {
		return p
	}
	b, err := json.Marshal(value)
	if err != nil {
		return p
	}
	q := make(Params, len(p)+1)
	for k, v := range p {
		q[k] = v
	}
	q[key] = b
	return q
}

// String renders p as compact JSON with sorted keys.
func (p Params) String() string {
	if p == nil {
		return "{}"
	}
	b, _ := json.Marshal(map[string]json.RawMessage(p))
	var c bytes.Buffer
	if json.Compact(&c, b) != nil {
		return string(b)
	}
	return c.String()
}

// body builds a request body: the params first, then the client's keys.
func (p Params) body(fixed map[string]any) ([]byte, error) {
	m := make(map[string]json.RawMessage, len(p)+len(fixed))
	for k, v := range p {
		if !reservedParams[k] && k != ParamOutputSchema {
			m[k] = v
		}
	}
	for k, v := range fixed {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		m[k] = b
	}
	return json.Marshal(m)
}
