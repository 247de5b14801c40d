package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServerLocationLimitsAdmins: over the wire an administrator's local
// LOCATION is limited to --allow-dir like everyone's, whatever its
// spelling, and a non-administrator's ENDPOINT to --allow-host (issue 20,
// items 2 and 11).
func TestServerLocationLimitsAdmins(t *testing.T) {
	requirePsql(t)
	allowed, _ := filepath.EvalSymlinks(t.TempDir())
	iris, err := os.ReadFile(irisModel())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(allowed, "iris.json"), iris, 0o644)
	data := t.TempDir()
	addUser(t, data, "admin", "pw", true)
	s := serve(t, data, "--allow-dir", allowed, "--allow-host", "llm.example.com")
	model := func(name, loc string) string {
		return `CREATE MODEL ` + name + ` WITH VERSION v1 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)
			OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='` + loc + `')`
	}
	up := strings.Repeat("/%2E%2E", strings.Count(allowed, "/"))
	for _, loc := range []string{
		"FILE://" + irisModel(),
		"file://" + allowed + up + irisModel(),
		"file://localhost" + irisModel(),
		"FILE:///etc/passwd",
		"file://" + allowed + up + data + "/",
	} {
		r := s.psql(t, "admin", "pw", "default", nil, "-c", model("stolen", loc))
		if r.code == 0 || !strings.Contains(r.err, "outside the allowed directories") {
			t.Errorf("administrator, LOCATION %s: exit %d: %s", loc, r.code, r.err)
		}
		for _, leak := range []string{"root:", "secret.key", "system.duckdb", "XGBoost"} {
			if strings.Contains(r.err, leak) {
				t.Errorf("LOCATION %s: error shows %q: %s", loc, leak, r.err)
			}
		}
	}
	if r := s.psql(t, "admin", "pw", "default", nil, "-c", model("fine", "FILE://localhost"+allowed+"/iris.json")); r.code != 0 {
		t.Fatalf("a LOCATION inside --allow-dir: %s", r.err)
	}
	// --allow-host limits non-administrators only.
	remote := func(name, endpoint string) string {
		return `CREATE MODEL ` + name + ` WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', TASKS='text-generation',
			PAI_EAS_MODEL_NAME='q', PAI_EAS_SERVICE_NAME='s', ENDPOINT='` + endpoint + `', APIKEY='k', PAI_EAS_SYNC_MODE='true')`
	}
	for _, q := range []string{
		"CREATE USER bob PASSWORD 'bob-pw'",
		"GRANT CreateModel ON PROJECT default TO USER bob",
		remote("adm", "http://127.0.0.1:22/"),
	} {
		if r := s.psql(t, "admin", "pw", "default", nil, "-c", q); r.code != 0 {
			t.Fatalf("%s: %s", q, r.err)
		}
	}
	if r := s.psql(t, "bob", "bob-pw", "default", nil, "-c", remote("scan", "http://127.0.0.1:22/")); r.code == 0 || !strings.Contains(r.err, "--allow-host") {
		t.Errorf("bob's ENDPOINT on an unlisted host: exit %d: %s", r.code, r.err)
	}
	if r := s.psql(t, "bob", "bob-pw", "default", nil, "-c", remote("ok", "https://llm.example.com/v1")); r.code != 0 {
		t.Errorf("bob's ENDPOINT on a listed host: %s", r.err)
	}
}
