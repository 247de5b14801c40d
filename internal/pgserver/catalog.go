package pgserver

import (
	"context"
	"time"

	"github.com/modelsql/modelsql/internal/access"
	"github.com/modelsql/modelsql/internal/pgcatalog"
)

// catalogSession describes the connection to package pgcatalog, which
// emulates PostgreSQL's catalog for clients and filters it by privilege.
func (c *conn) catalogSession(ctx context.Context) (*pgcatalog.Session, error) {
	sn, err := c.srv.cfg.Guard.Store().Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	w := c.sess.Warehouse()
	return &pgcatalog.Session{
		User: c.user, PID: c.pid, Snapshot: sn, Projects: w.Engine.Projects(), Settings: c.params,
		Models: func(ctx context.Context) ([]pgcatalog.Model, []pgcatalog.Version, error) {
			var ms []pgcatalog.Model
			var vs []pgcatalog.Version
			schemas, err := c.sess.Conn().QueryContext(ctx, "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() AND NOT internal")
			if err != nil {
				return nil, nil, err
			}
			var names []string
			for schemas.Next() {
				var s string
				if schemas.Scan(&s) == nil {
					names = append(names, s)
				}
			}
			schemas.Close()
			for _, schema := range names {
				models, err := w.Catalog.ListModels(ctx, c.sess.Project(), schema, "")
				if err != nil {
					return nil, nil, err
				}
				for _, m := range models {
					if c.srv.cfg.Guard.CheckModel(ctx, c.sess, m, "List") != nil {
						continue
					}
					ms = append(ms, pgcatalog.Model{Catalog: m.Project, Schema: m.Schema, Name: m.Name, Type: m.ModelType,
						DefaultVersion: m.DefaultVersion, Owner: m.Owner, Created: m.Created.UTC().Format(time.RFC3339), Comment: m.Comment})
					_, versions, err := w.Catalog.GetModel(ctx, m.Ref())
					if err != nil {
						return nil, nil, err
					}
					for _, v := range versions {
						vs = append(vs, pgcatalog.Version{Catalog: m.Project, Schema: m.Schema, Model: m.Name, Name: v.Name,
							IsDefault: v.Name == m.DefaultVersion, Source: m.SourceType, Created: v.Created.UTC().Format(time.RFC3339)})
					}
				}
			}
			return ms, vs, nil
		},
	}, nil
}

// catalogRewrite rewrites a client's catalog statement and refreshes what
// the session may see; other statements pass unchanged.
func (c *conn) catalogRewrite(ctx context.Context, text string) (string, error) {
	out, kind := pgcatalog.Rewrite(text)
	if kind == pgcatalog.None {
		c.catalog.dirty = true // it may change what the catalog shows
		return text, nil
	}
	if !c.catalogReady {
		if err := pgcatalog.Install(ctx, c.sess.Conn()); err != nil {
			return "", err
		}
		c.catalogReady, c.catalogInTx = true, c.tx != 'I' && c.tx != 0
		c.catalog = catalogState{}
		kind = pgcatalog.Catalog // the first refresh records the session's user
	}
	if kind == pgcatalog.SessionOnly {
		return out, nil
	}
	s, err := c.catalogSession(ctx)
	if err != nil {
		return "", err
	}
	models := pgcatalog.ReadsModels(out)
	if !c.catalog.fresh(s, models) {
		if err := pgcatalog.Refresh(ctx, c.sess.Conn(), s, models, c.tx != 'I' && c.tx != 0); err != nil {
			c.catalog = catalogState{}
			return "", err
		}
		c.catalog = catalogState{snap: s.Snapshot, at: time.Now(), models: models}
	}
	return out, nil
}

// catalogState remembers the last refresh of the session's catalog: a run
// of catalog statements (psql's \d t sends nine) refreshes once, as long as
// privileges are unchanged (the access snapshot is replaced on any change),
// the session ran nothing else meanwhile, and it is recent (others' DDL
// shows within catalogFresh).
type catalogState struct {
	snap   *access.Snapshot
	at     time.Time
	models bool
	dirty  bool
}

const catalogFresh = 2 * time.Second

func (st catalogState) fresh(s *pgcatalog.Session, models bool) bool {
	return st.snap != nil && st.snap == s.Snapshot && !st.dirty && (st.models || !models) && time.Since(st.at) < catalogFresh
}
