package llm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/fakellm"
	"github.com/modelsql/modelsql/internal/llm"
)

// The frozen-call options arrive in the request bodies as documented.
func TestFrozenCallOptionsInRequests(t *testing.T) {
	ctx := context.Background()
	s, url := fake(t, fakellm.Options{APIKey: key})
	c := client(t, easOpts(url,
		"SYSTEM_PROMPT", "You are terse.",
		"PROMPT_TEMPLATE", "Summarise in one sentence: {input} (again: {input})",
		"MODEL_PARAMETERS", `{"temperature": 0, "max_tokens": 64, "seed": 7}`))
	per, _ := llm.ParseParams(`{"max_tokens": 8, "top_p": 0.5}`)
	tests := []struct {
		name string
		call func() error
		body string
	}{
		{"generate: system, template, defaults", func() error { _, err := c.Generate(ctx, "hi", nil); return err },
			`{"max_tokens":64,"messages":[{"content":"You are terse.","role":"system"},{"content":"Summarise in one sentence: hi (again: hi)","role":"user"}],"model":"Qwen3-8B","seed":7,"stream":false,"temperature":0}`},
		{"per-call parameters win key by key", func() error { _, err := c.Generate(ctx, "hi", per); return err },
			`{"max_tokens":8,"messages":[{"content":"You are terse.","role":"system"},{"content":"Summarise in one sentence: hi (again: hi)","role":"user"}],"model":"Qwen3-8B","seed":7,"stream":false,"temperature":0,"top_p":0.5}`},
		{"media generate uses the template for the text", func() error {
			_, err := c.GenerateMedia(ctx, llm.Media{Type: llm.MediaImage, URL: "https://x.example/a.jpg"}, "cat?", nil)
			return err
		}, `{"max_tokens":64,"messages":[{"content":"You are terse.","role":"system"},{"content":[{"image_url":{"url":"https://x.example/a.jpg"},"type":"image_url"},{"text":"Summarise in one sentence: cat? (again: cat?)","type":"text"}],"role":"user"}],"model":"Qwen3-8B","seed":7,"stream":false,"temperature":0}`},
		{"task functions keep their own template, no system message; parameters apply", func() error {
			_, err := c.Summarize(ctx, "One. Two.", nil)
			return err
		}, `{"max_tokens":64,"messages":[{"content":` + jsonString(llm.SummarizePrompt("One. Two.")) + `,"role":"user"}],"model":"Qwen3-8B","seed":7,"stream":false,"temperature":0}`},
	}
	for _, tc := range tests {
		if err := tc.call(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := string(last(t, s).Body); got != tc.body {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.body)
		}
	}
	// Embeddings take MODEL_PARAMETERS too (dimensions here), and check them.
	e := client(t, easOpts(url, "MODEL_PARAMETERS", `{"dimensions": 8}`))
	v, err := e.Embed(ctx, "text", nil)
	if err != nil || len(v) != 8 || !strings.Contains(string(last(t, s).Body), `"dimensions":8`) {
		t.Errorf("embedding with MODEL_PARAMETERS dimensions: %d %v %s", len(v), err, last(t, s).Body)
	}
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '<':
			b.WriteString(`\u003c`)
		case '>':
			b.WriteString(`\u003e`)
		case '&':
			b.WriteString(`\u0026`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Every rule of the options, checked when a version is created.
func TestFrozenCallOptionRules(t *testing.T) {
	for _, tc := range []struct{ key, value, err string }{
		{"SYSTEM_PROMPT", "Be brief.", ""},
		{"SYSTEM_PROMPT", "  ", "SYSTEM_PROMPT is empty"},
		{"SYSTEM_PROMPT", strings.Repeat("x", 64<<10+1), "at most 65536"},
		{"PROMPT_TEMPLATE", "Q: {input}", ""},
		{"PROMPT_TEMPLATE", "Q: {prompt}", "must contain {input}"},
		{"PROMPT_TEMPLATE", "", "PROMPT_TEMPLATE is empty"},
		{"MODEL_PARAMETERS", `{"temperature": 0.2, "enable_thinking": false}`, ""},
		{"MODEL_PARAMETERS", `[1]`, "MODEL_PARAMETERS: model_parameters must be a JSON object"},
		{"MODEL_PARAMETERS", `{"temperature": -1}`, `"temperature" must not be negative`},
		{"MODEL_PARAMETERS", `{"messages": []}`, `"messages" is set by modelsql`},
		{"MODEL_PARAMETERS", `{"max_tokens": 0}`, `"max_tokens" must be a positive integer`},
		{"MODEL_PARAMETERS", `{"a": 1} {"b": 2}`, "single JSON object"},
	} {
		_, err := llm.EndpointFromOptions(easOpts("http://127.0.0.1:1", tc.key, tc.value))
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s=%.40q: %v, want %q", tc.key, tc.value, err, tc.err)
		}
	}
}
