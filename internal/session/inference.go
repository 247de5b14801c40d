package session

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/functions"
	"github.com/modelsql/modelsql/internal/parser"
)

// bindInference rewrites ML_PREDICT and AI_* calls into calls of the
// registered DuckDB functions, resolving each model version once, now: one
// statement uses one version even if the default moves while it runs. The
// returned cleanup releases the bindings when the statement ends.
func (s *Session) bindInference(ctx context.Context, text string) (string, func(), error) {
	started := time.Now()
	var handles []string
	var bindings []*functions.Binding
	endProgress := func() {}
	cleanup := func() {
		s.setRunning(nil)
		endProgress()
		for _, h := range handles {
			s.w.Functions.Release(h)
		}
		if s.costCalls != nil {
			return // EXPLAIN COST sent nothing: nothing to record
		}
		// Failures are recorded even when the statement was cancelled.
		if err := s.recordFailures(context.WithoutCancel(ctx), bindings); err != nil {
			s.warn("could not record failed AI rows: %v", err)
		}
		if err := s.recordUsage(context.WithoutCancel(ctx), bindings, started); err != nil {
			s.warn("could not record the AI usage: %v", err)
		}
		if b := s.budget; b != nil && b.Skipped() > 0 {
			s.warn("%s", b.Warning())
		}
		if s.budgetDaily {
			if err := s.budget.RecordDaily(context.WithoutCancel(ctx), s.w.Engine.DB, s.User); err != nil {
				s.warn("could not record the AI usage of user %s: %v", s.User, err)
			}
		}
	}
	text, tfHandles, err := s.expandTableFuncs(ctx, text)
	if err != nil {
		return "", func() {}, err
	}
	handles = append(handles, tfHandles...)
	q, err := parser.RewriteSQL(text, func(c *parser.InferenceCall) (string, error) {
		b, err := s.bindCall(ctx, c)
		if err != nil {
			return "", err
		}
		h := s.w.Functions.Bind(b)
		handles = append(handles, h)
		bindings = append(bindings, b)
		c.StandIn = outputStandIn(b, functions.StandIn(b))
		args := functions.CallArgs{Values: c.Args, Shapes: c.ArgShapes, Opaque: c.ArgHasCall}
		if c.Func == "ML_PREDICT" {
			return functions.PredictCall(b, h, args), nil
		}
		call, err := functions.RemoteCallSQL(b, h, args)
		return outputSQL(b, call), err
	})
	if err == nil && len(bindings) > 0 && definesStoredQuery(text) {
		err = fmt.Errorf("inference calls cannot be stored in a view or macro (their model version is bound when a statement is planned); store the results with CREATE TABLE ... AS SELECT instead")
	}
	if err != nil {
		cleanup()
		return "", func() {}, err
	}
	s.setRunning(bindings)
	endProgress = s.trackProgress(bindings, started)
	return q, cleanup, nil
}

// Progress reports how many rows the running statement's inference calls
// have finished, and the functions involved ("" when none runs).
func (s *Session) Progress() (rows int64, funcs string) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	seen := map[string]bool{}
	var names []string
	for _, b := range s.running {
		rows += b.Rows.Load()
		if !seen[b.Func] {
			seen[b.Func] = true
			names = append(names, b.Func)
		}
	}
	return rows, strings.Join(names, ", ")
}

// hasRemoteCalls reports whether the running statement calls AI functions.
func (s *Session) hasRemoteCalls() bool {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	for _, b := range s.running {
		if b.Remote != nil {
			return true
		}
	}
	return false
}

func (s *Session) setRunning(b []*functions.Binding) {
	s.runMu.Lock()
	s.running = b
	s.runMu.Unlock()
}

func (s *Session) bindCall(ctx context.Context, c *parser.InferenceCall) (*functions.Binding, error) {
	name := c.Model
	if c.ModelIsString && len(name.Parts) == 1 {
		// A string literal may hold a dotted name.
		name.Parts = strings.Split(name.Parts[0], ".")
	}
	ref, err := s.resolveModel(ctx, name)
	if err != nil {
		return nil, err
	}
	version := c.Version
	if c.DefaultVersion {
		version = ""
	} else if strings.EqualFold(version, "default_version") {
		// Quoted or back-quoted, the word names a version (docs/sql.md
		// §5.1), and no version may be called that.
		return nil, fmt.Errorf("version %q names a version, and no version may be called that: write DEFAULT_VERSION without quotes for the model's default version", version)
	}
	m, v, err := s.w.Catalog.GetVersion(ctx, ref, version)
	if err != nil {
		return nil, err
	}
	if err := s.checkModel(ctx, m, "Execute"); err != nil {
		return nil, err
	}
	b := &functions.Binding{Func: c.Func, Model: m, Version: v, Line: c.Pos.Line, Col: c.Pos.Col}
	withInfo(b, version)
	if c.Func == "ML_PREDICT" {
		if m.SourceType != catalog.SourceImport && m.SourceType != catalog.SourceInternal {
			return nil, fmt.Errorf("ML_PREDICT needs a BOOSTED_TREE_CLASSIFIER or BOOSTED_TREE_REGRESSOR model; %s is a %s model (use the AI_* functions)", ref, m.ModelType)
		}
		p, err := s.w.predictor(ctx, v.Artifact)
		if err != nil {
			return nil, fmt.Errorf("ML_PREDICT(%s, %s): %w", ref, v.Name, err)
		}
		b.Predictor = p
		return b, nil
	}
	if err := s.bindRemote(ctx, b); err != nil {
		return nil, err
	}
	if err := planOutput(b, c); err != nil {
		return nil, err
	}
	s.attachFallback(ctx, b)
	return b, nil
}

// predictor returns the parsed model of a stored file, through the cache.
func (w *Warehouse) predictor(ctx context.Context, sha string) (functions.Predictor, error) {
	return w.Models.Get(sha, func() (functions.Predictor, int64, error) {
		data, err := w.Catalog.ArtifactData(ctx, sha)
		if err != nil {
			return nil, 0, err
		}
		return loadPredictor(data)
	})
}

// definesStoredQuery reports whether a statement creates a view or macro,
// whose text DuckDB keeps and re-binds later.
func definesStoredQuery(text string) bool {
	words := parser.LeadingWords(text, 5)
	if len(words) == 0 || words[0] != "CREATE" {
		return false
	}
	for _, w := range words[1:] {
		switch w {
		case "VIEW", "MACRO", "FUNCTION":
			return true
		case "OR", "REPLACE", "TEMP", "TEMPORARY":
			continue
		default:
			return false
		}
	}
	return false
}
