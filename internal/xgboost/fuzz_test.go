package xgboost

import (
	"math"
	"testing"
)

// The fuzz targets feed arbitrary bytes to one decoder each (bypassing the
// format sniffing, so every input reaches the decoder under test). A decoder
// must return an error or a model, never panic; a model it returns must
// predict without panicking, and the branch-free and the generic traversals
// must agree bit for bit. Seed corpora live in testdata/fuzz/<target>/.
//
//	go test -run '^$' -fuzz FuzzLoadJSON -fuzztime 60s ./internal/xgboost

func FuzzLoadJSON(f *testing.F) {
	addSeeds(f, ".json")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := guard(func() (*Model, error) { return loadDocument(newJSONReader(data), FormatJSON) })
		exercise(t, m, err)
	})
}

func FuzzLoadUBJSON(f *testing.F) {
	addSeeds(f, ".ubj")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := guard(func() (*Model, error) { return loadDocument(newUBJReader(data), FormatUBJSON) })
		exercise(t, m, err)
	})
}

func FuzzLoadBinary(f *testing.F) {
	addSeeds(f, ".model")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := guard(func() (*Model, error) { return Load(data) })
		exercise(t, m, err)
		if len(data) >= 4 && string(data[:4]) == "binf" {
			m, err = guard(func() (*Model, error) { return loadBinary(data[4:], FormatBinary) })
		} else {
			m, err = guard(func() (*Model, error) { return loadBinary(data, FormatBinaryPre1_0) })
		}
		exercise(t, m, err)
	})
}

// guard calls a decoder directly (Load's recover is bypassed), so a panic
// fails the fuzz target.
func guard(load func() (*Model, error)) (*Model, error) { return load() }

// addSeeds adds a few small golden models of one encoding besides the
// committed corpus.
func addSeeds(f *testing.F, ext string) {
	for _, name := range []string{
		"binary_logistic_gbtree_num_missing", "multi_softprob_dart_num",
		"reg_squarederror_gblinear_num", "binary_logistic_gbtree_cat_missing",
		"pre10_binary_logistic",
	} {
		if data, err := readFixture("models/" + name + ext); err == nil {
			f.Add(data)
		}
	}
}

func exercise(t *testing.T, m *Model, err error) {
	if err != nil {
		if m != nil {
			t.Fatalf("model and error: %v", err)
		}
		return
	}
	if m.NumFeatures() > 1<<16 || m.NumGroups() > 1<<10 {
		return // valid but too large to predict in a fuzz iteration
	}
	const rows = 11
	nf := m.NumFeatures()
	x := make([]float32, rows*nf)
	vals := []float32{0, -1, 1, 0.5, -0.5, 3, 1e30, -1e30, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	for i := range x {
		x[i] = vals[(i*7+i/nf)%len(vals)]
	}
	for _, margin := range []bool{false, true} {
		opt := PredictOptions{OutputMargin: margin}
		w := m.OutputWidth(opt)
		a := make([]float32, rows*w)
		b := make([]float32, rows*w)
		if err := m.Predict(x, rows, a, opt); err != nil {
			t.Fatalf("predict: %v", err)
		}
		opt.generic = true
		if err := m.Predict(x, rows, b, opt); err != nil {
			t.Fatalf("predict generic: %v", err)
		}
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
				t.Fatalf("fast and generic differ at %d: %v vs %v", i, a[i], b[i])
			}
		}
		if !margin {
			for r := 0; r < rows; r++ {
				m.Classify(a[r*w : (r+1)*w])
			}
		}
	}
	_ = m.MemoryBytes()
}
