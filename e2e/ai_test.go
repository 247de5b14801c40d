package e2e

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/fakellm"
)

const llmKey = "eas-token-7f3a9c"

// llmFixture is a data directory with remote models pointing at an
// in-process fake PAI-EAS server whose requests the test can inspect.
type llmFixture struct {
	data string
	srv  *fakellm.Server
	url  string
}

func newLLMFixture(t *testing.T) *llmFixture {
	t.Helper()
	srv := fakellm.NewServer(fakellm.Options{APIKey: llmKey})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	f := &llmFixture{data: t.TempDir(), srv: srv, url: hs.URL}
	// Public models, as MaxCompute's bigdata_public_modelset offers them.
	pub := map[string]any{"models": []any{
		publicModel("qwen3-max", "LLM", "text-generation", hs.URL, "qwen3-max"),
		publicModel("Qwen3-0.6B-GGUF", "LLM", "text-generation", hs.URL, "Qwen3-0.6B"),
		publicModel("text-embedding-v4", "LLM", "sentence-embedding", hs.URL, "text-embedding-v4"),
		publicModel("Qwen3-VL-8B-Instruct", "MLLM", "image-text-to-text", hs.URL, "Qwen3-VL-8B"),
	}}
	b, _ := json.Marshal(pub)
	if err := os.WriteFile(filepath.Join(f.data, "public_models.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PUBLIC_MODEL_KEY", llmKey)
	sql(t, f.data,
		"CREATE MODEL gen WITH VERSION v1 OPTIONS("+f.remote("LLM", "text-generation", "chat_svc", "qwen-chat", "")+")",
		"CREATE MODEL emb WITH VERSION v1 OPTIONS("+f.remote("LLM", "sentence-embedding", "emb_svc", "bge", "")+")",
		"CREATE MODEL vl WITH VERSION v1 INPUT(image BINARY, prompt STRING) OPTIONS("+f.remote("MLLM", "image-text-to-text", "grp.vl_svc", "qwen-vl", "")+")",
		"CREATE MODEL oai WITH VERSION v1 OPTIONS("+f.remote("LLM", "chat", "unused", "llama3", ", API_FLAVOR='openai'")+")",
	)
	return f
}

func publicModel(name, typ, tasks, url, served string) map[string]any {
	return map[string]any{"name": name, "model_type": typ, "versions": []any{map[string]any{
		"name": "v1", "options": map[string]string{"TASKS": tasks, "ENDPOINT": url, "PAI_EAS_SERVICE_NAME": "public",
			"PAI_EAS_MODEL_NAME": served, "PAI_EAS_SYNC_MODE": "true", "APIKEY_ENV": "PUBLIC_MODEL_KEY"}}}}
}

func (f *llmFixture) remote(typ, tasks, service, served, extra string) string {
	endpoint := f.url
	if strings.Contains(extra, "openai") {
		endpoint += "/v1"
	}
	return fmt.Sprintf(`MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='%s', TASKS='%s', PAI_EAS_MODEL_NAME='%s',
		PAI_EAS_SERVICE_NAME='%s', ENDPOINT='%s', APIKEY='%s', PAI_EAS_SYNC_MODE='true', MAX_ATTEMPTS='3',
		RETRY_BASE_DELAY_MS='5', RETRY_MAX_DELAY_MS='50'%s`, typ, tasks, served, service, endpoint, llmKey, extra)
}

func (f *llmFixture) query(t *testing.T, q string) [][]string {
	t.Helper()
	return csvRows(t, f.data, q)
}

// The AI function examples of the MaxCompute documentation, verbatim.
func TestDocumentedAIExamples(t *testing.T) {
	f := newLLMFixture(t)
	r := run(t, "", "--data", f.data, "--format", "jsonl", "-c", `SET odps.namespace.schema=true;
SELECT AI_EMBEDDING(bigdata_public_modelset.default.`+"`text-embedding-v4`"+`, DEFAULT_VERSION,
                    'MaxCompute (formerly ODPS) is ...') AS embedding;`)
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	var row struct{ Embedding []float32 }
	if err := json.Unmarshal([]byte(r.stdout), &row); err != nil || len(row.Embedding) != 1024 {
		t.Fatalf("embedding: %v %d %s", err, len(row.Embedding), r.stdout)
	}
	want := fakellm.Vector("MaxCompute (formerly ODPS) is ...", 1024)
	for i := range want {
		if row.Embedding[i] != want[i] {
			t.Fatalf("embedding[%d] = %v, want %v", i, row.Embedding[i], want[i])
		}
	}
	r = run(t, "", "--data", f.data, "--format", "jsonl", "-c", `SET odps.namespace.schema=true; SET odps.sql.ai.embedding.dimension = 256;
SELECT AI_EMBEDDING(bigdata_public_modelset.default.`+"`text-embedding-v4`"+`, DEFAULT_VERSION, 'abc') AS embedding;`)
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &row) != nil || len(row.Embedding) != 256 {
		t.Fatalf("dimension 256: %s %s", r.stdout, r.stderr)
	}
	rows := f.query(t, `SET odps.task.major.version=sql_modelstudio; SET odps.namespace.schema=true;
SELECT AI_CLASSIFY(bigdata_public_modelset.default.`+"`qwen3-max`"+`, DEFAULT_VERSION, 'The team won the championship after a dramatic final', ARRAY('tech','sports','finance','medical','education')) AS label;`)
	if len(rows) != 1 || !strings.Contains("tech sports finance medical education", rows[0][0]) || rows[0][0] == "" {
		t.Fatalf("AI_CLASSIFY: %v", rows)
	}
	r = run(t, "", "--data", f.data, "--format", "jsonl", "-c", `SET odps.namespace.schema=true;
SELECT AI_EXTRACT(bigdata_public_modelset.default.`+"`qwen3-max`"+`, DEFAULT_VERSION, 'Alice moved to Hangzhou in 2021 to work for Alibaba', ARRAY('person','city','company')) AS info;`)
	var ext struct{ Info string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &ext) != nil {
		t.Fatalf("AI_EXTRACT: %s %s", r.stdout, r.stderr)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(ext.Info), &obj); err != nil || len(obj) != 3 {
		t.Fatalf("AI_EXTRACT result is not a JSON object with every label: %q", ext.Info)
	}
	rows = f.query(t, `SET odps.sql.using.public.model=true;
SELECT AI_GENERATE(bigdata_public_modelset.default.`+"`Qwen3-0.6B-GGUF`"+`, DEFAULT_VERSION, 'Write a haiku about data');`)
	if len(rows) != 1 || rows[0][0] != fakellm.Generate("Write a haiku about data", nil) {
		t.Fatalf("AI_GENERATE: %v", rows)
	}
	// MLLM with a URL and a type, as in the 2026 documentation.
	rows = f.query(t, `SELECT AI_GENERATE(bigdata_public_modelset.default.`+"`Qwen3-VL-8B-Instruct`"+`, DEFAULT_VERSION, 'https://example.com/cat.jpg', 'What is in the picture?', 'IMAGE')`)
	if len(rows) != 1 || rows[0][0] == "" {
		t.Fatalf("MLLM URL: %v", rows)
	}
	// Public models are listed only when asked for.
	if rows := f.query(t, "SHOW MODELS IN bigdata_public_modelset"); len(rows) != 4 {
		t.Fatalf("SHOW MODELS IN bigdata_public_modelset: %v", rows)
	}
	if rows := f.query(t, "SHOW MODELS"); len(rows) != 4 || strings.Contains(fmt.Sprint(rows), "qwen3-max") {
		t.Fatalf("SHOW MODELS lists public models: %v", rows)
	}
}

