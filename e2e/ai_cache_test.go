package e2e

import (
	"strconv"
	"strings"
	"testing"
)

// sent runs a query in a new process and returns its rows and how many
// requests the test server received meanwhile.
func (f *llmFixture) sent(t *testing.T, q string) ([][]string, int64) {
	t.Helper()
	before := f.srv.Stats().Requests
	rows := f.query(t, q)
	return rows, f.srv.Stats().Requests - before
}

// The persistent AI result cache: a repeated statement (in a new process)
// sends nothing; identical requests of a statement are sent once;
// temperature > 0 bypasses it under 'auto'; DROP VERSION and CLEAR AI CACHE
// invalidate; hits and misses are counted.
func TestAICache(t *testing.T) {
	f := newLLMFixture(t)
	const q = `SELECT i, AI_GENERATE(gen, v1, 'cache me ' || i) FROM range(20) t(i) ORDER BY i`
	first, n := f.sent(t, q)
	if n != 20 || len(first) != 20 {
		t.Fatalf("first run: %d rows, %d requests; want 20, 20", len(first), n)
	}
	again, n := f.sent(t, q)
	if n != 0 || strings.Join(flat(again), "|") != strings.Join(flat(first), "|") {
		t.Fatalf("repeated run in a new process: %d requests (want 0), same answers %v", n, strings.Join(flat(again), "|") == strings.Join(flat(first), "|"))
	}
	if rows := f.query(t, `SELECT hits, misses FROM __modelsql.ai_cache_stats WHERE model = 'default.default.gen' AND version = 'v1'`); len(rows) != 1 || rows[0][0] != "20" || rows[0][1] != "20" {
		t.Fatalf("stats: %v", rows)
	}

	// Within one statement, with the cache off, 30 rows of 3 prompts: 3 requests.
	_, n = f.sent(t, `SET modelsql.ai.cache = 'off'; SELECT count(AI_GENERATE(gen, v1, 'same ' || (i % 3))) FROM range(30) t(i)`)
	if n != 3 {
		t.Fatalf("identical requests of a statement: %d sent, want 3", n)
	}
	// 'off' wrote nothing: the same statement under 'auto' sends them.
	if _, n = f.sent(t, `SELECT count(AI_GENERATE(gen, v1, 'same ' || (i % 3))) FROM range(30) t(i)`); n != 3 {
		t.Fatalf("after 'off': %d sent, want 3", n)
	}

	// temperature > 0: not reused under 'auto', reused under 'on'.
	const hot = `SELECT AI_GENERATE(gen, v1, 'hot', '{"temperature": 0.7}')`
	for i := 0; i < 2; i++ {
		if _, n = f.sent(t, hot); n != 1 {
			t.Fatalf("temperature 0.7 under auto, run %d: %d sent, want 1", i, n)
		}
	}
	if _, n = f.sent(t, `SET modelsql.ai.cache = 'on'; `+hot); n != 1 {
		t.Fatalf("temperature 0.7 under on, first: %d sent", n)
	}
	if _, n = f.sent(t, `SET modelsql.ai.cache = 'on'; `+hot); n != 0 {
		t.Fatalf("temperature 0.7 under on, again: %d sent", n)
	}
	if r := run(t, "", "--data", f.data, "-c", "SET modelsql.ai.cache = 'sometimes'"); r.code != 1 || !strings.Contains(r.stderr, "'auto', 'on' or 'off'") {
		t.Fatalf("bad mode: %d %s", r.code, r.stderr)
	}

	// A dropped and re-created version never matches the old answers.
	addV2 := "ALTER MODEL gen ADD VERSION v2 WITH OPTIONS(" + f.remote("LLM", "text-generation", "chat_svc", "qwen-chat", "") + ")"
	addV2 = strings.Replace(addV2, "MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', ", "", 1)
	sql(t, f.data, addV2)
	const q2 = `SELECT count(AI_GENERATE(gen, v2, 'v2 ' || i)) FROM range(5) t(i)`
	if _, n = f.sent(t, q2); n != 5 {
		t.Fatalf("v2: %d sent", n)
	}
	if _, n = f.sent(t, q2); n != 0 {
		t.Fatalf("v2 again: %d sent", n)
	}
	sql(t, f.data, "ALTER MODEL gen DROP VERSION v2")
	if rows := f.query(t, `SELECT count(*) FROM __modelsql.ai_cache WHERE version = 'v2'`); rows[0][0] != "0" {
		t.Fatalf("entries of a dropped version: %v", rows)
	}
	sql(t, f.data, addV2)
	if _, n = f.sent(t, q2); n != 5 {
		t.Fatalf("re-created v2: %d sent, want 5", n)
	}

	// CLEAR AI CACHE for one version, a model, everything.
	out := sql(t, f.data, "CLEAR AI CACHE FOR MODEL gen VERSION v2")
	if !strings.Contains(out, "5 cached answers removed") {
		t.Fatalf("clear v2: %q", out)
	}
	if _, n = f.sent(t, q2); n != 5 {
		t.Fatalf("after clearing v2: %d sent", n)
	}
	if _, n = f.sent(t, q); n != 0 {
		t.Fatalf("clearing v2 must keep v1: %d sent", n)
	}
	sql(t, f.data, "CLEAR AI CACHE")
	if _, n = f.sent(t, q); n != 20 {
		t.Fatalf("after CLEAR AI CACHE: %d sent", n)
	}
}

// Embeddings are cached per input: a repeated statement sends nothing and
// gives the same vectors.
func TestAICacheEmbeddings(t *testing.T) {
	f := newLLMFixture(t)
	const q = `SELECT i, AI_EMBEDDING(emb, v1, 'text ' || (i % 50)) FROM range(100) t(i) ORDER BY i`
	first, n := f.sent(t, q)
	if n == 0 || n > 2 {
		t.Fatalf("100 rows of 50 texts in batches of 32: %d requests", n)
	}
	again, n := f.sent(t, q)
	if n != 0 || strings.Join(flat(again), "|") != strings.Join(flat(first), "|") {
		t.Fatalf("repeated embeddings: %d requests, equal %v", n, strings.Join(flat(again), "|") == strings.Join(flat(first), "|"))
	}
}

// The cache stays within MODELSQL_AI_CACHE_MAX_BYTES, least recently used out.
func TestAICacheBound(t *testing.T) {
	f := newLLMFixture(t)
	t.Setenv("MODELSQL_AI_CACHE_MAX_BYTES", "1000")
	for i := 0; i < 10; i++ {
		f.sent(t, `SELECT AI_GENERATE(gen, v1, 'bounded `+strconv.Itoa(i)+`')`)
	}
	rows := f.query(t, `SELECT count(*), sum(bytes) FROM __modelsql.ai_cache`)
	total, _ := strconv.Atoi(rows[0][1])
	if total > 1000 || rows[0][0] == "10" || rows[0][0] == "0" {
		t.Fatalf("bounded cache: %v", rows)
	}
	if _, n := f.sent(t, `SELECT AI_GENERATE(gen, v1, 'bounded 9')`); n != 0 {
		t.Fatalf("the newest entry was evicted")
	}
	if _, n := f.sent(t, `SELECT AI_GENERATE(gen, v1, 'bounded 0')`); n != 1 {
		t.Fatalf("the oldest entry was kept")
	}
}

func flat(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, ","))
	}
	return out
}
