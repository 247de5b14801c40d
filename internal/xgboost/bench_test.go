package xgboost

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchModel loads a model trained by bench/bench.py (cached in
// ~/.cache/modelsql-xgbench) or skips.
func benchModel(b *testing.B, name string) *Model {
	home, _ := os.UserHomeDir()
	data, err := os.ReadFile(filepath.Join(home, ".cache", "modelsql-xgbench", name+".ubj"))
	if err != nil {
		b.Skip("run make bench-xgboost once to train the benchmark models")
	}
	m, err := Load(data)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func benchRows(m *Model, n int, missing float64) []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*m.NumFeatures())
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		if rng.Float64() < missing {
			x[i] = float32(nan())
		}
	}
	return x
}

func BenchmarkPredict(b *testing.B) {
	for _, c := range []struct {
		name    string
		missing float64
	}{{"500x6", 0}, {"500x8", 0}, {"3class_200x6", 0}, {"500x6_missing10", 0.1}} {
		b.Run(c.name, func(b *testing.B) {
			m := benchModel(b, c.name)
			const n = 4096
			x := benchRows(m, n, c.missing)
			out := make([]float32, n*m.NumOutputs())
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := m.Predict(x, n, out, PredictOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(n)/float64(b.N)/float64(m.NumTrees()), "ns/tree-row")
		})
	}
}

func BenchmarkLoadJSON(b *testing.B) {
	data, err := readFixture("models/forest_multi_softprob.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := Load(data); err != nil {
			b.Fatal(err)
		}
	}
}

func nan() float64 { var z float64; return z / z }
