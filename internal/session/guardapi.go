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

// BindInference rewrites a statement exactly as the session will run it:
// inference calls become calls of the registered functions, bound to the
// model versions they resolve to now (checking Execute through the Guard).
// The Guard plans the result to see the tables the statement really uses;
// the server describes result types with it. Call release when done.
func (s *Session) BindInference(ctx context.Context, text string) (rewritten string, release func(), err error) {
	return s.bindInference(ctx, text)
}

// UserError is what the user should see of an error met while planning the
// statement BindInference returned (before release): an inference call's
// own error rather than DuckDB's wrapping of it, and no rewritten SQL.
func (s *Session) UserError(err error) error { return s.cleanDuckDBError(err) }

// Check runs the Guard's check of a statement without running it, so that
// describing a statement shows nothing its execution would refuse (nil in
// embedded mode).
func (s *Session) Check(ctx context.Context, text string) error {
	if s.guard == nil {
		return nil
	}
	st, err := parser.Parse(text)
	if err != nil {
		return err
	}
	return s.guard.Check(ctx, s, st, text)
}
