package train

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// goldenCase is one case of testdata/golden/manifest.json.gz (gen.py).
type goldenCase struct {
	ModelType string                          `json:"model_type"`
	LabelCol  string                          `json:"label_col"`
	Options   map[string]string               `json:"options"`
	Params    [][2]string                     `json:"params"`
	Rounds    int                             `json:"rounds"`
	EarlyStop int                             `json:"early_stop"`
	Features  []string                        `json:"features"`
	Rows      int                             `json:"rows"`
	TrainRows int                             `json:"train_rows"`
	Classes   []string                        `json:"classes"`
	ModelJSON map[string]any                  `json:"model_json"`
	History   map[string]map[string][]float64 `json:"history"`
	NumRounds int                             `json:"num_rounds"`
	Scores    map[string]map[string]float64   `json:"scores"`
	Metrics   map[string]float64              `json:"metrics"`
	Predict   string                          `json:"predict"`
	Contribs  string                          `json:"contribs"`
	PredShape []int                           `json:"predict_shape"`
	ContShape []int                           `json:"contribs_shape"`
}

func loadGolden(t *testing.T) map[string]*goldenCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "golden", "manifest.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Cases map[string]*goldenCase `json:"cases"`
	}
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m.Cases
}

// readCase reads a case's CSV the way SQL would: empty cells are missing,
// numbers are parsed as float64 and rounded to float32; rows of the
// evaluation split (the last fraction, or is_eval = true) go to eval.
func readCase(t *testing.T, name string, c *goldenCase) (train, eval *Data) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "golden", name+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, recs := recs[0], recs[1:]
	nf := len(c.Features)
	classCode := map[string]int{}
	for i, cl := range c.Classes {
		classCode[cl] = i
	}
	var trRows, evRows [][]string
	nEvalFrac := 0
	if fr, ok := c.Options["DATA_SPLIT_EVAL_FRACTION"]; ok {
		x, _ := strconv.ParseFloat(fr, 64)
		nEvalFrac = int(math.Ceil(x * float64(len(recs))))
	}
	for i, r := range recs {
		isEval := (len(header) > nf+1 && r[nf+1] == "true") || i >= len(recs)-nEvalFrac
		if isEval {
			evRows = append(evRows, r)
		} else {
			trRows = append(trRows, r)
		}
	}
	build := func(rows [][]string) *Data {
		if len(rows) == 0 {
			return nil
		}
		d := &Data{Names: c.Features, NRows: len(rows), Columns: make([][]float32, nf), Labels: make([]float32, len(rows))}
		for j := range d.Columns {
			d.Columns[j] = make([]float32, len(rows))
		}
		for i, r := range rows {
			for j := 0; j < nf; j++ {
				v := float32(math.NaN())
				if r[j] != "" {
					x, err := strconv.ParseFloat(r[j], 64)
					if err != nil {
						t.Fatal(err)
					}
					v = float32(x)
				}
				d.Columns[j][i] = v
			}
			if c.Classes != nil {
				d.Labels[i] = float32(classCode[r[nf]])
			} else {
				x, _ := strconv.ParseFloat(r[nf], 64)
				d.Labels[i] = float32(x)
			}
		}
		return d
	}
	return build(trRows), build(evRows)
}

