package access

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/objstore"
	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/session"
)

// Guard implements session.Guard for the server.
//
// The rules, in short (docs/server.md has the full list):
//   - administrators may do everything (except change public models);
//   - the creator of a table, view or model owns it and holds every
//     privilege on it; everyone else needs a grant (directly or via a role);
//   - model statements need CreateModel on the project, or Alter, Drop,
//     Describe, Execute on the model; SHOW MODELS lists the models whose
//     project the user may List, plus those it owns or may Describe;
//   - ordinary SQL is analysed through DuckDB's own plan: tables read need
//     Select, written need Update, created need CreateTable on the project,
//     dropped Drop, altered Alter, described Describe;
//   - files may be read only inside the configured directories; ATTACH,
//     INSTALL/LOAD, COPY to or from server files, PRAGMA, server-wide SET,
//     macros, schemas and anything that cannot be analysed are reserved to
//     administrators;
//   - privileges are read from the store on every statement (through a
//     snapshot that any change invalidates), so a REVOKE applies to the next
//     statement of every open session.
type Guard struct {
	store      *Store
	allowDirs  []string
	allowHosts []HostPattern // nil: every host
	logger     *log.Logger

	mu    sync.Mutex
	state map[*session.Session]*sessState
}

type sessState struct {
	a         *analysis
	dropModel string // model key forgotten after a successful DROP MODEL
	tx        stmtTx // how the current statement relates to transactions
	// pending are the store changes (owners, forgotten and renamed grants)
	// of statements run inside the session's open transaction: they are
	// applied when it commits and dropped when it rolls back.
	pending []func(context.Context)
	// tablesBefore lists the tables and views before an administrator's
	// CREATE whose target the analysis did not find (CREATE TABLE AS over
	// read_csv and the like): After records the new ones as the creator's.
	tablesBefore map[tableRef]bool
}

// GuardOptions configure NewGuard.
type GuardOptions struct {
	// AllowDirs are the directories whose files non-administrators may read
	// (read_csv and friends, CREATE MODEL LOCATION on the local disk).
	AllowDirs []string
	// AllowHosts, when not nil, are the servers non-administrators' remote
	// models and http(s)/oss LOCATIONs may name (the server's --allow-host).
	AllowHosts []HostPattern
	Logger     *log.Logger
}

// NewGuard returns the guard of a server.
// ShowGrantsColumns are the result columns of SHOW GRANTS.
var ShowGrantsColumns = []string{"Principal", "ObjectType", "ObjectName", "Privileges"}

func NewGuard(store *Store, o GuardOptions) (*Guard, error) {
	g := &Guard{store: store, logger: o.Logger, allowHosts: o.AllowHosts, state: map[*session.Session]*sessState{}}
	if g.logger == nil {
		g.logger = log.New(os.Stderr, "", log.LstdFlags)
	}
	for _, d := range o.AllowDirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		g.allowDirs = append(g.allowDirs, filepath.Clean(abs))
	}
	return g, nil
}

// Store returns the guard's store.
func (g *Guard) Store() *Store { return g.store }

// Forget drops the guard's state of a closed session.
func (g *Guard) Forget(s *session.Session) {
	g.mu.Lock()
	delete(g.state, s)
	g.mu.Unlock()
}

func (g *Guard) st(s *session.Session) *sessState {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state[s]
	if st == nil {
		st = &sessState{}
		g.state[s] = st
	}
	return st
}

// who returns the session's user as the store knows it now.
func (g *Guard) who(ctx context.Context, s *session.Session) (*Snapshot, *User, error) {
	sn, err := g.store.Snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	u := sn.User(s.User)
	// A user dropped and created again under the same name is another
	// user: the old login's session does not become theirs.
	if u == nil || !s.UserCreated.IsZero() && !u.Created.Equal(s.UserCreated) {
		return nil, nil, deniedf("user %s no longer exists", s.User)
	}
	return sn, u, nil
}

// Check implements session.Guard. An ordinary statement that it analyses
// is checked and then run inside one transaction on the session's
// connection (After ends it), so that both see the same catalog: a view
// redefined by another session in between cannot change what runs.
func (g *Guard) Check(ctx context.Context, s *session.Session, stmt parser.Statement, text string) error {
	st := g.st(s)
	st.a, st.dropModel, st.tx = nil, "", stmtTx{}
	err := g.check(ctx, s, st, stmt, text)
	if err != nil {
		g.endTx(ctx, s, st, false)
	}
	return err
}

