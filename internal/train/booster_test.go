package train

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestBoosterOnEveryFixtureModel loads each model file of the runtime's
// fixtures (every objective and booster, JSON, UBJSON and the legacy binary
// format, hand-made 2.x/3.x layouts, files that must be refused) into
// libxgboost and asks for importances and contributions: errors are fine,
// a crash is not.
func TestBoosterOnEveryFixtureModel(t *testing.T) {
	needLibrary(t)
	files, _ := filepath.Glob(filepath.Join("..", "xgboost", "testdata", "golden", "models", "*"))
	if len(files) < 100 {
		t.Fatalf("%d fixture models", len(files))
	}
	loaded := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := LoadBooster(data)
		if err != nil {
			continue
		}
		loaded++
		b.FeatureImportance()
		for nf := 1; nf <= 8; nf++ {
			rows := make([]float32, 3*nf)
			for i := range rows {
				rows[i] = float32(i%5) - 2
			}
			rows[0] = float32(math.NaN())
			b.Contributions(rows, 3, nf)
		}
		b.Close()
	}
	if loaded < len(files)/2 {
		t.Errorf("only %d of %d fixture models load", loaded, len(files))
	}
	t.Logf("%d of %d fixture models load into libxgboost", loaded, len(files))
}
