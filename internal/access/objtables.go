package access

import (
	"context"
	"strings"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/objtable"
	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/session"
)

// This file checks the object-table statements and functions: CreateTable
// on the project to create one (its LOCATION checked as a model's is),
// Alter on it to refresh it, and Select on it for every
// GET_DATA_FROM_OSS / GET_SIGNED_URL_FROM_OSS call naming it (the call
// reads the table's objects, so it is a read of that table).

func (g *Guard) checkCreateObjectTable(ctx context.Context, s *session.Session, sn *Snapshot, u *User, st *sessState, x *parser.CreateObjectTable) error {
	loc := []parser.Option{{Key: catalog.OptLocation, Value: x.Location}}
	if err := g.checkOptions(u.Admin, loc); err != nil {
		return err
	}
	ref, err := s.ResolveModel(ctx, x.Table)
	if err != nil {
		return nil // the session reports the bad name
	}
	r := tableRef{Catalog: strings.ToLower(ref.Project), Schema: strings.ToLower(ref.Schema), Name: strings.ToLower(ref.Name)}
	if !u.Admin {
		if err := g.checkCreate(sn, u.Name, r); err != nil {
			return err
		}
	}
	// After records the creator as the owner of a new table.
	a := &analysis{creates: []tableRef{r}}
	g.noteCreates(ctx, s, a)
	st.a = a
	return nil
}

func (g *Guard) checkRefresh(ctx context.Context, s *session.Session, sn *Snapshot, u *User, x *parser.RefreshMetadata) error {
	if u.Admin {
		return nil
	}
	ref, err := s.ResolveModel(ctx, x.Table)
	if err != nil {
		return nil
	}
	return g.checkTable(sn, u.Name, tableRef{Catalog: ref.Project, Schema: ref.Schema, Name: strings.ToLower(ref.Name)}, PrivAlter)
}

// checkObjectFunctions checks Select on the object tables the statement's
// object functions name, and their locations against --allow-host. A call
// whose table is not a string literal is refused: its table cannot be
// checked before the statement runs.
func (g *Guard) checkObjectFunctions(s *session.Session, sn *Snapshot, u *User, text string) error {
	refs, dynamic := objtable.ObjectTableArgs(text)
	if dynamic {
		return deniedf("user %s: the first argument of GET_DATA_FROM_OSS and GET_SIGNED_URL_FROM_OSS must be a string literal naming the object table (project.schema.table)", u.Name)
	}
	for _, r := range refs {
		if err := g.checkTable(sn, u.Name, tableRef{Catalog: r.Project, Schema: r.Schema, Name: r.Name}, PrivSelect); err != nil {
			return err
		}
		if t, ok := s.Warehouse().Objects.Lookup(r); ok {
			if err := g.checkHosts(false, []parser.Option{{Key: catalog.OptLocation, Value: t.Location}}); err != nil {
				return err
			}
		}
	}
	return nil
}
