package e2e

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestBenchTrain is `make bench-train`: training a binary classifier on
// 1,000,000 rows × 28 features (100 rounds, depth 6, hist, 2 threads) with
// CREATE MODEL ... AS SELECT against XGBoost's Python package on the same
// rows in the same run. It prints wall time and peak RSS of both and checks
// that the two boosters predict the same.
func TestBenchTrain(t *testing.T) {
	if os.Getenv("MODELSQL_BENCH_TRAIN") == "" {
		t.Skip("benchmark; run with make bench-train")
	}
	requireLibXGBoost(t)
	dir := t.TempDir()
	script := filepath.Join(repoRoot(), "e2e", "testdata", "bench_train.py")
	if out, err := exec.Command("/usr/bin/python3", script, "gen", dir).CombinedOutput(); err != nil {
		t.Fatalf("gen: %v %s", err, out)
	}
	data := filepath.Join(dir, "wh")
	if r := run(t, "", "--data", data, "-c", "CREATE TABLE higgs AS SELECT * FROM read_csv('"+filepath.Join(dir, "data.csv")+"')"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	const threads = "2"
	timed := func(name string, args ...string) (secs float64, rssKB int64, stdout string) {
		f := filepath.Join(dir, name+".time")
		cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%e %M", "-o", f}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := os.ReadFile(f)
		fields := strings.Fields(string(b))
		secs, _ = strconv.ParseFloat(fields[len(fields)-2], 64)
		rssKB, _ = strconv.ParseInt(fields[len(fields)-1], 10, 64)
		return secs, rssKB, string(out)
	}
	sqlSecs, sqlRSS, _ := timed("sql", bin, "--data", data, "-c",
		"CREATE MODEL higgs_clf WITH VERSION v1 OPTIONS(MODEL_TYPE = 'BOOSTED_TREE_CLASSIFIER', LABEL_COL = 'y', NUM_ROUNDS = '100', MAX_DEPTH = '6', TREE_METHOD = 'hist', NUM_THREADS = '"+threads+"') AS SELECT * FROM higgs")
	r := run(t, "", "--data", data, "--format", "csv", "-c", "DESC MODEL higgs_clf VERSION v1", "-c",
		"SELECT ML_PREDICT(higgs_clf, v1, "+features(28)+").probs[2] FROM (SELECT * FROM higgs LIMIT 1000)")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	trainSecs := ""
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.Contains(l, "Training.Seconds") {
			trainSecs = l[strings.LastIndex(l, ",")+1:]
		}
	}
	pySecs, pyRSS, pyOut := timed("python", "/usr/bin/python3", script, "train", dir, threads)
	var py struct{ Seconds float64 }
	json.Unmarshal([]byte(pyOut), &py)
	raw, _ := os.ReadFile(filepath.Join(dir, "pred.f32"))
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	preds := lines[len(lines)-1000:]
	same := 0
	for i, p := range preds {
		x, _ := strconv.ParseFloat(p, 32)
		if math.Float32bits(float32(x)) == binary.LittleEndian.Uint32(raw[4*i:]) {
			same++
		}
	}
	fmt.Printf("bench-train: 1,000,000 rows x 28 features, 100 rounds, depth 6, hist, %s threads\n", threads)
	fmt.Printf("  SQL  CREATE MODEL ... AS SELECT: %.1f s statement (%s s in XGBoost incl. DMatrix), peak RSS %d MiB\n", sqlSecs, trainSecs, sqlRSS/1024)
	fmt.Printf("  Python xgboost.train:            %.1f s process (%.1f s DMatrix + train), peak RSS %d MiB\n", pySecs, py.Seconds, pyRSS/1024)
	fmt.Printf("  ratio SQL statement / Python DMatrix+train: %.2f\n", sqlSecs/py.Seconds)
	fmt.Printf("  predictions equal bit for bit on the first 1000 rows: %d/1000\n", same)
	if same != 1000 {
		t.Errorf("the boosters differ: %d/1000 predictions equal", same)
	}
}

func features(n int) string {
	f := make([]string, n)
	for i := range f {
		f[i] = fmt.Sprintf("f%d", i)
	}
	return strings.Join(f, ", ")
}
