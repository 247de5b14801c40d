// Package evaluation computes model evaluation metrics the way scikit-learn
// 1.2 defines them (ML_EVALUATE): regression errors, and classification
// accuracy, precision, recall, F1, log loss and ROC AUC.
package evaluation

import (
	"fmt"
	"math"
	"sort"
)

// Regression holds regression metrics.
type Regression struct {
	MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError, R2, ExplainedVariance float64
}

// Regress computes the metrics of predictions p for true values y.
func Regress(y, p []float64) (Regression, error) {
	n := len(y)
	if n == 0 || len(p) != n {
		return Regression{}, fmt.Errorf("no rows to evaluate")
	}
	fn := float64(n)
	var mae, mse, meanY, meanD float64
	for i := range y {
		d := y[i] - p[i]
		mae += math.Abs(d)
		mse += d * d
		meanY += y[i]
		meanD += d
	}
	mae /= fn
	mse /= fn
	meanY /= fn
	meanD /= fn
	var ssTot, varD float64
	for i := range y {
		t := y[i] - meanY
		ssTot += t * t
		e := y[i] - p[i] - meanD
		varD += e * e
	}
	r := Regression{MeanAbsoluteError: mae, MeanSquaredError: mse, RootMeanSquaredError: math.Sqrt(mse)}
	// As scikit-learn: a constant target scores 1 when predicted exactly, else 0.
	switch {
	case ssTot != 0:
		r.R2 = 1 - mse*fn/ssTot
		r.ExplainedVariance = 1 - (varD/fn)/(ssTot/fn)
	default:
		if mse == 0 {
			r.R2 = 1
		}
		if varD == 0 {
			r.ExplainedVariance = 1
		}
	}
	return r, nil
}

// Classification holds classification metrics. Precision, recall and F1
// are for class 1 of a binary problem and macro averages (over the
// classes present in the true or predicted labels) otherwise; ROC AUC is
// one-vs-rest, macro-averaged, for more than two classes. AUC is NaN when
// the true labels have a single class.
type Classification struct {
	Accuracy, Precision, Recall, F1, LogLoss, ROCAUC float64
}

// Classify computes the metrics of class probabilities probs (n × k, row
// after row) for true class indices y in [0, k). The predicted class of a
// row is its most probable one (the first on ties).
func Classify(y []int, probs []float64, k int) (Classification, error) {
	n := len(y)
	if n == 0 || k < 2 || len(probs) != n*k {
		return Classification{}, fmt.Errorf("no rows to evaluate")
	}
	pred := make([]int, n)
	tp := make([]float64, k)
	predCount := make([]float64, k)
	trueCount := make([]float64, k)
	correct := 0
	var loss float64
	const eps = 2.220446049250313e-16 // float64 epsilon, as log_loss's "auto"
	row := make([]float64, k)
	for i := 0; i < n; i++ {
		if y[i] < 0 || y[i] >= k {
			return Classification{}, fmt.Errorf("label index %d out of range", y[i])
		}
		best := 0
		for c := 0; c < k; c++ {
			if probs[i*k+c] > probs[i*k+best] {
				best = c
			}
		}
		pred[i] = best
		predCount[best]++
		trueCount[y[i]]++
		if best == y[i] {
			correct++
			tp[best]++
		}
		sum := 0.0
		for c := 0; c < k; c++ {
			row[c] = math.Min(math.Max(probs[i*k+c], eps), 1-eps)
			sum += row[c]
		}
		loss += -math.Log(row[y[i]] / sum)
	}
	r := Classification{Accuracy: float64(correct) / float64(n), LogLoss: loss / float64(n)}
	prf := func(c int) (p, rc, f float64) {
		if predCount[c] > 0 {
			p = tp[c] / predCount[c]
		}
		if trueCount[c] > 0 {
			rc = tp[c] / trueCount[c]
		}
		if p+rc > 0 {
			f = 2 * p * rc / (p + rc)
		}
		return
	}
	if k == 2 {
		r.Precision, r.Recall, r.F1 = prf(1)
		score := make([]float64, n)
		pos := make([]bool, n)
		for i := range y {
			score[i], pos[i] = probs[i*2+1], y[i] == 1
		}
		r.ROCAUC = auc(score, pos)
		return r, nil
	}
	present := 0
	var aucSum float64
	aucN := 0
	for c := 0; c < k; c++ {
		if predCount[c] == 0 && trueCount[c] == 0 {
			continue
		}
		present++
		p, rc, f := prf(c)
		r.Precision += p
		r.Recall += rc
		r.F1 += f
	}
	r.Precision /= float64(present)
	r.Recall /= float64(present)
	r.F1 /= float64(present)
	for c := 0; c < k; c++ {
		score := make([]float64, n)
		pos := make([]bool, n)
		for i := range y {
			score[i], pos[i] = probs[i*k+c], y[i] == c
		}
		aucSum += auc(score, pos)
		aucN++
	}
	r.ROCAUC = aucSum / float64(aucN)
	return r, nil
}

// auc is the area under the ROC curve of scores for the positive rows,
// with tied scores forming one step (trapezoids), as roc_auc_score.
func auc(score []float64, pos []bool) float64 {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] > score[idx[b]] })
	var P, N float64
	for _, p := range pos {
		if p {
			P++
		} else {
			N++
		}
	}
	if P == 0 || N == 0 {
		return math.NaN()
	}
	var area, tps, fps, prevT, prevF float64
	for i, j := range idx {
		if pos[j] {
			tps++
		} else {
			fps++
		}
		if i+1 < len(idx) && score[idx[i+1]] == score[j] {
			continue
		}
		area += (fps - prevF) * (tps + prevT) / 2
		prevT, prevF = tps, fps
	}
	return area / (P * N)
}
