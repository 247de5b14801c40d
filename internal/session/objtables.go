package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/objtable"
	"github.com/modelsql/modelsql/internal/parser"
)

// resolveTable names a table of the session's namespace: t, schema.t or
// project.t, project.schema.t (as models are named).
func (s *Session) resolveTable(ctx context.Context, n parser.Name) (objtable.Ref, error) {
	ref, err := s.resolveModel(ctx, n)
	if err != nil {
		return objtable.Ref{}, err
	}
	return objtable.Ref{Project: ref.Project, Schema: ref.Schema, Name: strings.ToLower(ref.Name)}, nil
}

func (s *Session) createObjectTable(ctx context.Context, st *parser.CreateObjectTable) (*Result, error) {
	r, err := s.resolveTable(ctx, st.Table)
	if err != nil {
		return nil, err
	}
	if ok, err := s.w.Engine.HasSchema(ctx, r.Project, r.Schema); err != nil || !ok {
		return nil, fmt.Errorf("schema %s.%s does not exist", r.Project, r.Schema)
	}
	if err := s.w.Objects.Create(ctx, r, st, s.User); err != nil {
		return nil, err
	}
	return ok(), nil
}

func (s *Session) refreshMetadata(ctx context.Context, st *parser.RefreshMetadata) (*Result, error) {
	r, err := s.resolveTable(ctx, st.Table)
	if err != nil {
		return nil, err
	}
	if _, err := s.w.Objects.Refresh(ctx, r); err != nil {
		return nil, err
	}
	return ok(), nil
}

// objectTableStatement handles DROP TABLE and DESC of an object table and
// refuses writes to one; handled is false for every other statement.
func (s *Session) objectTableStatement(ctx context.Context, text string) (res *Result, handled bool, err error) {
	if !s.w.Objects.Any() {
		return nil, false, nil
	}
	ts, isTableStmt := parser.ParseTableStatement(text)
	if !isTableStmt {
		return nil, false, nil
	}
	r, err := s.resolveTable(ctx, ts.Table)
	if err != nil {
		return nil, false, nil // not a name of ours: DuckDB reports it
	}
	if _, isObj := s.w.Objects.Lookup(r); !isObj {
		return nil, false, nil
	}
	switch ts.Verb {
	case "DROP":
		if err := s.w.Objects.Drop(ctx, r); err != nil {
			return nil, true, err
		}
		return ok(), true, nil
	case "DESC":
		cols, rows, err := s.w.Objects.Describe(r, ts.Extended)
		if err != nil {
			return nil, true, err
		}
		return &Result{Columns: cols, Rows: rows}, true, nil
	}
	return nil, true, fmt.Errorf("%s: %w: %s lists the objects under its LOCATION and changes only with ALTER TABLE %s REFRESH METADATA", ts.Verb, objtable.ErrReadOnly, r, r.Name)
}

func registerObjectFunctions(ctx context.Context, eng *engine.Engine, m *objtable.Manager) error {
	conn, err := eng.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return m.Register(conn)
}

// objectFunctions gives the statement's GET_DATA_FROM_OSS calls the
// session's settings; done warns about the objects WARN_AND_NULL missed.
func (s *Session) objectFunctions(ctx context.Context) (context.Context, func()) {
	st := objtable.NewStatement(s.Setting)
	return objtable.WithStatement(ctx, st), func() {
		if n := st.Misses(); n > 0 {
			s.warn("GET_DATA_FROM_OSS: %d object(s) listed at the last refresh no longer exist; their rows are NULL (WARN_AND_NULL)", n)
		}
	}
}