// The exact request a PAI-EAS service receives, and the OpenAI flavour.
func TestRemoteRequestShape(t *testing.T) {
	f := newLLMFixture(t)
	f.query(t, `SELECT AI_GENERATE(gen, v1, 'hello', '{"max_tokens": 7, "temperature": 0.2, "top_p": 0.9, "seed": 42}')`)
	reqs := f.srv.Requests()
	last := reqs[len(reqs)-1]
	if last.Path != "/api/predict/chat_svc/v1/chat/completions" || last.Header.Get("Authorization") != llmKey {
		t.Fatalf("EAS request: %s auth %q", last.Path, last.Header.Get("Authorization"))
	}
	var body map[string]any
	json.Unmarshal(last.Body, &body)
	if body["model"] != "qwen-chat" || body["max_tokens"] != 7.0 || body["temperature"] != 0.2 || body["top_p"] != 0.9 || body["seed"] != 42.0 {
		t.Fatalf("EAS body: %s", last.Body)
	}
	msgs, _ := body["messages"].([]any)
	if len(msgs) == 0 || !strings.Contains(string(last.Body), `"content":"hello"`) {
		t.Fatalf("messages: %s", last.Body)
	}

	f.query(t, `SELECT AI_GENERATE(oai, v1, 'hi there')`)
	reqs = f.srv.Requests()
	last = reqs[len(reqs)-1]
	if last.Path != "/v1/chat/completions" || last.Header.Get("Authorization") != "Bearer "+llmKey {
		t.Fatalf("OpenAI request: %s auth %q", last.Path, last.Header.Get("Authorization"))
	}

	// A group.service name addresses one service of a group.
	png := "89504E470D0A1A0A0000000D49484452"
	f.query(t, `SELECT AI_GENERATE(vl, v1, from_hex('`+png+`'), 'describe')`)
	reqs = f.srv.Requests()
	last = reqs[len(reqs)-1]
	if last.Path != "/api/predict/grp.vl_svc/v1/chat/completions" || !strings.Contains(string(last.Body), "data:image/png;base64,iVBORw0KGgo") {
		t.Fatalf("MLLM binary request: %s %s", last.Path, last.Body)
	}

	f.query(t, `SELECT AI_EMBEDDING(emb, v1, 'vector me', '{"dimensions": 8}')`)
	reqs = f.srv.Requests()
	last = reqs[len(reqs)-1]
	if last.Path != "/api/predict/emb_svc/v1/embeddings" || !strings.Contains(string(last.Body), `"dimensions":8`) {
		t.Fatalf("embeddings request: %s %s", last.Path, last.Body)
	}
}

