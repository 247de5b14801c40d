package train

import (
	"fmt"
	"runtime"
	"sync"
)

// Booster is a model loaded into libxgboost, for what modelsql's own
// runtime does not compute: SHAP contributions and feature importances.
// It is safe for concurrent use (calls are serialised).
type Booster struct {
	mu sync.Mutex
	b  *booster
}

// LoadBooster loads a model file of any format XGBoost reads.
func LoadBooster(model []byte) (*Booster, error) {
	c, err := load()
	if err != nil {
		return nil, err
	}
	b, err := c.loadBooster(model)
	if err != nil {
		return nil, err
	}
	bo := &Booster{b: b}
	runtime.SetFinalizer(bo, func(bo *Booster) { bo.Close() })
	return bo, nil
}

// Close frees the booster.
func (bo *Booster) Close() {
	bo.mu.Lock()
	defer bo.mu.Unlock()
	bo.b.free()
}

// Contributions returns XGBoost's predict(pred_contribs=True) for nrow rows
// of ncol features stored row after row (NaN missing): for each
// row, group (class) and feature the SHAP value, then the bias, as a
// flat array of nrow × groups × (ncol+1), and the number of groups.
func (bo *Booster) Contributions(rows []float32, nrow, ncol int) ([]float32, int, error) {
	bo.mu.Lock()
	defer bo.mu.Unlock()
	// XGBoost keeps prediction buffers per OS thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if bo.b.h == 0 {
		return nil, 0, fmt.Errorf("booster is closed")
	}
	d, err := bo.b.c.newDMatrixStrided(rows, nrow, ncol, -1, 4*ncol, 4)
	if err != nil {
		return nil, 0, err
	}
	defer d.free()
	out, shape, err := bo.b.predict(d, 2)
	if err != nil {
		return nil, 0, err
	}
	if len(shape) != 3 || shape[0] != nrow || shape[2] != ncol+1 {
		return nil, 0, fmt.Errorf("unexpected contribution shape %v", shape)
	}
	return out, shape[1], nil
}

// Importance is one feature's scores as XGBoost's get_score computes them.
type Importance struct {
	Feature                                    string
	Weight, Gain, Cover, TotalGain, TotalCover float64
}

// FeatureImportance returns get_score for every importance type, per
// feature used in a split, in XGBoost's order of the weight scores.
func (bo *Booster) FeatureImportance() ([]Importance, error) {
	bo.mu.Lock()
	defer bo.mu.Unlock()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out []Importance
	index := map[string]int{}
	for ti, typ := range []string{"weight", "gain", "cover", "total_gain", "total_cover"} {
		names, scores, err := bo.b.featureScore(typ)
		if err != nil {
			return nil, err
		}
		if len(scores) != len(names) {
			return nil, fmt.Errorf("importance %s: %d scores for %d features (multi-output models are not supported)", typ, len(scores), len(names))
		}
		for i, n := range names {
			j, ok := index[n]
			if !ok {
				j = len(out)
				index[n] = j
				out = append(out, Importance{Feature: n})
			}
			v := float64(scores[i])
			switch ti {
			case 0:
				out[j].Weight = v
			case 1:
				out[j].Gain = v
			case 2:
				out[j].Cover = v
			case 3:
				out[j].TotalGain = v
			case 4:
				out[j].TotalCover = v
			}
		}
	}
	return out, nil
}
