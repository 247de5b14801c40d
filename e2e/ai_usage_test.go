package e2e

import (
	"strconv"
	"strings"
	"testing"
)

// __modelsql.ai_usage has a row per AI call of each statement, right after
// it ends; ai_errors carries the tokens and latency of failed rows.
func TestAIUsage(t *testing.T) {
	f := newLLMFixture(t)
	const q = `SELECT count(AI_GENERATE(gen, v1, 'usage ' || (i % 5))) FROM range(10) t(i)`
	f.query(t, q)
	f.query(t, q)
	rows := f.query(t, `SELECT user_name <> '', model, version, function, rows, requests, cache_hits, input_tokens > 0, output_tokens > 0, retries, errors, elapsed_ms >= 0
		FROM __modelsql.ai_usage ORDER BY time`)
	if len(rows) != 2 {
		t.Fatalf("ai_usage: %v", rows)
	}
	if got := strings.Join(rows[0], ","); got != "true,default.default.gen,v1,AI_GENERATE,10,5,0,true,true,0,0,true" {
		t.Errorf("first run: %s", got)
	}
	if got := strings.Join(rows[1], ","); got != "true,default.default.gen,v1,AI_GENERATE,10,0,5,false,false,0,0,true" {
		t.Errorf("cached run: %s", got)
	}
	if n := f.srv.Stats().Requests; n != 5 {
		t.Fatalf("the server saw %d requests, want 5", n)
	}

	// A retried then failed row: its retries and its latency are recorded.
	f.query(t, `SET modelsql.ai.on_error = 'null'; SELECT AI_GENERATE(gen, v1, 'slow fail [[fake:503;message=busy]]')`)
	rows = f.query(t, `SELECT requests, retries, errors FROM __modelsql.ai_usage ORDER BY time DESC LIMIT 1`)
	if strings.Join(rows[0], ",") != "1,2,1" {
		t.Errorf("failed row's usage: %v", rows)
	}
	rows = f.query(t, `SELECT error_class, attempts, input_tokens, output_tokens, latency_ms FROM __modelsql.ai_errors`)
	if len(rows) != 1 || rows[0][0] != "server_error" || rows[0][1] != "3" {
		t.Fatalf("ai_errors: %v", rows)
	}
	if ms, _ := strconv.Atoi(rows[0][4]); ms < 5 {
		t.Errorf("latency of 3 attempts with back-off: %s ms", rows[0][4])
	}
}
