package session

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/objstore"
	"github.com/modelsql/modelsql/internal/xgboost"
)

// storage lazily builds the object-store fetcher from the data directory's
// storage configuration, so that a broken configuration only fails the
// statements that read LOCATIONs.
type storage struct {
	once    sync.Once
	fetcher *objstore.Fetcher
	err     error
	opts    []objstore.Option // set before the first fetch (LimitLocalFiles)
}

// LimitLocalFiles confines the model files the warehouse reads from the
// local disk to dirs, for everyone (the server's --allow-dir). Call it
// before the first statement.
func (w *Warehouse) LimitLocalFiles(dirs []string) {
	w.store.opts = append(w.store.opts, objstore.WithAllowedDirs(dirs))
}

func (w *Warehouse) fetcher() (*objstore.Fetcher, error) {
	w.store.once.Do(func() {
		cfg, err := objstore.LoadConfig(w.Engine.DataDir)
		if err != nil {
			w.store.err = err
			return
		}
		w.store.fetcher, w.store.err = objstore.NewFetcher(cfg, w.store.opts...)
	})
	return w.store.fetcher, w.store.err
}

// numericTypes are the INPUT types an XGBoost model can take.
var numericTypes = map[string]bool{"TINYINT": true, "SMALLINT": true, "INT": true, "BIGINT": true, "FLOAT": true, "DOUBLE": true, "BOOLEAN": true}

// prepareArtifact fetches an IMPORT model's file, parses it and checks it
// against the declaration. The bytes are returned for the catalog to store
// in the same transaction as the version.
func (s *Session) prepareArtifact(ctx context.Context, ref catalog.Ref, version string, spec *versionSpec) (*catalog.Artifact, error) {
	if spec.options[catalog.OptSourceType] != catalog.SourceImport {
		return nil, nil
	}
	for _, c := range spec.inputs {
		base, _, _ := strings.Cut(c.Type, "(")
		if !numericTypes[base] && base != "DECIMAL" {
			return nil, fmt.Errorf("input column %s has type %s; XGBoost models take numeric features (TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL, BOOLEAN)", c.Name, c.Type)
		}
	}
	f, err := s.w.fetcher()
	if err != nil {
		return nil, err
	}
	loc := localLocation(spec.options[catalog.OptLocation])
	obj, err := f.Fetch(ctx, loc, spec.options[catalog.OptRoleARN])
	if err != nil {
		return nil, err
	}
	defer obj.Release()
	m, err := parseModel(obj.Data)
	if err != nil {
		return nil, fmt.Errorf("model file %s: %w", objstore.RedactLocation(obj.Location), err)
	}
	if err := checkModelFile(m, spec, obj.Location); err != nil {
		return nil, err
	}
	// A presigned http(s) URL carries its signature in the query: keep it out of the catalog.
	src := objstore.RedactLocation(obj.Location)
	if obj.ETag != "" {
		src += " (etag " + obj.ETag + ")"
	}
	return &catalog.Artifact{Data: obj.Data, Source: src}, nil
}

// checkModelFile checks a parsed model against the version's INPUT and
// MODEL_TYPE; where names the file in errors.
func checkModelFile(m *xgboost.Model, spec *versionSpec, where string) error {
	if n := m.NumFeatures(); n != len(spec.inputs) {
		return fmt.Errorf("model file %s has %d features but INPUT declares %d columns", where, n, len(spec.inputs))
	}
	mt := spec.options[catalog.OptModelType]
	obj2 := m.Objective()
	switch {
	case mt == catalog.TypeClassifier && !m.IsClassification():
		return fmt.Errorf("model file %s has objective %s, which is not a classification objective; declare MODEL_TYPE = 'BOOSTED_TREE_REGRESSOR'", where, obj2)
	case mt == catalog.TypeRegressor && m.IsClassification():
		return fmt.Errorf("model file %s has objective %s, which is a classification objective; declare MODEL_TYPE = 'BOOSTED_TREE_CLASSIFIER'", where, obj2)
	case mt == catalog.TypeClassifier && m.NumClasses() == 2 && m.NumGroups() != 1:
		// A multi-label model: one probability per target, no single label.
		return fmt.Errorf("model file %s is a multi-label classifier (%d targets per row); ML_PREDICT returns one label per row, so import a single-target classifier", where, m.NumGroups())
	case mt == catalog.TypeRegressor && m.NumOutputs() != 1:
		// ML_PREDICT returns one STRING per row for a regressor.
		return fmt.Errorf("model file %s predicts %d targets per row; ML_PREDICT returns one value per row, so import a single-target regressor", where, m.NumOutputs())
	}
	return nil
}

// localLocation resolves a relative file:// location against the working
// directory (modelsql's extension: file://examples/m.json).
func localLocation(loc string) string {
	if _, err := objstore.ParseLocation(loc); err == nil {
		return loc // file://localhost/... included: not relative
	}
	rest, ok := strings.CutPrefix(loc, "file://")
	if !ok || strings.HasPrefix(rest, "/") {
		return loc
	}
	if abs, err := filepath.Abs(rest); err == nil {
		return "file://" + abs
	}
	return loc
}
