package session

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/functions"
	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/tablefunc"
	"github.com/modelsql/modelsql/internal/train"
)

// expandTableFuncs replaces each ML_EVALUATE, ML_EXPLAIN_PREDICT and
// ML_FEATURE_IMPORTANCE call in text by the subquery computing it, binding
// the model versions as inference calls are bound. The subqueries keep the
// caller's query as written, so its tables are read (and, in the server,
// checked) like any other; ML_EVALUATE's predictions are ML_PREDICT calls.
func (s *Session) expandTableFuncs(ctx context.Context, text string) (string, []string, error) {
	calls, err := tablefunc.Find(text)
	if err != nil || len(calls) == 0 {
		return text, nil, nil // a lexical problem is DuckDB's to report
	}
	var handles []string
	var b strings.Builder
	last := 0
	for _, c := range calls {
		sub, h, err := s.tableFuncSQL(ctx, c)
		if err != nil {
			for _, h := range handles {
				s.w.Functions.Release(h)
			}
			return "", nil, err
		}
		if h != "" {
			handles = append(handles, h)
		}
		b.WriteString(text[last:c.Start])
		b.WriteString(sub)
		last = c.End
	}
	b.WriteString(text[last:])
	return b.String(), handles, nil
}

func quoteBack(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// unquoteArg returns a name argument: a SQL name, or a string literal.
func unquoteArg(a string) string {
	if len(a) >= 2 && a[0] == '\'' && a[len(a)-1] == '\'' {
		return strings.ReplaceAll(a[1:len(a)-1], "''", "'")
	}
	return a
}

// tableFuncSQL binds one call and returns its replacement and handle.
func (s *Session) tableFuncSQL(ctx context.Context, c tablefunc.Call) (string, string, error) {
	if c.Func == tablefunc.Progress {
		if len(c.Args) != 0 {
			return "", "", fmt.Errorf("modelsql_progress() takes no arguments, got %d", len(c.Args))
		}
		return s.progressSQL(), "", nil
	}
	twoArgs := c.Func == tablefunc.FeatureImportance || c.Func == tablefunc.ExportModel
	switch {
	case twoArgs && len(c.Args) != 2:
		return "", "", fmt.Errorf("%s takes 2 arguments (model, version), got %d", c.Func, len(c.Args))
	case !twoArgs && (len(c.Args) < 3 || len(c.Args) > 4):
		return "", "", fmt.Errorf("%s takes 3 to 4 arguments (model, version, (query)[, option]), got %d", c.Func, len(c.Args))
	}
	name, err := parser.ParseName(unquoteArg(c.Args[0]))
	if err != nil {
		return "", "", fmt.Errorf("%s: bad model name %s: %w", c.Func, c.Args[0], err)
	}
	ref, err := s.resolveModel(ctx, name)
	if err != nil {
		return "", "", err
	}
	version := unquoteArg(strings.Trim(c.Args[1], "`"))
	if strings.EqualFold(version, "default_version") {
		version = ""
	}
	m, v, err := s.w.Catalog.GetVersion(ctx, ref, version)
	if err != nil {
		return "", "", err
	}
	if err := s.checkModel(ctx, m, "Execute"); err != nil {
		return "", "", err
	}
	if m.SourceType != catalog.SourceImport && m.SourceType != catalog.SourceInternal {
		return "", "", fmt.Errorf("%s needs an XGBoost model (BOOSTED_TREE_CLASSIFIER or BOOSTED_TREE_REGRESSOR); %s is a %s model", c.Func, ref, m.ModelType)
	}
	switch c.Func {
	case tablefunc.FeatureImportance:
		q, err := s.featureImportanceSQL(ctx, v)
		return q, "", err
	case tablefunc.ExportModel:
		data, err := s.w.Catalog.ArtifactData(ctx, v.Artifact)
		if err != nil {
			return "", "", err
		}
		return fmt.Sprintf("(SELECT '%s' AS model_base64, %d::BIGINT AS size, '%s' AS sha256)", base64.StdEncoding.EncodeToString(data), len(data), v.Artifact), "", nil
	}
	query, err := tablefunc.Query(c.Func, c.Args[2])
	if err != nil {
		return "", "", err
	}
	p, err := s.w.predictor(ctx, v.Artifact)
	if err != nil {
		return "", "", fmt.Errorf("%s(%s, %s): %w", c.Func, ref, v.Name, err)
	}
	feats := make([]string, len(v.Inputs))
	names := make([]string, len(v.Inputs))
	for i, in := range v.Inputs {
		feats[i] = quoteBack(in.Name)
		names[i] = in.Name
	}
	bnd := &functions.Binding{Func: c.Func, Model: m, Version: v, Predictor: p}
	if c.Func == tablefunc.Evaluate {
		label := v.Options["LABEL_COL"]
		if len(c.Args) == 4 {
			label = unquoteArg(c.Args[3])
		}
		if label == "" {
			return "", "", fmt.Errorf("ML_EVALUATE(%s, %s): give the label column as the fourth argument, e.g. ML_EVALUATE(m, v, (SELECT ...), 'label')", ref, v.Name)
		}
		fn, cast := functions.EvaluateRegressorFinishFunc, "DOUBLE"
		ev := &functions.Evaluation{}
		if m.ModelType == catalog.TypeClassifier {
			fn, cast = functions.EvaluateClassifierFinishFunc, "VARCHAR"
			ev.Classes = map[string]int{}
			names := functions.ClassNamesOf(p)
			for c := 0; c < p.ClassProbs(); c++ {
				if names != nil {
					ev.Classes[names[c]] = c
				} else {
					ev.Classes[strconv.Itoa(c)] = c
				}
			}
		}
		bnd.Evaluate = ev
		h := s.w.Functions.Bind(bnd)
		// The finishing call depends on the count, so it runs after every
		// row was added.
		return fmt.Sprintf("(SELECT unnest(%s('%s', __modelsql_n)) FROM (SELECT count(%s('%s', %s, CAST(%s AS %s))) AS __modelsql_n FROM (%s) AS __modelsql_q) AS __modelsql_c)",
			fn, h, functions.EvaluateAddFunc, h, strings.Join(feats, ", "), quoteBack(label), cast, query), h, nil
	}
	topK := 0
	if len(c.Args) == 4 {
		k, err := strconv.Atoi(strings.TrimSpace(c.Args[3]))
		if err != nil || k < 1 {
			return "", "", fmt.Errorf("ML_EXPLAIN_PREDICT: the fourth argument, top_k, must be a positive integer, got %s", c.Args[3])
		}
		topK = k
	}
	data, err := s.w.Catalog.ArtifactData(ctx, v.Artifact)
	if err != nil {
		return "", "", err
	}
	booster, err := train.LoadBooster(data)
	if err != nil {
		return "", "", fmt.Errorf("ML_EXPLAIN_PREDICT computes SHAP values with XGBoost's library: %w", err)
	}
	bnd.Explain = &functions.Explain{Contributor: booster, Features: names, TopK: topK}
	h := s.w.Functions.Bind(bnd)
	return fmt.Sprintf("(SELECT __modelsql_q.*, unnest(%s('%s', %s)) FROM (%s) AS __modelsql_q)",
		functions.ExplainFunc, h, strings.Join(feats, ", "), query), h, nil
}

// featureImportanceSQL computes get_score for every importance type and
// returns it as a VALUES subquery (feature names are the version's INPUT
// names when the model file has none).
func (s *Session) featureImportanceSQL(ctx context.Context, v *catalog.Version) (string, error) {
	data, err := s.w.Catalog.ArtifactData(ctx, v.Artifact)
	if err != nil {
		return "", err
	}
	booster, err := train.LoadBooster(data)
	if err != nil {
		return "", fmt.Errorf("ML_FEATURE_IMPORTANCE reads scores with XGBoost's library: %w", err)
	}
	defer booster.Close()
	imp, err := booster.FeatureImportance()
	if err != nil {
		return "", err
	}
	// XGBoost names unnamed features f0, f1, ...: those become INPUT names.
	unnamed := true
	if m, err := parseModel(data); err == nil && len(m.FeatureNames()) > 0 {
		unnamed = false
	}
	cols := "feature, weight, gain, cover, total_gain, total_cover"
	if len(imp) == 0 {
		return "(SELECT NULL::VARCHAR AS feature, NULL::DOUBLE AS weight, NULL::DOUBLE AS gain, NULL::DOUBLE AS cover, NULL::DOUBLE AS total_gain, NULL::DOUBLE AS total_cover WHERE false)", nil
	}
	lit := func(x float64) string { return "'" + strconv.FormatFloat(x, 'g', -1, 64) + "'::DOUBLE" }
	var rows []string
	for _, it := range imp {
		name := it.Feature
		if unnamed && strings.HasPrefix(name, "f") {
			if i, err := strconv.Atoi(name[1:]); err == nil && i >= 0 && i < len(v.Inputs) {
				name = v.Inputs[i].Name
			}
		}
		rows = append(rows, fmt.Sprintf("('%s', %s, %s, %s, %s, %s)", strings.ReplaceAll(name, "'", "''"),
			lit(it.Weight), lit(it.Gain), lit(it.Cover), lit(it.TotalGain), lit(it.TotalCover)))
	}
	return "(SELECT * FROM (VALUES " + strings.Join(rows, ", ") + ") AS __modelsql_fi(" + cols + "))", nil
}
