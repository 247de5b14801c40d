package access_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/access"
	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/session"
)

const remoteOpts = `OPTIONS(MODEL_SOURCE_TYPE = 'REMOTE', MODEL_TYPE = 'LLM', TASKS = 'text-generation',
	PAI_EAS_MODEL_NAME = 'qwen', PAI_EAS_SERVICE_NAME = 'svc', ENDPOINT = 'http://127.0.0.1:9',
	APIKEY = 'sk-test', PAI_EAS_SYNC_MODE = 'true')`

func irisModel() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", "iris_classifier.json")
}

type env struct {
	t       *testing.T
	w       *session.Warehouse
	store   *access.Store
	guard   *access.Guard
	admin   *session.Session
	allowed string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	pub := `{"models": [{"name": "pubm", "model_type": "LLM", "versions": [{"name": "v1", "options": {
		"TASKS": "text-generation", "ENDPOINT": "http://127.0.0.1:9", "PAI_EAS_SERVICE_NAME": "s",
		"PAI_EAS_MODEL_NAME": "m", "PAI_EAS_SYNC_MODE": "true", "APIKEY": "k"}}]}]}`
	if err := os.WriteFile(filepath.Join(dir, catalog.PublicModelsFile), []byte(pub), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := session.OpenWarehouse(ctx, dir, session.Options{Engine: engine.Options{Threads: 2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	store, err := access.OpenStore(ctx, w.Engine.DB)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"root", "bob", "carol"} {
		if err := store.AddUser(ctx, u, u+"-pw", u == "root"); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Engine.EnsureProject(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	allowed := t.TempDir()
	if real, err := filepath.EvalSymlinks(allowed); err == nil {
		allowed = real
	}
	os.WriteFile(filepath.Join(allowed, "f.csv"), []byte("a,b\n1,2\n"), 0o644)
	iris, err := os.ReadFile(irisModel())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(allowed, "iris.json"), iris, 0o644)
	w.LimitLocalFiles([]string{allowed})
	if err := access.LockDown(ctx, w.Engine, []string{allowed}); err != nil {
		t.Fatal(err)
	}
	g, err := access.NewGuard(store, access.GuardOptions{AllowDirs: []string{allowed}, Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, w: w, store: store, guard: g, allowed: allowed}
	e.admin = e.session("root")
	return e
}

func (e *env) session(user string) *session.Session {
	e.t.Helper()
	s, err := e.w.NewSession(context.Background(), session.SessionOptions{User: user, Project: "default", Guard: e.guard})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Close() })
	return s
}

func (e *env) ok(s *session.Session, sql string) *session.Result {
	e.t.Helper()
	r, err := s.Exec(context.Background(), sql)
	if err != nil {
		e.t.Fatalf("%s: %s: %v", s.User, sql, err)
	}
	return r
}

// denied runs a statement that must be refused with a DeniedError whose
// message contains want.
func (e *env) denied(s *session.Session, sql, want string) {
	e.t.Helper()
	_, err := s.Exec(context.Background(), sql)
	var de *access.DeniedError
	if !errors.As(err, &de) {
		e.t.Errorf("%s: %s: want permission denied, got %v", s.User, sql, err)
		return
	}
	if !strings.Contains(err.Error(), want) {
		e.t.Errorf("%s: %s: error %q does not contain %q", s.User, sql, err, want)
	}
}

func (e *env) value(sql string) string {
	e.t.Helper()
	r := e.ok(e.admin, sql)
	if len(r.Rows) == 0 {
		return "<none>"
	}
	return fmt.Sprint(r.Rows[0]...)
}

func (e *env) allowedIris() string { return filepath.Join(e.allowed, "iris.json") }

func setup(e *env) {
	for _, q := range []string{
		"CREATE TABLE t (i INTEGER)", "INSERT INTO t VALUES (1), (2), (3)",
		"CREATE TABLE t2 (i INTEGER)",
		"CREATE VIEW v AS SELECT i * 10 AS j FROM t",
		"CREATE MODEL m WITH VERSION v1 " + remoteOpts,
		"ALTER MODEL m ADD VERSION v2 " + remoteOpts,
		"CREATE MODEL m2 WITH VERSION v1 " + remoteOpts,
		`CREATE MODEL iris WITH VERSION v1 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)
			OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://` + e.allowedIris() + `')`,
	} {
		e.ok(e.admin, q)
	}
}

// TestPrivilegeMatrix: for every privilege of every object kind, a user
// without it is refused (naming the privilege and object) with nothing
// changed, and the same user with it succeeds.
func TestPrivilegeMatrix(t *testing.T) {
	e := newEnv(t)
	setup(e)
	bob := e.session("bob")
	cases := []struct {
		grant string // GRANT ... TO USER bob (and REVOKE after)
		stmt  string
		deny  string           // expected in the refusal
		state string           // admin query whose answer must not change on refusal
		after func(*testing.T) // extra check after success
	}{
		{"CreateTable ON PROJECT default", "CREATE TABLE bt (x INTEGER)", "lacks CreateTable on project default",
			"SELECT count(*) FROM duckdb_tables() WHERE table_name = 'bt'", nil},
		{"CreateTable ON PROJECT default", "CREATE TABLE bt2 AS SELECT 1 AS x", "lacks CreateTable on project default",
			"SELECT count(*) FROM duckdb_tables() WHERE table_name = 'bt2'", nil},
		{"CreateTable ON PROJECT default", "CREATE VIEW bv AS SELECT 1 AS x", "lacks CreateTable on project default",
			"SELECT count(*) FROM duckdb_views() WHERE view_name = 'bv'", nil},
		{"CreateModel ON PROJECT default", "CREATE MODEL bm WITH VERSION v1 " + remoteOpts, "lacks CreateModel on project default",
			"SELECT count(*) FROM __modelsql.main.models WHERE name = 'bm'", nil},
		{"All ON PROJECT default", "CREATE TABLE bt3 (x INTEGER)", "lacks CreateTable on project default",
			"SELECT count(*) FROM duckdb_tables() WHERE table_name = 'bt3'", nil},
		{"Select ON TABLE t", "SELECT count(*) FROM t", "lacks Select on table default.default.t", "SELECT count(*) FROM t", nil},
		{"Select ON TABLE t", "SELECT j FROM v WHERE j > (SELECT min(i) FROM t)", "lacks Select on table default.default.t", "SELECT 1", nil},
		{"Update ON TABLE t", "INSERT INTO t VALUES (100)", "lacks Update on table default.default.t", "SELECT count(*) FROM t", nil},
		{"Update ON TABLE t", "UPDATE t SET i = i + 1 WHERE i = 1", "lacks Update on table default.default.t", "SELECT sum(i) FROM t", nil},
		{"Update ON TABLE t", "DELETE FROM t WHERE i = 100", "lacks Update on table default.default.t", "SELECT count(*) FROM t", nil},
		{"Alter ON TABLE t", "ALTER TABLE t ADD COLUMN c2 INTEGER", "lacks Alter on table default.default.t",
			"SELECT count(*) FROM duckdb_columns() WHERE table_name = 't'", nil},
		{"Drop ON TABLE t2", "DROP TABLE t2", "lacks Drop on table default.default.t2",
			"SELECT count(*) FROM duckdb_tables() WHERE table_name = 't2'", nil},
		{"Describe ON TABLE t", "DESCRIBE t", "lacks Describe on table default.default.t", "SELECT 1", nil},
		{"All ON TABLE t", "SELECT count(*) FROM t", "lacks Select on table default.default.t", "SELECT 1", nil},
		{"Describe ON MODEL m", "DESC MODEL m", "lacks Describe on model default.default.m", "SELECT 1", nil},
		{"Describe ON MODEL m", "SHOW VERSIONS FOR MODEL m", "lacks Describe on model default.default.m", "SELECT 1", nil},
		{"Alter ON MODEL m", "ALTER MODEL m SET DEFAULT_VERSION v2", "lacks Alter on model default.default.m",
			"SELECT default_version FROM __modelsql.main.models WHERE name = 'm'", nil},
		{"Alter ON MODEL m", "ALTER MODEL m ADD VERSION v3 " + remoteOpts, "lacks Alter on model default.default.m",
			"SELECT count(*) FROM __modelsql.main.versions WHERE model = 'm'", nil},
		{"Alter ON MODEL m", "ALTER MODEL m DROP VERSION v3", "lacks Alter on model default.default.m",
			"SELECT count(*) FROM __modelsql.main.versions WHERE model = 'm'", nil},
		{"Drop ON MODEL m2", "DROP MODEL m2", "lacks Drop on model default.default.m2",
			"SELECT count(*) FROM __modelsql.main.models WHERE name = 'm2'", nil},
		{"Execute ON MODEL iris", "SELECT ML_PREDICT(iris, DEFAULT_VERSION, 5.1, 3.5, 1.4, 0.2) AS p", "lacks Execute on model default.default.iris", "SELECT 1", nil},
		{"Execute ON MODEL iris", "SELECT p.label, p.probs[1] FROM (SELECT ML_PREDICT(iris, v1, 5.1, 3.5, 1.4, 0.2) AS p)", "lacks Execute on model default.default.iris", "SELECT 1", nil},
		{"All ON MODEL m", "DESC MODEL m", "lacks Describe on model default.default.m", "SELECT 1", nil},
	}
	for _, c := range cases {
		before := e.value(c.state)
		e.denied(bob, c.stmt, c.deny)
		if after := e.value(c.state); after != before {
			t.Errorf("refused %q changed %q: %s → %s", c.stmt, c.state, before, after)
		}
		e.ok(e.admin, "GRANT "+c.grant+" TO USER bob")
		if _, err := bob.Exec(context.Background(), c.stmt); err != nil {
			t.Errorf("with %s: %s: %v", c.grant, c.stmt, err)
		}
		e.ok(e.admin, "REVOKE "+c.grant+" FROM USER bob")
	}
	// Tables read inside inference arguments are checked too.
	e.ok(e.admin, "GRANT Execute ON MODEL iris TO USER bob")
	argRead := "SELECT ML_PREDICT(iris, v1, i, i, i, (SELECT max(i) FROM t)).label FROM range(2) r(i)"
	e.denied(bob, argRead, "lacks Select on table default.default.t")
	e.ok(e.admin, "GRANT Select ON TABLE t TO USER bob")
	e.ok(bob, argRead)
	e.ok(e.admin, "REVOKE Select ON TABLE t FROM USER bob")
	e.ok(e.admin, "REVOKE Execute ON MODEL iris FROM USER bob")

	// SHOW MODELS lists what bob may list: nothing without grants, the
	// model he may Describe, everything with List on the project.
	names := func() string {
		r := e.ok(bob, "SHOW MODELS")
		var out []string
		for _, row := range r.Rows {
			out = append(out, fmt.Sprint(row[0]))
		}
		return strings.Join(out, ",")
	}
	// bm is bob's own (created while he held CreateModel).
	if got := names(); got != "bm" {
		t.Errorf("SHOW MODELS without grants: %q", got)
	}
	e.ok(e.admin, "GRANT Describe ON MODEL m TO USER bob")
	if got := names(); got != "bm,m" {
		t.Errorf("SHOW MODELS with Describe on m: %q", got)
	}
	e.ok(e.admin, "GRANT List ON PROJECT default TO USER bob")
	if got := names(); got != "bm,iris,m" {
		t.Errorf("SHOW MODELS with List: %q", got)
	}
}

func TestOwnersRolesAndRevocation(t *testing.T) {
	e := newEnv(t)
	setup(e)
	bob, carol := e.session("bob"), e.session("carol")
	e.ok(e.admin, "GRANT CreateTable, CreateModel ON PROJECT default TO USER bob")
	// The creator owns what it creates.
	e.ok(bob, "CREATE TABLE mine (x INTEGER)")
	e.ok(bob, "INSERT INTO mine VALUES (1)")
	e.ok(bob, "ALTER TABLE mine ADD COLUMN y INTEGER")
	e.ok(bob, "CREATE MODEL bm WITH VERSION v1 "+remoteOpts)
	e.ok(bob, "DESC MODEL bm")
	e.denied(carol, "SELECT * FROM mine", "user carol lacks Select on table default.default.mine")
	e.denied(carol, "DROP MODEL bm", "user carol lacks Drop on model default.default.bm")
	// Owners may grant on their objects; others may not.
	e.denied(carol, "GRANT Select ON TABLE mine TO USER carol", "only administrators and the object's owner")
	e.ok(bob, "GRANT Select ON TABLE mine TO USER carol")
	e.ok(carol, "SELECT * FROM mine")
	e.denied(bob, "GRANT Select ON TABLE t TO USER carol", "only administrators")
	e.denied(bob, "GRANT CreateTable ON PROJECT default TO USER carol", "only administrators")
	// CREATE TABLE IF NOT EXISTS on someone else's table does not steal it.
	e.ok(e.admin, "GRANT CreateTable ON PROJECT default TO USER carol")
	e.ok(carol, "CREATE TABLE IF NOT EXISTS mine (x INTEGER)")
	e.denied(carol, "DROP TABLE mine", "lacks Drop")
	// Renames keep owner and grants; drops forget them.
	e.ok(bob, "ALTER TABLE mine RENAME TO mine2")
	e.ok(carol, "SELECT * FROM mine2")
	e.ok(bob, "DROP TABLE mine2")
	e.ok(e.admin, "CREATE TABLE mine2 (x INTEGER)")
	e.denied(carol, "SELECT * FROM mine2", "lacks Select")
	e.ok(bob, "DROP MODEL bm")

	// Roles.
	e.ok(e.admin, "CREATE ROLE readers")
	e.ok(e.admin, "GRANT Select ON TABLE t TO ROLE readers")
	e.denied(carol, "SELECT * FROM t", "lacks Select")
	e.ok(e.admin, "GRANT ROLE readers TO USER carol")
	e.ok(carol, "SELECT * FROM t")
	r := e.ok(carol, "SHOW GRANTS")
	if got := fmt.Sprint(r.Rows); !strings.Contains(got, "ROLE readers") || !strings.Contains(got, "default.default.t Select") {
		t.Errorf("SHOW GRANTS: %s", got)
	}
	// Revocation takes effect on the next statement of the open session.
	e.ok(e.admin, "REVOKE ROLE readers FROM USER carol")
	e.denied(carol, "SELECT * FROM t", "lacks Select")
	e.ok(e.admin, "GRANT Select ON TABLE t TO USER carol")
	e.ok(carol, "SELECT * FROM t")
	e.ok(e.admin, "REVOKE Select ON TABLE t FROM USER carol")
	e.denied(carol, "SELECT * FROM t", "lacks Select")
	e.ok(e.admin, "GRANT All ON TABLE t TO USER carol")
	e.ok(carol, "SELECT * FROM t")
	e.ok(e.admin, "REVOKE All ON TABLE t FROM USER carol")
	e.denied(carol, "SELECT * FROM t", "lacks Select")
	// A dropped user's open session is dead.
	e.ok(e.admin, "DROP USER carol")
	e.denied(carol, "SELECT 1", "no longer exists")
	// Grants need existing objects and principals; only admins manage users.
	if _, err := e.admin.Exec(context.Background(), "GRANT Select ON TABLE nosuch TO USER bob"); err == nil {
		t.Error("grant on a missing table")
	}
	if _, err := e.admin.Exec(context.Background(), "GRANT Select ON TABLE t TO USER nosuch"); err == nil {
		t.Error("grant to a missing user")
	}
	if _, err := e.admin.Exec(context.Background(), "GRANT Execute ON TABLE t TO USER bob"); err == nil || !strings.Contains(err.Error(), "does not apply") {
		t.Errorf("invalid privilege: %v", err)
	}
	e.denied(bob, "CREATE USER eve PASSWORD 'x'", "reserved to administrators")
	e.denied(bob, "SHOW GRANTS FOR USER root", "may not see")
	if _, err := e.admin.Exec(context.Background(), "DROP USER root"); err == nil || !strings.Contains(err.Error(), "last administrator") {
		t.Errorf("dropping the last admin: %v", err)
	}
}

func TestPublicModels(t *testing.T) {
	e := newEnv(t)
	bob := e.session("bob")
	e.ok(bob, "DESC MODEL bigdata_public_modelset.default.pubm")
	r := e.ok(bob, "SHOW MODELS IN bigdata_public_modelset")
	if len(r.Rows) != 1 {
		t.Errorf("public SHOW MODELS: %v", r.Rows)
	}
	m, _, err := e.w.Catalog.GetModel(context.Background(), catalog.Ref{Project: catalog.PublicProject, Schema: "default", Name: "pubm"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.guard.CheckModel(context.Background(), bob, m, access.PrivExecute); err != nil {
		t.Errorf("execute public model: %v", err)
	}
	for _, s := range []*session.Session{bob, e.admin} {
		if _, err := s.Exec(context.Background(), "DROP MODEL bigdata_public_modelset.default.pubm"); err == nil {
			t.Errorf("%s dropped a public model", s.User)
		}
		if err := e.guard.CheckModel(context.Background(), s, m, access.PrivAlter); err == nil {
			t.Errorf("%s may alter a public model", s.User)
		}
	}
}

// TestRefusedStatements: what only administrators may do, and what the
// analysis cannot see through, is refused for everyone else.
func TestRefusedStatements(t *testing.T) {
	e := newEnv(t)
	setup(e)
	bob := e.session("bob")
	e.ok(e.admin, "GRANT CreateTable ON PROJECT default TO USER bob")
	e.ok(e.admin, "GRANT Execute ON MODEL iris TO USER bob")
	for _, c := range []struct{ stmt, want string }{
		{"SELECT __modelsql_ml_predict_cls('h1', '', 1)", "system catalog"},
		// Refused by DuckDB's own lock-down (at bind time) or by the guard.
		{"SELECT * FROM read_csv('/etc/passwd')", "ermission"},
		{"SELECT * FROM read_csv(['" + e.allowed + "/f.csv', '/etc/passwd'])", "ermission"},
		{"SELECT * FROM read_csv('" + e.allowed + "/../x.csv')", "ermission"},
		{"SELECT * FROM read_text('relative.txt')", "ermission"},
		{"SELECT * FROM read_blob('" + filepath.Dir(e.w.Engine.DataDir) + "/*/projects/default.duckdb')", "ermission"},
		{"SELECT * FROM '/etc/hosts'", ""},
		{"ATTACH '/tmp/x.duckdb' AS x", "ATTACH"},
		{"DETACH \"default\"", "DETACH"},
		{"INSTALL httpfs", "INSTALL/LOAD"},
		{"LOAD httpfs", "INSTALL/LOAD"},
		{"COPY t TO '/tmp/out.csv'", ""},
		{"COPY t FROM '" + e.allowed + "/f.csv'", "COPY"},
		{"EXPORT DATABASE '/tmp/exp'", ""},
		{"SET threads = 1", "SET threads"},
		{"SET memory_limit = '1GB'", "SET memory_limit"},
		{"SET enable_external_access = true", ""},
		{"PRAGMA table_info('t')", "PRAGMA"},
		{"CALL pragma_version()", "CALL"},
		{"CHECKPOINT", "CALL"},
		{"CREATE MACRO mm(x) AS x + 1", ""},
		{"CREATE SCHEMA s2", "CREATE SCHEMA"},
		{"CREATE SEQUENCE sq", "CREATE SEQUENCE"},
		{"SELECT * FROM __modelsql.main.users", "system catalog"},
		{"SELECT * FROM query_table('t')", "query_table"},
		{"SELECT * FROM duckdb_secrets()", "duckdb_secrets"},
		{"PREPARE p AS SELECT * FROM t", "PREPARE"},
		{"SELECT 1; DROP TABLE t", ""},
		{"CREATE TABLE memory.main.x (i INTEGER)", "catalog memory"},
		{"SET VARIABLE x = (SELECT count(*) FROM t)", "SET"},
		{"DROP TABLE t2 CASCADE", ""},
		{"IMPORT DATABASE '/tmp/x'", ""},
		{"CREATE INDEX ti ON t(i)", "lacks Alter on table default.default.t"},
		{"SUMMARIZE t", "lacks Select on table default.default.t"},
		{"DELETE FROM t RETURNING *", "lacks"},
		{"CREATE OR REPLACE TABLE t AS SELECT 1 AS i", "lacks Drop on table default.default.t"},
		{"ALTER TABLE t RENAME TO t9", "lacks Alter"},
	} {
		_, err := bob.Exec(context.Background(), c.stmt)
		if err == nil {
			t.Errorf("%s: allowed", c.stmt)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v (want %q)", c.stmt, err, c.want)
		}
	}
	if got := e.value("SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('t', 't2')"); got != "2" {
		t.Errorf("tables after refused statements: %s", got)
	}
	// Allowed: the allowed directory, CTEs named like tables, temporary
	// tables, session SETs, transactions, EXPLAIN of what one may run.
	e.ok(bob, "SELECT * FROM read_csv('"+e.allowed+"/f.csv')")
	e.ok(bob, "SELECT * FROM read_csv('"+e.allowed+"/*.csv')")
	e.ok(bob, "WITH t AS (SELECT 42 AS i) SELECT * FROM t")
	e.ok(bob, "CREATE TEMP TABLE scratch AS SELECT * FROM range(3)")
	e.ok(bob, "SELECT count(*) FROM scratch")
	e.ok(bob, "SET search_path = 'default.default'")
	e.ok(bob, "BEGIN")
	e.ok(bob, "INSERT INTO scratch VALUES (9)")
	e.ok(bob, "COMMIT")
	e.ok(bob, "EXPLAIN SELECT count(*) FROM scratch")
	e.denied(bob, "EXPLAIN SELECT count(*) FROM t", "lacks Select")
	e.ok(bob, "SELECT count(*) FROM information_schema.tables")
	e.ok(e.admin, "CREATE INDEX ti ON t(i)")
	e.denied(bob, "DROP INDEX ti", "DROP INDEX")
	e.ok(e.admin, "CREATE ROLE r2")
	e.ok(e.admin, "GRANT r2 TO bob")
	if r := e.ok(bob, "SHOW GRANTS"); !strings.Contains(fmt.Sprint(r.Rows), "ROLE r2 member") {
		t.Errorf("GRANT r2 TO bob: %v", r.Rows)
	}
	// A local model file outside the allowed directories.
	e.ok(e.admin, "GRANT CreateModel ON PROJECT default TO USER bob")
	e.denied(bob, `CREATE MODEL stolen WITH VERSION v1 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)
		OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://`+irisModel()+`')`, "outside the allowed directories")
	// Administrators may do what others may not.
	e.ok(e.admin, "SET threads = 2")
	e.ok(e.admin, "SELECT * FROM __modelsql.main.users")
}

// Statements DuckDB acts on while preparing them are refused before
// anything is prepared: a refused EXPORT DATABASE still created its
// directory inside an allowed one, and IMPORT DATABASE (not refused at
// all) read and expanded the SQL files of an export it named.
func TestExportImportRefusedBeforePreparing(t *testing.T) {
	e := newEnv(t)
	bob := e.session("bob")
	imp := filepath.Join(e.allowed, "imp")
	if err := os.Mkdir(imp, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(imp, "schema.sql"), []byte("CREATE TABLE imported AS SELECT 1 AS a;\n"), 0o644)
	os.WriteFile(filepath.Join(imp, "load.sql"), []byte("INSERT INTO imported SELECT 2;\n"), 0o644)
	for _, c := range []struct{ stmt, want string }{
		{"EXPORT DATABASE memory TO '" + e.allowed + "/exp1'", "EXPORT is reserved"},
		{"/* c */ export database '" + e.allowed + "/exp2'", "EXPORT is reserved"},
		{"IMPORT DATABASE '" + imp + "'", "IMPORT is reserved"},
		{"PRAGMA import_database('" + imp + "')", "PRAGMA is reserved"},
		{"CREATE TEMPORARY SECRET s1 (TYPE s3, KEY_ID 'a', SECRET 'b')", "CREATE SECRET is reserved"},
		{"create or replace persistent secret s2 (TYPE http, BEARER_TOKEN 'b')", "CREATE SECRET is reserved"},
		{"DROP SECRET IF EXISTS s1", "DROP SECRET is reserved"},
	} {
		e.denied(bob, c.stmt, c.want)
	}
	for _, d := range []string{"exp1", "exp2"} {
		if _, err := os.Stat(filepath.Join(e.allowed, d)); err == nil {
			t.Errorf("a refused EXPORT created %s", d)
		}
	}
	if got := e.value("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'imported'"); got != "0" {
		t.Errorf("imported tables: %s", got)
	}
	// The secret manager was not started (and broken) by bob's attempts.
	if _, err := e.admin.Exec(context.Background(), "SELECT count(*) FROM duckdb_secrets()"); err != nil && strings.Contains(err.Error(), "already registered") {
		t.Errorf("secret manager after refused CREATE SECRET: %v", err)
	}
}
