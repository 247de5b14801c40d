package train

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// findKey returns the first value of key anywhere in decoded JSON.
func findKey(v any, key string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		if val, ok := x[key]; ok {
			return val, true
		}
		for _, val := range x {
			if r, ok := findKey(val, key); ok {
				return r, true
			}
		}
	case []any:
		for _, val := range x {
			if r, ok := findKey(val, key); ok {
				return r, true
			}
		}
	}
	return nil, false
}

// TestDefaultsAreXGBoosts compares each option's documented default with
// the value libxgboost itself configures when the parameter is not given.
func TestDefaultsAreXGBoosts(t *testing.T) {
	needLibrary(t)
	c, _ := load()
	d, err := c.newDMatrix([]float32{1, 2, 3, 4, 5, 6}, 3, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer d.free()
	if err := d.setLabels([]float32{0, 1, 0}); err != nil {
		t.Fatal(err)
	}
	b, err := c.newBooster([]*dmatrix{d})
	if err != nil {
		t.Fatal(err)
	}
	defer b.free()
	if err := b.update(0, d); err != nil {
		t.Fatal(err)
	}
	raw, err := b.config()
	if err != nil {
		t.Fatal(err)
	}
	var cfg any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, def := range optionDefs {
		if def.param == "" || def.key == "TREE_METHOD" || def.key == "EVAL_METRIC" {
			continue // TREE_METHOD: 'auto' is resolved in the saved config; EVAL_METRIC: per objective
		}
		got, ok := findKey(cfg, def.param)
		if !ok {
			t.Errorf("%s: XGBoost's configuration has no %s", def.key, def.param)
			continue
		}
		want, _ := strconv.ParseFloat(def.def, 64)
		g, _ := strconv.ParseFloat(got.(string), 32)
		if float32(g) != float32(want) {
			t.Errorf("%s: documented default %s, XGBoost's %s = %v", def.key, def.def, def.param, got)
		}
		checked++
	}
	if checked < 14 {
		t.Fatalf("only %d defaults checked", checked)
	}
	if tm, _ := findKey(cfg, "tree_method"); tm != "exact" { // 'auto' on a small data set
		t.Errorf("tree_method %v", tm)
	}
}

// TestDefaultsDocumented checks docs/training.md's option table against the code.
func TestDefaultsDocumented(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "training.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\|([^|]*)\\|[^|]*\\| `([^`]+)`")
	key := regexp.MustCompile("`([A-Z0-9_]+)`")
	found := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(page), -1) {
		for _, k := range key.FindAllStringSubmatch(m[1], -1) {
			found[k[1]] = m[2]
		}
	}
	for key, def := range Defaults() {
		if strings.HasPrefix(def, "the ") {
			continue
		}
		if found[key] != def {
			t.Errorf("%s: docs/training.md says %q, the code %q", key, found[key], def)
		}
	}
}

func TestParseOptions(t *testing.T) {
	base := func(kv ...string) map[string]string {
		m := map[string]string{"MODEL_TYPE": "BOOSTED_TREE_REGRESSOR", "LABEL_COL": "y"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		opts     map[string]string
		existing string
		want     string // error substring; "" = accepted
	}{
		{base(), "", ""},
		{base("max_depth", "4", "learning_rate", "0.1"), "", ""},
		{base("MAX_DEPTH", "-1"), "", "MAX_DEPTH must be an integer from 0 to 64"},
		{base("LEARNING_RATE", "1.5"), "", "LEARNING_RATE must be a number in [0, 1]"},
		{base("SUBSAMPLE", "0"), "", "SUBSAMPLE must be a number in (0, 1]"},
		{base("TREE_METHOD", "gpu_hist"), "", "TREE_METHOD must be one of auto, exact, approx, hist"},
		{base("OBJECTIVE", "binary:logistic"), "", "OBJECTIVE for BOOSTED_TREE_REGRESSOR must be one of"},
		{base("EARLY_STOP_ROUNDS", "3"), "", "needs evaluation rows"},
		{base("DATA_SPLIT_COL", "s", "DATA_SPLIT_EVAL_FRACTION", "0.2"), "", "not both"},
		{base("DATA_SPLIT_COL", "y"), "", "name the same column"},
		{base("DATA_SPLIT_EVAL_FRACTION", "1"), "", "below 1"},
		{base("MODEL_SOURCE_TYPE", "IMPORT"), "", "INTERNAL_TRAIN"},
		{base("NO_SUCH", "1"), "", "unknown training option NO_SUCH"},
		{map[string]string{"LABEL_COL": "y"}, "", "MODEL_TYPE is required"},
		{map[string]string{"LABEL_COL": "y"}, Classifier, ""},
		{base(), Classifier, "cannot be changed"},
		{map[string]string{"MODEL_TYPE": "LLM", "LABEL_COL": "y"}, "", "cannot be trained"},
		{map[string]string{"MODEL_TYPE": Regressor}, "", "LABEL_COL is required"},
	} {
		_, err := ParseOptions(tc.opts, tc.existing)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v (model %q): err %v, want %q", tc.opts, tc.existing, err, tc.want)
		}
	}
	// The parameters XGBoost gets: objective and num_class inferred.
	s, _ := ParseOptions(map[string]string{"MODEL_TYPE": Classifier, "LABEL_COL": "y", "MAX_DEPTH": "3", "NUM_THREADS": "0"}, "")
	cfg, err := s.Config(3)
	if err != nil || len(cfg.Params) != 3 || cfg.Params[0] != (Param{"objective", "multi:softprob"}) || cfg.Params[1] != (Param{"num_class", "3"}) || cfg.Params[2] != (Param{"max_depth", "3"}) || cfg.Rounds != 10 {
		t.Fatalf("%+v %v", cfg, err)
	}
	if cfg, _ := s.Config(2); cfg.Params[0] != (Param{"objective", "binary:logistic"}) {
		t.Fatalf("%+v", cfg)
	}
	if _, err := s.Config(1); err == nil {
		t.Fatal("one class accepted")
	}
}
