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
