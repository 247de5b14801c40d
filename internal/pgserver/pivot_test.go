package pgserver

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PIVOT without an IN list (DuckDB expands it into a CREATE TYPE of the
// distinct values and the query) works for the owner of the table, and
// stays refused for a user without Select on it.
func TestPivotOwnTable(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	admin := ts.connect(t, "admin", "admin-pw")
	mustExec(t, admin, "GRANT CreateTable ON PROJECT default TO USER bob")
	mustExec(t, admin, "CREATE TABLE secret_sales (k VARCHAR, v INTEGER)")
	mustExec(t, admin, "INSERT INTO secret_sales VALUES ('x', 1), ('y', 2)")
	bob := ts.connect(t, "bob", "bob-pw")
	mustExec(t, bob, "CREATE TABLE sales (k VARCHAR, v INTEGER)")
	mustExec(t, bob, "INSERT INTO sales VALUES ('a', 1), ('b', 2), ('a', 3)")
	for _, q := range []string{"PIVOT sales ON k USING sum(v)", "SELECT * FROM (PIVOT sales ON k USING sum(v))"} {
		var a, b int64
		if err := bob.QueryRow(ctx, q).Scan(&a, &b); err != nil || a != 4 || b != 2 {
			t.Errorf("%s: %d %d %v", q, a, b, err)
		}
	}
	// Describing the PIVOT (extended protocol) left no transaction open:
	// what bob writes next is committed at once.
	mustExec(t, bob, "INSERT INTO sales VALUES ('c', 5)")
	var n int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM sales").Scan(&n); err != nil || n != 4 {
		t.Errorf("bob's insert after a described PIVOT: admin sees %d rows (%v)", n, err)
	}
	mustExec(t, bob, "DELETE FROM sales WHERE k = 'c'")
	var a int64
	if err := bob.QueryRow(ctx, "PIVOT sales ON k IN ('a') USING sum(v)").Scan(&a); err != nil || a != 4 {
		t.Errorf("PIVOT with IN: %d %v", a, err)
	}
	for _, q := range []string{"PIVOT secret_sales ON k USING sum(v)", "PIVOT sales ON k IN ('a') USING sum(v) UNION ALL SELECT v FROM secret_sales",
		"SELECT * FROM (PIVOT (SELECT * FROM secret_sales) ON k USING sum(v))", "CREATE TABLE stolen AS PIVOT secret_sales ON k USING sum(v)"} {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec} {
			if _, err := bob.Exec(ctx, q, mode); pgCode(err) != "42501" {
				t.Errorf("%s (mode %v): %v", q, mode, err)
			}
		}
	}
	// Refused before DuckDB computed the values (as ENUM types of the
	// session, whose labels would show them).
	var enums int
	if err := bob.QueryRow(ctx, "SELECT count(*) FROM duckdb_types() WHERE type_name LIKE '__pivot%' AND labels::VARCHAR LIKE '%x%'").Scan(&enums); err != nil || enums != 0 {
		t.Errorf("secret values in the session's types: %d %v", enums, err)
	}
	// A grant is enough (not only ownership), and a table created from a
	// PIVOT is the creator's.
	mustExec(t, admin, "GRANT Select ON TABLE secret_sales TO USER bob")
	var x0, y0 int64
	if err := bob.QueryRow(ctx, "PIVOT secret_sales ON k USING sum(v)").Scan(&x0, &y0); err != nil || x0 != 1 || y0 != 2 {
		t.Errorf("granted PIVOT: %d %d %v", x0, y0, err)
	}
	mustExec(t, bob, "CREATE TABLE mine AS PIVOT sales ON k USING sum(v)")
	mustExec(t, bob, "DROP TABLE mine")
	var x, y int64
	if err := admin.QueryRow(ctx, "PIVOT secret_sales ON k USING sum(v)").Scan(&x, &y); err != nil || x != 1 || y != 2 {
		t.Errorf("admin PIVOT: %d %d %v", x, y, err)
	}
}
