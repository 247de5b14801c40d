package xgboost

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modelsql/modelsql/internal/xgboost/golden"
)

// The golden fixtures are written by testdata/gen.py from XGBoost 1.7.4;
// package golden reads them.

var (
	goldenOnce sync.Once
	goldenM    *golden.Manifest
	goldenErr  error
)

func loadGolden(t testing.TB) *golden.Manifest {
	t.Helper()
	goldenOnce.Do(func() { goldenM, goldenErr = golden.Load() })
	if goldenErr != nil {
		t.Fatal(goldenErr)
	}
	return goldenM
}

// readFixture reads a file under testdata/golden, gunzipping *.gz.
func readFixture(name string) ([]byte, error) { return golden.ReadFile(name) }

func hexFloats(t testing.TB, s string) []float32 {
	t.Helper()
	v, err := golden.Floats(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sameBits compares float32 slices bit for bit (any NaN equals any NaN: the
// payload of a NaN is not part of XGBoost's contract).
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		g, w := math.Float32bits(got[i]), math.Float32bits(want[i])
		if g == w || (got[i] != got[i] && want[i] != want[i]) {
			continue
		}
		if bad < 5 {
			t.Errorf("%s: value %d = %v (%#08x), want %v (%#08x)", what, i, got[i], g, want[i], w)
		}
		bad++
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(got))
	}
}

func TestGolden(t *testing.T) {
	g := loadGolden(t)
	if g.Version != "1.7.4" {
		t.Fatalf("fixtures from XGBoost %s", g.Version)
	}
	if !UseFMA {
		t.Log("CPU without FMA+AVX2: checking the SSE2 variant of expf/logf")
	}
	datasets := map[string][]float32{}
	for name, d := range g.Datasets {
		x := hexFloats(t, d.X)
		if len(x) != d.NRows*d.NFeat {
			t.Fatalf("dataset %s: %d values", name, len(x))
		}
		datasets[name] = x
	}
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) {
			x := datasets[c.Dataset]
			nf := g.Datasets[c.Dataset].NFeat
			nrows := g.Datasets[c.Dataset].NRows
			for _, file := range c.Files {
				data, err := readFixture(file)
				if err != nil {
					t.Fatal(err)
				}
				m, err := Load(data)
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				if m.NumFeatures() != nf {
					t.Fatalf("%s: %d features, want %d", file, m.NumFeatures(), nf)
				}
				if m.Objective() != c.Objective {
					t.Errorf("%s: objective %q, want %q", file, m.Objective(), c.Objective)
				}
				if m.Booster() != c.Booster {
					t.Errorf("%s: booster %q, want %q", file, m.Booster(), c.Booster)
				}
				for _, e := range c.Expect {
					want := hexFloats(t, e.Values)
					opt := PredictOptions{IterationBegin: e.IterationBegin, IterationEnd: e.IterationEnd, OutputMargin: e.OutputMargin}
					if w := m.OutputWidth(opt); w*nrows != len(want) {
						t.Fatalf("%s: output width %d, expected shape %v", file, w, e.Shape)
					}
					for _, generic := range []bool{false, true} {
						for _, parallel := range []bool{false, true} {
							o := opt
							o.generic = generic
							got := make([]float32, len(want))
							var err error
							if parallel {
								err = m.PredictParallel(x, nrows, got, o, 3)
							} else {
								err = m.Predict(x, nrows, got, o)
							}
							if err != nil {
								t.Fatalf("%s: %v", file, err)
							}
							what := file + " " + describe(o, parallel)
							sameBits(t, what, got, want)
						}
						// The same rows given column by column: missing as NaN,
						// and missing marked in validity bitmaps only (the
						// values under them are garbage, as in DuckDB's vectors).
						o := opt
						o.generic = generic
						nf := m.NumFeatures()
						nanCols := make([]Column, nf)
						maskCols := make([]Column, nf)
						for f := range nf {
							vals := make([]float32, nrows)
							masked := make([]float32, nrows)
							valid := make([]uint64, (nrows+63)/64)
							for r := range nrows {
								x := x[r*nf+f]
								vals[r], masked[r] = x, x
								if x == x {
									valid[r/64] |= 1 << (r % 64)
								} else {
									masked[r] = float32(r%5) - 2 // garbage
								}
							}
							nanCols[f] = Column{Values: vals}
							maskCols[f] = Column{Values: masked, Valid: valid}
						}
						for name, cols := range map[string][]Column{"columns": nanCols, "columns with validity": maskCols} {
							got := make([]float32, len(want))
							if err := m.PredictColumns(cols, nrows, got, o); err != nil {
								t.Fatalf("%s: PredictColumns: %v", file, err)
							}
							sameBits(t, file+" "+describe(o, false)+" "+name, got, want)
						}
					}
				}
				if c.Sklearn != nil {
					checkSklearn(t, m, c, x, nrows)
				}
			}
		})
	}
}

func describe(o PredictOptions, parallel bool) string {
	var b strings.Builder
	b.WriteString("range [")
	b.WriteString(strconv.Itoa(o.IterationBegin) + "," + strconv.Itoa(o.IterationEnd) + ")")
	if o.OutputMargin {
		b.WriteString(" margin")
	}
	if o.generic {
		b.WriteString(" generic")
	}
	if parallel {
		b.WriteString(" parallel")
	}
	return b.String()
}

// checkSklearn compares Classify and UseBestIteration with XGBClassifier's
// predict and predict_proba.
func checkSklearn(t *testing.T, m *Model, c golden.Case, x []float32, nrows int) {
	sk := c.Sklearn
	if et := m.EstimatorType(); et != "classifier" {
		t.Errorf("estimator type %q", et)
	}
	best, ok := m.BestIteration()
	if !ok || best != sk.BestIteration {
		t.Fatalf("best iteration %d %v, want %d", best, ok, sk.BestIteration)
	}
	opt := PredictOptions{UseBestIteration: true}
	w := m.OutputWidth(opt)
	out := make([]float32, nrows*w)
	if err := m.Predict(x, nrows, out, opt); err != nil {
		t.Fatal(err)
	}
	wantProba := hexFloats(t, sk.Proba)
	k := m.NumClasses()
	var gotProba []float32
	for r := 0; r < nrows; r++ {
		label, probs := m.Classify(out[r*w : (r+1)*w])
		if label != sk.Labels[r] {
			t.Errorf("row %d: label %d, want %d", r, label, sk.Labels[r])
		}
		if len(probs) != k {
			t.Fatalf("row %d: %d probabilities, want %d", r, len(probs), k)
		}
		gotProba = append(gotProba, probs...)
	}
	sameBits(t, "predict_proba", gotProba, wantProba)
}

func TestGoldenErrors(t *testing.T) {
	g := loadGolden(t)
	for _, e := range g.Errors {
		for _, file := range e.Files {
			data, err := readFixture(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Load(data)
			if err == nil || !strings.Contains(err.Error(), e.Contains) {
				t.Errorf("%s: error %v, want one containing %q", file, err, e.Contains)
			}
			if e.Contains == "unsupported" && !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s: error %v does not wrap ErrUnsupported", file, err)
			}
		}
	}
}
