package functions

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/modelsql/modelsql/internal/evaluation"
	"github.com/modelsql/modelsql/internal/floatfmt"
)

// DuckDB functions behind the table functions (the session rewrites each
// ML_EVALUATE / ML_EXPLAIN_PREDICT call into a subquery calling them).
const (
	EvaluateAddFunc              = "__modelsql_ml_evaluate_add"
	EvaluateRegressorFinishFunc  = "__modelsql_ml_evaluate_reg"
	EvaluateClassifierFinishFunc = "__modelsql_ml_evaluate_cls"
	ExplainFunc                  = "__modelsql_ml_explain"
)

// Contributor computes SHAP contributions (XGBoost's pred_contribs) for
// row-major features: nrow × groups × (ncol+1) values and the groups.
type Contributor interface {
	Contributions(rows []float32, nrow, ncol int) ([]float32, int, error)
}

// Explain is what an ML_EXPLAIN_PREDICT call needs at run time.
type Explain struct {
	Contributor Contributor
	Features    []string // the version's INPUT names
	TopK        int      // 0: every feature, in INPUT order
}

// RegisterTableFuncs registers the functions of ML_EVALUATE and ML_EXPLAIN_PREDICT.
func RegisterTableFuncs(conn *sql.Conn, reg *Registry) error {
	for _, f := range []struct {
		name string
		fn   duckdb.ScalarFunc
	}{
		{EvaluateAddFunc, &evaluateAddFunc{reg: reg}},
		{EvaluateRegressorFinishFunc, &evaluateFinishFunc{reg: reg}},
		{EvaluateClassifierFinishFunc, &evaluateFinishFunc{reg: reg, classifier: true}},
		{ExplainFunc, &explainFunc{reg: reg}},
	} {
		if err := duckdb.RegisterScalarUDF(conn, f.name, f.fn); err != nil {
			return fmt.Errorf("register %s: %w", f.name, err)
		}
	}
	return nil
}

func structOf(names []string, t duckdb.TypeInfo) duckdb.TypeInfo {
	var entries []duckdb.StructEntry
	for _, n := range names {
		e, _ := duckdb.NewStructEntry(t, n)
		entries = append(entries, e)
	}
	s, _ := duckdb.NewStructInfo(entries[0], entries[1:]...)
	return s
}

// Metric column names of ML_EVALUATE.
var (
	RegressionMetrics     = []string{"mean_absolute_error", "mean_squared_error", "root_mean_squared_error", "r2_score", "explained_variance"}
	ClassificationMetrics = []string{"accuracy", "precision", "recall", "f1_score", "log_loss", "roc_auc"}
)

// Evaluation is the state of one ML_EVALUATE call: the labels and
// predictions EvaluateAddFunc collects (from any number of DuckDB threads)
// for EvaluateFinishFunc.
type Evaluation struct {
	Classes map[string]int // classifier: class name -> index; nil for a regressor

	mu    sync.Mutex
	y     []float64 // regressor labels
	pred  []float64 // regressor predictions (float32 values)
	cls   []int     // classifier labels
	probs []float64 // classifier probabilities, k per row
}

// evaluateAddFunc takes the handle, the features and the label; it
// predicts each row as ML_PREDICT does, keeps label and prediction in the
// binding's Evaluation and returns TRUE.
type evaluateAddFunc struct{ reg *Registry }

func (f *evaluateAddFunc) Config() duckdb.ScalarFuncConfig {
	boolean, _ := duckdb.NewTypeInfo(duckdb.TYPE_BOOLEAN)
	return boundCallConfig(boolean, true)
}

func (f *evaluateAddFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: guarded(f.reg, f.execute)}
}

