package e2e

import (
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/modelsql/modelsql/internal/fakellm"
)

// TestBenchAI is `make bench-ai`: 5,000 rows through AI_GENERATE against
// the fake server with 50 ms latency and a concurrency limit of 64, first
// fault-free, then with 10% of requests answered 429 or 503. It prints the
// rows/s reached against the ideal 64 / 0.05 s and checks that the faulty
// run loses no row and returns exactly the fault-free result.
func TestBenchAI(t *testing.T) {
	if os.Getenv("MODELSQL_BENCH_AI") == "" {
		t.Skip("benchmark; run with make bench-ai")
	}
	const rows, limit = 5000, 64
	latency := 50 * time.Millisecond
	ideal := float64(limit) / latency.Seconds()

	runCase := func(name string, opts fakellm.Options) (string, float64) {
		srv := fakellm.NewServer(opts)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		data := t.TempDir()
		sql(t, data, fmt.Sprintf(`CREATE MODEL gen WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM',
			TASKS='text-generation', PAI_EAS_MODEL_NAME='m', PAI_EAS_SERVICE_NAME='s', ENDPOINT='%s', APIKEY='k',
			PAI_EAS_SYNC_MODE='true', MAX_CONCURRENCY='%d', MAX_ATTEMPTS='8', RETRY_BASE_DELAY_MS='20', RETRY_MAX_DELAY_MS='200')`, hs.URL, limit),
			fmt.Sprintf(`CREATE TABLE prompts AS SELECT i AS id, 'prompt number ' || i AS p FROM range(%d) t(i)`, rows))
		base := time.Now()
		sql(t, data, "SELECT 1")
		startup := time.Since(base)
		start := time.Now()
		sql(t, data, `CREATE TABLE answers AS SELECT id, AI_GENERATE(gen, v1, p) AS a FROM prompts`)
		elapsed := time.Since(start) - startup
		out := run(t, "", "--data", data, "--format", "csv", "-c", "SELECT count(*), count(a), md5(string_agg(a, '|' ORDER BY id)) FROM answers")
		if out.code != 0 {
			t.Fatal(out.stderr)
		}
		rate := float64(rows) / elapsed.Seconds()
		st := srv.Stats()
		fmt.Printf("%-12s rows=%d elapsed=%.2fs rows/s=%.0f ideal=%.0f ratio=%.3f requests=%d faults=%d max_in_flight=%d\n",
			name, rows, elapsed.Seconds(), rate, ideal, rate/ideal, st.Requests, st.Faults, st.MaxInFlight)
		if st.MaxInFlight > limit {
			t.Errorf("%s: %d requests in flight, limit %d", name, st.MaxInFlight, limit)
		}
		return strings.TrimSpace(out.stdout), rate
	}

	clean, rate := runCase("fault-free", fakellm.Options{Latency: latency, MaxRecorded: -1})
	faulty, _ := runCase("10%-429/503", fakellm.Options{Latency: latency, MaxRecorded: -1, FailRate: 0.10,
		FailStatuses: []int{429, 503}, RetryAfter: "0", FailLimit: 3, Seed: 7})
	if !strings.Contains(clean, fmt.Sprintf("%d,%d,", rows, rows)) {
		t.Fatalf("fault-free run lost rows: %s", clean)
	}
	if faulty != clean {
		t.Fatalf("faulty run differs from the fault-free one:\n%s\n%s", faulty, clean)
	}
	fmt.Printf("ratio_vs_ideal=%.3f\n", rate/ideal)
}
