package e2e

import (
	dbsql "database/sql"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/modelsql/modelsql/internal/fakellm"
	"github.com/modelsql/modelsql/internal/migrate"
)

// copyDir copies the regular files of a fixture into a new temporary
// directory (with ordinary 0755/0644 modes, as a checkout has them).
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// runIn runs modelsql in the repository root (the fixture's LOCATIONs and
// CSV paths are relative to it).
func runIn(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "MODELSQL_SECRET_KEY=")
	out, errOut, code := runCommand(t, cmd)
	return result{out, errOut, code}
}

// execSystemDB runs statements on a stopped data directory's system.duckdb
// directly, as a future (or foreign) build would have written it.
func execSystemDB(t *testing.T, data string, stmts ...string) {
	t.Helper()
	db, err := dbsql.Open("duckdb", filepath.Join(data, "system.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestDataDirFormatV1 opens a data directory written by the last build
// before format versions (scripts/make-fixture-v1.sh made it) and expects
// what that build printed about it.
func TestDataDirFormatV1(t *testing.T) {
	fixture := filepath.Join(repoRoot(), "e2e", "testdata", "datadir-v1")
	data := copyDir(t, filepath.Join(fixture, "data"))
	expected := func(name string) string {
		b, err := os.ReadFile(filepath.Join(fixture, "expected", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	// The same statements the script recorded, in the same order: the first
	// one opens (and migrates) the directory.
	for _, c := range []struct{ project, query, file string }{
		{"default", "SHOW MODELS", "show_models.csv"},
		{"default", "DESC MODEL iris_clf", "desc_iris_clf.csv"},
		{"default", "DESC MODEL housing_reg", "desc_housing_reg.csv"},
		{"default", "DESC MODEL llm", "desc_llm.csv"},
		{"default", "SHOW VERSIONS FOR MODEL iris_clf", "versions_iris_clf.csv"},
		{"default", "SELECT id, ML_PREDICT(iris_clf, DEFAULT_VERSION, f1, f2, f3, f4) AS p FROM iris ORDER BY id", "predict_iris.csv"},
		{"default", `SELECT id, ML_PREDICT(housing_reg, v01, crim::FLOAT, zn::FLOAT, indus::FLOAT, chas::INT, nox::FLOAT, rm::FLOAT, age::FLOAT, dis::FLOAT, rad::FLOAT, tax::FLOAT, ptratio::FLOAT, lstat::FLOAT) AS p
   FROM read_csv('examples/housing.csv') ORDER BY id LIMIT 20`, "predict_housing.csv"},
		{"sales", "SELECT count(*), sum(amount) FROM orders", "sales_orders.csv"},
	} {
		r := runIn(t, "--data", data, "--project", c.project, "--format", "csv", "-c", c.query)
		if r.code != 0 {
			t.Fatalf("%s: %d %s", c.query, r.code, r.stderr)
		}
		want := expected(c.file)
		if c.file == "versions_iris_clf.csv" {
			want = withEmptyAliases(want) // format version 2 added the column
		}
		if r.stdout != want {
			t.Errorf("%s:\n got %q\nwant %q", c.query, r.stdout, want)
		}
	}

	// Opening tightened the checkout's 0755/0644 modes.
	for _, p := range []string{"", "projects", "system.duckdb", "secret.key", "projects/default.duckdb", "projects/sales.duckdb"} {
		st, err := os.Stat(filepath.Join(data, p))
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if st.IsDir() {
			want = 0o700
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s/%s: mode %o, want %o", filepath.Base(data), p, st.Mode().Perm(), want)
		}
	}

	// Recognised as format version 1 (and, if newer, migrated from it).
	r := runIn(t, "--data", data, "--format", "csv", "-c", "SELECT version, name FROM __modelsql.main.schema_migrations ORDER BY version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "version,name\n1,\"initial layout") ||
		!strings.Contains(r.stdout, "(recognised in a directory from before format versions)") ||
		strings.Count(r.stdout, "\n") != migrate.Latest()+1 {
		t.Errorf("recorded versions: %d %q %s", r.code, r.stdout, r.stderr)
	}

	// Format version 2: versions of the migrated directory take aliases.
	if r := runIn(t, "--data", data, "-c", "ALTER MODEL iris_clf VERSION v1 SET ALIAS champion"); r.code != 0 {
		t.Errorf("SET ALIAS on the migrated directory: %s", r.stderr)
	}
	r = runIn(t, "--data", data, "--format", "csv", "-c", "SELECT id, ML_PREDICT(iris_clf, champion, f1, f2, f3, f4) AS p FROM iris ORDER BY id")
	if r.code != 0 || r.stdout != expected("predict_iris.csv") {
		t.Errorf("ML_PREDICT through an alias on the migrated directory: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = runIn(t, "--data", data, "--format", "csv", "-c", "SHOW VERSIONS FOR MODEL iris_clf")
	if !strings.Contains(r.stdout, `"iris, first import",champion`) {
		t.Errorf("SHOW VERSIONS after SET ALIAS: %q %s", r.stdout, r.stderr)
	}
	runIn(t, "--data", data, "-c", "ALTER MODEL iris_clf UNSET ALIAS champion")

	// Format version 3 (object tables): an upgraded directory has none, and takes one.
	objDir := t.TempDir()
	os.WriteFile(filepath.Join(objDir, "a.txt"), []byte("abc"), 0o644)
	r = runIn(t, "--data", data, "--format", "csv", "-c", "SELECT count(*) FROM __modelsql.main.object_tables",
		"-c", "CREATE OBJECT TABLE files LOCATION '"+objDir+"/'", "-c", "ALTER TABLE files REFRESH METADATA",
		"-c", "SELECT key, size FROM files")
	if r.code != 0 || r.stdout != "count_star()\n0\nkey,size\na.txt,3\n" {
		t.Errorf("object tables in an upgraded directory: %d %q %s", r.code, r.stdout, r.stderr)
	}

	// The sealed APIKEY still opens: the model's endpoint (a port of the
	// fixture's creation) is pointed at a test server that checks the key.
	llm := fakellm.NewServer(fakellm.Options{APIKey: "fixture-key-7f3a"})
	hs := httptest.NewServer(llm)
	defer hs.Close()
	oldEndpoint := "http://127.0.0.1:" + strings.TrimSpace(expected("llm_port.txt"))
	execSystemDB(t, data, fmt.Sprintf("UPDATE versions SET options = replace(options, '%s', '%s')", oldEndpoint, hs.URL))
	r = runIn(t, "--data", data, "--format", "csv", "-c", "SELECT AI_GENERATE(llm, DEFAULT_VERSION, 'Describe an iris flower in one line') AS answer")
	if r.code != 0 || !strings.Contains(r.stdout, "Describe an iris flower in one line") {
		t.Errorf("AI_GENERATE on the fixture's remote model: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if len(llm.Requests()) == 0 {
		t.Error("the remote model's endpoint was not called")
	}
	// Format version 4 (AI result cache): the fixture's versions got
	// distinct internal ids, and the answer is cached: asking again sends
	// nothing.
	r = runIn(t, "--data", data, "--format", "csv", "-c", "SELECT count(*), count(DISTINCT id) FROM __modelsql.main.versions")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 2 ||
		strings.Split(lines[1], ",")[0] != strings.Split(lines[1], ",")[1] || lines[1] == "0,0" {
		t.Errorf("version ids after migrating: %q %s", r.stdout, r.stderr)
	}
	sent := len(llm.Requests())
	r = runIn(t, "--data", data, "--format", "csv", "-c", "SELECT AI_GENERATE(llm, DEFAULT_VERSION, 'Describe an iris flower in one line') AS answer")
	if r.code != 0 || len(llm.Requests()) != sent {
		t.Errorf("the cached answer was sent again (%d → %d): %s", sent, len(llm.Requests()), r.stderr)
	}

	// Users log in, and what was granted holds.
	requirePsql(t)
	s := serve(t, data)
	q := func(user, pw string, stmts ...string) psqlResult {
		var args []string
		for _, st := range stmts {
			args = append(args, "-c", st)
		}
		return s.psql(t, user, pw, "default", nil, append([]string{"-A", "-t"}, args...)...)
	}
	for _, c := range []struct{ user, pw, query, file string }{
		{"admin", "admin-pw-fixture", "SHOW GRANTS FOR USER bob", "grants_bob.txt"},
		{"admin", "admin-pw-fixture", "SHOW GRANTS FOR USER carol", "grants_carol.txt"},
		{"bob", "bob-pw-fixture", "SELECT ML_PREDICT(iris_clf, DEFAULT_VERSION, 5.9, 3.0, 5.1, 1.8)", "bob_predict.txt"},
		{"carol", "carol-pw-fixture", "SELECT count(*), sum(f1) FROM iris", "carol_iris.txt"},
	} {
		r := q(c.user, c.pw, c.query)
		if want := expected(c.file); r.code != 0 || r.out != want {
			t.Errorf("%s: %s: %d %q %s, want %q", c.user, c.query, r.code, r.out, r.err, want)
		}
	}
	if r := q("bob", "bob-pw-fixture", "SELECT * FROM bob_notes"); r.code != 0 || r.out != "1|owned by bob\n" {
		t.Errorf("bob reads his own table: %d %q %s", r.code, r.out, r.err)
	}
	for _, c := range []struct{ user, pw, query, refusal string }{
		{"bob", "bob-pw-fixture", "SELECT count(*) FROM iris", "lacks Select on table default.default.iris"},
		{"carol", "carol-pw-fixture", "SELECT ML_PREDICT(iris_clf, v1, 1, 2, 3, 4)", "lacks Execute on model default.default.iris_clf"},
		{"bob", "not-bobs-password", "SELECT 1", `password authentication failed for user "bob"`},
	} {
		if r := q(c.user, c.pw, c.query); r.code == 0 || !strings.Contains(r.err, c.refusal) {
			t.Errorf("%s: %s: %d %q %s", c.user, c.query, r.code, r.out, r.err)
		}
	}
	s.stop()
}

// A data directory whose recorded format version is newer than this build's
// is refused, by the CLI and the server, and left as it was.
func TestDataDirNewerFormatRefused(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	sql(t, data, "CREATE TABLE t AS SELECT 42 AS x")
	newer := migrate.Latest() + 1
	execSystemDB(t, data, fmt.Sprintf("INSERT INTO schema_migrations VALUES (%d, 'from the future', now())", newer))
	want := fmt.Sprintf("has format version %d, written by a newer modelsql; this modelsql reads format versions up to %d", newer, migrate.Latest())
	r := run(t, "", "--data", data, "-c", "SELECT x FROM t")
	if r.code == 0 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, data) {
		t.Errorf("CLI on a newer directory: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "", "serve", "--data", data, "--listen", "127.0.0.1:0")
	if r.code == 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("serve on a newer directory: %d %s", r.code, r.stderr)
	}
	// Nothing was changed: with the version taken back, the table is there.
	execSystemDB(t, data, fmt.Sprintf("DELETE FROM schema_migrations WHERE version = %d", newer))
	if out := sql(t, data, "SELECT x FROM t"); !strings.Contains(out, "42") {
		t.Errorf("after the refusal: %q", out)
	}
}

// withEmptyAliases adds SHOW VERSIONS' Aliases column (empty) to output
// recorded before format version 2.
func withEmptyAliases(csv string) string {
	lines := strings.Split(strings.TrimSuffix(csv, "\n"), "\n")
	for i := range lines {
		if i == 0 {
			lines[i] += ",Aliases"
		} else {
			lines[i] += ","
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
