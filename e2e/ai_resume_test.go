package e2e

import (
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/modelsql/modelsql/internal/fakellm"
)

// cachedAnswers counts the stored answers of a model version.
func (f *llmFixture) cachedAnswers(t *testing.T, version string) int {
	t.Helper()
	rows := f.query(t, `SELECT count(*) FROM __modelsql.ai_cache WHERE model = 'default.default.gen' AND version = '`+version+`'`)
	n, _ := strconv.Atoi(rows[0][0])
	return n
}

// A CTAS killed with SIGKILL half-way keeps the answers it got: run again,
// it sends requests only for the rows that had none, as the server counts.
func TestAIResumeAfterKill(t *testing.T) {
	f := newLLMFixture(t)
	f.srv.SetOptions(fakellm.Options{APIKey: llmKey, Latency: 50 * time.Millisecond})
	const rows = 400
	const ctas = `CREATE TABLE answers AS SELECT i, AI_GENERATE(gen, v1, 'resume ' || i) AS a FROM range(400) t(i)`
	before := f.srv.Stats().Requests
	cmd := exec.Command(bin, "--data", f.data, "-c", ctas)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for f.srv.Stats().Requests-before < rows/2 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the statement sent too few requests")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill() // SIGKILL
	cmd.Wait()
	first := f.srv.Stats().Requests - before
	if first >= rows {
		t.Fatalf("killed too late: %d requests", first)
	}
	kept := f.cachedAnswers(t, "v1")
	if kept == 0 || kept > int(first) {
		t.Fatalf("after the kill: %d answers kept of %d requests", kept, first)
	}
	before = f.srv.Stats().Requests
	sql(t, f.data, ctas)
	if again := f.srv.Stats().Requests - before; again != int64(rows-kept) {
		t.Fatalf("re-run sent %d requests; %d rows had no answer", again, rows-kept)
	}
	got := f.query(t, `SELECT count(*), count(a), count(*) FILTER (WHERE a = 'echo: resume ' || i) FROM answers`)
	if got[0][0] != "400" || got[0][1] != "400" || got[0][2] != "400" {
		t.Fatalf("resumed table: %v", got)
	}
}

// A statement that fails part-way (one row's server error outlasts its
// retries) keeps the answers it got; the same statement run again sends
// only the rest.
func TestAIResumeAfterFailure(t *testing.T) {
	f := newLLMFixture(t)
	f.srv.SetOptions(fakellm.Options{APIKey: llmKey, Latency: 10 * time.Millisecond})
	// Row 150 fails its 3 attempts the first time, and succeeds after.
	const ctas = `CREATE TABLE answers AS SELECT i, AI_GENERATE(gen, v1,
		CASE WHEN i = 150 THEN 'flaky [[fake:503;times=3;retry-after=0]]' ELSE 'again ' || i END) AS a FROM range(300) t(i)`
	before := f.srv.Stats().Requests
	if r := run(t, "", "--data", f.data, "-c", ctas); r.code != 1 {
		t.Fatalf("first run must fail: %d %s", r.code, r.stderr)
	}
	first := f.srv.Stats().Requests - before
	kept := f.cachedAnswers(t, "v1")
	if kept == 0 || kept >= 300 {
		t.Fatalf("after the failure: %d answers kept of %d requests", kept, first)
	}
	before = f.srv.Stats().Requests
	sql(t, f.data, ctas)
	if again := f.srv.Stats().Requests - before; again != int64(300-kept) {
		t.Fatalf("re-run sent %d requests; %d rows had no answer", again, 300-kept)
	}
	if got := f.query(t, `SELECT count(a) FROM answers`); got[0][0] != "300" {
		t.Fatalf("resumed table: %v", got)
	}
}
