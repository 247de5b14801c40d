package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMainJob runs the README's main job (scripts/demo.sh: examples/demo.sql
// with the test LLM server) twice on one data directory, and checks the
// shapes MaxCompute documents for its ML_PREDICT examples, which the demo
// runs verbatim: a classifier's STRUCT(label, probs) with one probability
// per class, a regressor's number as STRING.
func TestMainJob(t *testing.T) {
	data := t.TempDir()
	for i := range 2 { // the demo cleans up after itself, so it can run again
		cmd := exec.Command("bash", filepath.Join(repoRoot(), "scripts", "demo.sh"))
		cmd.Env = append(os.Environ(), "MODELSQL_BIN="+bin, "MODELSQL_DATA="+data)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, out)
		}
		text := string(out)
		for _, want := range []*regexp.Regexp{
			// SELECT ML_PREDICT(test_xgboost_classifier, v1, 1, 2, 3, 4);
			regexp.MustCompile(`\| \{"label":"[012]","probs":\[[0-9.e-]+,[0-9.e-]+,[0-9.e-]+\]\} +\|`),
			// SELECT ML_PREDICT(demo_model_xgboost_regressor, v01, 0.22438f, ...);
			regexp.MustCompile(`\| _c0 +\|\n\+-+\+\n\| [0-9]+\.[0-9]+ +\|`),
			regexp.MustCompile(`\| training_accuracy +\|\n\+-+\+\n\| (1|0\.9[0-9]*) +\|`),
		} {
			if !want.MatchString(text) {
				t.Fatalf("run %d: output lacks %s:\n%s", i+1, want, text)
			}
		}
		if strings.Contains(text, "error") || strings.Contains(text, "demo-key") {
			t.Fatalf("run %d: an error or the API key in the output:\n%s", i+1, text)
		}
	}
}
