package access_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestTableNameFunctions: table functions that take a table name are checked
// as reads (or describes) of the table the plan resolves, however the name
// is computed (issue 20, item 6).
func TestTableNameFunctions(t *testing.T) {
	e := newEnv(t)
	e.ok(e.admin, "CREATE TABLE secret (id INTEGER, ssn VARCHAR)")
	e.ok(e.admin, "INSERT INTO secret VALUES (1, '123-45-6789')")
	e.ok(e.admin, "CHECKPOINT")
	e.ok(e.admin, "CREATE VIEW sv AS SELECT * FROM secret")
	e.ok(e.admin, "CREATE TABLE open_t (x INTEGER)")
	bob := e.session("bob")
	for _, q := range []string{
		"SELECT * FROM pragma_storage_info('secret')",
		"SELECT * FROM pragma_storage_info('SECRET')",
		"SELECT * FROM pragma_storage_info('\"secret\"')",
		"SELECT * FROM pragma_storage_info('default.default.secret')",
		"SELECT * FROM pragma_storage_info('sec' || 'ret')",
		"SELECT stats FROM pragma_storage_info(lower('SECRET'))",
		"SELECT * FROM duckdb_table_sample('secret')",
		"SELECT * FROM pragma_table_info('secret')",
		"SELECT * FROM pragma_show('secret')",
		"SELECT * FROM pragma_table_info('sv')",
	} {
		e.denied(bob, q, "lacks")
	}
	for _, q := range []string{
		"SELECT * FROM pragma_storage_info('__model' || 'sql.main.users')",
		"SELECT * FROM pragma_table_info('__model' || 'sql.main.users')",
		"SELECT * FROM duckdb_table_sample(concat('__models', 'ql', '.main.users'))",
	} {
		e.denied(bob, q, "reserved to administrators")
	}
	for _, q := range []string{
		"SELECT * FROM pragma_storage_info('nosuch')",
		"SELECT * FROM pragma_storage_info('a.b.c.d')",
		"SELECT * FROM pragma_storage_info('default.secret')", // ambiguous
		"SELECT * FROM pragma_storage_info(NULL)",
	} {
		if _, err := bob.Exec(context.Background(), q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
	e.ok(e.admin, "GRANT Select ON TABLE secret TO USER bob")
	if r := e.ok(bob, "SELECT stats FROM pragma_storage_info('secret')"); !strings.Contains(fmt.Sprint(r.Rows), "123-45") {
		t.Errorf("with Select, statistics: %v", r.Rows)
	}
	e.ok(e.admin, "GRANT Describe ON TABLE open_t TO USER bob")
	e.ok(bob, "SELECT * FROM pragma_table_info('open_' || 't')")
}

// TestDefinitionsHidden: view SQL, DEFAULT and CHECK texts are not shown to
// users who may not read the object (issue 20, item 14); names and types
// stay visible.
func TestDefinitionsHidden(t *testing.T) {
	e := newEnv(t)
	e.ok(e.admin, "CREATE TABLE secret (id INTEGER DEFAULT 424242 CHECK (id <> 31337), ssn VARCHAR)")
	e.ok(e.admin, "CREATE VIEW sv AS SELECT * FROM secret WHERE ssn = 'the-secret-filter'")
	e.ok(e.admin, "CREATE INDEX si ON secret (ssn)")
	bob := e.session("bob")
	for _, q := range []string{
		"SELECT sql FROM duckdb_views()",
		"SELECT * FROM duckdb_views()",
		"SELECT view_name FROM duckdb_views() WHERE sql LIKE '%secret-filter%'",
		"SELECT sql FROM duckdb_tables()",
		"SELECT column_default FROM duckdb_columns()",
		"SELECT * FROM duckdb_constraints()",
		"SELECT constraint_text FROM duckdb_constraints()",
		"SELECT expression FROM duckdb_constraints()",
		"SELECT sql FROM duckdb_indexes()",
		"SELECT view_definition FROM information_schema.views",
		"SELECT column_default FROM information_schema.columns",
		"SELECT * FROM information_schema.columns",
		"SELECT check_clause FROM information_schema.check_constraints",
		"SELECT definition FROM pg_catalog.pg_views",
		"SELECT * FROM pg_catalog.pg_views",
		"SELECT pg_get_viewdef(view_oid) FROM duckdb_views()",
		"SELECT * FROM pg_catalog.pg_attrdef",
		"SELECT pg_get_expr(adbin, adrelid) FROM pg_catalog.pg_attrdef",
		"SELECT pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint",
		"SELECT * FROM pg_catalog.pg_constraint",
		"SELECT * FROM pg_catalog.pg_indexes",
		"SELECT * FROM information_schema.check_constraints",
		"SELECT length(sql) FROM duckdb_views() WHERE view_name = 'sv'",
		"SELECT max(sql) FROM duckdb_views()",
		"SELECT view_name FROM duckdb_views() ORDER BY sql",
		"SELECT v1.view_name FROM duckdb_views() v1 JOIN duckdb_views() v2 ON v1.sql = v2.sql",
		"SELECT * FROM (SELECT sql FROM duckdb_views() UNION ALL SELECT 'x')",
		"WITH d AS (SELECT sql FROM duckdb_views()) SELECT * FROM d",
		// read_csv's plan cannot be serialised: the fallback must not open a way.
		"SELECT v.sql FROM duckdb_views() v, read_csv('" + e.allowed + "/f.csv')",
		"SELECT c.column_default FROM information_schema.columns c, read_csv('" + e.allowed + "/f.csv')",
		"SELECT * FROM pragma_storage_info('secret'), read_csv('" + e.allowed + "/f.csv')",
	} {
		r, err := bob.Exec(context.Background(), q)
		if err == nil {
			t.Errorf("%s: allowed", q)
		} else if testing.Verbose() {
			t.Logf("%s: %v", q, err)
		}
		if err == nil {
			got := fmt.Sprint(r.Rows)
			for _, leak := range []string{"424242", "31337", "secret-filter", "CREATE"} {
				if strings.Contains(got, leak) {
					t.Errorf("%s shows %s: %s", q, leak, got)
				}
			}
		}
	}
	// Names and types remain readable.
	for _, q := range []string{
		"SELECT view_name FROM duckdb_views() WHERE NOT internal",
		"SELECT table_name, column_name, data_type FROM duckdb_columns()",
		"SELECT table_name, column_name FROM information_schema.columns",
		"SELECT table_name FROM information_schema.tables",
		"SELECT constraint_type FROM duckdb_constraints()",
	} {
		e.ok(bob, q)
	}
	if got := fmt.Sprint(e.ok(e.admin, "SELECT sql FROM duckdb_views() WHERE view_name = 'sv'").Rows); !strings.Contains(got, "secret-filter") {
		t.Errorf("administrators see definitions: %s", got)
	}
}

// TestShowGrantsOfOthers: a user asking for another user's grants gets the
// same answer whether that user exists or not (issue 20, item 14).
func TestShowGrantsOfOthers(t *testing.T) {
	e := newEnv(t)
	bob := e.session("bob")
	_, errExisting := bob.Exec(context.Background(), "SHOW GRANTS FOR USER carol")
	_, errMissing := bob.Exec(context.Background(), "SHOW GRANTS FOR USER nosuch")
	if errExisting == nil || errMissing == nil {
		t.Fatalf("bob saw grants of others: %v, %v", errExisting, errMissing)
	}
	strip := func(err error, name string) string { return strings.ReplaceAll(err.Error(), name, "X") }
	if a, b := strip(errExisting, "carol"), strip(errMissing, "nosuch"); a != b {
		t.Errorf("existing and missing users answer differently: %q, %q", a, b)
	}
	e.ok(bob, "SHOW GRANTS FOR USER bob")
	if _, err := e.admin.Exec(context.Background(), "SHOW GRANTS FOR USER nosuch"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("administrator asking for a missing user: %v", err)
	}
}
