package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeProcess is `modelsql fake-llm` running as its own process, so that
// the CPU measured for modelsql is modelsql's alone.
type fakeProcess struct {
	url string
	mu  sync.Mutex
	log bytes.Buffer // one line per request (-v)
}

// startFakeProcess starts the server; verbose logs each request (to count
// them), which costs the server time per request.
func startFakeProcess(t *testing.T, verbose bool, args ...string) *fakeProcess {
	t.Helper()
	if verbose {
		args = append(args, "-v")
	}
	cmd := exec.Command(bin, append([]string{"fake-llm", "--listen", "127.0.0.1:0"}, args...)...)
	f := &fakeProcess{}
	cmd.Stderr = writerFunc(func(p []byte) (int, error) { f.mu.Lock(); defer f.mu.Unlock(); return f.log.Write(p) })
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "fake-llm listening on "); ok {
			f.url = strings.TrimSpace(u)
			break
		}
	}
	if f.url == "" {
		t.Fatal("fake-llm did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return f
}

// requests counts the requests served on a path suffix so far.
func (f *fakeProcess) requests(suffix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, l := range strings.Split(f.log.String(), "\n") {
		if fs := strings.Fields(l); len(fs) >= 3 && strings.HasSuffix(fs[2], suffix) {
			n++
		}
	}
	return n
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

// timedRun runs modelsql with args and returns its output, wall time and
// CPU time (user + system of all its threads, from the child's rusage).
func timedRun(t *testing.T, args ...string) (string, time.Duration, time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("modelsql %v: %v\n%s", args, err, errb.String())
	}
	wall := time.Since(start)
	return out.String(), wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// TestBenchAI is `make bench-ai`, against `modelsql fake-llm` in its own
// process:
//   - 5,000 rows through AI_GENERATE at 50 ms latency with MAX_CONCURRENCY
//     16 and 64: rows/s against the ideal limit / latency (at least 90%)
//     and modelsql's CPU per request (at most 0.5 ms: waiting costs nothing);
//   - the same with 10% of requests answered 429 or 503: no row lost, the
//     result equal to the fault-free one;
//   - 10,000 rows through AI_EMBEDDING: at most one request per
//     EMBEDDING_BATCH_SIZE (32) inputs of each DuckDB vector (plus the
//     splits of a server that takes only 16 inputs), equal to one request
//     per row.
func TestBenchAI(t *testing.T) {
	if os.Getenv("MODELSQL_BENCH_AI") == "" {
		t.Skip("benchmark; run with make bench-ai")
	}
	const rows = 5000
	latency := 50 * time.Millisecond

	newData := func(url, name, tasks, extra string) string {
		data := t.TempDir()
		sql(t, data, fmt.Sprintf(`CREATE MODEL %s WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM',
			TASKS='%s', PAI_EAS_MODEL_NAME='m', PAI_EAS_SERVICE_NAME='s', ENDPOINT='%s', APIKEY='k',
			PAI_EAS_SYNC_MODE='true', MAX_ATTEMPTS='8', RETRY_BASE_DELAY_MS='20', RETRY_MAX_DELAY_MS='200'%s)`, name, tasks, url, extra),
			fmt.Sprintf(`CREATE TABLE prompts AS SELECT i AS id, 'prompt number ' || i AS p FROM range(%d) t(i)`, 10000))
		return data
	}
	// startup is the wall and CPU time of a trivial statement, taken off
	// each measurement.
	startup := func(data string) (time.Duration, time.Duration) {
		_, w, c := timedRun(t, "--data", data, "-c", "SELECT 1")
		return w, c
	}

	generate := func(name string, limit int, fake *fakeProcess) string {
		data := newData(fake.url, "gen", "text-generation", fmt.Sprintf(", MAX_CONCURRENCY='%d'", limit))
		w0, c0 := startup(data)
		_, wall, cpu := timedRun(t, "--data", data, "-c",
			fmt.Sprintf(`CREATE TABLE answers AS SELECT id, AI_GENERATE(gen, v1, p) AS a FROM prompts WHERE id < %d`, rows))
		wall, cpu = wall-w0, cpu-c0
		ideal := float64(limit) / latency.Seconds()
		rate := float64(rows) / wall.Seconds()
		perReq := cpu / rows // one request per row when fault-free
		fmt.Printf("%-22s rows=%d limit=%d elapsed=%.2fs rows/s=%.0f ideal=%.0f ratio=%.3f cpu=%.2fs cpu/row=%.3fms\n",
			name, rows, limit, wall.Seconds(), rate, ideal, rate/ideal, cpu.Seconds(), float64(perReq)/1e6)
		if name == "fault-free" {
			if rate/ideal < 0.9 {
				t.Errorf("%s at %d: %.0f rows/s is under 90%% of the ideal %.0f", name, limit, rate, ideal)
			}
			if perReq > 500*time.Microsecond {
				t.Errorf("%s at %d: %.3f ms of CPU per request, more than 0.5 ms", name, limit, float64(perReq)/1e6)
			}
		}
		out, _, _ := timedRun(t, "--data", data, "--format", "csv", "-c", "SELECT count(*), count(a), md5(string_agg(a, '|' ORDER BY id)) FROM answers")
		return lastLine(out)
	}

	clean := startFakeProcess(t, false, "--latency", latency.String())
	var results []string
	for _, limit := range []int{16, 64} {
		results = append(results, generate("fault-free", limit, clean))
	}
	if !strings.Contains(results[0], fmt.Sprintf("%d,%d,", rows, rows)) || results[0] != results[1] {
		t.Fatalf("fault-free runs lost rows or differ: %v", results)
	}
	faulty := startFakeProcess(t, false, "--latency", latency.String(), "--fail-rate", "0.1", "--fail-status", "429,503",
		"--retry-after", "0", "--fail-limit", "3", "--seed", "7")
	if got := generate("10%-429/503", 64, faulty); got != results[0] {
		t.Fatalf("faulty run differs from the fault-free one:\n%s\n%s", got, results[0])
	}

	// Embeddings: batched against one request per row.
	const embRows = 10000
	embed := func(name, extra string, fake *fakeProcess) (string, int) {
		data := newData(fake.url, "emb", "sentence-embedding", ", MAX_CONCURRENCY='64'"+extra)
		w0, c0 := startup(data)
		before := fake.requests("/embeddings")
		out, wall, cpu := timedRun(t, "--data", data, "--format", "csv", "-c",
			`SELECT count(e), md5(string_agg(CAST(e AS VARCHAR), '|' ORDER BY id)) FROM (SELECT id, AI_EMBEDDING(emb, v1, p, '{"dimensions": 16}') AS e FROM prompts)`)
		reqs := fake.requests("/embeddings") - before
		fmt.Printf("%-22s rows=%d elapsed=%.2fs requests=%d cpu=%.2fs\n", name, embRows, (wall - w0).Seconds(), reqs, (cpu - c0).Seconds())
		return lastLine(out), reqs
	}
	embFake := startFakeProcess(t, true, "--latency", "5ms")
	want, n1 := embed("embeddings-unbatched", ", EMBEDDING_BATCH_SIZE='1'", embFake)
	got, n32 := embed("embeddings-batch-32", "", embFake)
	if n1 != embRows || got != want || !strings.HasPrefix(got, fmt.Sprint(embRows)+",") {
		t.Fatalf("batched embeddings: %d unbatched requests, results %s vs %s", n1, got, want)
	}
	// Batches do not cross DuckDB's vectors of 2,048 rows. A server that
	// takes 16 inputs refuses each batch of more (413), then answers its
	// two halves.
	maxReqs, splitReqs := 0, 0
	for left := embRows; left > 0; left -= 2048 {
		for b := min(left, 2048); b > 0; b -= 32 {
			maxReqs++
			splitReqs++
			if min(b, 32) > 16 {
				splitReqs += 2
			}
		}
	}
	if n32 > maxReqs {
		t.Fatalf("batch 32: %d requests for %d rows, at most %d", n32, embRows, maxReqs)
	}
	splitFake := startFakeProcess(t, true, "--latency", "5ms", "--max-embed-inputs", "16")
	got, nSplit := embed("embeddings-split-413", "", splitFake)
	if got != want || nSplit != splitReqs {
		t.Fatalf("split batches: %d requests (want %d), results equal: %v", nSplit, splitReqs, got == want)
	}
	fmt.Printf("embeddings: %d requests for %d rows (bound %d); %d with a 16-input server\n", n32, embRows, maxReqs, nSplit)
}
