package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/xgboost/golden"
)

// floats decodes a golden manifest's float32 list.
func floats(t *testing.T, s string) []float32 {
	t.Helper()
	v, err := golden.Floats(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPredictGoldenThroughSQL runs every golden fixture of the XGBoost
// runtime through SQL: the fixture's rows are loaded into a table (missing
// values as NULL), the model file is imported with CREATE MODEL, and
// ML_PREDICT over the table must return XGBoost's Booster.predict outputs
// bit for bit. The features are passed as FLOAT or DOUBLE columns
// (alternating by case; categorical features hold category codes, some of
// them fractional, which XGBoost truncates); each case imports one of its
// files, rotating through the formats (JSON, UBJSON, binary).
func TestPredictGoldenThroughSQL(t *testing.T) {
	g, err := golden.Load()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	var script strings.Builder
	for _, name := range slices.Sorted(maps.Keys(g.Datasets)) {
		d := g.Datasets[name]
		x := floats(t, d.X)
		if len(x) != d.NRows*d.NFeat {
			t.Fatalf("dataset %s: %d values for %d×%d", name, len(x), d.NRows, d.NFeat)
		}
		csvPath := filepath.Join(dir, name+".csv")
		writeCSV(t, csvPath, x, d.NFeat)
		cols, sel := "'id': 'BIGINT'", "id"
		for f := range d.NFeat {
			cols += fmt.Sprintf(", 'x%d': 'DOUBLE'", f)
			sel += fmt.Sprintf(", CAST(x%d AS FLOAT) AS f%d, x%d AS d%d", f, f, f, f)
		}
		fmt.Fprintf(&script, "CREATE TABLE %s AS SELECT %s FROM read_csv('%s', header = false, columns = {%s});\n", name, sel, csvPath, cols)
	}

	type sqlCase struct {
		name, dataset, modelType, objective string
		want                                []float32
		width                               int
	}
	var cases []sqlCase
	for i, c := range g.Cases {
		var want []float32
		width := 0
		for _, e := range c.Expect {
			if e.Default() {
				want = floats(t, e.Values)
				width = 1
				if len(e.Shape) == 2 {
					width = e.Shape[1]
				}
			}
		}
		if want == nil {
			continue
		}
		d := g.Datasets[c.Dataset]
		prefix, typ := "f", "FLOAT"
		if i%2 == 1 {
			prefix, typ = "d", "DOUBLE"
		}
		var input, args []string
		for f := range d.NFeat {
			input = append(input, fmt.Sprintf("c%d %s", f, typ))
			args = append(args, fmt.Sprintf("%s%d", prefix, f))
		}
		mt := "BOOSTED_TREE_REGRESSOR"
		if strings.HasPrefix(c.Objective, "binary:") || strings.HasPrefix(c.Objective, "multi:") {
			mt = "BOOSTED_TREE_CLASSIFIER"
		}
		file := c.Files[i%len(c.Files)]
		src := filepath.Join(golden.Dir(), file)
		if strings.HasSuffix(file, ".gz") {
			data, err := golden.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			src = filepath.Join(dir, strings.TrimSuffix(filepath.Base(file), ".gz"))
			if err := os.WriteFile(src, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(&script, "CREATE MODEL m%d WITH VERSION v1 INPUT(%s) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='%s', LOCATION='file://%s');\n",
			i, strings.Join(input, ", "), mt, src)
		fmt.Fprintf(&script, "SELECT %d AS case_no, id, ML_PREDICT(m%d, v1, %s) AS p FROM %s ORDER BY id;\n", len(cases), i, strings.Join(args, ", "), c.Dataset)
		cases = append(cases, sqlCase{name: c.Name + " (" + filepath.Base(file) + ", " + typ + ")", dataset: c.Dataset, modelType: mt, objective: c.Objective, want: want, width: width})
	}
	if len(cases) < 100 {
		t.Fatalf("only %d golden cases", len(cases))
	}
	scriptPath := filepath.Join(dir, "golden.sql")
	if err := os.WriteFile(scriptPath, []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", "--data", data, "--format", "jsonl", "-f", scriptPath)
	if r.code != 0 {
		t.Fatalf("golden script failed: %s", r.stderr)
	}

	seen := make([]int, len(cases))
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var row struct {
			Case *int `json:"case_no"`
			ID   int
			P    json.RawMessage
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		if row.Case == nil {
			continue // a statement's status line
		}
		c := cases[*row.Case]
		seen[*row.Case]++
		want := c.want[row.ID*c.width : (row.ID+1)*c.width]
		if err := checkGoldenRow(c.modelType, c.objective, row.P, want); err != nil {
			t.Errorf("%s row %d: %v", c.name, row.ID, err)
		}
	}
	for i, c := range cases {
		if n := g.Datasets[c.dataset].NRows; seen[i] != n {
			t.Errorf("%s: %d rows, want %d", c.name, seen[i], n)
		}
	}
}

func sameFloat32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// checkGoldenRow compares one ML_PREDICT result with XGBoost's output row:
// a regressor's STRING is the float32 itself; a classifier's probs are
// softprob's row, or [1-p, p] for a binary objective; its label is the
// most probable class (the predicted class for multi:softmax).
func checkGoldenRow(modelType, objective string, raw json.RawMessage, want []float32) error {
	if modelType == "BOOSTED_TREE_REGRESSOR" {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("result %s is not a STRING", raw)
		}
		v, err := strconv.ParseFloat(s, 32)
		if err != nil || !sameFloat32(float32(v), want[0]) {
			return fmt.Errorf("%q, XGBoost %v", s, want[0])
		}
		return nil
	}
	var p struct {
		Label string
		Probs []float32
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("result %s: %v", raw, err)
	}
	var wantProbs []float32
	wantLabel := 0
	switch {
	case objective == "multi:softprob":
		wantProbs = want
		for k, v := range want {
			if v > want[wantLabel] {
				wantLabel = k
			}
		}
	case objective == "multi:softmax": // the class itself, no probabilities
		wantLabel = int(want[0])
	default: // binary objectives
		wantProbs = []float32{1 - want[0], want[0]}
		if want[0] > 0.5 {
			wantLabel = 1
		}
	}
	if p.Label != strconv.Itoa(wantLabel) || len(p.Probs) != len(wantProbs) {
		return fmt.Errorf("%s, want label %d and %d probabilities (XGBoost %v)", raw, wantLabel, len(wantProbs), want)
	}
	for k := range wantProbs {
		if !sameFloat32(p.Probs[k], wantProbs[k]) {
			return fmt.Errorf("probability %d = %v, XGBoost %v", k, p.Probs[k], wantProbs[k])
		}
	}
	return nil
}
