package pgserver

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/modelsql/modelsql/internal/fakellm"
)

// Model statements take $n parameters over the extended protocol (bound
// values become literals of the statement), in every pgx mode.
func TestModelStatementParameters(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	c := ts.connect(t, "admin", "admin-pw")
	secret := `sk-it's\a "key"`
	llm := fakellm.NewServer(fakellm.Options{APIKey: secret, LenientAuth: true})
	hs := httptest.NewServer(llm)
	defer hs.Close()
	defer llm.Close()
	for i, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		name := "llm" + string(rune('a'+i))
		_, err := c.Exec(ctx, `CREATE MODEL `+name+` WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', TASKS='chat',
			PAI_EAS_MODEL_NAME=$1, PAI_EAS_SERVICE_NAME='s', ENDPOINT=$2, APIKEY=$3, PAI_EAS_SYNC_MODE='true') COMMENT $4`,
			mode, "tiny", hs.URL, secret, "made with $4")
		if err != nil {
			t.Fatalf("mode %v: CREATE MODEL with parameters: %v", mode, err)
		}
		rows, err := c.Query(ctx, "DESC MODEL "+name, mode)
		if err != nil {
			t.Fatalf("mode %v: DESC MODEL: %v", mode, err)
		}
		var all []string
		for rows.Next() {
			vals, _ := rows.Values()
			for _, v := range vals {
				all = append(all, fmt.Sprint(v))
			}
		}
		rows.Close()
		joined := strings.Join(all, "|")
		if !strings.Contains(joined, "made with $4") || !strings.Contains(joined, "tiny") || strings.Contains(joined, "sk-it") {
			t.Errorf("mode %v: DESC MODEL: %s", mode, joined)
		}
		// The key arrived intact: the LLM server accepts it. (pgx's simple
		// protocol interpolates on the client, and modelsql's strings
		// take backslash escapes: see docs/server.md.)
		if mode != pgx.QueryExecModeSimpleProtocol {
			var answer string
			if err := c.QueryRow(ctx, "SELECT AI_GENERATE("+name+", v1, $1)", mode, "hello").Scan(&answer); err != nil || answer == "" {
				t.Errorf("mode %v: AI_GENERATE with the bound key: %q %v", mode, answer, err)
			}
		}
		mustExec(t, c, "DROP MODEL "+name)
		if mode == pgx.QueryExecModeSimpleProtocol {
			continue
		}
		user, pw := "pu"+string(rune('a'+i)), `p\w'd "x"`
		if _, err := c.Exec(ctx, "CREATE USER "+user+" PASSWORD $1", mode, pw); err != nil {
			t.Fatalf("mode %v: CREATE USER with a parameter: %v", mode, err)
		}
		cfg, err := pgx.ParseConfig(ts.url(user, "x", "default", ""))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Password = pw
		u, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatalf("mode %v: login with the bound password: %v", mode, err)
		}
		u.Close(ctx)
	}
}

// A table function whose result columns DuckDB cannot tell before its
// parameter is bound (pragma_storage_info($1)) is described after binding.
func TestTableFunctionParameterDescribe(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	c := ts.connect(t, "admin", "admin-pw")
	mustExec(t, c, "CREATE TABLE st (a INTEGER, b VARCHAR)")
	mustExec(t, c, "INSERT INTO st VALUES (1, 'x')")
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		rows, err := c.Query(ctx, "SELECT column_name, segment_type FROM pragma_storage_info($1) ORDER BY column_id LIMIT 1", mode, "st")
		if err != nil {
			t.Fatalf("mode %v: %v", mode, err)
		}
		var names []string
		for rows.Next() {
			var col, seg string
			if err := rows.Scan(&col, &seg); err != nil {
				t.Fatalf("mode %v: scan: %v", mode, err)
			}
			names = append(names, col)
		}
		if err := rows.Err(); err != nil || len(names) != 1 || names[0] != "a" {
			t.Errorf("mode %v: %v %v", mode, names, err)
		}
		rows, err = c.Query(ctx, "SELECT * FROM pragma_storage_info($1)", mode, "st")
		if err != nil {
			t.Fatalf("mode %v: SELECT *: %v", mode, err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil || n == 0 || len(rows.FieldDescriptions()) < 5 {
			t.Errorf("mode %v: SELECT *: %d rows, %d columns, %v", mode, n, len(rows.FieldDescriptions()), err)
		}
		if mode == pgx.QueryExecModeSimpleProtocol {
			continue // pgx quotes the number on the client: range('5')
		}
		var sum int64
		if err := c.QueryRow(ctx, "SELECT sum(range) FROM range($1)", mode, 5).Scan(&sum); err != nil || sum != 10 {
			t.Errorf("mode %v: range($1): %d %v", mode, sum, err)
		}
	}
	// Columns that do depend on the value: a clear error, not a mismatch.
	_, err := c.Exec(ctx, "SELECT * FROM read_csv($1)", "/nonexistent.csv")
	if pgCode(err) != "0A000" {
		t.Errorf("read_csv($1): %v", err)
	}
}
