// Command xgbench is the Go half of internal/xgboost/bench/bench.py: it
// predicts rows with modelsql's XGBoost runtime, checks the outputs against
// XGBoost's bit for bit, and times it; or it times loading a model and
// measures its memory. It prints one JSON object.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"time"

	"github.com/modelsql/modelsql/internal/xgboost"
)

func main() {
	model := flag.String("model", "", "model file to predict with")
	xfile := flag.String("x", "", "rows: raw little-endian float32, row-major")
	wfile := flag.String("want", "", "XGBoost's outputs: raw little-endian float32")
	rows := flag.Int("rows", 0, "number of rows")
	threads := flag.Int("threads", 1, "goroutines (1: Predict, more: PredictParallel)")
	reps := flag.Int("reps", 5, "repetitions (the best time is reported)")
	load := flag.String("load", "", "model file to time loading")
	bin := flag.String("binary", "", "legacy binary file of the same model, for the size comparison")
	flag.Parse()
	var res map[string]any
	var err error
	if *load != "" {
		res, err = benchLoad(*load, *bin, *reps)
	} else {
		res, err = benchPredict(*model, *xfile, *wfile, *rows, *threads, *reps)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "xgbench:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

func readF32(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}

func benchPredict(model, xfile, wfile string, rows, threads, reps int) (map[string]any, error) {
	data, err := os.ReadFile(model)
	if err != nil {
		return nil, err
	}
	m, err := xgboost.Load(data)
	if err != nil {
		return nil, err
	}
	x, err := readF32(xfile)
	if err != nil {
		return nil, err
	}
	want, err := readF32(wfile)
	if err != nil {
		return nil, err
	}
	w := m.NumOutputs()
	if len(x) != rows*m.NumFeatures() || len(want) != rows*w {
		return nil, fmt.Errorf("sizes: %d rows, %d features, %d outputs; have %d inputs and %d outputs", rows, m.NumFeatures(), w, len(x), len(want))
	}
	out := make([]float32, rows*w)
	run := func() error {
		if threads <= 1 {
			return m.Predict(x, rows, out, xgboost.PredictOptions{})
		}
		return m.PredictParallel(x, rows, out, xgboost.PredictOptions{}, threads)
	}
	if err := run(); err != nil {
		return nil, err
	}
	mismatches := 0
	for i := range out {
		if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
			mismatches++
		}
	}
	best := math.Inf(1)
	deadline := time.Now().Add(time.Second)
	for i := 0; i < reps || time.Now().Before(deadline); i++ {
		t0 := time.Now()
		if err := run(); err != nil {
			return nil, err
		}
		best = math.Min(best, time.Since(t0).Seconds())
	}
	return map[string]any{
		"rows_per_sec": float64(rows) / best,
		"seconds":      best,
		"identical":    mismatches == 0,
		"mismatches":   mismatches,
		"trees":        m.NumTrees(),
	}, nil
}

func benchLoad(path, bin string, reps int) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	best := math.Inf(1)
	for i := 0; i < reps; i++ {
		runtime.GC()
		t0 := time.Now()
		m, err := xgboost.Load(data)
		if err != nil {
			return nil, err
		}
		best = math.Min(best, time.Since(t0).Seconds())
		runtime.KeepAlive(m)
	}
	// Heap held by one loaded model (the input bytes stay alive throughout).
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := xgboost.Load(data)
	if err != nil {
		return nil, err
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(data)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	res := map[string]any{
		"load_seconds": best,
		"heap_bytes":   heap,
		"memory_bytes": m.MemoryBytes(),
		"trees":        m.NumTrees(),
	}
	runtime.KeepAlive(m)
	if bin != "" {
		st, err := os.Stat(bin)
		if err != nil {
			return nil, err
		}
		res["binary_bytes"] = st.Size()
	}
	return res, nil
}
