package pgserver

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Describing a statement (Parse + Describe 'S', Describe 'P', and the
// parameter types Bind infers) tells a user without Select nothing of a
// table they may not read: no column names, no types; the Describe itself
// is refused as running the statement would be.
func TestDescribeRunsGuardCheck(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	admin := ts.connect(t, "admin", "admin-pw")
	mustExec(t, admin, "CREATE TABLE secret_people (ssn_hidden_col VARCHAR, salary_hidden_col DECIMAL(12,3))")
	mustExec(t, admin, "INSERT INTO secret_people VALUES ('123-45-6789', 1.5)")
	bob := ts.connect(t, "bob", "bob-pw")
	leaks := func(s string) bool { return strings.Contains(strings.ToLower(s), "hidden_col") }
	queries := []string{
		"SELECT * FROM secret_people",
		"SELECT * FROM secret_people WHERE salary_hidden_col > $1",
		"SELECT $1::INTEGER AS x FROM secret_people",
		"TABLE secret_people",
		"FROM secret_people",
		"SELECT * FROM (SELECT * FROM secret_people) q WHERE $1 = 1",
	}
	for i, q := range queries {
		// Parse + Describe 'S' + Sync, as pgx's Prepare and JDBC do.
		sd, err := bob.PgConn().Prepare(ctx, fmt.Sprintf("leak%d", i), q, nil)
		if err == nil {
			var names []string
			for _, f := range sd.Fields {
				names = append(names, string(f.Name))
			}
			t.Errorf("%s: described for bob: %v", q, names)
		} else if pgCode(err) != "42501" || leaks(err.Error()) {
			t.Errorf("%s: %v (code %s)", q, err, pgCode(err))
		}
		// Every pgx mode: Describe 'P', Bind's parameter inference, Execute.
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec} {
			var args []any
			if strings.Contains(q, "$1") {
				args = append(args, 1)
			}
			rows, err := bob.Query(ctx, q, append([]any{mode}, args...)...)
			if err == nil {
				for _, f := range rows.FieldDescriptions() {
					if leaks(f.Name) {
						t.Errorf("%s (mode %v): column %s described", q, mode, f.Name)
					}
				}
				for rows.Next() {
				}
				rows.Close()
				err = rows.Err()
			}
			if pgCode(err) != "42501" || leaks(err.Error()) {
				t.Errorf("%s (mode %v): %v", q, mode, err)
			}
		}
	}
	// The same statements are described for a user who may read the table.
	mustExec(t, admin, "GRANT Select ON TABLE secret_people TO USER bob")
	sd, err := bob.PgConn().Prepare(ctx, "granted", "SELECT * FROM secret_people WHERE salary_hidden_col > $1", nil)
	if err != nil || len(sd.Fields) != 2 || string(sd.Fields[0].Name) != "ssn_hidden_col" || len(sd.ParamOIDs) != 1 || sd.ParamOIDs[0] != oidNumeric {
		t.Errorf("granted describe: %+v %v", sd, err)
	}
	// Describing left no transaction open on bob's session.
	if _, err := bob.Exec(ctx, "BEGIN"); err != nil {
		t.Errorf("BEGIN after describes: %v", err)
	}
	mustExec(t, bob, "ROLLBACK")
	var _ pgconn.StatementDescription
}

// COPY FROM STDIN reads the target's columns only after checking that the
// user may write to it, and a user granted Update (not Select) copies in.
func TestCopyInChecksBeforeDescribing(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	admin := ts.connect(t, "admin", "admin-pw")
	mustExec(t, admin, "CREATE TABLE secret_people (ssn_hidden_col VARCHAR, salary_hidden_col INTEGER)")
	bob := ts.connect(t, "bob", "bob-pw")
	// (A column that does not exist made DuckDB name the candidates.)
	for _, q := range []string{"COPY secret_people FROM STDIN", "COPY secret_people (nope) FROM STDIN", "COPY secret_people (ssn) FROM STDIN"} {
		_, err := bob.PgConn().CopyFrom(ctx, strings.NewReader("a\t1\n"), q)
		if pgCode(err) != "42501" || strings.Contains(err.Error(), "hidden_col") {
			t.Errorf("%s without Update: %v", q, err)
		}
	}
	mustExec(t, admin, "GRANT Update ON TABLE secret_people TO USER bob")
	if tag, err := bob.PgConn().CopyFrom(ctx, strings.NewReader("a\t1\n"), "COPY secret_people FROM STDIN"); err != nil || tag.RowsAffected() != 1 {
		t.Errorf("COPY FROM with Update: %v %v", tag, err)
	}
}
