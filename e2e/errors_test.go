package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Errors of statements with inference calls show the user's part only: the
// function, its position for planning errors, the model and version, and
// what went wrong; never DuckDB's wrapping, the driver's, or the rewritten
// statement (issue 19, issue 20 item 20). Over the wire, the SQLSTATE says
// the class of error (docs/server.md).
func TestInferenceErrorsForUsers(t *testing.T) {
	f := newLLMFixture(t)
	sql(t, f.data, "CREATE MODEL iris WITH VERSION v1 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://"+irisModel()+"')")
	cases := []struct{ q, want, state string }{
		{"SELECT AI_CLASSIFY(gen, v1, 'review [[fake:answer=Hello! How can I help?]]', ARRAY('praise', 'complaint'))",
			`AI_CLASSIFY: model default.default.gen version v1: the answer 'Hello! How can I help?' is not one of the labels ["praise","complaint"]`, "22000"},
		{"SELECT AI_GENERATE(gen, v1, 'x [[fake:503;message=CUDA out of memory]]')",
			"AI_GENERATE: model default.default.gen version v1: server error (HTTP 503) after 3 attempts: CUDA out of memory", "HV000"},
		{"SELECT AI_GENERATE(gen, v1, 'x [[fake:429;retry-after=0]]')",
			"AI_GENERATE: model default.default.gen version v1: rate limited (HTTP 429) after 3 attempts: fake-llm: injected 429 Too Many Requests [lower MAX_CONCURRENCY or raise the server's quota]", "53000"},
		{"SELECT 1,\n  ML_PREDICT(iris, v1, 1, 2, 3)",
			"ML_PREDICT at line 2, column 3: model default.default.iris version v1: 3 feature arguments given, the version's INPUT declares 4 (f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)", "42804"},
		{"SELECT ML_PREDICT(iris, v1, 1, 2, 3, 'x')",
			"ML_PREDICT at line 1, column 8: model default.default.iris version v1: argument 4 (f4) has type STRING, expected DOUBLE", "42804"},
		{"SELECT AI_CLASSIFY(gen, v1, 'x', ARRAY('only'))",
			"AI_CLASSIFY at line 1, column 8: labels must hold 2 to 20 labels, got 1", "22023"},
		// A constant model_parameters is checked while planning, as the labels are.
		{"SELECT AI_GENERATE(gen, v1, 'x', '{bad')",
			"AI_GENERATE at line 1, column 8: model_parameters must be a JSON object: invalid character 'b' looking for beginning of object key string", "22023"},
		{`SELECT AI_CLASSIFY(gen, v1, 'x', ARRAY('a', 'b'), '{"messages": 1}')`,
			`AI_CLASSIFY at line 1, column 8: model_parameters: "messages" is set by modelsql and cannot be given`, "22023"},
		{"SELECT AI_GENERATE(gen, v1, 'x') FROM no_such_table",
			"Catalog Error: Table with name no_such_table does not exist!...", "42P01"},
	}
	check := func(how, q, got, want string) {
		t.Helper()
		if p, ok := strings.CutSuffix(want, "..."); ok {
			if !strings.HasPrefix(got, p) {
				t.Errorf("%s %q:\n got  %q\n want %q...", how, q, got, p)
			}
		} else if got != want {
			t.Errorf("%s %q:\n got  %q\n want %q", how, q, got, want)
		}
		for _, bad := range []string{"__modelsql", "Binder Error", "Invalid Input Error", "database/sql/driver", "llm: model", "llm: invalid_argument", "LINE ", "coalesce(", llmKey} {
			if strings.Contains(got, bad) {
				t.Errorf("%s %q: error shows %q: %s", how, q, bad, got)
			}
		}
	}
	for _, c := range cases {
		r := run(t, "", "--data", f.data, "-c", c.q)
		if r.code == 0 {
			t.Errorf("%q succeeded", c.q)
			continue
		}
		check("CLI", c.q, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.stderr), "ERROR:")), c.want)
	}

	addUser(t, f.data, "admin", "pw", true)
	s := serve(t, f.data)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.url("admin", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The same for a user who is not an administrator (whose statements
	// the server plans before running them).
	for _, q := range []string{"CREATE USER bob PASSWORD 'bob-long-password'", "GRANT Execute ON MODEL gen TO USER bob", "GRANT Execute ON MODEL iris TO USER bob"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	bob, err := pgx.Connect(ctx, s.url("bob", "bob-long-password", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close(ctx)
	for _, who := range []struct {
		name string
		c    *pgx.Conn
	}{{"admin", conn}, {"bob", bob}} {
		for _, c := range cases {
			// The simple protocol, and the extended one (Parse, Describe, ...).
			for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeDescribeExec} {
				_, err := who.c.Exec(ctx, c.q, mode)
				var pe *pgconn.PgError
				if !errors.As(err, &pe) {
					t.Errorf("wire (%s, %v) %q: %v", who.name, mode, c.q, err)
					continue
				}
				check(fmt.Sprintf("wire (%s, %v)", who.name, mode), c.q, pe.Message, c.want)
				if pe.Code != c.state {
					t.Errorf("wire (%s, %v) %q: SQLSTATE %s, want %s", who.name, mode, c.q, pe.Code, c.state)
				}
			}
		}
	}
}
