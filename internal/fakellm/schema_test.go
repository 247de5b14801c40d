package fakellm

import (
	"encoding/json"
	"strings"
	"testing"
)

// Requests with response_format json_schema get JSON of the schema;
// [[fake:schema-miss]] spoils the first round only, =always every round.
func TestSchemaAnswers(t *testing.T) {
	_, url := newTest(t, Options{})
	const schema = `{"type":"object","properties":{"name":{"type":"string"},"n":{"type":"integer"},"p":{"type":"number"},"ok":{"type":"boolean"},"d":{"type":"string","format":"date"},"tags":{"type":"array","items":{"type":"string"}}},"required":["name"]}`
	body := func(prompt string, followup bool) string {
		msgs := `[{"role":"user","content":` + jsonText(prompt) + `}`
		if followup {
			msgs += `,{"role":"assistant","content":"bad"},{"role":"user","content":"fix it"}`
		}
		return `{"model":"m","messages":` + msgs + `],"response_format":{"type":"json_schema","json_schema":{"name":"output","schema":` + schema + `}}}`
	}
	content := func(resp string) string {
		var r struct {
			Choices []struct{ Message struct{ Content string } }
		}
		if err := json.Unmarshal([]byte(resp), &r); err != nil || len(r.Choices) == 0 {
			t.Fatalf("response %s: %v", resp, err)
		}
		return r.Choices[0].Message.Content
	}
	for _, c := range []struct {
		prompt   string
		followup bool
		want     string
	}{
		{"red shoe", false, `{"d":"2024-01-02","n":2,"name":"echo: red shoe","ok":true,"p":2.5,"tags":["echo: red shoe","echo: red shoe again"]}`},
		{"a [[fake:schema-miss]]", false, `Sure! {"oops": `},
		{"a [[fake:schema-miss]]", true, `{"d":"2024-01-02","n":2,"name":"echo: a [[fake:schema-miss]]","ok":true,"p":2.5,"tags":["echo: a [[fake:schema-miss]]","echo: a [[fake:schema-miss]] again"]}`},
		{"a [[fake:schema-miss=always]]", true, `Sure! {"oops": `},
	} {
		st, _, resp := post(t, url+"/v1/chat/completions", "", body(c.prompt, c.followup))
		if got := content(resp); st != 200 || got != c.want {
			t.Errorf("%q (followup %v): %d %s, want %s", c.prompt, c.followup, st, got, c.want)
		}
	}
	// Without response_format the directive does nothing.
	if _, _, resp := post(t, url+"/v1/chat/completions", "", `{"model":"m","messages":[{"role":"user","content":"x [[fake:schema-miss]]"}]}`); !strings.HasPrefix(content(resp), "echo: x") {
		t.Errorf("schema-miss without response_format: %s", resp)
	}
}

func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