func (f *evaluateAddFunc) execute(ctx context.Context, state *duckdb.ChunkIteratorState) error {
	chunk := state.GetInputChunk()
	n := chunk.GetSize()
	if n == 0 {
		return nil
	}
	b, err := f.reg.chunkBinding(chunk)
	if err != nil {
		return err
	}
	ev, p := b.Evaluate, b.Predictor
	if ev == nil || p == nil {
		return fmt.Errorf("ML_EVALUATE: internal error: no model bound")
	}
	nf := chunk.ColumnCount() - 2 // handle, features..., label
	if nf != p.NumFeatures() {
		return fmt.Errorf("ML_EVALUATE: %d features given, the model has %d", nf, p.NumFeatures())
	}
	no := p.Outputs()
	buf := getBuffers(n * no)
	defer putBuffers(buf)
	out := buf.out
	if cols, ok := readColumnsFast(chunk, 1, n, nf, buf); ok {
		err = p.PredictColumns(cols, n, out)
	} else {
		feats := buf.rowMajor(n * nf)
		if err = readFeatures(chunk, n, nf, feats); err == nil {
			err = p.PredictRows(feats, n, out)
		}
	}
	if err != nil {
		return err
	}
	k := p.ClassProbs()
	var y, pred []float64
	var cls []int
	var probs []float64
	row := make([]float32, max(k, 1))
	for i := 0; i < n; i++ {
		v, err := chunk.GetValue(nf+1, i)
		if err != nil {
			return err
		}
		if v == nil {
			return fmt.Errorf("ML_EVALUATE: the label is NULL in a row; leave such rows out")
		}
		if ev.Classes == nil {
			yv, ok := v.(float64)
			if !ok {
				return fmt.Errorf("ML_EVALUATE: internal error: label %T", v)
			}
			y, pred = append(y, yv), append(pred, float64(out[i*no]))
			continue
		}
		name, _ := v.(string)
		c, ok := ev.Classes[name]
		if !ok {
			return fmt.Errorf("ML_EVALUATE: label %q is not one of the model's classes (%s)", name, classList(ev.Classes))
		}
		p.Classify(out[i*no:(i+1)*no], row[:k])
		cls = append(cls, c)
		for _, x := range row[:k] {
			probs = append(probs, float64(x))
		}
	}
	ev.mu.Lock()
	ev.y, ev.pred = append(ev.y, y...), append(ev.pred, pred...)
	ev.cls, ev.probs = append(ev.cls, cls...), append(ev.probs, probs...)
	ev.mu.Unlock()
	b.Rows.Add(int64(n))
	for row, err := range state.Rows() {
		if err != nil {
			return err
		}
		if err := row.SetResult(true); err != nil {
			return err
		}
	}
	return nil
}

// evaluateFinishFunc takes the handle and the number of rows added (which
// makes DuckDB run it after them) and returns the metrics as a STRUCT.
type evaluateFinishFunc struct {
	reg        *Registry
	classifier bool
}

func (f *evaluateFinishFunc) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	bigint, _ := duckdb.NewTypeInfo(duckdb.TYPE_BIGINT)
	double, _ := duckdb.NewTypeInfo(duckdb.TYPE_DOUBLE)
	names := RegressionMetrics
	if f.classifier {
		names = ClassificationMetrics
	}
	return duckdb.ScalarFuncConfig{
		InputTypeInfos:      []duckdb.TypeInfo{varchar, bigint},
		ResultTypeInfo:      structOf(names, double),
		SpecialNullHandling: true,
		Volatile:            true,
	}
}

func (f *evaluateFinishFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: guarded(f.reg, f.execute)}
}

func (f *evaluateFinishFunc) execute(ctx context.Context, state *duckdb.ChunkIteratorState) error {
	chunk := state.GetInputChunk()
	if chunk.GetSize() == 0 {
		return nil
	}
	b, err := f.reg.chunkBinding(chunk)
	if err != nil {
		return err
	}
	if b.Evaluate == nil || b.Predictor == nil {
		return fmt.Errorf("ML_EVALUATE: internal error: no model bound")
	}
	ev := b.Evaluate
	ev.mu.Lock()
	defer ev.mu.Unlock()
	var res map[string]any
	if ev.Classes == nil {
		if len(ev.y) == 0 {
			return fmt.Errorf("ML_EVALUATE: the query returned no rows")
		}
		r, err := evaluation.Regress(ev.y, ev.pred)
		if err != nil {
			return err
		}
		res = map[string]any{"mean_absolute_error": r.MeanAbsoluteError, "mean_squared_error": r.MeanSquaredError,
			"root_mean_squared_error": r.RootMeanSquaredError, "r2_score": r.R2, "explained_variance": r.ExplainedVariance}
	} else {
		if len(ev.cls) == 0 {
			return fmt.Errorf("ML_EVALUATE: the query returned no rows")
		}
		r, err := evaluation.Classify(ev.cls, ev.probs, b.Predictor.ClassProbs())
		if err != nil {
			return err
		}
		auc := any(r.ROCAUC)
		if math.IsNaN(r.ROCAUC) {
			auc = nil
		}
		res = map[string]any{"accuracy": r.Accuracy, "precision": r.Precision, "recall": r.Recall,
			"f1_score": r.F1, "log_loss": r.LogLoss, "roc_auc": auc}
	}
	for row, err := range state.Rows() {
		if err != nil {
			return err
		}
		if err := row.SetResult(res); err != nil {
			return err
		}
	}
	return nil
}

