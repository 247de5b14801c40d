package session

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/parser"
)

// bindInference rewrites ML_PREDICT and AI_* calls into calls of the
// registered DuckDB functions, resolving each model version once, now.
func (s *Session) bindInference(ctx context.Context, text string) (string, func(), error) {
	q, err := parser.RewriteSQL(text, func(c *parser.InferenceCall) (string, error) {
		return "", fmt.Errorf("%s is not available yet", c.Func)
	})
	return q, func() {}, err
}

// prepareArtifact fetches and checks an IMPORT model's file.
func (s *Session) prepareArtifact(ctx context.Context, ref catalog.Ref, version string, spec *versionSpec) (*catalog.Artifact, error) {
	if spec.options[catalog.OptSourceType] != catalog.SourceImport {
		return nil, nil
	}
	loc := spec.options[catalog.OptLocation]
	path := strings.TrimPrefix(loc, "file://")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read LOCATION %s: %w", loc, err)
	}
	return &catalog.Artifact{Data: b, Source: loc}, nil
}
