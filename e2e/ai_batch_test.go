package e2e

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/fakellm"
)

// embeddingModel creates model name on a new fake server with opts; it
// returns the server to count its requests.
func embeddingModel(t *testing.T, data, name, extra string, opts fakellm.Options) *fakellm.Server {
	t.Helper()
	srv := fakellm.NewServer(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	sql(t, data, fmt.Sprintf(`CREATE MODEL %s WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM',
		TASKS='sentence-embedding', PAI_EAS_MODEL_NAME='bge', PAI_EAS_SERVICE_NAME='emb', ENDPOINT='%s', APIKEY='k',
		PAI_EAS_SYNC_MODE='true', MAX_ATTEMPTS='2', RETRY_BASE_DELAY_MS='5'%s)`, name, hs.URL, extra))
	return srv
}

// AI_EMBEDDING and AI_SIMILARITY send EMBEDDING_BATCH_SIZE inputs per
// request, split batches the server refuses as too large, and give the
// results of one request per input.
func TestEmbeddingBatches(t *testing.T) {
	data := t.TempDir()
	one := embeddingModel(t, data, "emb1", ", EMBEDDING_BATCH_SIZE='1'", fakellm.Options{EmbeddingDims: 8, MaxRecorded: -1})
	batched := embeddingModel(t, data, "emb", "", fakellm.Options{EmbeddingDims: 8, MaxRecorded: -1})
	small := embeddingModel(t, data, "emb413", "", fakellm.Options{EmbeddingDims: 8, MaxRecorded: -1, MaxEmbedInputs: 8})
	ctxlen := embeddingModel(t, data, "embctx", "", fakellm.Options{EmbeddingDims: 8, MaxRecorded: -1, MaxInputChars: 40})
	const rows = 100
	sql(t, data, fmt.Sprintf(`CREATE TABLE docs AS SELECT i AS id, 'document ' || i AS t,
		CASE WHEN i = 7 THEN repeat('long ', 20) ELSE 'other ' || (i * 7) END AS u FROM range(%d) t(i)`, rows))

	embed := func(model string) string {
		out := sql(t, data, fmt.Sprintf(`SELECT md5(string_agg(CAST(AI_EMBEDDING(%s, v1, t) AS VARCHAR), '|' ORDER BY id)),
			count(*) FROM docs`, model))
		return strings.TrimSpace(out)
	}
	want := embed("emb1")
	if n := one.Stats().Requests; n != rows {
		t.Fatalf("EMBEDDING_BATCH_SIZE 1 sent %d requests for %d rows", n, rows)
	}
	if got := embed("emb"); got != want {
		t.Fatalf("batched embeddings differ from one request per row:\n%s\n%s", got, want)
	}
	// 100 rows in one vector: batches of 32, 32, 32, 4.
	if n := batched.Stats().Requests; n != 4 {
		t.Fatalf("batched: %d requests for %d rows, want 4", n, rows)
	}
	// A server taking 8 inputs answers 413 to 32 and 16: each full batch
	// takes 1 + 2 + 4 requests, the last (4 inputs) one.
	if got := embed("emb413"); got != want {
		t.Fatalf("split batches differ:\n%s\n%s", got, want)
	}
	if n := small.Stats().Requests; n != 3*7+1 {
		t.Fatalf("413 splits: %d requests, want %d", n, 3*7+1)
	}

	// AI_SIMILARITY on an embedding model: two inputs per row.
	sim := func(model string) string {
		return strings.TrimSpace(sql(t, data, fmt.Sprintf(`SELECT md5(string_agg(CAST(round(AI_SIMILARITY(%s, v1, t, u), 9) AS VARCHAR), '|' ORDER BY id)) FROM docs WHERE id <> 7`, model)))
	}
	if a, b := sim("emb1"), sim("emb"); a != b {
		t.Fatalf("batched similarity differs:\n%s\n%s", b, a)
	}

	// A context-length error splits down to the one input that is too
	// long: with on_error = 'null' only its row is NULL.
	r := run(t, "", "--data", data, "--format", "csv", "-c", `SET modelsql.ai.on_error = 'null'`, "-c",
		`SELECT count(*), count(AI_EMBEDDING(embctx, v1, u)), count(*) FILTER (WHERE AI_SIMILARITY(embctx, v1, t, u) IS NULL) FROM docs`)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d,%d,1", rows, rows-1)) {
		t.Fatalf("context length: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if n := ctxlen.Stats().Requests; n > 2*(4+2*6) {
		t.Fatalf("context length: %d requests, splitting should need at most %d", n, 2*(4+2*6))
	}
	// Without the NULL policy the statement fails with the server's message.
	r = run(t, "", "--data", data, "-c", `SELECT count(AI_EMBEDDING(embctx, v1, u)) FROM docs`)
	if r.code == 0 || !strings.Contains(r.stderr, "maximum context length") {
		t.Fatalf("context length without on_error: %d %s", r.code, r.stderr)
	}

	// The option is checked when the model is created.
	for _, v := range []string{"0", "2049", "x"} {
		r := run(t, "", "--data", data, "-c", `ALTER MODEL emb ADD VERSION v9 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM',
			TASKS='sentence-embedding', PAI_EAS_MODEL_NAME='bge', PAI_EAS_SERVICE_NAME='emb', ENDPOINT='http://127.0.0.1:1', APIKEY='k',
			PAI_EAS_SYNC_MODE='true', EMBEDDING_BATCH_SIZE='`+v+`')`)
		if r.code == 0 || !strings.Contains(r.stderr, "EMBEDDING_BATCH_SIZE must be an integer between 1 and 2048") {
			t.Fatalf("EMBEDDING_BATCH_SIZE=%s: %d %s", v, r.code, r.stderr)
		}
	}
}