func (g *Guard) check(ctx context.Context, s *session.Session, st *sessState, stmt parser.Statement, text string) error {
	sn, u, err := g.who(ctx, s)
	if err != nil {
		return err
	}
	admin := u.Admin
	switch x := stmt.(type) {
	case *parser.CreateModel:
		if catalog.IsPublicProject(firstPart(x.Model.Parts, s)) {
			return nil // the session refuses it: public models are read-only
		}
		ref, err := s.ResolveModel(ctx, x.Model)
		if err != nil {
			return nil // the session reports the bad name
		}
		if !admin && !sn.Holds(u.Name, KindProject, strings.ToLower(ref.Project), PrivCreateModel) {
			return denied(u.Name, PrivCreateModel, KindProject, strings.ToLower(ref.Project))
		}
		if err := g.checkOptions(admin, x.Options); err != nil {
			return err
		}
		if x.Query != "" { // training reads the query's tables
			return g.checkSQL(ctx, s, sn, u, st, x.Query)
		}
		return nil
	case *parser.AddVersion:
		if err := g.checkModelStmt(ctx, s, sn, u, x.Model, PrivAlter); err != nil {
			return err
		}
		if err := g.checkOptions(admin, x.Options); err != nil {
			return err
		}
		if x.Query != "" { // training reads the query's tables
			return g.checkSQL(ctx, s, sn, u, st, x.Query)
		}
		return nil
	case *parser.DropVersion:
		return g.checkModelStmt(ctx, s, sn, u, x.Model, PrivAlter)
	case *parser.SetDefaultVersion:
		return g.checkModelStmt(ctx, s, sn, u, x.Model, PrivAlter)
	case *parser.SetAlias:
		return g.checkModelStmt(ctx, s, sn, u, x.Model, PrivAlter)
	case *parser.UnsetAlias:
		return g.checkModelStmt(ctx, s, sn, u, x.Model, PrivAlter)
	case *parser.DropModel:
		if err := g.checkModelStmt(ctx, s, sn, u, x.Model, PrivDrop); err != nil {
			return err
		}
		if ref, err := s.ResolveModel(ctx, x.Model); err == nil {
			st.dropModel = modelKey(ref)
		}
		return nil
	case *parser.ShowModels, *parser.ShowVersions, *parser.DescModel, *parser.Use:
		// Filtered and checked per model by CheckModel.
		return nil
	case *parser.Set:
		if strings.HasPrefix(x.Key, "odps.") || strings.HasPrefix(x.Key, "modelsql.") {
			return nil // session settings of modelsql
		}
		return g.checkSQL(ctx, s, sn, u, st, text)
	case *parser.CreateUser, *parser.DropUser, *parser.CreateRole, *parser.DropRole,
		*parser.GrantRole, *parser.RevokeRole:
		if !admin {
			return adminOnly(u.Name, "managing users and roles")
		}
		return nil
	case *parser.AlterUser:
		if !admin && normName(x.Name) != u.Name {
			return adminOnly(u.Name, "changing another user's password")
		}
		return nil
	case *parser.Grant, *parser.Revoke, *parser.ShowGrants:
		return nil // Exec checks who may grant what (it needs the object)
	case *parser.CreateObjectTable:
		return g.checkCreateObjectTable(ctx, s, sn, u, st, x)
	case *parser.RefreshMetadata:
		return g.checkRefresh(ctx, s, sn, u, x)
	case *parser.Passthrough:
		return g.checkSQL(ctx, s, sn, u, st, text)
	}
	if admin {
		return nil
	}
	return deniedf("statement not available to user %s", u.Name)
}

