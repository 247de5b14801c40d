package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// EXPLAIN COST sends nothing, counts the rows reaching each AI call after
// the filters, the distinct requests and the cached ones; the requests it
// prints are what running the statement sends.
func TestExplainCost(t *testing.T) {
	f := newLLMFixture(t)
	sql(t, f.data, "CREATE TABLE docs AS SELECT i, 'doc ' || (i % 10) AS body FROM range(30) t(i)")
	const stmt = `CREATE TABLE answers AS SELECT i, AI_GENERATE(gen, v1, body, '{"max_tokens": 50}') AS a FROM docs WHERE i < 20`
	explain := func() []string {
		t.Helper()
		before := f.srv.Stats().Requests
		rows := f.query(t, "EXPLAIN COST "+stmt)
		if n := f.srv.Stats().Requests - before; n != 0 {
			t.Fatalf("EXPLAIN COST sent %d requests", n)
		}
		if len(rows) != 1 {
			t.Fatalf("EXPLAIN COST: %v", rows)
		}
		return rows[0]
	}
	got := explain()
	// call, model, version, rows, distinct, cached, requests, est_input_tokens
	// ('doc N': 5 bytes, 2 tokens, 10 requests), max_output_tokens, concurrency
	if strings.Join(got[:10], ",") != "AI_GENERATE at 1:35,default.default.gen,v1,20,10,0,10,20,500,16" {
		t.Fatalf("first estimate: %v", got)
	}
	if r := f.query(t, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'answers'"); r[0][0] != "0" {
		t.Fatalf("EXPLAIN COST left the table behind")
	}
	before := f.srv.Stats().Requests
	sql(t, f.data, stmt)
	if n := f.srv.Stats().Requests - before; n != 10 {
		t.Fatalf("the run sent %d requests, EXPLAIN COST said 10", n)
	}
	sql(t, f.data, "DROP TABLE answers")
	got = explain()
	if strings.Join(got[3:7], ",") != "20,10,10,0" {
		t.Fatalf("after the run, every request is cached: %v", got)
	}
	// A larger filter: 10 more rows, all duplicates of cached prompts;
	// latency observed by the run gives an expected duration.
	rows := f.query(t, "EXPLAIN COST SELECT AI_GENERATE(gen, v1, body || '!') FROM docs")
	if strings.Join(rows[0][3:7], ",") != "30,10,0,10" || rows[0][8] != "" || rows[0][10] == "" || rows[0][11] == "" {
		t.Fatalf("estimate without max_tokens: %v", rows[0])
	}

	// Prices: tokens / 1e6 × price, the output bound at the output price.
	sql(t, f.data, "ALTER MODEL gen ADD VERSION priced WITH OPTIONS("+
		strings.Replace(f.remote("LLM", "text-generation", "chat_svc", "qwen-chat", ", PRICE_PER_1M_INPUT_TOKENS='2', PRICE_PER_1M_OUTPUT_TOKENS='8', PRICE_CURRENCY='cny'"),
			"MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', ", "", 1)+")")
	rows = f.query(t, `EXPLAIN COST SELECT AI_GENERATE(gen, priced, body, '{"max_tokens": 50}') FROM docs WHERE i < 20`)
	price, _ := strconv.ParseFloat(rows[0][12], 64)
	if want := 20.0/1e6*2 + 500.0/1e6*8; fmt.Sprintf("%.6f", price) != fmt.Sprintf("%.6f", want) || rows[0][13] != "CNY" {
		t.Fatalf("price: %v, want %.6f CNY", rows[0], want)
	}
	if r := run(t, "", "--data", f.data, "-c", "ALTER MODEL gen ADD VERSION bad WITH OPTIONS("+
		strings.Replace(f.remote("LLM", "text-generation", "s", "m", ", PRICE_PER_1M_INPUT_TOKENS='cheap'"), "MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', ", "", 1)+")"); r.code != 1 || !strings.Contains(r.stderr, "PRICE_PER_1M_INPUT_TOKENS must be a non-negative number") {
		t.Fatalf("bad price: %d %s", r.code, r.stderr)
	}
	// Embeddings: distinct inputs in batches of EMBEDDING_BATCH_SIZE.
	rows = f.query(t, `EXPLAIN COST SELECT count(AI_EMBEDDING(emb, v1, 'e ' || i)) FROM range(100) t(i)`)
	if strings.Join(rows[0][3:7], ",") != "100,100,0,4" {
		t.Fatalf("embeddings estimate: %v", rows[0])
	}
	before = f.srv.Stats().Requests
	f.query(t, `SELECT count(AI_EMBEDDING(emb, v1, 'e ' || i)) FROM range(100) t(i)`)
	if n := f.srv.Stats().Requests - before; n != 4 {
		t.Fatalf("embeddings run sent %d requests, EXPLAIN COST said 4", n)
	}
	if r := run(t, "", "--data", f.data, "-c", "BEGIN", "-c", "EXPLAIN COST SELECT 1"); r.code != 1 || !strings.Contains(r.stderr, "cannot run inside a transaction") {
		t.Fatalf("inside a transaction: %d %s", r.code, r.stderr)
	}
}