func TestAIFunctionsOverTables(t *testing.T) {
	f := newLLMFixture(t)
	sql(t, f.data, `CREATE TABLE reviews AS SELECT * FROM (VALUES (1, 'I love it'), (2, NULL), (3, ''), (4, 'terrible service')) t(id, txt)`)
	rows := f.query(t, `SELECT id, AI_SENTIMENT(gen, v1, txt) AS s, AI_SUMMARIZE(gen, DEFAULT_VERSION, txt) AS su,
		AI_TRANSLATE(gen, v1, txt, 'French') AS tr, length(AI_EMBEDDING(emb, v1, txt)) AS dims
		FROM reviews ORDER BY id`)
	if len(rows) != 4 {
		t.Fatalf("rows: %v", rows)
	}
	for _, r := range rows {
		empty := r[0] == "2" || r[0] == "3"
		if empty != (r[1] == "") || empty != (r[4] == "") {
			t.Fatalf("NULL/empty input must give NULL and only then: %v", r)
		}
		if !empty && !strings.Contains("positive negative neutral mixed", r[1]) {
			t.Fatalf("sentiment %q", r[1])
		}
	}
	if rows[0][3] != fakellm.Translate("I love it", "French") {
		t.Fatalf("translate: %v", rows[0])
	}
	// Similarity of a text with itself through embeddings.
	if rows := f.query(t, `SELECT round(AI_SIMILARITY(emb, v1, 'same text', 'same text'), 6)`); rows[0][0] != "1" {
		t.Fatalf("similarity: %v", rows)
	}
	// Labels from a column.
	if rows := f.query(t, `SELECT AI_CLASSIFY(gen, v1, 'stock prices fell', l) FROM (SELECT ['finance', 'sports'] AS l)`); rows[0][0] != "finance" && rows[0][0] != "sports" {
		t.Fatalf("column labels: %v", rows)
	}
}

