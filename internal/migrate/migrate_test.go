package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// openCatalog returns a DuckDB with an empty system catalog file attached as Catalog.
func openCatalog(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(fmt.Sprintf("ATTACH '%s' AS %s", filepath.Join(t.TempDir(), "system.duckdb"), Catalog)); err != nil {
		t.Fatal(err)
	}
	return db
}

func tables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY 1`, Catalog)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

func recorded(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT version, name FROM ` + Catalog + `.main.` + Table + ` ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v int
		var n string
		rows.Scan(&v, &n)
		out = append(out, fmt.Sprintf("%d %s", v, n))
	}
	return out
}

var layout1 = []string{"ai_errors", "artifacts", "grants", "models", "role_members", "roles", "table_owners", "users", "versions"}

// layout2 adds version aliases.
var layout2 = append(append([]string{}, layout1...), "model_aliases")

func TestApplyFreshThenReopen(t *testing.T) {
	ctx := context.Background()
	db := openCatalog(t)
	res, err := Apply(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if res != (Result{From: 0, To: Latest()}) {
		t.Fatalf("fresh: %+v", res)
	}
	got := tables(t, db)
	for _, want := range append(layout2, Table) {
		if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+want+" ") {
			t.Errorf("table %s missing: %v", want, got)
		}
	}
	if r := recorded(t, db); len(r) != Latest() || !strings.HasPrefix(r[0], "1 initial layout") {
		t.Fatalf("recorded: %q", r)
	}
	// Reopening changes nothing.
	res, err = Apply(ctx, db)
	if err != nil || res != (Result{From: Latest(), To: Latest()}) {
		t.Fatalf("reopen: %+v %v", res, err)
	}
	if r := recorded(t, db); len(r) != Latest() {
		t.Fatalf("recorded after reopen: %q", r)
	}
}

// A directory from before format versions: the catalog's tables exist (some
// of them: users and ai_errors were created on first use), no version table.
func TestApplyRecognisesPreVersioningDirectory(t *testing.T) {
	ctx := context.Background()
	db := openCatalog(t)
	for _, q := range migrations[0].Statements[:3] { // models, versions, artifacts
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO ` + sys + `models VALUES ('p','s','m','M','o','IMPORT','T','v1','',now(),now())`); err != nil {
		t.Fatal(err)
	}
	res, err := Apply(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Legacy || res.From != 0 || res.To != Latest() {
		t.Fatalf("legacy: %+v", res)
	}
	if r := recorded(t, db); !strings.Contains(r[0], "recognised in a directory from before format versions") {
		t.Errorf("recorded: %q", r)
	}
	var name string
	if err := db.QueryRow(`SELECT display_name FROM ` + sys + `models`).Scan(&name); err != nil || name != "M" {
		t.Errorf("model row: %q %v", name, err)
	}
	if got := tables(t, db); !strings.Contains(strings.Join(got, " "), "users") {
		t.Errorf("users table not created: %v", got)
	}
}

