package llm

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/modelsql/modelsql/internal/outputschema"
)

// OptOutputSchema is a REMOTE version's typed output for AI_GENERATE: a
// DuckDB type (package outputschema). modelsql's own option.
const OptOutputSchema = "OUTPUT_SCHEMA"

// ParamOutputSchema is the model_parameters key giving AI_GENERATE an output
// type per call (for versions without OUTPUT_SCHEMA, or to override it). It
// is modelsql's, never sent to the server.
const ParamOutputSchema = "output_schema"

// ClassSchemaViolation: the answer did not match the output type, even
// when asked once more with the error.
const ClassSchemaViolation ErrorClass = "schema_violation"

// Message is one extra chat message (the correction round of a typed answer).
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// GenerateResult is one AI_GENERATE answer with what produced it.
type GenerateResult struct {
	// Content is the answer; with an output type, the checked canonical JSON.
	Content                        string
	Attempts                       int // HTTP attempts, correction round included
	PromptTokens, CompletionTokens int
	Model, Version                 string // the model version that answered (the fallback's, when it did)
	FellBack                       bool
}

// ParamsOutputSchema returns the per-call output type of p, if any.
func ParamsOutputSchema(p Params) (*outputschema.Type, error) {
	raw, ok := p[ParamOutputSchema]
	if !ok {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, &Error{Class: ClassInvalidArgument, Message: excerpt(`model_parameters: "output_schema" must be a string holding a DuckDB type`)}
	}
	t, err := outputschema.Parse(s)
	if err != nil {
		return nil, &Error{Class: ClassInvalidArgument, Message: excerpt("model_parameters: output_schema: " + err.Error())}
	}
	return t, nil
}

// OutputSchema is the type AI_GENERATE returns with these per-call
// parameters: theirs, else the endpoint's Output (the version's
// OUTPUT_SCHEMA, or the type the SQL layer fixed when it planned the
// statement), else nil (text). A per-call type other than a set Output is
// refused: SQL fixes the result type before any row is read.
func (e Endpoint) OutputSchema(p Params) (*outputschema.Type, error) {
	t, err := ParamsOutputSchema(p)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return e.Output, nil
	}
	if e.Output != nil && t.String() != e.Output.String() {
		return nil, &Error{Class: ClassInvalidArgument, Message: excerpt(fmt.Sprintf(
			"model_parameters: output_schema %s differs from the output type %s fixed when the statement was planned; give it as a constant", t, e.Output))}
	}
	return t, nil
}

// GenerateInfo is AI_GENERATE with its provenance. media is nil for a text
// model. With an output type the answer is asked for as response_format
// json_schema, checked, and asked for once more with the error when it does
// not match; a second mismatch is a schema_violation error.
func (c *Client) GenerateInfo(ctx context.Context, media *Media, prompt string, params Params) (GenerateResult, error) {
	res, err := c.generateOnce(ctx, media, prompt, params)
	if err != nil && c.fallsBack(ctx, err) {
		// The fallback version calls its model its own way (its template,
		// system prompt and parameters), with the same output type.
		fb, fbErr := c.fallback.generateOnce(ctx, media, prompt, params)
		fb.Attempts += res.Attempts
		fb.FellBack = true
		info(ctx).fellBack(err, fb.Model, fb.Version)
		if fbErr != nil {
			return fb, c.fallbackFailed(err, fbErr)
		}
		res, err = fb, nil
	}
	info(ctx).add(res.Model, res.Version, res.Attempts, res.PromptTokens, res.CompletionTokens)
	return res, err
}

func (c *Client) generateOnce(ctx context.Context, media *Media, prompt string, params Params) (GenerateResult, error) {
	schema, err := c.ep.OutputSchema(params)
	if err != nil {
		return GenerateResult{}, c.annotate("generate", err)
	}
	req := ChatRequest{System: c.ep.SystemPrompt, Prompt: c.ep.ApplyTemplate(prompt), Media: media, Params: params}
	res := GenerateResult{Model: c.ep.Model, Version: c.ep.Version}
	add := func(r ChatResult) {
		res.Attempts += r.Attempts
		res.PromptTokens += r.PromptTokens
		res.CompletionTokens += r.CompletionTokens
	}
	if schema == nil {
		r, err := c.chatOnce(ctx, "generate", req)
		add(r)
		res.Content = r.Content
		return res, err
	}
	req.ResponseFormat = map[string]any{"type": "json_schema", "json_schema": map[string]any{
		"name": "output", "strict": true, "schema": schema.JSONSchema()}}
	r, err := c.chatOnce(ctx, "generate", req)
	add(r)
	if err != nil {
		return res, err
	}
	out, cerr := schema.Check(stripThink(r.Content))
	if cerr == nil {
		res.Content = out
		return res, nil
	}
	req.Followup = []Message{
		{Role: "assistant", Content: r.Content},
		{Role: "user", Content: fmt.Sprintf("Your answer does not match the required JSON schema: %s. Reply again with only the corrected JSON.", cerr)},
	}
	r, err = c.chatOnce(ctx, "generate", req)
	add(r)
	if err != nil {
		return res, err
	}
	if out, cerr = schema.Check(stripThink(r.Content)); cerr != nil {
		return res, c.newError("generate", ClassSchemaViolation, 0, res.Attempts,
			fmt.Sprintf("answer does not match output type %s, also when asked again: %v", schema, cerr), nil)
	}
	res.Content = out
	return res, nil
}
