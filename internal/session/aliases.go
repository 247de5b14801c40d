package session

import (
	"context"

	"github.com/modelsql/modelsql/internal/parser"
)

// setAlias runs ALTER MODEL m VERSION v SET ALIAS a. The server's Guard has
// checked Alter on the model.
func (s *Session) setAlias(ctx context.Context, st *parser.SetAlias) (*Result, error) {
	ref, err := s.resolveModel(ctx, st.Model)
	if err != nil {
		return nil, err
	}
	if err := s.checkAliasMove(ctx, ref, st.Version, st.Alias); err != nil {
		return nil, err
	}
	if err := s.w.Catalog.SetAlias(ctx, ref, st.Version, st.Alias); err != nil {
		return nil, err
	}
	return ok(), nil
}

// unsetAlias runs ALTER MODEL m UNSET ALIAS [IF EXISTS] a.
func (s *Session) unsetAlias(ctx context.Context, st *parser.UnsetAlias) (*Result, error) {
	ref, err := s.resolveModel(ctx, st.Model)
	if err != nil {
		return nil, err
	}
	if _, err := s.w.Catalog.UnsetAlias(ctx, ref, st.Alias, st.IfExists); err != nil {
		return nil, err
	}
	return ok(), nil
}
