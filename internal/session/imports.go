package session

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/functions"
)

// prepareArtifact fetches and checks an IMPORT model's file.
func (s *Session) prepareArtifact(ctx context.Context, ref catalog.Ref, version string, spec *versionSpec) (*catalog.Artifact, error) {
	if spec.options[catalog.OptSourceType] != catalog.SourceImport {
		return nil, nil
	}
	loc := spec.options[catalog.OptLocation]
	b, err := os.ReadFile(strings.TrimPrefix(loc, "file://"))
	if err != nil {
		return nil, fmt.Errorf("read LOCATION %s: %w", loc, err)
	}
	return &catalog.Artifact{Data: b, Source: loc}, nil
}

func loadPredictor(data []byte) (functions.Predictor, int64, error) {
	return nil, 0, fmt.Errorf("not yet")
}