func TestAIPlanningErrors(t *testing.T) {
	f := newLLMFixture(t)
	before := len(f.srv.Requests())
	cases := []struct{ q, want string }{
		{`SELECT AI_CLASSIFY(gen, v1, 'x', ARRAY('only'))`, "labels must hold 2 to 20 labels, got 1"},
		{`SELECT AI_EXTRACT(gen, v1, 'x', ARRAY[])`, "1 to 20"},
		{`SELECT AI_CLASSIFY(gen, v1, 'x', ARRAY('a','b','c','d','e','f','g','h','i','j','k','l','m','n','o','p','q','r','s','t','u'))`, "got 21"},
		{`SELECT AI_GENERATE(gen, v1, 42)`, "takes (model, version, prompt STRING"},
		{`SELECT AI_GENERATE(gen, v1, 'x', '{not json')`, "model_parameters"},
		{`SELECT AI_EMBEDDING(gen, v1, 'x')`, "TASKS are text-generation"},
		{`SELECT AI_GENERATE(emb, v1, 'x')`, "TASKS are sentence-embedding"},
		{`SELECT AI_GENERATE(nosuch, v1, 'x')`, "does not exist"},
		{`SELECT AI_GENERATE(gen, v9, 'x')`, "version v9 of model default.default.gen does not exist"},
		{`SELECT AI_GENERATE(vl, v1, 'https://x/y.jpg', 'p', 'SMELL')`, "type must be 'IMAGE', 'AUDIO' or 'VIDEO'"},
		{`SELECT ML_PREDICT(gen, v1, 1)`, "ML_PREDICT needs a BOOSTED_TREE"},
		{`SELECT AI_GENERATE(bigdata_public_modelset.default.` + "`Qwen3-VL-8B-Instruct`" + `, v1, from_hex('89504E47'), 'describe')`, "declares no BINARY input"},
	}
	for _, c := range cases {
		r := run(t, "", "--data", f.data, "-c", c.q)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", c.q, r.code, r.stderr, c.want)
		}
		if strings.Contains(r.stderr, llmKey) {
			t.Errorf("APIKEY in error: %s", r.stderr)
		}
	}
	if n := len(f.srv.Requests()); n != before {
		t.Fatalf("%d requests sent by statements that should fail at planning", n-before)
	}
}

func TestAIFailurePolicy(t *testing.T) {
	f := newLLMFixture(t)
	// Retried faults are invisible.
	rows := f.query(t, `SELECT AI_GENERATE(gen, v1, 'flaky [[fake:429;times=2;retry-after=0]]')`)
	if rows[0][0] != fakellm.Generate("flaky [[fake:429;times=2;retry-after=0]]", nil) {
		t.Fatalf("retried call: %v", rows)
	}
	// A row that still fails fails the query by default, naming model, version, status and message, not the key.
	r := run(t, "", "--data", f.data, "-c", `SELECT AI_GENERATE(gen, v1, 'boom [[fake:500;message=engine exploded]]')`)
	if r.code != 1 || !strings.Contains(r.stderr, "default.default.gen") || !strings.Contains(r.stderr, "v1") ||
		!strings.Contains(r.stderr, "500") || !strings.Contains(r.stderr, "engine exploded") || strings.Contains(r.stderr, llmKey) {
		t.Fatalf("failing row: %d %s", r.code, r.stderr)
	}
	r = run(t, "", "--data", f.data, "-c", `SELECT AI_GENERATE(gen, v1, 'leak [[fake:echo-auth]]')`)
	if r.code != 1 || strings.Contains(r.stderr, llmKey) {
		t.Fatalf("echoed key must be scrubbed: %s", r.stderr)
	}
	// With on_error = 'null' the row is NULL and recorded.
	rows = f.query(t, `SET modelsql.ai.on_error = 'null';
		SELECT id, AI_GENERATE(gen, v1, p) FROM (VALUES (1, 'fine'), (2, 'bad [[fake:503;message=overloaded]]')) t(id, p) ORDER BY id`)
	if len(rows) != 2 || rows[0][1] == "" || rows[1][1] != "" {
		t.Fatalf("on_error null: %v", rows)
	}
	rows = f.query(t, `SELECT model, version, function, error_class, http_status, attempts, length(input_hash) > 0 FROM __modelsql.ai_errors`)
	if len(rows) != 1 || strings.Join(rows[0], ",") != "default.default.gen,v1,AI_GENERATE,server_error,503,3,true" {
		t.Fatalf("ai_errors: %v", rows)
	}
}
