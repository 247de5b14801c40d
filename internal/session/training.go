package session

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/dataset"
	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/train"
	"github.com/modelsql/modelsql/internal/xgboost"
)

// Booster attributes modelsql stores in a model it trains.
const (
	attrClasses  = "modelsql_classes"  // JSON array of class names, by class index
	attrTraining = "modelsql_training" // JSON trainingInfo
)

// trainingInfo is what DESC MODEL shows of a training run.
type trainingInfo struct {
	Rows          int           `json:"rows"`
	EvalRows      int           `json:"eval_rows"`
	Features      int           `json:"features"`
	Rounds        int           `json:"rounds"`
	BestIteration int           `json:"best_iteration"`
	Seconds       float64       `json:"seconds"`
	XGBoost       string        `json:"xgboost"`
	Parameters    string        `json:"parameters"` // as given to XGBoost, e.g. "objective=binary:logistic max_depth=4"
	History       []train.Round `json:"history"`
}

// trainVersion runs a training statement's query and trains the version.
// existing is the model when adding a version.
func (s *Session) trainVersion(ctx context.Context, version string, hasInput bool, opts []parser.Option, comment *string, query string, existing *catalog.Model) (*versionSpec, *catalog.Artifact, error) {
	if err := catalog.ValidateVersionName(version); err != nil {
		return nil, nil, err
	}
	if err := catalog.ValidateComment(comment); err != nil {
		return nil, nil, err
	}
	if hasInput {
		return nil, nil, fmt.Errorf("INPUT(...) is not allowed with AS query: a trained version's inputs are the query's feature columns")
	}
	existingType := ""
	if existing != nil {
		if existing.SourceType != train.SourceInternal {
			return nil, nil, fmt.Errorf("model %s is an %s model; versions trained with AS query belong to models whose MODEL_SOURCE_TYPE is %s", existing.Name, existing.SourceType, train.SourceInternal)
		}
		existingType = existing.ModelType
	}
	m := map[string]string{}
	for _, o := range opts {
		if _, dup := m[o.Key]; dup {
			return nil, nil, fmt.Errorf("option %s is given more than once", o.Key)
		}
		m[o.Key] = o.Value
	}
	spec, err := train.ParseOptions(m, existingType)
	if err != nil {
		return nil, nil, err
	}
	if _, err := train.Version(); err != nil {
		return nil, nil, err // before running the query
	}
	q, cleanup, err := s.bindInference(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	defer cleanup()
	kind := dataset.NumLabel
	if spec.ModelType == train.Classifier {
		kind = dataset.ClassLabel
	}
	tab, err := dataset.Read(ctx, s.conn, q, dataset.Spec{Label: spec.LabelCol, LabelKind: kind, Split: spec.SplitCol}, spec.EvalFraction)
	if err != nil {
		return nil, nil, s.cleanDuckDBError(err)
	}
	inputs := make([]catalog.Column, len(tab.Features))
	names := make([]string, len(tab.Features))
	for i, f := range tab.Features {
		inputs[i] = catalog.Column{Name: f.Name, Type: dataset.MaxComputeType(f.Type)}
		names[i] = f.Name
	}
	if inputs, err = catalog.ValidateColumns(inputs); err != nil {
		return nil, nil, fmt.Errorf("%w (feature columns become the version's INPUT: rename them with AS)", err)
	}
	if tab.Train.NRows == 0 {
		return nil, nil, fmt.Errorf("the query returned no training rows")
	}
	var eval *train.Data
	if tab.Eval != nil && tab.Eval.NRows > 0 {
		eval = &train.Data{Names: names, Columns: tab.Eval.Columns, Labels: tab.Eval.Labels, NRows: tab.Eval.NRows}
	} else if spec.EarlyStop > 0 {
		return nil, nil, fmt.Errorf("EARLY_STOP_ROUNDS needs evaluation rows, and the split left none")
	}
	cfg, err := spec.Config(len(tab.Classes))
	if err != nil {
		return nil, nil, err
	}
	data := &train.Data{Names: names, Columns: tab.Train.Columns, Labels: tab.Train.Labels, NRows: tab.Train.NRows}
	tab.Train, tab.Eval = nil, nil // the columns are data's and eval's now (Train lets go of them)
	evalRows := 0
	if eval != nil {
		evalRows = eval.NRows
	}
	var params []string
	for _, p := range cfg.Params {
		params = append(params, p.Key+"="+p.Value)
	}
	attrs := func(r *train.Result) map[string]string {
		info := trainingInfo{Parameters: strings.Join(params, " "), Rows: data.NRows, EvalRows: evalRows, Features: len(names), Rounds: r.Rounds,
			BestIteration: r.BestIteration, Seconds: math.Round(r.Duration.Seconds()*1000) / 1000, XGBoost: r.Library, History: r.History}
		b, _ := json.Marshal(info)
		a := map[string]string{attrTraining: string(b)}
		if tab.Classes != nil {
			c, _ := json.Marshal(tab.Classes)
			a[attrClasses] = string(c)
		}
		return a
	}
	s.training.Store(int64(cfg.Rounds))
	defer s.training.Store(0)
	res, err := train.Train(ctx, cfg, data, eval, attrs, func(done, total int) {
		s.training.Store(int64(done)<<32 | int64(total))
	})
	if err != nil {
		return nil, nil, err
	}
	// The runtime that serves ML_PREDICT must read what XGBoost wrote.
	if _, err := xgboost.Load(res.Model); err != nil {
		return nil, nil, fmt.Errorf("internal error: the trained model cannot be loaded: %w", err)
	}
	vs := &versionSpec{inputs: inputs, options: spec.Options}
	if comment != nil {
		vs.comment = *comment
	}
	return vs, &catalog.Artifact{Data: res.Model, Source: "trained by XGBoost " + res.Library}, nil
}

// TrainingProgress reports the rounds done and the total of a training
// statement running in the session (total 0 when none runs).
func (s *Session) TrainingProgress() (done, total int) {
	v := s.training.Load()
	if v == 0 {
		return 0, 0
	}
	if v < 1<<32 {
		return 0, int(v)
	}
	return int(v >> 32), int(v & (1<<32 - 1))
}

// describeTraining adds a trained version's training record to DESC MODEL.
func (s *Session) describeTraining(ctx context.Context, v *catalog.Version, add func(field, value string)) {
	data, err := s.w.Catalog.ArtifactData(ctx, v.Artifact)
	if err != nil {
		return
	}
	m, err := xgboost.Load(data)
	if err != nil {
		return
	}
	attrs := m.Attributes()
	if c, ok := attrs[attrClasses]; ok {
		add("Training.Classes", c)
	}
	var info trainingInfo
	if json.Unmarshal([]byte(attrs[attrTraining]), &info) != nil {
		return
	}
	add("Training.Rows", fmt.Sprint(info.Rows))
	add("Training.EvalRows", fmt.Sprint(info.EvalRows))
	add("Training.Rounds", fmt.Sprint(info.Rounds))
	if info.BestIteration >= 0 {
		add("Training.BestIteration", fmt.Sprint(info.BestIteration))
	}
	add("Training.Seconds", fmt.Sprint(info.Seconds))
	add("Training.XGBoost", info.XGBoost)
	if info.Parameters != "" {
		add("Training.Parameters", info.Parameters)
	}
	for _, r := range info.History {
		add(fmt.Sprintf("Training.Round[%d]", r.Iteration), formatRound(r))
	}
}

// formatRound writes "train-rmse=0.51 eval-rmse=0.62".
func formatRound(r train.Round) string {
	var parts []string
	for _, set := range []string{"train", "eval"} {
		for _, metric := range sortedMetricNames(r.Metrics) {
			if v, ok := r.Metrics[metric][set]; ok {
				parts = append(parts, fmt.Sprintf("%s-%s=%g", set, metric, v))
			}
		}
	}
	return strings.Join(parts, " ")
}

func sortedMetricNames(m map[string]map[string]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// classNames returns a trained classifier's class names (nil for others).
func classNames(m *xgboost.Model) []string {
	var names []string
	if c, ok := m.Attributes()[attrClasses]; ok && json.Unmarshal([]byte(c), &names) == nil && len(names) == m.ClassProbs() {
		return names
	}
	return nil
}