func classList(code map[string]int) string {
	names := make([]string, len(code))
	for n, c := range code {
		names[c] = n
	}
	return fmt.Sprint(names)
}

// explainFunc takes the handle and the features and returns
// STRUCT(prediction VARCHAR, base_value DOUBLE,
// attributions STRUCT(feature VARCHAR, attribution DOUBLE)[]).
type explainFunc struct{ reg *Registry }

func (f *explainFunc) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	double, _ := duckdb.NewTypeInfo(duckdb.TYPE_DOUBLE)
	feat, _ := duckdb.NewStructEntry(varchar, "feature")
	attr, _ := duckdb.NewStructEntry(double, "attribution")
	item, _ := duckdb.NewStructInfo(feat, attr)
	list, _ := duckdb.NewListInfo(item)
	pred, _ := duckdb.NewStructEntry(varchar, "prediction")
	base, _ := duckdb.NewStructEntry(double, "base_value")
	attrs, _ := duckdb.NewStructEntry(list, "attributions")
	result, _ := duckdb.NewStructInfo(pred, base, attrs)
	return boundCallConfig(result, false)
}

func (f *explainFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: guarded(f.reg, f.execute)}
}

func (f *explainFunc) execute(ctx context.Context, state *duckdb.ChunkIteratorState) error {
	chunk := state.GetInputChunk()
	n := chunk.GetSize()
	if n == 0 {
		return nil
	}
	b, err := f.reg.chunkBinding(chunk)
	if err != nil {
		return err
	}
	if b.Predictor == nil || b.Explain == nil {
		return fmt.Errorf("ML_EXPLAIN_PREDICT: internal error: no model bound")
	}
	p, ex := b.Predictor, b.Explain
	nf := chunk.ColumnCount() - 1
	if nf != p.NumFeatures() || nf != len(ex.Features) {
		return fmt.Errorf("ML_EXPLAIN_PREDICT: %d features given, the model has %d", nf, p.NumFeatures())
	}
	feats := make([]float32, n*nf)
	if err := readFeatures(chunk, n, nf, feats); err != nil {
		return err
	}
	no := p.Outputs()
	out := make([]float32, n*no)
	if err := p.PredictRows(feats, n, out); err != nil {
		return err
	}
	contribs, groups, err := ex.Contributor.Contributions(feats, n, nf)
	if err != nil {
		return fmt.Errorf("ML_EXPLAIN_PREDICT: %w", err)
	}
	names := classNamesOf(p)
	probs := make([]float32, max(p.ClassProbs(), 1))
	i := 0
	for row, err := range state.Rows() {
		if err != nil {
			return err
		}
		var pred string
		g := 0
		if p.ClassProbs() > 0 {
			label := p.Classify(out[i*no:(i+1)*no], probs)
			pred = string(labelText(names, label, nil))
			if groups > 1 && label >= 0 && label < groups {
				g = label // the predicted class's contributions
			}
		} else {
			pred = string(floatfmt.AppendFloat32(nil, out[i*no]))
		}
		c := contribs[(i*groups+g)*(nf+1) : (i*groups+g+1)*(nf+1)]
		order := make([]int, nf)
		for j := range order {
			order[j] = j
		}
		if ex.TopK > 0 {
			sort.SliceStable(order, func(a, b int) bool { return math.Abs(float64(c[order[a]])) > math.Abs(float64(c[order[b]])) })
			if ex.TopK < nf {
				order = order[:ex.TopK]
			}
		}
		attrs := make([]any, len(order))
		for k, j := range order {
			attrs[k] = map[string]any{"feature": ex.Features[j], "attribution": float64(c[j])}
		}
		if err := row.SetResult(map[string]any{"prediction": pred, "base_value": float64(c[nf]), "attributions": attrs}); err != nil {
			return err
		}
		i++
	}
	b.Rows.Add(int64(n))
	return nil
}
