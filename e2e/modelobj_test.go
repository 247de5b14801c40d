package e2e

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/fakellm"
)

// remoteVersion returns the OPTIONS of a REMOTE version on the test server, plus extra.
func remoteVersion(url, extra string) string {
	o := "MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', TASKS='text-generation', PAI_EAS_MODEL_NAME='Qwen3-0.6B', " +
		"PAI_EAS_SERVICE_NAME='svc', ENDPOINT='" + url + "', APIKEY='k', PAI_EAS_SYNC_MODE='true', RETRY_BASE_DELAY_MS='1'"
	if extra != "" {
		o += ", " + extra
	}
	return o
}

// A version's SYSTEM_PROMPT, PROMPT_TEMPLATE and MODEL_PARAMETERS arrive
// in the request body as documented; an alias reproduces them; per-call
// model_parameters win key by key.
func TestFrozenVersionRequests(t *testing.T) {
	llm := fakellm.NewServer(fakellm.Options{})
	hs := httptest.NewServer(llm)
	defer hs.Close()
	data := t.TempDir()
	sql(t, data,
		"CREATE MODEL g WITH VERSION v1 OPTIONS("+remoteVersion(hs.URL, "")+")",
		"ALTER MODEL g ADD VERSION v2 OPTIONS("+remoteVersion(hs.URL,
			`SYSTEM_PROMPT='You are terse.', PROMPT_TEMPLATE='Summarise in one sentence: {input}', MODEL_PARAMETERS='{"temperature": 0, "max_tokens": 32}'`)+")",
		"ALTER MODEL g VERSION v2 SET ALIAS champion")
	out := sql(t, data, `SELECT AI_GENERATE(g, champion, 'data warehouses', '{"max_tokens": 5}') AS a`)
	req, _ := llm.LastRequest()
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatal(err)
	}
	msgs, _ := json.Marshal(body["messages"])
	if string(msgs) != `[{"content":"You are terse.","role":"system"},{"content":"Summarise in one sentence: data warehouses","role":"user"}]` {
		t.Errorf("messages: %s", msgs)
	}
	if body["temperature"] != 0.0 || body["max_tokens"] != 5.0 {
		t.Errorf("parameters (version defaults under per-call): %s", req.Body)
	}
	if !strings.Contains(out, "echo: Summarise in one sentence:") {
		t.Errorf("answer: %s", out)
	}
	// v1 has none of it.
	sql(t, data, `SELECT AI_GENERATE(g, v1, 'plain') AS a`)
	req, _ = llm.LastRequest()
	if string(req.Body) != `{"messages":[{"content":"plain","role":"user"}],"model":"Qwen3-0.6B","stream":false}` {
		t.Errorf("v1 body: %s", req.Body)
	}
	// Checked at ADD VERSION.
	for _, c := range []struct{ opt, want string }{
		{`PROMPT_TEMPLATE='no placeholder'`, "must contain {input}"},
		{`MODEL_PARAMETERS='{"temperature": -2}'`, "must not be negative"},
		{`MODEL_PARAMETERS='{"model": "x"}'`, `"model" is set by modelsql`},
	} {
		r := run(t, "", "--data", data, "-c", "ALTER MODEL g ADD VERSION v9 OPTIONS("+remoteVersion(hs.URL, c.opt)+")")
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: %d %s", c.opt, r.code, r.stderr)
		}
	}
	// DESC shows the options.
	if d := sql(t, data, "DESC MODEL g VERSION champion"); !strings.Contains(d, "Option.PROMPT_TEMPLATE") || !strings.Contains(d, "Summarise in one sentence: {input}") {
		t.Errorf("DESC: %s", d)
	}
}
