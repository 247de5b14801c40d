package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An administrator owns the tables it creates, also from statements whose
// plan modelsql cannot analyse (CREATE TABLE AS over read_csv): they appear
// in its SHOW GRANTS (issue 19, docs/server.md §4).
func TestAdminCreateTableAsIsOwned(t *testing.T) {
	requirePsql(t)
	data, files := t.TempDir(), t.TempDir()
	csv := filepath.Join(files, "iris.csv")
	b, err := os.ReadFile(example("iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(csv, b, 0o644); err != nil {
		t.Fatal(err)
	}
	addUser(t, data, "alice", "a-long-password", true)
	s := serve(t, data, "--allow-dir", files)
	r := s.psql(t, "alice", "a-long-password", "default", nil, "-A", "-t",
		"-c", "CREATE TABLE from_csv AS SELECT * FROM read_csv('"+csv+"')",
		"-c", "CREATE TABLE plain AS SELECT 1 AS x",
		"-c", "SHOW GRANTS")
	if r.code != 0 {
		t.Fatalf("psql: %s", r.err)
	}
	for _, want := range []string{"USER alice|TABLE|default.default.from_csv|owner", "USER alice|TABLE|default.default.plain|owner"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("SHOW GRANTS lacks %q:\n%s", want, r.out)
		}
	}
}
