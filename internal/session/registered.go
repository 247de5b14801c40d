package session

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/parser"
)

// OptModelData carries a model file, base64-encoded, in the statement that
// registers a model trained outside SQL (the Python package's
// to_odps_model): CREATE MODEL ... INPUT(...) OPTIONS(MODEL_SOURCE_TYPE =
// 'INTERNAL_TRAIN', MODEL_TYPE = ..., MODEL_DATA = '<base64>'). The file is
// stored like an imported one; the option itself is not kept.
const OptModelData = "MODEL_DATA"

// registersTrained reports whether a statement without a query registers
// an INTERNAL_TRAIN version (existing is the model when adding a version).
func registersTrained(opts []parser.Option, existing *catalog.Model) bool {
	for _, o := range opts {
		if o.Key == catalog.OptSourceType {
			return strings.EqualFold(strings.TrimSpace(o.Value), catalog.SourceInternal)
		}
	}
	return existing != nil && existing.SourceType == catalog.SourceInternal
}

// registeredSpec checks a registration and decodes its model file.
func (s *Session) registeredSpec(version string, hasInput bool, input []parser.Column, opts []parser.Option, comment *string, existing *catalog.Model) (*versionSpec, *catalog.Artifact, error) {
	if err := catalog.ValidateVersionName(version); err != nil {
		return nil, nil, err
	}
	if err := catalog.ValidateComment(comment); err != nil {
		return nil, nil, err
	}
	if !hasInput && !hasOption(opts, OptModelData) {
		// Neither a file nor its columns: the user meant to train.
		return nil, nil, fmt.Errorf("MODEL_SOURCE_TYPE '%s' needs a training query: CREATE MODEL m WITH VERSION v OPTIONS(MODEL_TYPE = ..., LABEL_COL = ...) AS SELECT ... (docs/training.md), or INPUT(...) and MODEL_DATA to register a trained XGBoost file", catalog.SourceInternal)
	}
	if !hasInput {
		return nil, nil, fmt.Errorf("INPUT(...) is required to register an %s model file: declare its feature columns in order (or train it in SQL with AS SELECT ...)", catalog.SourceInternal)
	}
	cols, err := catalog.ValidateColumns(columns(input))
	if err != nil {
		return nil, nil, err
	}
	out := map[string]string{}
	var data string
	for _, o := range opts {
		k := strings.ToUpper(o.Key)
		if _, dup := out[k]; dup || (k == OptModelData && data != "") {
			return nil, nil, fmt.Errorf("option %s is given more than once", k)
		}
		switch k {
		case OptModelData:
			data = o.Value
			continue
		case catalog.OptSourceType, catalog.OptModelType:
			out[k] = strings.ToUpper(strings.TrimSpace(o.Value))
		default:
			return nil, nil, fmt.Errorf("option %s is not allowed when registering an %s model file (options: MODEL_SOURCE_TYPE, MODEL_TYPE, MODEL_DATA)", k, catalog.SourceInternal)
		}
	}
	out[catalog.OptSourceType] = catalog.SourceInternal
	if existing != nil {
		if existing.SourceType != catalog.SourceInternal {
			return nil, nil, fmt.Errorf("MODEL_SOURCE_TYPE cannot be changed: model %s is %s, the new version says %s", existing.Name, existing.SourceType, catalog.SourceInternal)
		}
		if mt := out[catalog.OptModelType]; mt != "" && mt != existing.ModelType {
			return nil, nil, fmt.Errorf("MODEL_TYPE cannot be changed: model %s is %s, the new version says %s", existing.Name, existing.ModelType, mt)
		}
		out[catalog.OptModelType] = existing.ModelType
	}
	if mt := out[catalog.OptModelType]; mt != catalog.TypeClassifier && mt != catalog.TypeRegressor {
		return nil, nil, fmt.Errorf("MODEL_TYPE must be '%s' or '%s' for %s models", catalog.TypeClassifier, catalog.TypeRegressor, catalog.SourceInternal)
	}
	if data == "" {
		return nil, nil, fmt.Errorf("option MODEL_DATA (the model file, base64-encoded) is required to register an %s model without a training query", catalog.SourceInternal)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(data))
	if err != nil {
		return nil, nil, fmt.Errorf("option MODEL_DATA is not valid base64: %v", err)
	}
	m, err := parseModel(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("MODEL_DATA: %w", err)
	}
	spec := &versionSpec{inputs: cols, options: out}
	if comment != nil {
		spec.comment = *comment
	}
	if err := checkModelFile(m, spec, "MODEL_DATA"); err != nil {
		return nil, nil, err
	}
	return spec, &catalog.Artifact{Data: raw, Source: "registered by a client (MODEL_DATA)"}, nil
}

// hasOption reports whether opts set key.
func hasOption(opts []parser.Option, key string) bool {
	for _, o := range opts {
		if strings.EqualFold(o.Key, key) {
			return true
		}
	}
	return false
}
