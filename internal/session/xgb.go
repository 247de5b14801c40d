package session

import (
	"github.com/modelsql/modelsql/internal/functions"
	"github.com/modelsql/modelsql/internal/xgboost"
)

// parseModel parses an XGBoost model file of any format.
func parseModel(data []byte) (*xgboost.Model, error) { return xgboost.Load(data) }

// loadPredictor parses a stored model file for ML_PREDICT.
func loadPredictor(data []byte) (functions.Predictor, int64, error) {
	m, err := xgboost.Load(data)
	if err != nil {
		return nil, 0, err
	}
	return predictor{m, classNames(m)}, m.MemoryBytes(), nil
}

// predictor adapts the runtime to ML_PREDICT: Booster.predict semantics
// (all rounds, transformed outputs).
type predictor struct {
	m     *xgboost.Model
	names []string // class names of a classifier trained by modelsql, else nil
}

// ClassNames implements functions.ClassNamer.
func (p predictor) ClassNames() []string { return p.names }

func (p predictor) NumFeatures() int { return p.m.NumFeatures() }
func (p predictor) Outputs() int     { return p.m.NumOutputs() }
func (p predictor) PredictRows(features []float32, nrows int, out []float32) error {
	return p.m.Predict(features, nrows, out, xgboost.PredictOptions{})
}
func (p predictor) PredictColumns(cols []xgboost.Column, nrows int, out []float32) error {
	return p.m.PredictColumns(cols, nrows, out, xgboost.PredictOptions{})
}
func (p predictor) ClassProbs() int                   { return p.m.ClassProbs() }
func (p predictor) Classify(row, probs []float32) int { return p.m.ClassifyInto(row, probs) }
