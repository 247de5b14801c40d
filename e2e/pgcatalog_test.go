package e2e

// PostgreSQL clients against modelsql, compared with the same clients
// against a real PostgreSQL server (Debian's postgresql-15) started by the
// test on the same schema: psql's meta-commands, pgjdbc's DatabaseMetaData,
// SQLAlchemy and pandas reflection, server-side cursors, and values of
// every type. The reference is PostgreSQL's own output, never hand-written.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pgRef is a PostgreSQL server started for one test.
type pgRef struct {
	port int
	dir  string
}

// pgBinDir finds Debian's PostgreSQL server binaries (15 preferred).
func pgBinDir() string {
	for _, v := range []string{"15", "16", "17", "14", "13"} {
		d := "/usr/lib/postgresql/" + v + "/bin"
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

// startPostgres runs initdb and pg_ctl as the unprivileged user postgres
// (as the current user when not root). Without the binaries it skips, with
// a log line, unless MODELSQL_REQUIRE_TOOLS is set.
func startPostgres(t *testing.T) *pgRef {
	t.Helper()
	bindir := pgBinDir()
	if bindir == "" {
		if os.Getenv("MODELSQL_REQUIRE_TOOLS") != "" {
			t.Fatal("the PostgreSQL server (postgresql-15) is not installed (scripts/deps.d/35-postgres.sh installs it)")
		}
		t.Log("skipping the comparison with PostgreSQL: no server binaries under /usr/lib/postgresql/*/bin")
		t.Skip("PostgreSQL server binaries are not installed")
	}
	dir, err := os.MkdirTemp("", "modelsql-pgref")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	asPG := func(args ...string) *exec.Cmd {
		if os.Geteuid() == 0 {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
		}
		return exec.Command(args[0], args[1:]...)
	}
	if os.Geteuid() == 0 {
		os.Chmod(dir, 0o777)
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	p := &pgRef{port: freePort(t), dir: dir}
	data := filepath.Join(dir, "data")
	if out, err := asPG(filepath.Join(bindir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", p.port, dir)
	if out, err := asPG(filepath.Join(bindir, "pg_ctl"), "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
	t.Cleanup(func() { asPG(filepath.Join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "stop").Run() })
	return p
}

// psql runs psql against the reference server.
func (p *pgRef) psql(t *testing.T, user, db string, args ...string) string {
	t.Helper()
	cmd := exec.Command("psql", append([]string{"-X", "-v", "ON_ERROR_STOP=1"}, args...)...)
	cmd.Env = append(os.Environ(), "PGHOST=127.0.0.1", fmt.Sprintf("PGPORT=%d", p.port), "PGUSER="+user, "PGDATABASE="+db, "PGSSLMODE=disable")
	out, errOut, code := runCommand(t, cmd)
	if code != 0 {
		t.Fatalf("psql on PostgreSQL %q: %s", args, errOut)
	}
	return out
}

// catalogSchema is created on both servers by the user alice (so that both
// report alice as the owner), in a schema named "default" like a modelsql
// project's.
var catalogSchema = []string{
	"CREATE TABLE t(id INTEGER PRIMARY KEY, name VARCHAR, ts TIMESTAMPTZ, amount DECIMAL(10,2), flag BOOLEAN)",
	"CREATE VIEW v AS SELECT id FROM t",
	"CREATE INDEX t_name ON t(name)",
	"CREATE TABLE t2(a BIGINT, b DOUBLE PRECISION)",
	"INSERT INTO t VALUES (1, 'one', TIMESTAMPTZ '2024-01-02 03:04:05+00', 1.50, true)",
}

// bothServers starts PostgreSQL and modelsql with catalogSchema in the
// database/project proj, user alice (administrator/superuser) with
// password pw on modelsql.
func bothServers(t *testing.T) (*pgRef, *server) {
	t.Helper()
	requirePsql(t)
	pg := startPostgres(t)
	pg.psql(t, "postgres", "postgres", "-c", "CREATE ROLE alice SUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS LOGIN", "-c", "CREATE DATABASE proj OWNER alice")
	pg.psql(t, "alice", "proj", "-c", `DROP SCHEMA public`, "-c", `CREATE SCHEMA "default"`, "-c", `ALTER DATABASE proj SET search_path = "default"`)
	args := []string{}
	for _, s := range catalogSchema {
		args = append(args, "-c", s)
	}
	pg.psql(t, "alice", "proj", args...)

	data := t.TempDir()
	newProject(t, data, "proj")
	addUser(t, data, "alice", "pw", true)
	s := serve(t, data)
	if r := s.psql(t, "alice", "pw", "proj", nil, args...); r.code != 0 {
		t.Fatalf("schema on modelsql: %s", r.err)
	}
	return pg, s
}

// newProject creates a project offline (the server cannot).
func newProject(t *testing.T, data, name string) {
	t.Helper()
	if r := run(t, "", "--data", data, "--project", name, "-c", "SELECT 1"); r.code != 0 {
		t.Fatalf("project %s: %s", name, r.stderr)
	}
}

func TestPgCatalogPsqlMetaCommands(t *testing.T) {
	pg, s := bothServers(t)
	ms := func(args ...string) string {
		t.Helper()
		r := s.psql(t, "alice", "pw", "proj", nil, args...)
		if r.code != 0 {
			t.Fatalf("psql %q on modelsql: %s\nserver:\n%s", args, r.err, s.log())
		}
		return r.out
	}
	// Identical output, aligned as psql prints it.
	for _, cmd := range []string{`\dt`, `\d t`, `\dv`, `\di`, `\d`, `\df`, `\d t2`, `\dt t*`, `\d v`,
		"SELECT current_user, session_user, user, count(*) FROM t", `\x on \\ SELECT id, name FROM t`} {
		want := pg.psql(t, "alice", "proj", "-c", cmd)
		if got := ms("-c", cmd); got != want {
			t.Errorf("psql %s differs from PostgreSQL's.\nPostgreSQL:\n%s\nmodelsql:\n%s", cmd, want, got)
		}
	}
	// Owners of schemas and databases differ by nature (PostgreSQL's are
	// pg_database_owner/the creating role, modelsql's the warehouse
	// "modelsql"); they are masked, in unaligned output. \l lists only the
	// databases both have (modelsql: proj and default; PostgreSQL: proj,
	// postgres, template0/1); \du only alice (modelsql has no postgres
	// role, PostgreSQL no modelsql role).
	owner := regexp.MustCompile(`(?m)^([^|]*)\|(postgres|pg_database_owner|modelsql|alice)(\||$)`)
	mask := func(s string) string { return owner.ReplaceAllString(s, "$1|OWNER$3") }
	pick := func(out, prefix string) string {
		var keep []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, prefix) {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if want, got := mask(pg.psql(t, "alice", "proj", "-A", "-c", `\dn`)), mask(ms("-A", "-c", `\dn`)); got != want {
		t.Errorf("\\dn differs.\nPostgreSQL:\n%s\nmodelsql:\n%s", want, got)
	}
	if want, got := mask(pick(pg.psql(t, "alice", "proj", "-A", "-c", `\l`), "proj|")), mask(pick(ms("-A", "-c", `\l`), "proj|")); got != want || got == "" {
		t.Errorf("\\l differs.\nPostgreSQL:\n%s\nmodelsql:\n%s", want, got)
	}
	if want, got := pick(pg.psql(t, "alice", "proj", "-A", "-c", `\du`), "alice|"), pick(ms("-A", "-c", `\du`), "alice|"); got != want || got == "" {
		t.Errorf("\\du differs.\nPostgreSQL:\n%s\nmodelsql:\n%s", want, got)
	}
	// A modelsql administrator holds what a PostgreSQL superuser created
	// with every attribute holds.
	// version() names both.
	if v := ms("-At", "-c", "SELECT version()"); !strings.Contains(v, "PostgreSQL 15") || !strings.Contains(v, "modelsql") {
		t.Errorf("version() = %q", v)
	}
	if v := ms("-At", "-c", "SELECT current_database(), pg_backend_pid() > 0"); v != "proj|t\n" {
		t.Errorf("current_database(), pg_backend_pid() = %q", v)
	}
}

func TestPgCatalogJDBCMetaData(t *testing.T) {
	_, errJava := exec.LookPath("java")
	_, errJavac := exec.LookPath("javac")
	_, errJar := os.Stat(jdbcJar)
	if errJava != nil || errJavac != nil || errJar != nil {
		if os.Getenv("MODELSQL_REQUIRE_TOOLS") != "" {
			t.Fatal("java, javac or the PostgreSQL JDBC driver is missing (scripts/deps.d/30-server.sh installs them)")
		}
		t.Skip("java, javac or the PostgreSQL JDBC driver is missing")
	}
	pg, s := bothServers(t)
	classes := t.TempDir()
	if out, err := exec.Command("javac", "-d", classes, filepath.Join(repoRoot(), "e2e/testdata/pgclients/Meta.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	meta := func(url, pw string) string {
		cmd := exec.Command("java", "-cp", jdbcJar+string(os.PathListSeparator)+classes, "Meta", url, "alice", pw, "t")
		out, errOut, code := runCommand(t, cmd)
		if code != 0 {
			t.Fatalf("Meta against %s: %s\nserver:\n%s", url, errOut, s.log())
		}
		return out
	}
	want := meta(fmt.Sprintf("jdbc:postgresql://127.0.0.1:%d/proj", pg.port), "")
	got := meta(fmt.Sprintf("jdbc:postgresql://127.0.0.1:%d/proj", s.port), "pw")
	if got != want {
		t.Errorf("DatabaseMetaData differs.\nPostgreSQL:\n%s\nmodelsql:\n%s", want, got)
	}
	for _, w := range []string{"tables|TABLE_SCHEM=default|TABLE_NAME=t|TABLE_TYPE=TABLE", "pk|TABLE_NAME=t|COLUMN_NAME=id|KEY_SEQ=1", "fetchsize|rows=5000"} {
		if !strings.Contains(got, w+"\n") {
			t.Errorf("modelsql's answer lacks %q", w)
		}
	}
}

func requireSQLAlchemy(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import psycopg2, sqlalchemy, pandas").Run(); err != nil {
		if os.Getenv("MODELSQL_REQUIRE_TOOLS") != "" {
			t.Fatal("psycopg2, SQLAlchemy or pandas is missing (scripts/deps.d/30-server.sh and 35-postgres.sh install them)")
		}
		t.Skip("psycopg2, SQLAlchemy or pandas is missing")
	}
}

func TestPgCatalogSQLAlchemyPandas(t *testing.T) {
	requireSQLAlchemy(t)
	pg, s := bothServers(t)
	script := filepath.Join(repoRoot(), "e2e/testdata/pgclients/reflect.py")
	reflect := func(url string) string {
		out, errOut, code := runCommand(t, exec.Command("/usr/bin/python3", script, url, "t"))
		if code != 0 {
			t.Fatalf("reflect.py %s: %s\nserver:\n%s", url, errOut, s.log())
		}
		return out
	}
	want := reflect(fmt.Sprintf("postgresql://alice@127.0.0.1:%d/proj", pg.port))
	got := reflect(fmt.Sprintf("postgresql://alice:pw@127.0.0.1:%d/proj", s.port))
	if got != want {
		t.Errorf("SQLAlchemy/pandas reflection differs.\nPostgreSQL:\n%s\nmodelsql:\n%s", want, got)
	}
	if !strings.Contains(got, `"pk": ["id"]`) || !strings.Contains(got, `"stream_results": 2500`) {
		t.Errorf("unexpected reflection: %s", got)
	}
}

// valueLiterals are SQL literals both servers read the same way; each is
// selected through psql (the text form on the wire) and psycopg2 (the
// Python value the driver makes of it).
var valueLiterals = []string{
	"TIMESTAMPTZ '2024-01-02 03:04:05+00'",
	"TIMESTAMPTZ '2024-01-02 12:00:00+02'",
	"TIMESTAMPTZ '2024-01-02 03:04:05.123456+00'",
	"TIMESTAMP '2024-01-02 03:04:05.5'",
	"DATE '2024-01-02'",
	"TIME '03:04:05.25'",
	"TIMETZ '03:04:05+02'",
	"INTERVAL '1 year 2 months 3 days 04:05:06.5'",
	"INTERVAL '-1 day'",
	"INTERVAL '90 minutes'",
	"UUID 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
	"CAST(1.5 AS DECIMAL(10,3))",
	"CAST(-12345678.9 AS DECIMAL(18,2))",
	"CAST('NaN' AS DOUBLE PRECISION)",
	"CAST('Infinity' AS DOUBLE PRECISION)",
	"CAST('-Infinity' AS REAL)",
	"CAST(1.5 AS REAL)",
	"CAST(0.1 AS DOUBLE PRECISION)",
	"CAST(9223372036854775807 AS BIGINT)",
	"CAST(-32768 AS SMALLINT)",
	"true",
	"'text with ''quote'''",
	"CAST('{\"a\":[1,2]}' AS JSON)",
}

func TestPgCatalogValuesMatchPostgres(t *testing.T) {
	requirePsycopg2(t)
	pg, s := bothServers(t)
	for _, tz := range []string{"UTC", "Asia/Kolkata", "America/New_York"} {
		for _, lit := range valueLiterals {
			q := "SELECT " + lit
			want := pg.psql(t, "alice", "proj", "-At", "-c", "SET TIME ZONE '"+tz+"'", "-c", q)
			r := s.psql(t, "alice", "pw", "proj", nil, "-At", "-c", "SET TIME ZONE '"+tz+"'", "-c", q)
			if r.code != 0 || r.out != want {
				t.Errorf("[%s] %s: PostgreSQL %q, modelsql %q %s", tz, lit, want, r.out, r.err)
			}
		}
	}
	// psycopg2's Python values, and a named (server-side) cursor.
	prog := `
import sys, psycopg2
lits = sys.argv[2:]
c = psycopg2.connect(sys.argv[1])
cur = c.cursor()
cur.execute("SET TIME ZONE 'Europe/Paris'")
for l in lits:
    cur.execute("SELECT " + l)
    print(repr(cur.fetchone()[0]))
cur.execute("SELECT now() IS NOT NULL, current_user")
print(cur.fetchone())
nc = c.cursor("big")
nc.itersize = 1000
nc.execute("SELECT i FROM generate_series(1, 20000) AS g(i)")
n = s = 0
for (i,) in nc:
    n += 1; s += i
print(n, s)
nc.close()
c.commit()
`
	py := func(dsn string) string {
		out, errOut, code := runCommand(t, exec.Command("/usr/bin/python3", append([]string{"-c", prog, dsn}, valueLiterals...)...))
		if code != 0 {
			t.Fatalf("psycopg2 on %s: %s\nserver:\n%s", dsn, errOut, s.log())
		}
		return out
	}
	want := py(fmt.Sprintf("host=127.0.0.1 port=%d user=alice dbname=proj", pg.port))
	got := py(fmt.Sprintf("host=127.0.0.1 port=%d user=alice password=pw dbname=proj", s.port))
	if got != want {
		t.Errorf("psycopg2 values differ.\nPostgreSQL:\n%s\nmodelsql:\n%s", want, got)
	}
}

// TestPgCatalogCursors: DECLARE/FETCH/MOVE/CLOSE as PostgreSQL answers them.
func TestPgCatalogCursors(t *testing.T) {
	pg, s := bothServers(t)
	script := []string{"-c", `BEGIN;
DECLARE c1 SCROLL CURSOR FOR SELECT i FROM generate_series(1, 10) AS g(i) ORDER BY i;
FETCH 3 FROM c1;
FETCH NEXT FROM c1;
MOVE FORWARD 2 IN c1;
FETCH FORWARD 2 FROM c1;
FETCH BACKWARD 2 FROM c1;
FETCH PRIOR FROM c1;
FETCH ABSOLUTE -1 FROM c1;
FETCH RELATIVE -3 FROM c1;
FETCH FIRST FROM c1;
FETCH ALL FROM c1;
FETCH NEXT FROM c1;
CLOSE c1;
DECLARE c2 NO SCROLL CURSOR WITH HOLD FOR SELECT i FROM generate_series(1, 5) AS g(i) ORDER BY i;
COMMIT;
FETCH 2 FROM c2;
FETCH FORWARD ALL FROM c2;
CLOSE c2;`}
	want := pg.psql(t, "alice", "proj", script...)
	r := s.psql(t, "alice", "pw", "proj", nil, script...)
	if r.code != 0 || r.out != want {
		t.Errorf("cursors differ.\nPostgreSQL:\n%s\nmodelsql:\n%s%s", want, r.out, r.err)
	}
	// Errors: outside a transaction, backwards on NO SCROLL, unknown cursor.
	for _, stmt := range []string{
		"DECLARE x CURSOR FOR SELECT 1",
		"BEGIN; DECLARE x NO SCROLL CURSOR FOR SELECT 1; FETCH PRIOR FROM x",
		"FETCH 1 FROM nope",
	} {
		r := s.psql(t, "alice", "pw", "proj", nil, "-c", stmt)
		pgCmd := exec.Command("psql", "-X", "-v", "ON_ERROR_STOP=1", "-c", stmt)
		pgCmd.Env = append(os.Environ(), "PGHOST=127.0.0.1", fmt.Sprintf("PGPORT=%d", pg.port), "PGUSER=alice", "PGDATABASE=proj")
		_, pgErr, pgCode := runCommand(t, pgCmd)
		if r.code == 0 || pgCode == 0 || firstLine(r.err) != firstLine(pgErr) {
			t.Errorf("%s: PostgreSQL %q, modelsql %q", stmt, firstLine(pgErr), firstLine(r.err))
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// TestPgCatalogPrivileges: a user without rights sees none of the
// project's objects in any catalog view or meta-command, nor system tables
// or other projects; a grant shows exactly the granted table.
func TestPgCatalogPrivileges(t *testing.T) {
	requirePsql(t)
	data := t.TempDir()
	newProject(t, data, "proj")
	newProject(t, data, "other")
	addUser(t, data, "alice", "pw", true)
	addUser(t, data, "bob", "bobpw", false)
	s := serve(t, data)
	admin := func(db string, stmts ...string) {
		t.Helper()
		var args []string
		for _, st := range stmts {
			args = append(args, "-c", st)
		}
		if r := s.psql(t, "alice", "pw", db, nil, args...); r.code != 0 {
			t.Fatalf("%q: %s", stmts, r.err)
		}
	}
	admin("proj", append(catalogSchema, "CREATE TABLE secret(x INTEGER, y VARCHAR)",
		"CREATE MODEL rm WITH VERSION v1 OPTIONS("+remoteOpts+") COMMENT 'remote'")...)
	admin("other", "CREATE TABLE elsewhere(z INTEGER)")
	bob := func(args ...string) string {
		t.Helper()
		r := s.psql(t, "bob", "bobpw", "proj", nil, args...)
		if r.code != 0 && !strings.Contains(r.err, "Did not find any relation") {
			t.Fatalf("bob: psql %q: %s\nserver:\n%s", args, r.err, s.log())
		}
		return r.out + r.err
	}
	catalogQueries := []string{
		`\dt`, `\d`, `\dv`, `\di`, `\d t`, `\dn`, `\l`, `\du`,
		"SELECT table_catalog, table_schema, table_name FROM information_schema.tables",
		"SELECT table_name, column_name FROM information_schema.columns",
		"SELECT relname FROM pg_catalog.pg_class",
		"SELECT attname FROM pg_catalog.pg_attribute",
		"SELECT conname FROM pg_catalog.pg_constraint",
		"SELECT tablename FROM pg_catalog.pg_tables",
		"SELECT viewname, definition FROM pg_catalog.pg_views",
		"SELECT indexname FROM pg_catalog.pg_indexes",
		"SELECT datname FROM pg_catalog.pg_database",
		"SELECT rolname FROM pg_catalog.pg_roles",
		"SELECT model_name FROM modelsql.models",
	}
	hidden := []string{"secret", "t2", "elsewhere", "other", "artifacts", "versions", "__modelsql", "alice", "rm", "t_name", "t_pkey", "amount"}
	check := func(label string, mustHide []string) map[string]string {
		outs := map[string]string{}
		for _, q := range catalogQueries {
			out := bob("-At", "-c", q)
			outs[q] = out
			if strings.Contains(out, "Did not find any relation") {
				continue // \d t names what it looked for
			}
			for _, h := range mustHide {
				if regexp.MustCompile(`\b` + regexp.QuoteMeta(h) + `\b`).MatchString(out) {
					t.Errorf("%s: bob sees %q in %s:\n%s", label, h, q, out)
				}
			}
		}
		return outs
	}
	outs := check("no rights", append(hidden, "t", "v"))
	if !strings.Contains(outs[`\d t`], `Did not find any relation named "t"`) {
		t.Errorf(`\d t for bob: %q`, outs[`\d t`])
	}
	if !strings.Contains(outs["SELECT rolname FROM pg_catalog.pg_roles"], "bob") {
		t.Errorf("bob does not see himself in pg_roles: %q", outs["SELECT rolname FROM pg_catalog.pg_roles"])
	}
	// Select on t: t and its columns and keys appear, nothing else; the
	// view v stays hidden with its definition.
	admin("proj", "GRANT Select ON TABLE t TO USER bob")
	outs = check("Select on t", []string{"secret", "t2", "elsewhere", "other", "__modelsql", "v", "rm"})
	if !strings.Contains(outs[`\dt`], "default|t|table|") || !strings.Contains(outs["SELECT attname FROM pg_catalog.pg_attribute"], "amount") {
		t.Errorf("granted table missing: %q / %q", outs[`\dt`], outs["SELECT attname FROM pg_catalog.pg_attribute"])
	}
	// Models: listed with Describe on the model.
	admin("proj", "GRANT Describe ON MODEL rm TO USER bob")
	if out := bob("-At", "-c", "SELECT model_name, default_version FROM modelsql.models"); out != "rm|v1\n" {
		t.Errorf("modelsql.models for bob = %q", out)
	}
	if out := bob("-At", "-c", "SELECT model_name, version_name, is_default FROM information_schema.model_versions"); out != "rm|v1|t\n" {
		t.Errorf("model_versions for bob = %q", out)
	}
}

// TestPgCatalogNamedCursorMemory: a psycopg2 named cursor over 1,000,000
// rows streams: the server's peak memory grows by far less than the
// result (materialised, it grew by ~190 MB).
func TestPgCatalogNamedCursorMemory(t *testing.T) {
	requirePsycopg2(t)
	data := t.TempDir()
	addUser(t, data, "alice", "pw", true)
	s := serve(t, data)
	prog := `
import sys, psycopg2
c = psycopg2.connect(sys.argv[1])
cur = c.cursor("big")
cur.itersize = 5000
cur.execute("SELECT i, i * 2 AS j FROM generate_series(1, 1000000) AS g(i)")
n = s = 0
for (i, j) in cur:
    n += 1; s += j
cur.close()
c.commit()
print(n, s)
`
	_, before := rssKB(s.cmd.Process.Pid)
	out, errOut, code := runCommand(t, exec.Command("/usr/bin/python3", "-c", prog,
		fmt.Sprintf("host=127.0.0.1 port=%d user=alice password=pw dbname=default", s.port)))
	if code != 0 {
		t.Fatalf("named cursor: %s\nserver:\n%s", errOut, s.log())
	}
	if out != "1000000 1000001000000\n" {
		t.Errorf("named cursor read %q", out)
	}
	_, after := rssKB(s.cmd.Process.Pid)
	t.Logf("server peak memory %d → %d KB", before, after)
	if before > 0 && after-before > 100<<10 {
		t.Errorf("server peak memory grew by %d KB for a streamed cursor", after-before)
	}
}
