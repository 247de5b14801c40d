package access_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/objstore"
	"github.com/modelsql/modelsql/internal/session"
)

// TestLocationStaysInAllowedDirs: every spelling of a local LOCATION is
// checked as the path object storage opens (decoded, cleaned, links
// resolved), for administrators too (issue 20, item 2).
func TestLocationStaysInAllowedDirs(t *testing.T) {
	e := newEnv(t)
	bob := e.session("bob")
	e.ok(e.admin, "GRANT CreateModel ON PROJECT default TO USER bob")
	outside := t.TempDir()
	if real, err := filepath.EvalSymlinks(outside); err == nil {
		outside = real
	}
	iris, _ := os.ReadFile(irisModel())
	os.WriteFile(filepath.Join(outside, "iris.json"), iris, 0o644)
	os.Mkdir(filepath.Join(outside, "d"), 0o755)
	os.WriteFile(filepath.Join(outside, "d", "model.json"), iris, 0o644)
	// Links inside the allowed directory to elsewhere.
	os.Symlink(filepath.Join(outside, "iris.json"), filepath.Join(e.allowed, "link.json"))
	os.Symlink(filepath.Join(outside, "d"), filepath.Join(e.allowed, "linkdir"))
	// A directory inside whose one model file links out: only the fetcher
	// sees which file is picked.
	os.Mkdir(filepath.Join(e.allowed, "inner"), 0o755)
	os.Symlink(filepath.Join(outside, "iris.json"), filepath.Join(e.allowed, "inner", "model.json"))

	up := strings.Repeat("/..", strings.Count(e.allowed, "/"))
	upEnc := strings.Repeat("/%2E%2E", strings.Count(e.allowed, "/"))
	upLower := strings.Repeat("/%2e%2e", strings.Count(e.allowed, "/"))
	upSlash := strings.Repeat("%2F..", strings.Count(e.allowed, "/"))
	target := outside + "/iris.json"
	model := func(loc string) string {
		return `CREATE MODEL stolen WITH VERSION v1 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)
			OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='` + loc + `')`
	}
	for _, loc := range []string{
		"FILE://" + target,
		"File://" + target,
		"file://" + e.allowed + upEnc + target,
		"file://" + e.allowed + upLower + target,
		"file://" + e.allowed + upSlash + target,
		"FILE://" + e.allowed + upEnc + target,
		"file://localhost" + target,
		"file://LOCALHOST" + e.allowed + upEnc + target,
		e.allowed + up + target,
		"file://" + e.allowed + "/link.json",
		"file://" + e.allowed + "/linkdir/",
		"file://" + e.allowed + "/linkdir/model.json",
		"file://" + e.allowed + "/inner/",
		"file://" + e.allowed + "/inner/model.json",
		"file://" + e.allowed + upEnc + "/etc/passwd",
		"FILE:///etc/passwd",
		"file://" + e.allowed + upEnc + e.w.Engine.DataDir + "/",
		"file://elsewhere" + target,
		"file://" + outside + "/nosuch.json",
	} {
		for _, sess := range []*session.Session{e.admin, bob} {
			_, err := sess.Exec(context.Background(), model(loc))
			if err == nil {
				t.Errorf("%s imported a model from %s", sess.User, loc)
				e.ok(e.admin, "DROP MODEL stolen")
				continue
			}
			// Refused by the guard or by object storage, never parsed.
			if !errors.Is(err, objstore.ErrAccessDenied) && !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("%s, %s: %v", sess.User, loc, err)
			}
			for _, leak := range []string{"root:", "secret.key", "system.duckdb", "xgboost", "XGBoost", "does not exist", "no such file"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("%s, %s: error says %q: %v", sess.User, loc, leak, err)
				}
			}
		}
	}
	// Inside: every spelling works, for both.
	os.Symlink(filepath.Join(e.allowed, "iris.json"), filepath.Join(e.allowed, "inlink.json"))
	for i, loc := range []string{
		"file://" + e.allowedIris(),
		"FILE://" + e.allowedIris(),
		"file://localhost" + e.allowedIris(),
		"file://" + e.allowed + "/sub/%2E%2E/iris.json",
		e.allowedIris(),
		"file://" + e.allowed + "/inlink.json",
	} {
		for _, sess := range []*session.Session{e.admin, bob} {
			name := "ok" + sess.User + string(rune('a'+i))
			e.ok(sess, strings.Replace(model(loc), "stolen", name, 1))
		}
	}
}
