package pgserver

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/modelsql/modelsql/internal/fakellm"
	"github.com/modelsql/modelsql/internal/session"
)

// SHOW MODELS, SHOW VERSIONS, DESC MODEL and SHOW GRANTS take $n
// parameters over the extended protocol, where they take a string (LIKE,
// VERSION) and where they take a name (the model, the user), in every pgx
// mode: Describe answers their fixed columns before the values are bound.
func TestModelRowsStatementParameters(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	c := ts.connect(t, "admin", "admin-pw")
	llm := fakellm.NewServer(fakellm.Options{})
	hs := httptest.NewServer(llm)
	defer hs.Close()
	defer llm.Close()
	mustExec(t, c, `CREATE MODEL `+"`Odd_Name`"+` WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', TASKS='chat',
		PAI_EAS_MODEL_NAME='tiny', PAI_EAS_SERVICE_NAME='s', ENDPOINT='`+hs.URL+`', PAI_EAS_SYNC_MODE='true', APIKEY='k') COMMENT 'the comment'`)
	mustExec(t, c, "GRANT Describe ON MODEL `Odd_Name` TO USER bob")
	cases := []struct {
		q      string
		args   []any
		ncols  int
		expect string
	}{
		{"SHOW MODELS LIKE $1", []any{"odd%"}, len(session.ShowModelsColumns), "the comment"},
		{"SHOW VERSIONS FOR MODEL $1", []any{"Odd_Name"}, len(session.ShowVersionsColumns), "v1"},
		{"DESC MODEL $1", []any{"Odd_Name"}, 3, "the comment"},
		{"DESC MODEL $1 VERSION $2", []any{"Odd_Name", "v1"}, 3, "tiny"},
		{"DESCRIBE MODEL default.$1", []any{"Odd_Name"}, 3, "tiny"},
		{"SHOW GRANTS FOR USER $1", []any{"bob"}, 4, "Describe"},
	}
	for _, tc := range cases {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec} {
			rows, err := c.Query(ctx, tc.q, append([]any{mode}, tc.args...)...)
			if err != nil {
				t.Errorf("%s (mode %v): %v", tc.q, mode, err)
				continue
			}
			var all []string
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					t.Errorf("%s (mode %v): %v", tc.q, mode, err)
				}
				for _, v := range vals {
					all = append(all, fmt.Sprint(v))
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(rows.FieldDescriptions()) != tc.ncols || !strings.Contains(strings.Join(all, "|"), tc.expect) {
				t.Errorf("%s (mode %v): %d columns, %q, %v", tc.q, mode, len(rows.FieldDescriptions()), all, err)
			}
		}
	}
	// A value never becomes more than one name or string.
	if _, err := c.Exec(ctx, "DESC MODEL $1", "x` VERSION `v1"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("injected name: %v", err)
	}
	if _, err := c.Exec(ctx, "DESC MODEL $1", nil); err == nil {
		t.Errorf("NULL name accepted")
	}
}
