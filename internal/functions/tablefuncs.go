package functions

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strconv"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/modelsql/modelsql/internal/floatfmt"
	"github.com/modelsql/modelsql/internal/metrics"
)

// DuckDB functions behind the table functions (the session rewrites each
// ML_EVALUATE / ML_EXPLAIN_PREDICT call into a subquery calling them).
const (
	EvaluateRegressorFunc  = "__modelsql_ml_evaluate_reg"
	EvaluateClassifierFunc = "__modelsql_ml_evaluate_cls"
	ExplainFunc            = "__modelsql_ml_explain"
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
		{EvaluateRegressorFunc, &evaluateFunc{reg: reg}},
		{EvaluateClassifierFunc, &evaluateFunc{reg: reg, classifier: true}},
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

// evaluateFunc takes the handle and list({'y': label, 'p': ML_PREDICT(...)})
// over all rows and returns the metrics as a STRUCT.
type evaluateFunc struct {
	reg        *Registry
	classifier bool
}

func (f *evaluateFunc) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	double, _ := duckdb.NewTypeInfo(duckdb.TYPE_DOUBLE)
	names := RegressionMetrics
	if f.classifier {
		names = ClassificationMetrics
	}
	return duckdb.ScalarFuncConfig{
		InputTypeInfos:      []duckdb.TypeInfo{varchar, anyT},
		ResultTypeInfo:      structOf(names, double),
		SpecialNullHandling: true,
	}
}

func (f *evaluateFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: guarded(f.reg, f.execute)}
}

func (f *evaluateFunc) execute(ctx context.Context, state *duckdb.ChunkIteratorState) error {
	chunk := state.GetInputChunk()
	if chunk.GetSize() == 0 {
		return nil
	}
	b, err := f.reg.chunkBinding(chunk)
	if err != nil {
		return err
	}
	for row, err := range state.Rows() {
		if err != nil {
			return err
		}
		list, _ := (*row.GetValuePtr(1)).([]any)
		res, err := f.evaluate(b, list)
		if err != nil {
			return err
		}
		if err := row.SetResult(res); err != nil {
			return err
		}
	}
	return nil
}

func (f *evaluateFunc) evaluate(b *Binding, list []any) (map[string]any, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("ML_EVALUATE: the query returned no rows")
	}
	if !f.classifier {
		y := make([]float64, 0, len(list))
		p := make([]float64, 0, len(list))
		for i, e := range list {
			m, _ := e.(map[string]any)
			yv, ok1 := m["y"].(float64)
			ps, ok2 := m["p"].(string)
			if !ok1 {
				return nil, fmt.Errorf("ML_EVALUATE: the label is NULL in row %d", i+1)
			}
			x, err := strconv.ParseFloat(ps, 32)
			if !ok2 || err != nil {
				return nil, fmt.Errorf("ML_EVALUATE: no prediction for row %d", i+1)
			}
			y, p = append(y, yv), append(p, x)
		}
		r, err := metrics.Regress(y, p)
		if err != nil {
			return nil, err
		}
		return map[string]any{"mean_absolute_error": r.MeanAbsoluteError, "mean_squared_error": r.MeanSquaredError,
			"root_mean_squared_error": r.RootMeanSquaredError, "r2_score": r.R2, "explained_variance": r.ExplainedVariance}, nil
	}
	k := b.Predictor.ClassProbs()
	names := classNamesOf(b.Predictor)
	code := map[string]int{}
	for c := 0; c < k; c++ {
		if names != nil {
			code[names[c]] = c
		} else {
			code[strconv.Itoa(c)] = c
		}
	}
	y := make([]int, 0, len(list))
	probs := make([]float64, 0, len(list)*k)
	for i, e := range list {
		m, _ := e.(map[string]any)
		ys, ok := m["y"].(string)
		if !ok {
			return nil, fmt.Errorf("ML_EVALUATE: the label is NULL in row %d", i+1)
		}
		c, ok := code[ys]
		if !ok {
			return nil, fmt.Errorf("ML_EVALUATE: label %q in row %d is not one of the model's classes (%s)", ys, i+1, classList(code))
		}
		pm, _ := m["p"].(map[string]any)
		ps, _ := pm["probs"].([]any)
		if len(ps) != k {
			return nil, fmt.Errorf("ML_EVALUATE: no prediction for row %d", i+1)
		}
		for _, v := range ps {
			x, _ := v.(float32)
			probs = append(probs, float64(x))
		}
		y = append(y, c)
	}
	r, err := metrics.Classify(y, probs, k)
	if err != nil {
		return nil, err
	}
	auc := any(r.ROCAUC)
	if math.IsNaN(r.ROCAUC) {
		auc = nil
	}
	return map[string]any{"accuracy": r.Accuracy, "precision": r.Precision, "recall": r.Recall,
		"f1_score": r.F1, "log_loss": r.LogLoss, "roc_auc": auc}, nil
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
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	double, _ := duckdb.NewTypeInfo(duckdb.TYPE_DOUBLE)
	feat, _ := duckdb.NewStructEntry(varchar, "feature")
	attr, _ := duckdb.NewStructEntry(double, "attribution")
	item, _ := duckdb.NewStructInfo(feat, attr)
	list, _ := duckdb.NewListInfo(item)
	pred, _ := duckdb.NewStructEntry(varchar, "prediction")
	base, _ := duckdb.NewStructEntry(double, "base_value")
	attrs, _ := duckdb.NewStructEntry(list, "attributions")
	result, _ := duckdb.NewStructInfo(pred, base, attrs)
	return duckdb.ScalarFuncConfig{
		InputTypeInfos:      []duckdb.TypeInfo{varchar},
		VariadicTypeInfo:    anyT,
		ResultTypeInfo:      result,
		SpecialNullHandling: true,
	}
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