// checkSQL analyses an ordinary statement and checks its privileges.
func (g *Guard) checkSQL(ctx context.Context, s *session.Session, sn *Snapshot, u *User, st *sessState, text string) error {
	if !u.Admin && strings.Contains(strings.ToLower(text), strings.ToLower(sys)) {
		return deniedf("the system catalog %s is reserved to administrators", sys)
	}
	g.noteTxStatement(ctx, s, st, text)
	if u.Admin && !needsRecord(text) {
		return nil
	}
	if st.tx.control == "" {
		if err := g.beginTx(ctx, s, st); err != nil {
			return err
		}
	}
	// Plan exactly what the session will run: inference calls bound to
	// their models (which checks Execute on each).
	rewritten, release, err := s.BindInference(ctx, text)
	if err != nil {
		if u.Admin {
			return nil // the session reports it
		}
		return err
	}
	defer release()
	if u.Admin {
		// Administrators are not checked, but new, dropped and renamed
		// tables are recorded; for a CREATE whose target the analysis
		// does not find, the tables that appear are (After).
		a, err := analyzeText(ctx, s.Conn(), rewritten, 0)
		if err == nil {
			g.noteCreates(ctx, s, a)
			st.a = a
		}
		if (err != nil || len(a.creates)+len(a.replaces) == 0) && firstWord(text) == "CREATE" {
			st.tablesBefore = tableSet(ctx, s)
		}
		return nil
	}
	a, err := analyzeText(ctx, s.Conn(), rewritten, 0)
	if err != nil {
		if errors.Is(err, errMulti) {
			return err
		}
		return s.UserError(cleanErr(err))
	}
	if a.refuse != "" {
		return adminOnly(u.Name, a.refuse)
	}
	if err := g.checkObjectFunctions(s, sn, u, text); err != nil {
		return err
	}
	if strings.Contains(fmt.Sprint(a.reads, a.writes), sys) {
		return deniedf("the system catalog %s is reserved to administrators", sys)
	}
	for _, f := range a.files {
		if !g.pathAllowed(f) {
			return deniedf("user %s may not read %q: files are readable only inside the server's allowed directories (%s)", u.Name, f, g.allowedText())
		}
	}
	checks := []struct {
		refs []tableRef
		priv string
	}{
		{a.reads, PrivSelect}, {a.writes, PrivUpdate}, {a.describes, PrivDescribe},
		{a.alters, PrivAlter}, {a.drops, PrivDrop},
	}
	for _, c := range checks {
		for _, r := range c.refs {
			if err := g.checkTable(sn, u.Name, r, c.priv); err != nil {
				return err
			}
		}
	}
	for _, r := range a.creates {
		if err := g.checkCreate(sn, u.Name, r); err != nil {
			return err
		}
	}
	g.noteCreates(ctx, s, a)
	for _, r := range a.replaces {
		if exists(ctx, s, r) {
			if err := g.checkTable(sn, u.Name, r, PrivDrop); err != nil {
				return err
			}
		}
	}
	st.a = a
	return nil
}

// needsRecord reports whether an administrator's statement may create,
// drop or rename a table (the only ones After records).
func needsRecord(text string) bool {
	switch firstWord(text) {
	case "CREATE", "DROP", "ALTER":
		return true
	}
	return false
}

// noteCreates remembers which created objects are new (After records their owner).
func (g *Guard) noteCreates(ctx context.Context, s *session.Session, a *analysis) {
	a.createdNew = nil
	for _, r := range a.creates {
		if !exists(ctx, s, r) {
			a.createdNew = append(a.createdNew, r)
		}
	}
	for _, r := range a.replaces {
		if exists(ctx, s, r) {
			a.createdNew = append(a.createdNew, r)
		}
	}
}

