package session

import (
	"context"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/parser"
)

// ResolveModel resolves a written model name exactly as the session's own
// statements do, for the Guard (which must check the same model the
// statement will use).
func (s *Session) ResolveModel(ctx context.Context, n parser.Name) (catalog.Ref, error) {
	return s.resolveModel(ctx, n)
}
