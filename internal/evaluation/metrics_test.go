package evaluation

import (
	"math"
	"testing"
)

func TestRegressEdgeCases(t *testing.T) {
	r, err := Regress([]float64{2, 2, 2}, []float64{2, 2, 2})
	if err != nil || r.R2 != 1 || r.ExplainedVariance != 1 || r.MeanSquaredError != 0 {
		t.Fatalf("%+v %v", r, err)
	}
	r, _ = Regress([]float64{2, 2}, []float64{1, 3})
	if r.R2 != 0 || r.MeanAbsoluteError != 1 {
		t.Fatalf("constant target, wrong predictions: %+v", r)
	}
	r, _ = Regress([]float64{1, 2, 3}, []float64{2, 3, 4}) // a constant offset explains all variance
	if r.ExplainedVariance != 1 || r.R2 != -0.5 {
		t.Fatalf("%+v", r)
	}
	if _, err := Regress(nil, nil); err == nil {
		t.Fatal("no rows accepted")
	}
}

func TestClassifyHandComputed(t *testing.T) {
	// Binary: scores 0.9 (pos), 0.4 (neg), 0.4 (pos), 0.1 (neg); the tie
	// counts half: AUC = (1 + 0.5 + 1 + 1) / 4.
	probs := []float64{0.1, 0.9, 0.6, 0.4, 0.6, 0.4, 0.9, 0.1}
	r, err := Classify([]int{1, 0, 1, 0}, probs, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.ROCAUC != 0.875 || r.Accuracy != 0.75 || r.Precision != 1 || r.Recall != 0.5 || math.Abs(r.F1-2.0/3) > 1e-15 {
		t.Fatalf("%+v", r)
	}
	want := -(math.Log(0.9) + math.Log(0.6) + math.Log(0.4) + math.Log(0.9)) / 4
	if math.Abs(r.LogLoss-want) > 1e-15 {
		t.Fatalf("log loss %v, want %v", r.LogLoss, want)
	}
	// A single true class: AUC undefined.
	r, _ = Classify([]int{1, 1}, []float64{0.2, 0.8, 0.7, 0.3}, 2)
	if !math.IsNaN(r.ROCAUC) {
		t.Fatalf("AUC %v", r.ROCAUC)
	}
	if _, err := Classify([]int{3}, []float64{0.5, 0.5}, 2); err == nil {
		t.Fatal("label out of range accepted")
	}
}
