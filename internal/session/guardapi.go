package session

import (
	"context"
	"errors"

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

// CheckThen runs the Guard's check of a statement and, when it passes, fn
// in the check's snapshot, without running the statement itself; the
// check's own transaction (if it began one) is then rolled back, with what
// fn did in it. The server describes a statement this way when DuckDB can
// only prepare it by running part of it (checkForm). Without a Guard, fn
// just runs.
func (s *Session) CheckThen(ctx context.Context, text string, fn func() error) error {
	if s.guard == nil {
		return fn()
	}
	st, err := parser.Parse(text)
	if err != nil {
		return err
	}
	st, text = checkForm(st, text)
	if err := s.guard.Check(ctx, s, st, text); err != nil {
		return err
	}
	err = fn()
	// As for a statement that failed: nothing of it is kept.
	s.guard.After(ctx, s, st, text, errNotRun)
	return err
}

// errNotRun tells the Guard's After that the checked statement did not run.
var errNotRun = errors.New("checked only; the statement did not run")

// checkForm is what the Guard checks for a statement: the statement itself,
// except for a PIVOT whose values come from the data, which DuckDB runs as
// several statements (an ENUM of the values, then the query) and which is
// checked in its one-statement form reading the same tables
// (parser.PivotCheckForm).
func checkForm(st parser.Statement, text string) (parser.Statement, string) {
	p, ok := st.(*parser.Passthrough)
	if !ok {
		return st, text
	}
	form, changed := parser.PivotCheckForm(p.SQL)
	if !changed {
		return st, text
	}
	return &parser.Passthrough{SQL: form}, form
}
