package pgserver

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/modelsql/modelsql/internal/fakellm"
)

// A query with AI calls (kept in a temporary table before it streams)
// answers exactly as the query would: its column names, duplicates
// included, its order, and no table left behind; for a user too.
func TestAIResultThroughTemporaryTable(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	llm := fakellm.NewServer(fakellm.Options{})
	hs := httptest.NewServer(llm)
	defer hs.Close()
	defer llm.Close()
	admin := ts.connect(t, "admin", "admin-pw")
	mustExec(t, admin, `CREATE MODEL gen WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', TASKS='text-generation',
		PAI_EAS_MODEL_NAME='m', PAI_EAS_SERVICE_NAME='s', ENDPOINT='`+hs.URL+`', APIKEY='k', PAI_EAS_SYNC_MODE='true')`)
	mustExec(t, admin, "GRANT Execute ON MODEL gen TO USER bob")
	bob := ts.connect(t, "bob", "bob-pw")
	for _, c := range []struct {
		name string
		conn *pgx.Conn
	}{{"admin", admin}, {"bob", bob}} {
		conn := c.conn
		rows, err := conn.Query(ctx, "SELECT i AS a, AI_GENERATE(gen, v1, 'hi ' || i) AS a, 7 AS b FROM range(3000) t(i) ORDER BY i DESC")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var names []string
		for _, f := range rows.FieldDescriptions() {
			names = append(names, f.Name)
		}
		want := int64(2999)
		for rows.Next() {
			var a, b int64
			var g string
			if err := rows.Scan(&a, &g, &b); err != nil {
				t.Fatal(err)
			}
			if a != want || g == "" || b != 7 {
				t.Fatalf("%s: row %d %q %d, want %d", c.name, a, g, b, want)
			}
			want--
		}
		if err := rows.Err(); err != nil || want != -1 || strings.Join(names, ",") != "a,a,b" {
			t.Errorf("%s: %v, %d rows missing, columns %v", c.name, err, want+1, names)
		}
		var left int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name LIKE '%spool%'").Scan(&left); err != nil || left != 0 {
			t.Errorf("%s: %d temporary tables left (%v)", c.name, left, err)
		}
	}
}
