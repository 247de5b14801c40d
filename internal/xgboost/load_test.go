package xgboost

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/modelsql/modelsql/internal/xgboost/golden"
)

func mustFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := readFixture(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSniffFormat(t *testing.T) {
	for _, c := range []struct {
		file string
		want Format
	}{
		{"models/binary_logistic_gbtree_num.json", FormatJSON},
		{"models/binary_logistic_gbtree_num.ubj", FormatUBJSON},
		{"models/binary_logistic_gbtree_num.model", FormatBinary},
		{"models/pre10_binary_logistic.model", FormatBinaryPre1_0},
	} {
		m, err := Load(mustFixture(t, c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if m.Format() != c.want {
			t.Errorf("%s: format %v, want %v", c.file, m.Format(), c.want)
		}
	}
	// Leading whitespace before JSON.
	data := append([]byte(" \n\t"), mustFixture(t, "models/binary_logistic_gbtree_num.json")...)
	if m, err := Load(data); err != nil || m.Format() != FormatJSON {
		t.Errorf("JSON with leading spaces: %v", err)
	}
	// A UTF-8 byte order mark (as some editors write) before JSON.
	for _, bom := range []string{"\xEF\xBB\xBF", "\xEF\xBB\xBF\r\n "} {
		data = append([]byte(bom), mustFixture(t, "models/binary_logistic_gbtree_num.json")...)
		if m, err := Load(data); err != nil || m.Format() != FormatJSON {
			t.Errorf("JSON after a byte order mark %q: %v", bom, err)
		}
	}
}

// TestTruncated loads every prefix of small models of each encoding: each
// must fail cleanly (no panic; Load's recover would turn a panic into an
// "internal error", which is reported here).
func TestTruncated(t *testing.T) {
	for _, file := range []string{
		"models/binary_logistic_gbtree_cat_missing.json",
		"models/binary_logistic_gbtree_cat_missing.ubj",
		"models/multi_softprob_dart_num.model",
		"models/reg_squarederror_gblinear_num.model",
		"models/pre10_binary_logistic.model",
	} {
		data := mustFixture(t, file)
		step := 1
		if len(data) > 4000 {
			step = 7
		}
		for n := 0; n < len(data); n += step {
			m, err := Load(data[:n])
			if err == nil {
				// A JSON prefix can never be complete; binary prefixes that
				// stop inside trailing attributes are rejected too.
				t.Errorf("%s: prefix of %d bytes loaded (%v)", file, n, m.Objective())
				continue
			}
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("%s: prefix of %d bytes: %v", file, n, err)
			}
		}
	}
}

func TestCorruptBytes(t *testing.T) {
	// Flip bytes one at a time: any outcome but a panic is acceptable, and a
	// loaded model must predict.
	for _, file := range []string{
		"models/binary_logistic_gbtree_cat_missing.ubj",
		"models/multi_softprob_gbtree_num_missing.model",
	} {
		data := mustFixture(t, file)
		for i := 0; i < len(data); i += 3 {
			d := bytes.Clone(data)
			d[i] ^= 0xa5
			m, err := Load(d)
			if err != nil {
				if strings.Contains(err.Error(), "internal error") {
					t.Fatalf("%s: byte %d: %v", file, i, err)
				}
				continue
			}
			x := make([]float32, 3*m.NumFeatures())
			out := make([]float32, 3*m.NumOutputs())
			if err := m.Predict(x, 3, out, PredictOptions{}); err != nil {
				t.Fatalf("%s: byte %d: predict: %v", file, i, err)
			}
		}
	}
}

func TestErrorMessages(t *testing.T) {
	json := string(mustFixture(t, "models/reg_squarederror_gbtree_num.json"))
	bin := mustFixture(t, "models/reg_squarederror_gbtree_num.model")
	ubj := mustFixture(t, "models/reg_squarederror_gbtree_num.ubj")
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty model"},
		{"bs64", []byte("bs64...."), "base64"},
		{"not json", []byte("{x"), "neither JSON nor UBJSON"},
		{"json array", []byte("[" + json + "]"), "a JSON array, not an XGBoost model"},
		{"spaced json array", []byte(" \n[1, 2]"), "a JSON array, not an XGBoost model"},
		{"bom json array", []byte("\xEF\xBB\xBF[]"), "a JSON array, not an XGBoost model"},
		{"truncated json array", []byte("[1, 2"), "text that is not JSON, not an XGBoost model"},
		{"json string", []byte(`"model"`), "a JSON string, not an XGBoost model"},
		{"json null", []byte(`null`), "JSON that is not an object, not an XGBoost model"},
		{"csv", []byte("a,b\n1,2\n"), "text that is not JSON"},
		{"bom only", []byte("\xEF\xBB\xBF "), "empty model"},
		{"utf-16", []byte("\xFF\xFE{\x00\"\x00"), "UTF-16"},
		{"no learner", []byte(`{"version":[1,7,4]}`), `no "learner"`},
		{"bad token", []byte(`{"learner":{"x":[1,2,}}`), "json: offset 21: unexpected character"},
		{"trailing data", []byte(json + "x"), "after the end"},
		{"objective", []byte(strings.Replace(json, `"reg:squarederror"`, `"reg:nonsense"`, 1)), `unsupported objective "reg:nonsense"`},
		{"num_nodes", []byte(strings.Replace(json, `"num_nodes":"15"`, `"num_nodes":"16"`, 1)), ": left_children has 15 entries, want 16"},
		{"tree_info", []byte(strings.Replace(json, `"tree_info":[0,0,0,0]`, `"tree_info":[0,0,0]`, 1)), "tree_info has 3 entries, want 4"},
		{"num_feature", []byte(strings.Replace(json, `"num_feature":"6","num_target"`, `"num_feature":"2","num_target"`, 1)), "splits on feature"},
		{"binary truncated", bin[:len(bin)-9], "binary: offset"},
		{"binary trees", corruptBinaryNumTrees(bin), "num_trees"},
		{"ubj count", corruptUBJCount(t, ubj), "exceeds"},
	}
	for _, c := range cases {
		_, err := Load(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// corruptBinaryNumTrees sets num_trees of a binary gbtree model to a huge
// value: the loader must refuse it before allocating.
func corruptBinaryNumTrees(bin []byte) []byte {
	d := bytes.Clone(bin)
	p := 4 + 136
	for i := 0; i < 2; i++ {
		n := binary.LittleEndian.Uint64(d[p:])
		p += 8 + int(n)
	}
	binary.LittleEndian.PutUint32(d[p:], 1<<30)
	return d
}

// corruptUBJCount makes the first typed array claim 2^40 elements.
func corruptUBJCount(t *testing.T, ubj []byte) []byte {
	i := bytes.Index(ubj, []byte("[$d#L"))
	if i < 0 {
		t.Fatal("no typed array")
	}
	d := bytes.Clone(ubj)
	binary.BigEndian.PutUint64(d[i+5:], 1<<40)
	return d
}

func TestUnsupportedIsWrapped(t *testing.T) {
	json := string(mustFixture(t, "models/reg_squarederror_gbtree_num.json"))
	_, err := Load([]byte(strings.Replace(json, `"reg:squarederror"`, `"reg:nonsense"`, 1)))
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("%v does not wrap ErrUnsupported", err)
	}
}

func TestMetadata(t *testing.T) {
	m, err := Load(mustFixture(t, "models/multi_softprob_gbtree_cat.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.NumClasses() != 3 || !m.IsClassification() || m.NumOutputs() != 3 || m.NumGroups() != 3 {
		t.Errorf("classes %d outputs %d groups %d", m.NumClasses(), m.NumOutputs(), m.NumGroups())
	}
	if got := m.FeatureTypes(); len(got) != 6 || got[2] != "c" || got[3] != "c" {
		t.Errorf("feature types %q", got)
	}
	if m.Version() != [3]int{1, 7, 4} {
		t.Errorf("version %v", m.Version())
	}
	if m.NumRounds() != 4 || m.NumTrees() != 12 {
		t.Errorf("rounds %d trees %d", m.NumRounds(), m.NumTrees())
	}
	if m.MemoryBytes() <= 0 {
		t.Error("MemoryBytes")
	}
	m, err = Load(mustFixture(t, "models/multi_softmax_gbtree_num.ubj"))
	if err != nil {
		t.Fatal(err)
	}
	if m.NumOutputs() != 1 || m.OutputWidth(PredictOptions{OutputMargin: true}) != 3 {
		t.Errorf("softmax widths %d %d", m.NumOutputs(), m.OutputWidth(PredictOptions{OutputMargin: true}))
	}
	m, err = Load(mustFixture(t, "models/reg_logistic_gbtree_num.model"))
	if err != nil {
		t.Fatal(err)
	}
	if m.IsClassification() || m.NumClasses() != 0 {
		t.Error("reg:logistic is a regression")
	}
	if best, ok := m.BestIteration(); !ok || best != 3 {
		t.Errorf("binary model: best_iteration %d %v (attributes %v)", best, ok, m.Attributes())
	}
	if _, ok := m.Attributes()["objective"]; ok {
		t.Error("binary model: the objective configuration is not an attribute")
	}
	if l, p := m.Classify([]float32{0.7}); l != -1 || p != nil {
		t.Error("Classify on a regressor")
	}
}

func TestPredictArgs(t *testing.T) {
	m, err := Load(mustFixture(t, "models/binary_logistic_gbtree_num.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, 2)
	if err := m.Predict(make([]float32, 6), 2, out, PredictOptions{}); err == nil {
		t.Error("short features accepted")
	}
	if err := m.Predict(make([]float32, 12), 2, out[:1], PredictOptions{}); err == nil {
		t.Error("short output accepted")
	}
	if err := m.Predict(make([]float32, 12), 2, out, PredictOptions{IterationEnd: 5}); err == nil {
		t.Error("iteration range beyond the model accepted")
	}
	if err := m.Predict(nil, 0, nil, PredictOptions{}); err != nil {
		t.Error(err)
	}
}

// TestConcurrent predicts from many goroutines on one model (run with -race).
func TestConcurrent(t *testing.T) {
	g := loadGolden(t)
	var c *golden.Case
	for i := range g.Cases {
		if g.Cases[i].Name == "large_multi_softprob" {
			c = &g.Cases[i]
		}
	}
	m, err := Load(mustFixture(t, c.Files[0]))
	if err != nil {
		t.Fatal(err)
	}
	x := hexFloats(t, g.Datasets[c.Dataset].X)
	nrows := g.Datasets[c.Dataset].NRows
	want := hexFloats(t, c.Expect[0].Values)
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			lo := i * nrows / 8
			hi := (i + 1) * nrows / 8
			out := make([]float32, (hi-lo)*3)
			if err := m.Predict(x[lo*8:hi*8], hi-lo, out, PredictOptions{}); err != nil {
				errs <- err.Error()
				return
			}
			for j := range out {
				if math.Float32bits(out[j]) != math.Float32bits(want[lo*3+j]) {
					errs <- "mismatch"
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestDartNegativeZeroLeaf checks XGBoost's DART arithmetic on a -0 leaf:
// the tree is predicted into a zeroed buffer (0 + -0 = +0) before weighting.
func TestDartNegativeZeroLeaf(t *testing.T) {
	var acc float32 = float32(math.Copysign(0, -1))
	addLeaf(&acc, float32(math.Copysign(0, -1)), true, 0.5)
	if math.Signbit(float64(acc)) {
		t.Error("DART: -0 + (0 + -0)*w should be +0")
	}
	acc = float32(math.Copysign(0, -1))
	addLeaf(&acc, float32(math.Copysign(0, -1)), false, 0)
	if !math.Signbit(float64(acc)) {
		t.Error("gbtree: -0 + -0 should be -0")
	}
}

func TestClassifyArgmax(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		v    []float32
		want int
	}{{[]float32{0.2, 0.5, 0.5}, 1}, {[]float32{0.2, nan, 0.9}, 1}, {[]float32{nan, 0.1, 0.9}, 0}, {[]float32{0.9, 0.05, 0.05}, 0}} {
		if got := npArgmax(c.v); got != c.want {
			t.Errorf("npArgmax(%v) = %d, want %d", c.v, got, c.want)
		}
	}
	// XGBoost's FindMaxIndex (multi:softmax) never moves past a leading NaN
	// and skips later ones.
	if argmax([]float32{nan, 1, 2}) != 0 || argmax([]float32{1, nan, 2}) != 2 || argmax([]float32{3, 3, 1}) != 0 {
		t.Error("argmax")
	}
}
