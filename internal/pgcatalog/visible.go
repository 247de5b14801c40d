package pgcatalog

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/modelsql/modelsql/internal/access"
)

// Session is what the catalog needs to know about a session to decide what
// it shows.
type Session struct {
	User     string
	PID      uint32
	Snapshot *access.Snapshot // privileges, as the guard sees them now
	Projects []string         // the warehouse's projects
	Settings map[string]string
	// Models lists the models and versions of the current project that the
	// user may list; called only for statements that read them.
	Models func(ctx context.Context) ([]Model, []Version, error)
}

// Model is one row of modelsql.models.
type Model struct {
	Catalog, Schema, Name, Type, DefaultVersion, Owner, Created, Comment string
}

// Version is one row of modelsql.model_versions.
type Version struct {
	Catalog, Schema, Model, Name string
	IsDefault                    bool
	Source, Created              string
}

func (s *Session) admin() bool {
	u := s.Snapshot.User(s.User)
	return u != nil && u.Admin
}

// tableVisible reports whether the user may see a table or view (it owns
// it, holds any privilege on it, holds List on the project, or is an
// administrator) and whether it may read its definition (Select or
// Describe, ownership, administrators).
func (s *Session) tableVisible(project, schema, name string) (visible, readable bool) {
	if s.admin() {
		return true, true
	}
	key := strings.ToLower(project + "." + schema + "." + name)
	sn := s.Snapshot
	if sn.TableOwner(key) == strings.ToLower(s.User) {
		return true, true
	}
	readable = sn.Holds(s.User, access.KindTable, key, access.PrivSelect) || sn.Holds(s.User, access.KindTable, key, access.PrivDescribe)
	visible = readable || sn.HoldsAny(s.User, access.KindTable, key) || sn.Holds(s.User, access.KindProject, strings.ToLower(project), access.PrivList)
	return visible, readable
}

// projectUsable reports whether \l lists a project for the user: any
// privilege on it or on an object in it, or administrators.
func (s *Session) projectUsable(project string) bool {
	if s.admin() {
		return true
	}
	p := strings.ToLower(project)
	sn := s.Snapshot
	if sn.HoldsAny(s.User, access.KindProject, p) {
		return true
	}
	roles := map[string]bool{}
	for _, r := range sn.RolesOf(s.User) {
		roles[r] = true
	}
	for _, g := range sn.Grants {
		mine := g.PrincipalKind == "USER" && g.Principal == strings.ToLower(s.User) || g.PrincipalKind == "ROLE" && roles[g.Principal]
		if mine && (g.Object == p || strings.HasPrefix(g.Object, p+".")) {
			return true
		}
	}
	return false
}

// userOIDs numbers the users: 10 is the warehouse itself (owner of objects
// created without one), users follow from 16384 in name order.
func userOIDs(sn *access.Snapshot) map[string]int64 {
	names := sn.UserNames()
	sort.Strings(names)
	out := map[string]int64{"modelsql": oidWarehouse}
	for i, n := range names {
		out[strings.ToLower(n)] = 16384 + int64(i)
	}
	return out
}

