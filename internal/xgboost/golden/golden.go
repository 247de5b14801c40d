// Package golden reads the XGBoost runtime's golden fixtures: model files
// and XGBoost's own outputs for them, written by
// internal/xgboost/testdata/gen.py from XGBoost 1.7.4 (`make fixtures`).
// The runtime's tests check Predict against them; the end-to-end tests run
// them through ML_PREDICT.
package golden

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Expect is XGBoost's output for one set of prediction options.
type Expect struct {
	IterationBegin int    `json:"iteration_begin"`
	IterationEnd   int    `json:"iteration_end"`
	OutputMargin   bool   `json:"output_margin"`
	Shape          []int  `json:"shape"`
	Values         string `json:"values"` // see Floats
}

// Default reports whether e is Booster.predict with default options: all
// rounds, transformed outputs.
func (e Expect) Default() bool {
	return e.IterationBegin == 0 && e.IterationEnd == 0 && !e.OutputMargin
}

// Case is one model, saved in one or more formats, and its expected outputs
// on a dataset.
type Case struct {
	Name      string   `json:"name"`
	Dataset   string   `json:"dataset"`
	Files     []string `json:"files"` // relative to Dir
	Objective string   `json:"objective"`
	Booster   string   `json:"booster"`
	Expect    []Expect `json:"expect"`
	Sklearn   *struct {
		BestIteration int    `json:"best_iteration"`
		Labels        []int  `json:"labels"`
		Proba         string `json:"proba"`
		ProbaShape    []int  `json:"proba_shape"`
	} `json:"sklearn"`
}

// Dataset is a row-major float32 matrix; NaN marks a missing value.
type Dataset struct {
	NRows int    `json:"nrows"`
	NFeat int    `json:"nfeat"`
	X     string `json:"x"` // see Floats
}

// Manifest lists the fixtures.
type Manifest struct {
	Version  string             `json:"xgboost_version"`
	Datasets map[string]Dataset `json:"datasets"`
	Cases    []Case             `json:"cases"`
	Errors   []struct {
		Name     string   `json:"name"`
		Files    []string `json:"files"`
		Contains string   `json:"contains"`
	} `json:"errors"`
}

// Dir is the fixtures' directory in the source tree.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "golden")
}

// ReadFile reads a file under Dir, gunzipping *.gz.
func ReadFile(name string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(Dir(), name))
	if err != nil || !strings.HasSuffix(name, ".gz") {
		return data, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return io.ReadAll(zr)
}

// Load reads the manifest.
func Load() (*Manifest, error) {
	data, err := ReadFile("manifest.json.gz")
	if err != nil {
		return nil, err
	}
	m := new(Manifest)
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("golden manifest: %w", err)
	}
	return m, nil
}

// Floats decodes the manifest's hex strings of big-endian float32s.
func Floats(s string) ([]float32, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(uint32(b[4*i])<<24 | uint32(b[4*i+1])<<16 | uint32(b[4*i+2])<<8 | uint32(b[4*i+3]))
	}
	return out, nil
}