func needLibrary(t *testing.T) {
	t.Helper()
	if _, err := Version(); err != nil {
		if os.Getenv("MODELSQL_REQUIRE_TOOLS") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// TestTrainMatchesPythonXGBoost trains each golden case through the C API
// and demands the booster xgboost.train produced from the same rows: the
// same trees, thresholds and leaf values, and the same evaluation history.
func TestTrainMatchesPythonXGBoost(t *testing.T) {
	needLibrary(t)
	for name, c := range loadGolden(t) {
		t.Run(name, func(t *testing.T) {
			tr, ev := readCase(t, name, c)
			if tr.NRows != c.TrainRows {
				t.Fatalf("train rows %d, golden %d", tr.NRows, c.TrainRows)
			}
			cfg := Config{Rounds: c.Rounds, EarlyStop: c.EarlyStop}
			for _, p := range c.Params {
				cfg.Params = append(cfg.Params, Param{p[0], p[1]})
			}
			var progress [][2]int
			res, err := Train(context.Background(), cfg, tr, ev, func(*Result) map[string]string { return map[string]string{"modelsql_test": "1"} }, func(d, n int) { progress = append(progress, [2]int{d, n}) })
			if err != nil {
				t.Fatal(err)
			}
			if res.Rounds != c.NumRounds {
				t.Errorf("rounds %d, python %d", res.Rounds, c.NumRounds)
			}
			if len(progress) != len(res.History) || progress[0] != [2]int{1, c.Rounds} {
				t.Errorf("progress %v", progress)
			}
			got := saveJSON(t, res.Model)
			learner := func(m map[string]any) map[string]any { return m["learner"].(map[string]any) }
			for _, k := range []string{"gradient_booster", "learner_model_param", "objective", "feature_names"} {
				if !reflect.DeepEqual(learner(got)[k], learner(c.ModelJSON)[k]) {
					t.Errorf("learner.%s differs from XGBoost's Python package at %s", k, firstDiff(learner(got)[k], learner(c.ModelJSON)[k], k))
				}
			}
			if a := learner(got)["attributes"].(map[string]any); a["modelsql_test"] != "1" {
				t.Errorf("attributes %v", a)
			}
			for set, ms := range c.History {
				for metric, want := range ms {
					for i, w := range want {
						if i >= len(res.History) {
							t.Fatalf("history has %d rounds, python %d", len(res.History), len(want))
						}
						if g := res.History[i].Metrics[metric][set]; g != w {
							t.Errorf("round %d %s-%s = %v, python %v", i, set, metric, g, w)
						}
					}
				}
			}
		})
	}
}

// saveJSON converts a UBJSON model to XGBoost's JSON through the library.
func saveJSON(t *testing.T, ubj []byte) map[string]any {
	t.Helper()
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.loadBooster(ubj)
	if err != nil {
		t.Fatal(err)
	}
	defer b.free()
	js, err := b.save("json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTrainCancelled(t *testing.T) {
	needLibrary(t)
	c := loadGolden(t)["binary"]
	tr, _ := readCase(t, "binary", c)
	ctx, cancel := context.WithCancel(context.Background())
	rounds := 0
	_, err := Train(ctx, Config{Rounds: 50, Params: []Param{{"objective", "binary:logistic"}}}, tr, nil, nil, func(d, n int) {
		rounds = d
		if d == 2 {
			cancel()
		}
	})
	if err == nil || rounds != 2 {
		t.Fatalf("err %v after %d rounds", err, rounds)
	}
}

func TestTrainErrors(t *testing.T) {
	needLibrary(t)
	d := &Data{Names: []string{"a"}, Columns: [][]float32{{1, 2}}, Labels: []float32{0, 1}, NRows: 2}
	for _, tc := range []struct {
		cfg  Config
		eval *Data
	}{
		{Config{Rounds: 0}, nil},
		{Config{Rounds: 2, EarlyStop: 1}, nil},
		{Config{Rounds: 2, Params: []Param{{"objective", "no:such"}}}, nil},
		{Config{Rounds: 2, Params: []Param{{"max_depth", "-3"}}}, nil},
	} {
		if _, err := Train(context.Background(), tc.cfg, d, tc.eval, nil, nil); err == nil {
			t.Errorf("%+v: no error", tc.cfg)
		}
	}
}

func TestMissingLibraryNamesPackage(t *testing.T) {
	// A fresh process state cannot be had in-process; check the message open() builds.
	t.Setenv(LibraryEnv, "/nonexistent/libxgboost.so")
	_, err := open()
	if err == nil || !errors.Is(err, ErrNoLibrary) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{DebianPackage, "apt-get install"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// firstDiff names the first place where two decoded JSON values differ.
func firstDiff(a, b any, path string) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return path
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !reflect.DeepEqual(x[k], y[k]) {
				return firstDiff(x[k], y[k], path+"."+k)
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return path + fmt.Sprintf(" (%d vs %d elements)", len(x), lenOf(b))
		}
		for i := range x {
			if !reflect.DeepEqual(x[i], y[i]) {
				return firstDiff(x[i], y[i], fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	return fmt.Sprintf("%s: %v vs %v", path, a, b)
}

func lenOf(v any) int {
	if s, ok := v.([]any); ok {
		return len(s)
	}
	return -1
}