// tableSet lists the session's visible tables and views (nil on error).
func tableSet(ctx context.Context, s *session.Session) map[tableRef]bool {
	rows, err := s.Conn().QueryContext(ctx, `SELECT database_name, schema_name, table_name FROM duckdb_tables() WHERE NOT temporary
		UNION ALL SELECT database_name, schema_name, view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	set := map[tableRef]bool{}
	for rows.Next() {
		var r tableRef
		if rows.Scan(&r.Catalog, &r.Schema, &r.Name) == nil {
			set[r] = true
		}
	}
	return set
}

func exists(ctx context.Context, s *session.Session, r tableRef) bool {
	var n int
	err := s.Conn().QueryRowContext(ctx, `SELECT count(*) FROM (
		SELECT database_name, schema_name, table_name FROM duckdb_tables()
		UNION ALL SELECT database_name, schema_name, view_name FROM duckdb_views())
		WHERE lower(database_name) = lower(?) AND lower(schema_name) = lower(?) AND lower(table_name) = lower(?)`,
		r.Catalog, r.Schema, r.Name).Scan(&n)
	return err == nil && n > 0
}

// checkTable checks one privilege on one table or view.
func (g *Guard) checkTable(sn *Snapshot, user string, r tableRef, priv string) error {
	cat := strings.ToLower(r.Catalog)
	switch cat {
	case "temp":
		return nil // the session's own temporary objects
	case "system":
		if priv == PrivSelect || priv == PrivDescribe {
			return nil // pg_catalog, information_schema
		}
	}
	if cat == "system" || cat == "memory" || cat == sys || cat == "" || catalog.IsPublicProject(cat) {
		return deniedf("catalog %s is reserved to administrators", r.Catalog)
	}
	key := r.key()
	if sn.TableOwner(key) == normName(user) || sn.Holds(user, KindTable, key, priv) {
		return nil
	}
	return denied(user, priv, KindTable, key)
}

func (g *Guard) checkCreate(sn *Snapshot, user string, r tableRef) error {
	cat := strings.ToLower(r.Catalog)
	if cat == "temp" {
		return nil
	}
	if cat == "system" || cat == "memory" || cat == sys || cat == "" {
		return deniedf("catalog %s is reserved to administrators", r.Catalog)
	}
	if sn.Holds(user, KindProject, cat, PrivCreateTable) {
		return nil
	}
	return denied(user, PrivCreateTable, KindProject, cat)
}

// checkModelStmt checks a privilege on the model a statement names. An
// unknown model passes: the session reports it.
func (g *Guard) checkModelStmt(ctx context.Context, s *session.Session, sn *Snapshot, u *User, name parser.Name, priv string) error {
	ref, err := s.ResolveModel(ctx, name)
	if err != nil {
		return nil
	}
	m, _, err := s.Warehouse().Catalog.GetModel(ctx, ref)
	if err != nil {
		return nil
	}
	return g.modelPriv(sn, u, m, priv)
}

// CheckModel implements session.Guard.
func (g *Guard) CheckModel(ctx context.Context, s *session.Session, m *catalog.Model, priv string) error {
	sn, u, err := g.who(ctx, s)
	if err != nil {
		return err
	}
	return g.modelPriv(sn, u, m, priv)
}

func (g *Guard) modelPriv(sn *Snapshot, u *User, m *catalog.Model, priv string) error {
	key := modelKey(m.Ref())
	if m.Public || catalog.IsPublicProject(m.Project) {
		switch priv {
		case PrivExecute, PrivDescribe, PrivList:
			return nil
		}
		return deniedf("public model %s cannot be changed", key)
	}
	if u.Admin || normName(m.Owner) == u.Name {
		return nil
	}
	switch priv {
	case PrivList:
		if sn.Holds(u.Name, KindProject, strings.ToLower(m.Project), PrivList) || sn.Holds(u.Name, KindModel, key, PrivDescribe) {
			return nil
		}
		return denied(u.Name, PrivList, KindProject, strings.ToLower(m.Project))
	default:
		if sn.Holds(u.Name, KindModel, key, priv) {
			return nil
		}
	}
	return denied(u.Name, priv, KindModel, key)
}

func modelKey(r catalog.Ref) string { return strings.ToLower(r.String()) }

func firstPart(parts []string, s *session.Session) string {
	if len(parts) == 3 {
		return parts[0]
	}
	if len(parts) == 2 && catalog.IsPublicProject(parts[0]) {
		return parts[0]
	}
	return s.Project()
}

// checkOptions checks where a model statement makes the server read and call.
func (g *Guard) checkOptions(admin bool, opts []parser.Option) error {
	if err := g.checkLocation(opts); err != nil {
		return err
	}
	return g.checkHosts(admin, opts)
}

// checkLocation refuses local model files outside the allowed directories,
// for every user (administrators included: over the wire nobody reads the
// server's disk outside --allow-dir). The path checked is the one object
// storage opens (objstore.LocalPath: scheme case-insensitive,
// percent-decoded, cleaned), with symbolic links resolved; the fetcher
// checks the file it opens again.
func (g *Guard) checkLocation(opts []parser.Option) error {
	for _, o := range opts {
		if o.Key != catalog.OptLocation {
			continue
		}
		p, local, err := objstore.LocalPath(o.Value)
		if !local {
			continue
		}
		if err != nil {
			return deniedf("LOCATION on the server's disk must be an absolute path inside the allowed directories (%s): %v", g.allowedText(), err)
		}
		if !objstore.InsideDirs(p, g.allowDirs) {
			return deniedf("LOCATION %s is on the server's disk outside the allowed directories (%s)", o.Value, g.allowedText())
		}
	}
	return nil
}

// pathAllowed reports whether a file path (possibly a glob) stays inside an
// allowed directory. Relative paths, URLs and home-relative paths are not
// allowed; the part before the first glob character must be inside.
func (g *Guard) pathAllowed(p string) bool {
	if p == "" || strings.Contains(p, "://") || strings.HasPrefix(p, "~") || !filepath.IsAbs(p) {
		return false
	}
	dir := p
	if i := strings.IndexAny(p, "*?[{"); i >= 0 {
		dir = filepath.Dir(p[:i+1])
	}
	dir = filepath.Clean(dir)
	for _, d := range g.allowDirs {
		if dir == d || strings.HasPrefix(dir, d+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

func (g *Guard) allowedText() string {
	if len(g.allowDirs) == 0 {
		return "none configured"
	}
	return strings.Join(g.allowDirs, ", ")
}

// After implements session.Guard: it ends the transaction Check began and
// records owners of new tables and forgets grants of dropped objects, once
// they are committed.
func (g *Guard) After(ctx context.Context, s *session.Session, stmt parser.Statement, text string, err error) error {
	st := g.st(s)
	a, dropModel, before := st.a, st.dropModel, st.tablesBefore
	st.a, st.dropModel, st.tablesBefore = nil, "", nil
	if err != nil {
		g.endTx(ctx, s, st, false)
		g.afterControl(ctx, st, false)
		return nil
	}
	if dropModel != "" {
		// Models live in the system catalog, written in its own transaction.
		if err := g.store.ForgetObject(ctx, KindModel, dropModel); err != nil {
			g.logger.Printf("forget grants of model %s: %v", dropModel, err)
		}
	}
	if err := g.endTx(ctx, s, st, true); err != nil {
		return err
	}
	changes := g.tableChanges(normName(s.User), a)
	changes = append(changes, g.newTableOwners(ctx, s, before)...)
	if st.tx.explicit {
		st.pending = append(st.pending, changes...)
	} else {
		apply(ctx, changes)
	}
	g.afterControl(ctx, st, true)
	return nil
}

// newTableOwners records the session's user as the owner of the tables
// that exist now and did not before (nil before: nothing to compare).
func (g *Guard) newTableOwners(ctx context.Context, s *session.Session, before map[tableRef]bool) []func(context.Context) {
	if before == nil {
		return nil
	}
	user := normName(s.User)
	var out []func(context.Context)
	for r := range tableSet(ctx, s) {
		if before[r] {
			continue
		}
		key := r.key()
		out = append(out, func(ctx context.Context) {
			if err := g.store.SetTableOwner(ctx, key, user); err != nil {
				g.logger.Printf("record owner of %s: %v", key, err)
			}
		})
	}
	return out
}

// tableChanges are the store changes a successful statement implies.
func (g *Guard) tableChanges(user string, a *analysis) []func(context.Context) {
	if a == nil {
		return nil
	}
	var out []func(context.Context)
	for _, r := range a.drops {
		key := r.key()
		out = append(out, func(ctx context.Context) {
			if err := g.store.ForgetObject(ctx, KindTable, key); err != nil {
				g.logger.Printf("forget grants of %s: %v", key, err)
			}
		})
	}
	for _, rn := range a.renames {
		from, to := rn[0].key(), rn[1].key()
		out = append(out, func(ctx context.Context) {
			if err := g.store.RenameTable(ctx, from, to); err != nil {
				g.logger.Printf("rename grants of %s: %v", from, err)
			}
		})
	}
	for _, r := range a.createdNew {
		key := r.key()
		out = append(out, func(ctx context.Context) {
			if err := g.store.SetTableOwner(ctx, key, user); err != nil {
				g.logger.Printf("record owner of %s: %v", key, err)
			}
		})
	}
	return out
}

func apply(ctx context.Context, changes []func(context.Context)) {
	ctx = context.WithoutCancel(ctx)
	for _, c := range changes {
		c(ctx)
	}
}

// Exec implements session.Guard: users, roles and grants.
func (g *Guard) Exec(ctx context.Context, s *session.Session, stmt parser.Statement) (*session.Result, bool, error) {
	ok := &session.Result{Message: "OK"}
	switch x := stmt.(type) {
	case *parser.CreateUser:
		if err := g.store.AddUser(ctx, x.Name, x.Password, x.Admin); err != nil {
			return nil, true, err
		}
		g.logger.Printf("user %s created user %s (admin=%v)", s.User, normName(x.Name), x.Admin)
		return ok, true, nil
	case *parser.AlterUser:
		if err := g.store.SetPassword(ctx, x.Name, x.Password); err != nil {
			return nil, true, err
		}
		g.logger.Printf("user %s changed the password of %s", s.User, normName(x.Name))
		return ok, true, nil
	case *parser.DropUser:
		sn, err := g.store.Snapshot(ctx)
		if err != nil {
			return nil, true, err
		}
		target := sn.User(x.Name)
		if target == nil {
			if x.IfExists {
				return ok, true, nil
			}
			return nil, true, fmt.Errorf("user %s does not exist", normName(x.Name))
		}
		if target.Admin && sn.AdminCount() == 1 {
			return nil, true, fmt.Errorf("cannot drop %s: it is the last administrator", target.Name)
		}
		if _, err := g.store.DropUser(ctx, x.Name); err != nil {
			return nil, true, err
		}
		g.logger.Printf("user %s dropped user %s", s.User, target.Name)
		return ok, true, nil
	case *parser.CreateRole:
		return g.done(ok, g.store.CreateRole(ctx, x.Name))
	case *parser.DropRole:
		dropped, err := g.store.DropRole(ctx, x.Name)
		if err == nil && !dropped && !x.IfExists {
			err = fmt.Errorf("role %s does not exist", normName(x.Name))
		}
		return g.done(ok, err)
	case *parser.GrantRole:
		if err := g.principalsExist(ctx, "ROLE", x.Role, x.User); err != nil {
			return nil, true, err
		}
		return g.done(ok, g.store.GrantRole(ctx, x.Role, x.User))
	case *parser.RevokeRole:
		return g.done(ok, g.store.RevokeRole(ctx, x.Role, x.User))
	case *parser.Grant:
		return g.done(ok, g.grant(ctx, s, (*parser.Grant)(x), true))
	case *parser.Revoke:
		return g.done(ok, g.grant(ctx, s, (*parser.Grant)(x), false))
	case *parser.ShowGrants:
		res, err := g.showGrants(ctx, s, x.User)
		return res, true, err
	}
	return nil, false, nil
}

func (g *Guard) done(ok *session.Result, err error) (*session.Result, bool, error) {
	if err != nil {
		return nil, true, err
	}
	return ok, true, nil
}

func (g *Guard) principalsExist(ctx context.Context, kind, name, user string) error {
	sn, err := g.store.Snapshot(ctx)
	if err != nil {
		return err
	}
	if kind == "ROLE" && !sn.Roles[normName(name)] {
		return fmt.Errorf("role %s does not exist", normName(name))
	}
	if kind == "USER" && sn.User(name) == nil {
		return fmt.Errorf("user %s does not exist", normName(name))
	}
	if user != "" && sn.User(user) == nil {
		return fmt.Errorf("user %s does not exist", normName(user))
	}
	return nil
}

// grant runs GRANT or REVOKE. Administrators may grant anything; the owner
// of a table or model may grant privileges on it. Objects and principals
// must exist (as in MaxCompute).
func (g *Guard) grant(ctx context.Context, s *session.Session, x *parser.Grant, add bool) error {
	sn, u, err := g.who(ctx, s)
	if err != nil {
		return err
	}
	if err := g.principalsExist(ctx, x.PrincipalKind, x.Principal, ""); err != nil && add {
		return err
	}
	var object, owner string
	switch x.ObjectKind {
	case KindProject:
		object = strings.ToLower(x.Object.Parts[0])
		if !s.Warehouse().Engine.HasProject(object) {
			return fmt.Errorf("project %s does not exist", object)
		}
	case KindModel:
		ref, err := s.ResolveModel(ctx, x.Object)
		if err != nil {
			return err
		}
		if catalog.IsPublicProject(ref.Project) {
			return fmt.Errorf("public models are executable by every user and cannot be granted")
		}
		m, _, err := s.Warehouse().Catalog.GetModel(ctx, ref)
		if err != nil {
			if !add && strings.Contains(err.Error(), "does not exist") {
				return nil // dropped: its grants went with it
			}
			return err
		}
		object, owner = modelKey(ref), m.Owner
	case KindTable:
		var want tableRef
		switch p := x.Object.Parts; len(p) {
		case 1:
			want = tableRef{Name: p[0]}
		case 2:
			want = tableRef{Schema: p[0], Name: p[1]}
		default:
			want = tableRef{Catalog: p[0], Schema: p[1], Name: strings.Join(p[2:], ".")}
		}
		z := &analyzer{ctx: ctx, conn: s.Conn(), a: &analysis{}}
		ref, ok := z.resolveObject(want)
		if !ok {
			if !add {
				return nil // dropped: its grants went with it
			}
			return fmt.Errorf("table %s does not exist", strings.Join(x.Object.Parts, "."))
		}
		if c := strings.ToLower(ref.Catalog); c == "temp" || c == "system" || c == "memory" || c == sys {
			return fmt.Errorf("privileges can be granted only on tables of a project")
		}
		object, owner = ref.key(), sn.TableOwner(ref.key())
	default:
		return fmt.Errorf("unknown object kind %s", x.ObjectKind)
	}
	if !u.Admin && (x.ObjectKind == KindProject || normName(owner) != u.Name) {
		what := "privileges on " + strings.ToLower(x.ObjectKind) + " " + object
		return deniedf("user %s may not grant or revoke %s: only administrators and the object's owner may", u.Name, what)
	}
	var gs []Grant
	for _, p := range x.Privileges {
		c, err := CanonicalPrivilege(x.ObjectKind, p)
		if err != nil {
			return err
		}
		gs = append(gs, Grant{PrincipalKind: x.PrincipalKind, Principal: x.Principal, ObjectKind: x.ObjectKind, Object: object, Privilege: c, Grantor: u.Name})
	}
	if add {
		err = g.store.AddGrants(ctx, gs)
	} else {
		err = g.store.RemoveGrants(ctx, gs)
	}
	if err == nil {
		verb, prep := "granted", "to"
		if !add {
			verb, prep = "revoked", "from"
		}
		g.logger.Printf("user %s %s %s on %s %s %s %s %s", u.Name, verb, strings.Join(x.Privileges, ","), strings.ToLower(x.ObjectKind), object, prep, strings.ToLower(x.PrincipalKind), normName(x.Principal))
	}
	return err
}

// showGrants lists a user's roles and privileges (direct and through roles)
// and, for administrators, says so. Users may see their own; administrators
// anyone's.
func (g *Guard) showGrants(ctx context.Context, s *session.Session, who string) (*session.Result, error) {
	sn, u, err := g.who(ctx, s)
	if err != nil {
		return nil, err
	}
	target := u
	if who != "" {
		// Users other than administrators learn nothing of other users,
		// not even whether they exist.
		if normName(who) != u.Name && !u.Admin {
			return nil, deniedf("user %s may not see the grants of %s", u.Name, normName(who))
		}
		target = sn.User(who)
		if target == nil {
			return nil, fmt.Errorf("user %s does not exist", normName(who))
		}
	}
	res := &session.Result{Columns: append([]string(nil), ShowGrantsColumns...),
		Types: []string{"VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"}}
	add := func(p, k, o, privs string) { res.Rows = append(res.Rows, []any{p, k, o, privs}) }
	if target.Admin {
		add("USER "+target.Name, "ALL", "*", "administrator")
	}
	roles := append([]string(nil), sn.RolesOf(target.Name)...)
	sort.Strings(roles)
	for _, r := range roles {
		add("USER "+target.Name, "ROLE", r, "member")
	}
	type key struct{ p, k, o string }
	agg := map[key][]string{}
	var order []key
	for _, gr := range sn.Grants {
		mine := gr.PrincipalKind == "USER" && gr.Principal == target.Name
		viaRole := gr.PrincipalKind == "ROLE" && contains(roles, gr.Principal)
		if !mine && !viaRole {
			continue
		}
		k := key{gr.PrincipalKind + " " + gr.Principal, gr.ObjectKind, gr.Object}
		if _, ok := agg[k]; !ok {
			order = append(order, k)
		}
		agg[k] = append(agg[k], gr.Privilege)
	}
	for _, k := range order {
		add(k.p, k.k, k.o, strings.Join(agg[k], ","))
	}
	var owned []string
	for o, w := range sn.owners {
		if w == target.Name {
			owned = append(owned, o)
		}
	}
	sort.Strings(owned)
	for _, o := range owned {
		add("USER "+target.Name, KindTable, o, "owner")
	}
	return res, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cleanErr returns an analysis error as the statement's error.
func cleanErr(err error) error { return err }

var _ session.Guard = (*Guard)(nil)