func TestApplyRefusesNewerDirectory(t *testing.T) {
	ctx := context.Background()
	db := openCatalog(t)
	if _, err := Apply(ctx, db); err != nil {
		t.Fatal(err)
	}
	newer := Latest() + 1
	if _, err := db.Exec(`INSERT INTO `+sys+Table+` VALUES (?, 'from the future', now())`, newer); err != nil {
		t.Fatal(err)
	}
	_, err := Apply(ctx, db)
	var ne *NewerError
	if !errors.As(err, &ne) || ne.Found != newer || ne.Supported != Latest() {
		t.Fatalf("newer directory: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{fmt.Sprintf("format version %d", newer), fmt.Sprintf("up to %d", Latest()), "newer modelsql"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

// All pending migrations commit together or not at all.
func TestApplyIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	db := openCatalog(t)
	ms := []Migration{
		migrations[0],
		{Version: 2, Name: "add a table, then fail", Statements: []string{
			`CREATE TABLE ` + sys + `aliases (name VARCHAR)`,
			`ALTER TABLE ` + sys + `no_such_table ADD COLUMN x INTEGER`,
		}},
	}
	_, err := apply(ctx, db, ms)
	if err == nil || !strings.Contains(err.Error(), "format version 2 (add a table, then fail)") {
		t.Fatalf("failing migration: %v", err)
	}
	if got := tables(t, db); len(got) != 0 {
		t.Fatalf("a failed migration left tables behind: %v", got)
	}
	// From version 1, the failing step leaves version 1 as it was.
	if _, err := apply(ctx, db, ms[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := apply(ctx, db, ms); err == nil {
		t.Fatal("failing migration from version 1 succeeded")
	}
	if r := recorded(t, db); len(r) != 1 {
		t.Fatalf("recorded: %q", r)
	}
	if strings.Contains(strings.Join(tables(t, db), " "), "aliases") {
		t.Fatal("table of the failed migration 2 exists")
	}
	// A later migration applies on top of 1.
	ms[1].Statements = ms[1].Statements[:1]
	res, err := apply(ctx, db, ms)
	if err != nil || res != (Result{From: 1, To: 2}) {
		t.Fatalf("1 → 2: %+v %v", res, err)
	}
}

func TestMigrationListIsOrdered(t *testing.T) {
	if err := check(migrations); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]Migration{
		nil,
		{{Version: 2, Statements: []string{"SELECT 1"}}},
		{{Version: 1, Statements: []string{"SELECT 1"}}, {Version: 3, Statements: []string{"SELECT 1"}}},
		{{Version: 1}},
	} {
		if err := check(bad); err == nil {
			t.Errorf("check accepted %+v", bad)
		}
	}
}

// A directory at format version 1 (with a model in it) gains the alias
// table and keeps its rows.
func TestApplyV1ToV2Aliases(t *testing.T) {
	ctx := context.Background()
	db := openCatalog(t)
	if _, err := apply(ctx, db, migrations[:1]); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(tables(t, db), " "), "model_aliases") {
		t.Fatal("version 1 already has model_aliases")
	}
	if _, err := db.Exec(`INSERT INTO ` + sys + `models VALUES ('p','s','m','M','o','IMPORT','T','v1','',now(),now())`); err != nil {
		t.Fatal(err)
	}
	res, err := Apply(ctx, db)
	if err != nil || res.From != 1 || res.To != Latest() {
		t.Fatalf("1 → latest: %+v %v", res, err)
	}
	if _, err := db.Exec(`INSERT INTO ` + sys + `model_aliases VALUES ('p','s','m','champion','Champion','v1',now(),now())`); err != nil {
		t.Fatalf("alias row: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO ` + sys + `model_aliases VALUES ('p','s','m','champion','CHAMPION','v2',now(),now())`); err == nil {
		t.Fatal("two aliases of one name in one model")
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ` + sys + `models`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("models after migration: %d %v", n, err)
	}
}

// Format 3 → 4: existing versions get distinct internal ids; the AI cache's
// tables exist.
func TestApplyV3ToV4AICache(t *testing.T) {
	ctx := context.Background()
	db := openCatalog(t)
	if _, err := apply(ctx, db, migrations[:3]); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v1", "v2"} {
		if _, err := db.Exec(`INSERT INTO `+sys+`versions VALUES ('p', 's', 'm', ?, ?, '[]', '{}', '', NULL, now(), now())`, v, v); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Apply(ctx, db)
	if err != nil || res.From != 3 || res.To != 4 {
		t.Fatalf("%+v %v", res, err)
	}
	var n, distinct int
	if err := db.QueryRow(`SELECT count(id), count(DISTINCT id) FROM `+sys+`versions`).Scan(&n, &distinct); err != nil || n != 2 || distinct != 2 {
		t.Fatalf("version ids: %d %d %v", n, distinct, err)
	}
	got := " " + strings.Join(tables(t, db), " ") + " "
	for _, want := range []string{"ai_cache", "ai_cache_stats"} {
		if !strings.Contains(got, " "+want+" ") {
			t.Errorf("table %s missing: %s", want, got)
		}
	}
}