// Refresh refills the session's visibility tables before a catalog
// statement runs. models says whether the statement reads the models views;
// inTx whether the client has a transaction open.
func Refresh(ctx context.Context, conn *sql.Conn, s *Session, models, inTx bool) error {
	var project string
	if err := conn.QueryRowContext(ctx, "SELECT current_database()").Scan(&project); err != nil {
		return err
	}
	oids := userOIDs(s.Snapshot)
	rows, err := conn.QueryContext(ctx, `SELECT schema_name, table_name, 'r' FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary
UNION ALL SELECT schema_name, view_name, 'v' FROM duckdb_views() WHERE database_name = current_database() AND NOT internal AND NOT temporary`)
	if err != nil {
		return err
	}
	var vis []string
	owners := map[string]bool{}
	for rows.Next() {
		var schema, name, kind string
		if err := rows.Scan(&schema, &name, &kind); err != nil {
			rows.Close()
			return err
		}
		ok, readable := s.tableVisible(project, schema, name)
		if !ok {
			continue
		}
		owner := s.Snapshot.TableOwner(strings.ToLower(project + "." + schema + "." + name))
		oid := int64(oidWarehouse)
		if o, known := oids[owner]; known {
			oid = o
			owners[owner] = true
		}
		vis = append(vis, fmt.Sprintf("(%s, %s, '%s', %d, %t)", lit(schema), lit(name), kind, oid, readable))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	stmts := []string{"DELETE FROM pgc_visible", "DELETE FROM pgc_users", "DELETE FROM pgc_members", "DELETE FROM pgc_projects",
		"DELETE FROM pgc_settings", "DELETE FROM pgc_session"}
	if len(vis) > 0 {
		stmts = append(stmts, "INSERT INTO pgc_visible VALUES "+strings.Join(vis, ", "))
	}
	// Roles: administrators see every user; others themselves and the
	// owners of what they may see.
	admin := s.admin()
	users := []string{fmt.Sprintf("(%d, 'modelsql', true)", oidWarehouse)}
	for _, n := range s.Snapshot.UserNames() {
		ln := strings.ToLower(n)
		if !admin && ln != strings.ToLower(s.User) && !owners[ln] {
			continue
		}
		u := s.Snapshot.User(n)
		users = append(users, fmt.Sprintf("(%d, %s, %t)", oids[ln], lit(ln), u != nil && u.Admin))
	}
	stmts = append(stmts, "INSERT INTO pgc_users VALUES "+strings.Join(users, ", "))
	var projects []string
	for _, p := range s.Projects {
		if strings.EqualFold(p, project) || s.projectUsable(p) {
			projects = append(projects, "("+lit(p)+")")
		}
	}
	if len(projects) > 0 {
		stmts = append(stmts, "INSERT INTO pgc_projects VALUES "+strings.Join(projects, ", "))
	}
	var settings []string
	for k, v := range s.Settings {
		settings = append(settings, "("+lit(k)+", "+lit(v)+")")
	}
	if len(settings) > 0 {
		stmts = append(stmts, "INSERT INTO pgc_settings VALUES "+strings.Join(settings, ", "))
	}
	stmts = append(stmts, fmt.Sprintf("INSERT INTO pgc_session VALUES (%s, %d, %t, %d)", lit(strings.ToLower(s.User)), oids[strings.ToLower(s.User)], admin, s.PID))
	if models && s.Models != nil {
		ms, vs, err := s.Models(ctx)
		if err != nil {
			return err
		}
		stmts = append(stmts, "DELETE FROM pgc_models", "DELETE FROM pgc_model_versions")
		var mr, vr []string
		for _, m := range ms {
			mr = append(mr, "("+lits(m.Catalog, m.Schema, m.Name, m.Type, m.DefaultVersion, m.Owner, m.Created, m.Comment)+")")
		}
		for _, v := range vs {
			vr = append(vr, "("+lits(v.Catalog, v.Schema, v.Model, v.Name)+fmt.Sprintf(", %t, ", v.IsDefault)+lits(v.Source, v.Created)+")")
		}
		if len(mr) > 0 {
			stmts = append(stmts, "INSERT INTO pgc_models VALUES "+strings.Join(mr, ", "))
		}
		if len(vr) > 0 {
			stmts = append(stmts, "INSERT INTO pgc_model_versions VALUES "+strings.Join(vr, ", "))
		}
	}
	for _, sn := range snapshots {
		stmts = append(stmts, "DELETE FROM pgc_snap_"+sn.name, "INSERT INTO pgc_snap_"+sn.name+" "+sn.query)
	}
	// Definition texts of what the user may read (this connection is the
	// server's, below the guard).
	stmts = append(stmts, "DELETE FROM pgc_defaults", "DELETE FROM pgc_index_keys", "DELETE FROM pgc_viewdefs",
		`INSERT INTO pgc_defaults SELECT c.table_oid, c.column_name, c.column_default FROM duckdb_columns() c
		 JOIN pgc_visible v ON v.schema_name = c.schema_name AND v.name = c.table_name
		 WHERE v.readable AND c.database_name = current_database() AND c.column_default IS NOT NULL`,
		`INSERT INTO pgc_index_keys SELECT i.index_oid, pgc_index_names(i.expressions) FROM duckdb_indexes() i
		 JOIN pgc_visible v ON v.schema_name = i.schema_name AND v.name = i.table_name WHERE i.database_name = current_database()`,
		`INSERT INTO pgc_viewdefs SELECT w.view_oid, regexp_replace(w.sql, '^CREATE( OR REPLACE)? (TEMP |TEMPORARY )?VIEW .*? AS ', '')
		 FROM duckdb_views() w JOIN pgc_visible v ON v.schema_name = w.schema_name AND v.name = w.view_name
		 WHERE v.readable AND w.database_name = current_database() AND NOT w.internal`)
	// One batch: DuckDB runs the statements in turn, and outside a client
	// transaction the batch is one transaction (one commit instead of ~30).
	batch := strings.Join(stmts, ";\n")
	if !inTx {
		batch = "BEGIN;\n" + batch + ";\nCOMMIT"
	}
	if _, err := conn.ExecContext(ctx, batch); err != nil {
		if !inTx {
			conn.ExecContext(ctx, "ROLLBACK")
		}
		return fmt.Errorf("pgcatalog: %w", err)
	}
	return nil
}

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func lits(ss ...string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = lit(s)
	}
	return strings.Join(out, ", ")
}

// ReadsModels reports whether a rewritten statement reads the models views.
func ReadsModels(rewritten string) bool {
	return strings.Contains(rewritten, "pgc_is_model")
}

// ColumnName renames DuckDB's result column names where PostgreSQL's
// differ (count(*) is "count").
func ColumnName(name string) string {
	if name == "count_star()" {
		return "count"
	}
	return name
}
