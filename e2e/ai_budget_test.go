package e2e

import (
	"strings"
	"testing"
)

// A statement's budget: answered rows keep their values, the rest are NULL
// and recorded as budget_exhausted, the statement succeeds with the
// warning; a re-run with a larger budget sends only the missing rows.
func TestAIBudget(t *testing.T) {
	f := newLLMFixture(t)
	const q = `SELECT count(*), count(a) FROM (SELECT AI_GENERATE(gen, v1, 'budget ' || i) AS a FROM range(12) t(i))`
	before := f.srv.Stats().Requests
	r := run(t, "", "--data", f.data, "--format", "csv", "-c", "SET modelsql.ai.max_requests = 5; "+q)
	if r.code != 0 || !strings.Contains(r.stdout, "12,5") {
		t.Fatalf("budget of 5: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if n := f.srv.Stats().Requests - before; n != 5 {
		t.Fatalf("budget of 5 sent %d requests", n)
	}
	if !strings.Contains(r.stderr, "WARNING: AI budget reached (modelsql.ai.max_requests = 5): 7 rows were left NULL") ||
		!strings.Contains(r.stderr, "run the statement again with a larger budget and only those rows are sent") {
		t.Fatalf("warning: %s", r.stderr)
	}
	if rows := f.query(t, `SELECT error_class, count(*) FROM __modelsql.ai_errors GROUP BY 1`); len(rows) != 1 || strings.Join(rows[0], ",") != "budget_exhausted,7" {
		t.Fatalf("ai_errors: %v", rows)
	}
	// A larger budget: only the 7 are sent; no warning.
	before = f.srv.Stats().Requests
	r = run(t, "", "--data", f.data, "--format", "csv", "-c", "SET modelsql.ai.max_requests = 100; "+q)
	if r.code != 0 || !strings.Contains(r.stdout, "12,12") || strings.Contains(r.stderr, "WARNING") {
		t.Fatalf("budget of 100: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if n := f.srv.Stats().Requests - before; n != 7 {
		t.Fatalf("re-run sent %d requests, want 7", n)
	}
	// A token budget: the fake server reports tokens; one answer spends it.
	before = f.srv.Stats().Requests
	r = run(t, "", "--data", f.data, "--format", "csv", "-c",
		"SET modelsql.ai.max_tokens = 1; SET modelsql.ai.max_requests = 0; SELECT count(a) FROM (SELECT AI_GENERATE(gen, v1, 'tokens ' || i) AS a FROM range(40) t(i) WHERE i = 0 OR i > 0)")
	n := f.srv.Stats().Requests - before
	if r.code != 0 || n >= 40 || !strings.Contains(r.stderr, "modelsql.ai.max_tokens = 1") {
		t.Fatalf("token budget: %d sent, %d %q %s", n, r.code, r.stdout, r.stderr)
	}
	for _, bad := range []string{"SET modelsql.ai.max_requests = -1", "SET modelsql.ai.max_tokens = 'lots'"} {
		if r := run(t, "", "--data", f.data, "-c", bad); r.code != 1 || !strings.Contains(r.stderr, "non-negative integer") {
			t.Fatalf("%s: %d %s", bad, r.code, r.stderr)
		}
	}
}

// Over the server the warning is a NOTICE (psql prints it); an
// administrator's daily limit of a user holds across sessions and restarts.
func TestAIBudgetServer(t *testing.T) {
	requirePsql(t)
	f := newLLMFixture(t)
	addUser(t, f.data, "admin", "admin-pw", true)
	addUser(t, f.data, "bob", "bob-pw", false)
	s := serve(t, f.data)
	ok := func(r psqlResult) psqlResult {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("psql: %d %s %s", r.code, r.out, r.err)
		}
		return r
	}
	ok(s.psql(t, "admin", "admin-pw", "default", nil, "-c", "GRANT Execute ON MODEL default.default.gen TO USER bob",
		"-c", "INSERT INTO __modelsql.ai_user_limits VALUES ('bob', 6, 0)"))
	r := ok(s.psql(t, "bob", "bob-pw", "default", nil, "-A", "-t", "-c",
		"SELECT count(a) FROM (SELECT AI_GENERATE(gen, v1, 'daily ' || i) AS a FROM range(4) t(i))"))
	if strings.TrimSpace(r.out) != "4" || strings.Contains(r.err, "WARNING") {
		t.Fatalf("under the limit: %q %s", r.out, r.err)
	}
	// Another session: 2 requests left of 6.
	r = ok(s.psql(t, "bob", "bob-pw", "default", nil, "-A", "-t", "-c",
		"SELECT count(a) FROM (SELECT AI_GENERATE(gen, v1, 'daily more ' || i) AS a FROM range(5) t(i))"))
	if strings.TrimSpace(r.out) != "2" || !strings.Contains(r.err, "WARNING:  AI budget reached (the daily AI limit of user bob): 3 rows were left NULL") {
		t.Fatalf("at the limit: %q %s", r.out, r.err)
	}
	// After a restart the day's usage stands; cached answers cost nothing.
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	s = serve(t, f.data)
	before := f.srv.Stats().Requests
	r = ok(s.psql(t, "bob", "bob-pw", "default", nil, "-A", "-t", "-c",
		"SELECT count(a) FROM (SELECT AI_GENERATE(gen, v1, 'daily more ' || i) AS a FROM range(5) t(i))"))
	if strings.TrimSpace(r.out) != "2" || f.srv.Stats().Requests != before || !strings.Contains(r.err, "3 rows were left NULL") {
		t.Fatalf("after restart: %q %s (%d sent)", r.out, r.err, f.srv.Stats().Requests-before)
	}
	r = ok(s.psql(t, "admin", "admin-pw", "default", nil, "-A", "-t", "-c", "SELECT requests FROM __modelsql.ai_user_usage WHERE user_name = 'bob'"))
	if strings.TrimSpace(r.out) != "6" {
		t.Fatalf("usage: %q", r.out)
	}
}
