package session

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/modelsql/modelsql/internal/fakellm"
)

func open(t *testing.T) *Session {
	t.Helper()
	ctx := context.Background()
	w, err := OpenWarehouse(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	s, err := w.NewSession(ctx, SessionOptions{CreateProject: true, Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func exec(t *testing.T, s *Session, q string) *Result {
	t.Helper()
	r, err := s.Exec(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return r
}

func irisPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", "iris_classifier.json")
}

// Parsed models are cached once used and leave the cache with their version.
func TestModelCacheFollowsVersions(t *testing.T) {
	s := open(t)
	create := `CREATE MODEL iris WITH VERSION v1 INPUT(a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://` + irisPath() + `')`
	exec(t, s, create)
	exec(t, s, "SELECT ML_PREDICT(iris, v1, 1, 2, 3, 4)")
	if s.w.Models.Len() != 1 {
		t.Fatalf("cache holds %d models after a prediction", s.w.Models.Len())
	}
	exec(t, s, "DROP MODEL iris")
	if s.w.Models.Len() != 0 || s.w.Models.Bytes() != 0 {
		t.Fatalf("cache holds %d models (%d bytes) after DROP MODEL", s.w.Models.Len(), s.w.Models.Bytes())
	}
	if got, err := s.w.Catalog.ArtifactHashes(context.Background()); err != nil || len(got) != 0 {
		t.Fatalf("stored files after DROP MODEL: %v %v", got, err)
	}
}

// Cancelling a statement cancels its requests at once.
func TestCancelStopsRemoteCalls(t *testing.T) {
	srv := fakellm.NewServer(fakellm.Options{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	s := open(t)
	exec(t, s, `CREATE MODEL g WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', TASKS='chat', PAI_EAS_MODEL_NAME='m',
		PAI_EAS_SERVICE_NAME='s', ENDPOINT='`+hs.URL+`', APIKEY='k', PAI_EAS_SYNC_MODE='true', PAI_EAS_SYNC_REQUEST_TIMEOUT='60000')`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := s.Exec(ctx, "SELECT AI_GENERATE(g, v1, 'wait [[fake:hang]] ' || i) FROM range(40) t(i)")
	if err == nil || !strings.Contains(err.Error(), "cancel") {
		t.Fatalf("cancelled statement: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("cancel took %s", d)
	}
	// The session still works.
	if r := exec(t, s, "SELECT 1"); len(r.Rows) != 1 {
		t.Fatal("session unusable after cancel")
	}
}

func TestUseAndSettings(t *testing.T) {
	s := open(t)
	if _, err := s.Exec(context.Background(), "USE nosuch"); err == nil {
		t.Fatal("USE of a missing project")
	}
	exec(t, s, "SET odps.sql.ai.embedding.dimension = 256")
	if s.Setting("odps.sql.ai.embedding.dimension") != "256" {
		t.Fatal("setting not kept")
	}
	if _, err := s.Exec(context.Background(), "SET modelsql.ai.on_error = 'sometimes'"); err == nil {
		t.Fatal("bad on_error accepted")
	}
	exec(t, s, "SET threads = 1") // a DuckDB setting passes through
	r := exec(t, s, "SELECT current_setting('threads')")
	if r.Rows[0][0] != int64(1) {
		t.Fatalf("threads = %v", r.Rows[0][0])
	}
}

// Sessions open concurrently (the server opens one per connection).
func TestConcurrentSessions(t *testing.T) {
	ctx := context.Background()
	w, err := OpenWarehouse(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Engine.EnsureProject(ctx, "default")
	errs := make(chan error, 16)
	for range 16 {
		go func() {
			s, err := w.NewSession(ctx, SessionOptions{})
			if err == nil {
				_, err = s.Exec(ctx, "SELECT ML_PREDICT(nosuch, v1, 1)")
				if err != nil && strings.Contains(err.Error(), "does not exist") {
					err = nil
				}
				s.Close()
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestDefinesStoredQuery(t *testing.T) {
	for text, want := range map[string]bool{
		"CREATE VIEW v AS SELECT 1":                       true,
		"create or replace temp view v as select 1":       true,
		"CREATE MACRO m(x) AS x":                          true,
		"/* note */ CREATE VIEW v AS SELECT 1":            true,
		"-- note\nCREATE OR REPLACE VIEW v AS SELECT 1":   true,
		"CREATE TABLE t AS SELECT 1":                      false,
		"SELECT 'CREATE VIEW'":                            false,
		"CREATE OR REPLACE TEMPORARY TABLE t AS SELECT 1": false,
	} {
		if got := definesStoredQuery(text); got != want {
			t.Errorf("definesStoredQuery(%q) = %v, want %v", text, got, want)
		}
	}
}

// Nested inference calls rewrite to text linear in the statement's size
// (each argument was written two or three times per level: 3^depth), run
// each inner call once per row, and nesting beyond the documented limit is
// refused at once.
func TestNestedInferenceIsLinear(t *testing.T) {
	srv := fakellm.NewServer(fakellm.Options{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	s := open(t)
	ctx := context.Background()
	exec(t, s, `CREATE MODEL g WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', TASKS='chat', PAI_EAS_MODEL_NAME='m',
		PAI_EAS_SERVICE_NAME='s', ENDPOINT='`+hs.URL+`', APIKEY='k', PAI_EAS_SYNC_MODE='true', PAI_EAS_SYNC_REQUEST_TIMEOUT='60000')`)
	exec(t, s, `CREATE MODEL iris WITH VERSION v1 INPUT(a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://`+irisPath()+`')`)
	nest := map[string]func(int) string{
		"AI_GENERATE": func(n int) string {
			q := "'x'"
			for range n {
				q = "AI_GENERATE(g, v1, 'a' || " + q + ")"
			}
			return "SELECT " + q
		},
		"ML_PREDICT": func(n int) string {
			q := "1.5"
			for range n {
				q = "ML_PREDICT(iris, v1, " + q + ", 2.0, 3.0, 4.0).probs[1]"
			}
			return "SELECT " + q
		},
	}
	for fn, build := range nest {
		// Ratio of rewritten to original size, at depths 4, 8 and the limit:
		// bounded (linear) rather than growing with depth.
		for _, depth := range []int{4, 8, 16} {
			in := build(depth)
			out, cleanup, err := s.bindInference(ctx, in)
			if err != nil {
				t.Fatalf("%s nested %d deep: %v", fn, depth, err)
			}
			cleanup()
			ratio := float64(len(out)) / float64(len(in))
			if ratio > 12 {
				t.Fatalf("%s nested %d deep: %d bytes rewrite to %d (%.0fx)", fn, depth, len(in), len(out), ratio)
			}
			t.Logf("%s nested %d deep: %d bytes rewrite to %d (%.1fx)", fn, depth, len(in), len(out), ratio)
		}
		// Deeper nesting is a clear error, found before any work is done.
		start := time.Now()
		_, err := s.Exec(ctx, build(200))
		if err == nil || !strings.Contains(err.Error(), "more than 16 deep") {
			t.Fatalf("%s nested 200 deep: %v", fn, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s nested 200 deep took %s to refuse", fn, d)
		}
		t.Logf("%s nested 200 deep refused in %s", fn, time.Since(start))
	}
	// The nested statements run, each call once per distinct request: the
	// two rows ask the same, so each level is sent once (identical requests
	// of a statement are sent once).
	srv.Reset()
	r := exec(t, s, nest["AI_GENERATE"](3)+" FROM range(2)")
	if len(r.Rows) != 2 {
		t.Fatalf("rows %v", r.Rows)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("3 nested calls on 2 identical rows sent %d requests, want 3", n)
	}
	r = exec(t, s, nest["ML_PREDICT"](16))
	if len(r.Rows) != 1 {
		t.Fatalf("rows %v", r.Rows)
	}
}

// A closed session leaves nothing on a connection a later session may get:
// its uncommitted rows are rolled back and its temporary tables, prepared
// statements and settings are gone.
func TestClosedSessionLeavesNothing(t *testing.T) {
	ctx := context.Background()
	w, err := OpenWarehouse(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	newSession := func() *Session {
		s, err := w.NewSession(ctx, SessionOptions{CreateProject: true, Admin: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := newSession()
	exec(t, first, "CREATE TABLE t (x INTEGER)")
	first.Close()
	for round := 0; round < 5; round++ {
		s := newSession()
		exec(t, s, "BEGIN")
		exec(t, s, "INSERT INTO t VALUES (1)")
		exec(t, s, "CREATE TEMP TABLE leftover AS SELECT 42 AS v")
		exec(t, s, "PREPARE leftover_q AS SELECT 1")
		exec(t, s, "SET search_path = 'memory.main'")
		if err := s.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		// database/sql keeps up to two idle connections: three new
		// sessions are sure to get the closed one's if it were pooled.
		var next []*Session
		for i := 0; i < 3; i++ {
			n := newSession()
			next = append(next, n)
			if r := exec(t, n, "SELECT count(*) FROM t"); toInt(r.Rows[0][0]) != 0 {
				t.Fatalf("round %d: session %d sees %v uncommitted rows", round, i, r.Rows[0][0])
			}
			if r := exec(t, n, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'leftover'"); toInt(r.Rows[0][0]) != 0 {
				t.Fatalf("round %d: session %d sees the closed session's temporary table", round, i)
			}
			if _, err := n.Exec(ctx, "EXECUTE leftover_q"); err == nil {
				t.Fatalf("round %d: session %d can run the closed session's prepared statement", round, i)
			}
			if r := exec(t, n, "SELECT current_setting('search_path')"); strings.Contains(fmt.Sprint(r.Rows[0][0]), "memory") {
				t.Fatalf("round %d: session %d inherits search_path %v", round, i, r.Rows[0][0])
			}
			exec(t, n, "BEGIN")
			exec(t, n, "ROLLBACK")
		}
		for _, n := range next {
			n.Close()
		}
	}
	// The warehouse's own pool (used by the catalog and the user store)
	// writes outside any leftover transaction.
	if _, err := w.Engine.DB.ExecContext(ctx, `INSERT INTO "default"."default".t VALUES (7)`); err != nil {
		t.Fatal(err)
	}
	s := newSession()
	defer s.Close()
	if r := exec(t, s, "SELECT count(*) FROM t"); toInt(r.Rows[0][0]) != 1 {
		t.Fatalf("pool write: %v rows", r.Rows[0][0])
	}
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	}
	return -1
}
