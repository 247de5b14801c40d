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
		"PAI_EAS_SERVICE_NAME='svc', ENDPOINT='" + url + "', APIKEY='test-key-7c1e', PAI_EAS_SYNC_MODE='true', RETRY_BASE_DELAY_MS='1'"
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

// OUTPUT_SCHEMA sends response_format json_schema and returns typed values;
// a malformed answer is asked again once, then is a schema_violation.
func TestOutputSchemaTypedResults(t *testing.T) {
	llm := fakellm.NewServer(fakellm.Options{})
	hs := httptest.NewServer(llm)
	defer hs.Close()
	data := t.TempDir()
	sql(t, data,
		"CREATE MODEL g WITH VERSION v1 OPTIONS("+remoteVersion(hs.URL, "")+")",
		"ALTER MODEL g ADD VERSION product OPTIONS("+remoteVersion(hs.URL, `OUTPUT_SCHEMA='STRUCT(name VARCHAR, price DOUBLE, tags VARCHAR[])'`)+")",
		"ALTER MODEL g ADD VERSION count OPTIONS("+remoteVersion(hs.URL, `OUTPUT_SCHEMA='INTEGER'`)+")",
		"ALTER MODEL g ADD VERSION flags OPTIONS("+remoteVersion(hs.URL, `OUTPUT_SCHEMA='BOOLEAN[]', API_FLAVOR='openai'`)+")")
	r := run(t, "", "--data", data, "--format", "csv", "-c",
		`SELECT typeof(p) AS t, p.name AS name, p.price AS price, p.tags[2] AS tag2 FROM (SELECT AI_GENERATE(g, product, 'red shoe') AS p)`)
	if r.code != 0 || r.stdout != "t,name,price,tag2\n\"STRUCT(\"\"name\"\" VARCHAR, price DOUBLE, tags VARCHAR[])\",echo: red shoe,2.5,echo: red shoe again\n" {
		t.Errorf("STRUCT output: %d %q %s", r.code, r.stdout, r.stderr)
	}
	req, _ := llm.LastRequest()
	var body struct {
		ResponseFormat struct {
			Type       string
			JSONSchema struct {
				Name   string
				Strict bool
				Schema json.RawMessage
			} `json:"json_schema"`
		} `json:"response_format"`
	}
	json.Unmarshal(req.Body, &body)
	if body.ResponseFormat.Type != "json_schema" || !body.ResponseFormat.JSONSchema.Strict ||
		string(body.ResponseFormat.JSONSchema.Schema) != `{"type":"object","properties":{"name":{"type":"string"},"price":{"type":"number"},"tags":{"type":"array","items":{"type":"string"}}},"required":["name","price","tags"],"additionalProperties":false}` {
		t.Errorf("response_format: %s", req.Body)
	}
	r = run(t, "", "--data", data, "--format", "csv", "-c",
		`SELECT typeof(AI_GENERATE(g, count, 'one two three')) AS t, AI_GENERATE(g, count, 'one two three') + 1 AS n, AI_GENERATE(g, flags, 'a b') AS f`)
	if r.code != 0 || r.stdout != "t,n,f\nINTEGER,4,\"[true,false]\"\n" {
		t.Errorf("scalar and list output: %d %q %s", r.code, r.stdout, r.stderr)
	}
	// Nested: an outer call sees the typed result.
	r = run(t, "", "--data", data, "--format", "csv", "-c", `SELECT AI_GENERATE(g, v1, AI_GENERATE(g, product, 'red shoe').name) AS a`)
	if r.code != 0 || r.stdout != "a\necho: echo: red shoe\n" {
		t.Errorf("nested typed call: %d %q %s", r.code, r.stdout, r.stderr)
	}
	// A per-call output type for a version without one.
	r = run(t, "", "--data", data, "--format", "csv", "-c",
		`SELECT typeof(x) AS t, x AS v FROM (SELECT AI_GENERATE(g, v1, 'a b c d', '{"output_schema": "BIGINT", "temperature": 0}') AS x)`)
	if r.code != 0 || r.stdout != "t,v\nBIGINT,4\n" {
		t.Errorf("per-call output_schema: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if req, _ := llm.LastRequest(); strings.Contains(string(req.Body), "output_schema") || !strings.Contains(string(req.Body), `"temperature":0`) {
		t.Errorf("per-call output_schema was sent to the server: %s", req.Body)
	}
	// A prompt that looks like JSON is a prompt, not model_parameters.
	r = run(t, "", "--data", data, "--format", "csv", "-c", `SELECT AI_GENERATE(g, v1, '{"output_schema": "INT"} is JSON') AS a`)
	if r.code != 0 || r.stdout != "a\n"+`"echo: {""output_schema"": ""INT""} is JSON"`+"\n" {
		t.Errorf("JSON-looking prompt: %d %q %s", r.code, r.stdout, r.stderr)
	}
	// Malformed once: asked again with the error, then answered.
	llm.Reset()
	r = run(t, "", "--data", data, "--format", "csv", "-c", `SELECT AI_GENERATE(g, count, 'x y [[fake:schema-miss]]') AS n`)
	if r.code != 0 || r.stdout != "n\n3\n" {
		t.Errorf("one malformed answer: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if reqs := llm.Requests(); len(reqs) != 2 || !strings.Contains(string(reqs[1].Body), `"role":"assistant"`) || !strings.Contains(string(reqs[1].Body), "does not match the required JSON schema") {
		t.Errorf("correction round: %d requests", len(reqs))
	}
	// Malformed twice: schema_violation; NULL and recorded under on_error='null'.
	r = run(t, "", "--data", data, "-c", `SELECT AI_GENERATE(g, count, 'x [[fake:schema-miss=always]]')`)
	if r.code == 0 || !strings.Contains(r.stderr, "schema violation") || !strings.Contains(r.stderr, "output type INTEGER") {
		t.Errorf("two malformed answers: %d %s", r.code, r.stderr)
	}
	r = run(t, "", "--data", data, "--format", "csv", "-c", "SET modelsql.ai.on_error = 'null'",
		"-c", `SELECT AI_GENERATE(g, count, 'x [[fake:schema-miss=always]]') IS NULL AS isnull`,
		"-c", `SELECT error_class, attempts FROM __modelsql.main.ai_errors`)
	if r.code != 0 || !strings.Contains(r.stdout, "isnull\ntrue\n") || !strings.Contains(r.stdout, "schema_violation,2") {
		t.Errorf("on_error null: %d %q %s", r.code, r.stdout, r.stderr)
	}
	// Checked at ADD VERSION and at planning.
	for _, c := range []struct{ stmt, want string }{
		{"ALTER MODEL g ADD VERSION bad OPTIONS(" + remoteVersion(hs.URL, `OUTPUT_SCHEMA='MAP(VARCHAR, INT)'`) + ")", "OUTPUT_SCHEMA: output type"},
		{"ALTER MODEL g ADD VERSION bad OPTIONS(" + remoteVersion(hs.URL, `MODEL_PARAMETERS='{"output_schema": "INT"}'`) + ")", "give the output type as the option OUTPUT_SCHEMA"},
		{`SELECT AI_GENERATE(g, v1, 'x', '{"output_schema": "STRUCT(a"}')`, "output_schema: output type"},
		{`SELECT AI_SUMMARIZE(g, v1, 'x', '{"output_schema": "INT"}')`, "taken by AI_GENERATE only"},
	} {
		if r := run(t, "", "--data", data, "-c", c.stmt); r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: %d %s", c.stmt, r.code, r.stderr)
		}
	}
}

// A rate-limited primary falls back, once, to FALLBACK (an alias here); the
// failure table says who answered; a loop of fallbacks is refused.
func TestFallback(t *testing.T) {
	limited := fakellm.NewServer(fakellm.Options{Fault: "429"})
	hsA := httptest.NewServer(limited)
	defer hsA.Close()
	good := fakellm.NewServer(fakellm.Options{})
	hsB := httptest.NewServer(good)
	defer hsB.Close()
	data := t.TempDir()
	sql(t, data,
		"CREATE MODEL backup WITH VERSION v1 OPTIONS("+remoteVersion(hsB.URL, "")+")",
		"ALTER MODEL backup VERSION v1 SET ALIAS champion",
		"CREATE MODEL p WITH VERSION v1 OPTIONS("+remoteVersion(hsA.URL, `MAX_ATTEMPTS='2', FALLBACK='backup.champion'`)+")",
		"CREATE MODEL q WITH VERSION v1 OPTIONS("+remoteVersion(hsB.URL, `FALLBACK='backup.v1'`)+")")
	r := run(t, "", "--data", data, "--format", "csv", "-c",
		`SELECT AI_GENERATE(p, v1, 'hello') AS a, AI_CLASSIFY(p, v1, 'today in sports', ARRAY('tech', 'sports')) AS c`)
	if r.code != 0 || r.stdout != "a,c\necho: hello,sports\n" {
		t.Fatalf("fallback answers: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if n := len(limited.Requests()); n != 4 {
		t.Errorf("primary got %d requests, want 2 attempts for each of 2 rows", n)
	}
	if n := len(good.Requests()); n != 2 {
		t.Errorf("fallback got %d requests, want 2 (once per row)", n)
	}
	r = run(t, "", "--data", data, "--format", "csv", "-c", `SELECT model, version, function, error_class, attempts, message FROM __modelsql.main.ai_errors ORDER BY function`)
	if r.code != 0 || strings.Count(r.stdout, "answered by fallback model default.default.backup version v1 after") != 2 ||
		!strings.Contains(r.stdout, "default.default.p,v1,AI_CLASSIFY,rate_limited,2,") {
		t.Errorf("failure records: %q %s", r.stdout, r.stderr)
	}
	// Not for a non-retryable error.
	good.Reset()
	if r := run(t, "", "--data", data, "-c", `SELECT AI_GENERATE(q, v1, 'bad [[fake:400]]')`); r.code == 0 || !strings.Contains(r.stderr, "client error") {
		t.Errorf("400: %d %s", r.code, r.stderr)
	}
	if n := len(good.Requests()); n != 1 {
		t.Errorf("a 400 went to the fallback: %d requests", n)
	}
	// When the fallback fails too, the error names both.
	sql(t, data, "ALTER MODEL backup ADD VERSION down OPTIONS("+remoteVersion(hsA.URL, `MAX_ATTEMPTS='1'`)+")",
		"ALTER MODEL backup VERSION down SET ALIAS champion")
	if r := run(t, "", "--data", data, "-c", `SELECT AI_GENERATE(p, v1, 'hello')`); r.code == 0 || !strings.Contains(r.stderr, "after model default.default.p version v1 failed: rate_limited") {
		t.Errorf("both fail: %d %s", r.code, r.stderr)
	}
	// Loops are refused when they would form; other rules at CREATE/ADD VERSION.
	sql(t, data, "ALTER MODEL backup ADD VERSION v2 OPTIONS("+remoteVersion(hsB.URL, `FALLBACK='p.v1'`)+")")
	for _, c := range []struct{ stmt, want string }{
		{"ALTER MODEL backup VERSION v2 SET ALIAS champion", "FALLBACK would loop: default.default.backup.v2 -> default.default.p.v1 -> default.default.backup.v2"},
		{"ALTER MODEL p ADD VERSION v2 OPTIONS(" + remoteVersion(hsB.URL, `FALLBACK='p.v2'`) + ")", "version v2 of model default.default.p does not exist"},
		{"ALTER MODEL p ADD VERSION v2 OPTIONS(" + remoteVersion(hsB.URL, `FALLBACK='backup'`) + ")", "must be 'model.version'"},
		{"ALTER MODEL p ADD VERSION v2 OPTIONS(" + remoteVersion(hsB.URL, `FALLBACK='backup.DEFAULT_VERSION'`) + ")", "not DEFAULT_VERSION"},
		{"ALTER MODEL p ADD VERSION v2 OPTIONS(" + strings.Replace(remoteVersion(hsB.URL, `FALLBACK='backup.v1'`), "text-generation", "sentence-embedding", 1) + ")", "must serve the same task"},
	} {
		if r := run(t, "", "--data", data, "-c", c.stmt); r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: %d %s", c.stmt, r.code, r.stderr)
		}
	}
}

// AI_GENERATE_WITH_INFO returns the value with the model version that
// answered, the alias used, attempts and tokens.
func TestGenerateWithInfo(t *testing.T) {
	limited := fakellm.NewServer(fakellm.Options{Fault: "503"})
	hsA := httptest.NewServer(limited)
	defer hsA.Close()
	llm := fakellm.NewServer(fakellm.Options{})
	hs := httptest.NewServer(llm)
	defer hs.Close()
	data := t.TempDir()
	sql(t, data,
		"CREATE MODEL g WITH VERSION v1 OPTIONS("+remoteVersion(hs.URL, "")+")",
		"ALTER MODEL g ADD VERSION count OPTIONS("+remoteVersion(hs.URL, `OUTPUT_SCHEMA='INTEGER'`)+")",
		"ALTER MODEL g VERSION v1 SET ALIAS champion",
		"CREATE MODEL p WITH VERSION v1 OPTIONS("+remoteVersion(hsA.URL, `MAX_ATTEMPTS='3', FALLBACK='g.champion'`)+")")
	r := run(t, "", "--data", data, "--format", "csv", "-c",
		`SELECT r.value, r.model, r.version, r.alias, r.fell_back, r.attempts, r.prompt_tokens, r.completion_tokens FROM (SELECT AI_GENERATE_WITH_INFO(g, champion, 'hi there') AS r)`)
	if r.code != 0 || r.stdout != "value,model,version,alias,fell_back,attempts,prompt_tokens,completion_tokens\necho: hi there,default.default.g,v1,champion,false,1,2,3\n" {
		t.Errorf("text with info: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "", "--data", data, "--format", "csv", "-c",
		`SELECT typeof(r.value) AS t, r.value + 1 AS n, r.alias IS NULL AS no_alias, r.version FROM (SELECT AI_GENERATE_WITH_INFO(g, count, 'a b c') AS r)`)
	if r.code != 0 || r.stdout != "t,n,no_alias,version\nINTEGER,4,true,count\n" {
		t.Errorf("typed with info: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "", "--data", data, "--format", "csv", "-c",
		`SELECT r.value, r.model, r.version, r.fell_back, r.attempts FROM (SELECT AI_GENERATE_WITH_INFO(p, DEFAULT_VERSION, '{"x": 1}') AS r)`)
	if r.code != 0 || r.stdout != "value,model,version,fell_back,attempts\n"+`"echo: {""x"": 1}",default.default.g,v1,true,4`+"\n" {
		t.Errorf("fallback with info: %d %q %s", r.code, r.stdout, r.stderr)
	}
	// Stored with CREATE TABLE ... AS, the provenance stays with each value.
	r = run(t, "", "--data", data, "--format", "csv", "-c",
		`CREATE TABLE answers AS SELECT i, AI_GENERATE_WITH_INFO(g, champion, 'q' || i) AS r FROM range(3) t(i)`,
		"-c", `SELECT count(*), count(DISTINCT r.version), min(r.alias) FROM answers`)
	if r.code != 0 || !strings.Contains(r.stdout, "3,1,champion") {
		t.Errorf("stored provenance: %d %q %s", r.code, r.stdout, r.stderr)
	}
}

// Over the server, typed AI_GENERATE results and provenance are described
// and returned like any STRUCT or scalar.
func TestTypedOutputOverServer(t *testing.T) {
	requirePsql(t)
	llm := fakellm.NewServer(fakellm.Options{})
	hs := httptest.NewServer(llm)
	defer hs.Close()
	data := t.TempDir()
	sql(t, data,
		"CREATE MODEL g WITH VERSION product OPTIONS("+remoteVersion(hs.URL, `OUTPUT_SCHEMA='STRUCT(name VARCHAR, price DOUBLE)'`)+")",
		"ALTER MODEL g VERSION product SET ALIAS champion")
	addUser(t, data, "admin", "admin-pw", true)
	s := serve(t, data)
	r := s.psql(t, "admin", "admin-pw", "default", nil, "-A", "-t", "-F", ",", "-c",
		`SELECT p.name, p.price * 2, i.alias, i.version FROM (SELECT AI_GENERATE(g, champion, 'red shoe') AS p, AI_GENERATE_WITH_INFO(g, champion, 'x') AS i)`)
	if r.code != 0 || r.out != "echo: red shoe,5,champion,product\n" {
		t.Errorf("typed output over the server: %d %q %s", r.code, r.out, r.err)
	}
}
