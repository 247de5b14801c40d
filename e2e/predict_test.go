package e2e

import (
	"context"
	"math/rand"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func irisData(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	sql(t, data,
		"CREATE TABLE iris AS SELECT * FROM read_csv('"+example("iris.csv")+"')",
		`CREATE MODEL iris WITH VERSION v1 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://`+example("iris_classifier.json")+`')`,
		`CREATE MODEL housing WITH VERSION v01 `+housingInput+` OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LOCATION='file://`+example("housing_regressor.ubj")+`')`)
	return data
}

// ML_PREDICT works anywhere an expression works.
func TestPredictAnywhere(t *testing.T) {
	data := irisData(t)
	queries := map[string]string{
		"where":     "SELECT count(*) FROM iris WHERE ML_PREDICT(iris, v1, f1, f2, f3, f4).label = '0'",
		"order by":  "SELECT id FROM iris ORDER BY ML_PREDICT(iris, v1, f1, f2, f3, f4).probs[1] DESC, id LIMIT 1",
		"subquery":  "SELECT count(*) FROM (SELECT ML_PREDICT(iris, DEFAULT_VERSION, f1, f2, f3, f4) AS p FROM iris) WHERE p.label = '0'",
		"join":      "SELECT count(*) FROM iris a JOIN iris b ON a.id = b.id WHERE ML_PREDICT(iris, 'v1', a.f1, b.f2, a.f3, b.f4).label = '0'",
		"ctas":      "CREATE TABLE preds AS SELECT id, ML_PREDICT(`iris`, `v1`, f1, f2, f3, f4) AS p FROM iris; SELECT count(*) FROM preds WHERE p.label = '0'",
		"qualified": "SELECT count(*) FROM iris WHERE ML_PREDICT(default.default.iris, v1, f1, f2, f3, f4).label = '0'",
		"string":    "SELECT count(*) FROM iris WHERE ML_PREDICT('default.default.iris', 'v1', f1, f2, f3, f4).label = '0'",
	}
	// A quoted or back-quoted DEFAULT_VERSION names a version (docs/sql.md §5.1), which cannot exist.
	for _, v := range []string{"'DEFAULT_VERSION'", "`DEFAULT_VERSION`", `"default_version"`} {
		r := run(t, "", "--data", data, "-c", "SELECT ML_PREDICT(iris, "+v+", 1, 2, 3, 4)")
		if r.code == 0 || !strings.Contains(r.stderr, "ML_PREDICT at line 1, column 8: version ") || !strings.Contains(r.stderr, "write DEFAULT_VERSION without quotes") {
			t.Errorf("version %s: exit %d, %q", v, r.code, r.stderr)
		}
	}
	sql(t, data, "CREATE TABLE preds AS SELECT id, ML_PREDICT(`iris`, `v1`, f1, f2, f3, f4) AS p FROM iris")
	queries["ctas"] = "SELECT count(*) FROM preds WHERE p.label = '0'"
	for name, q := range queries {
		rows := csvRows(t, data, q)
		if name == "order by" {
			if len(rows) != 1 {
				t.Errorf("%s: %v", name, rows)
			}
			continue
		}
		if len(rows) != 1 || rows[0][0] != "50" {
			t.Errorf("%s: %v (want the 50 setosa rows)", name, rows)
		}
	}
}

func TestPredictArgumentChecks(t *testing.T) {
	data := irisData(t)
	cases := []struct{ q, want string }{
		{"SELECT ML_PREDICT(iris, v1, 1, 2, 3)", "3 feature arguments given, the version's INPUT declares 4"},
		{"SELECT ML_PREDICT(iris, v1, 1, 2, 3, 'x')", "argument 4 (f4) has type STRING, expected DOUBLE"},
		{"SELECT ML_PREDICT(housing, v01, 0.22438, 0f, 9.69f, 0, 0.585f, 6.027f, 79.7f, 2.4982f, 6.123f, 391f, 19.2f, 14.33f)", "argument 1 (crim) has type DECIMAL(6,5), expected FLOAT"},
		{"SELECT ML_PREDICT(housing, v01, 0.22438f, 0f, 9.69f, 0.5f, 0.585f, 6.027f, 79.7f, 2.4982f, 6.123f, 391f, 19.2f, 14.33f)", "argument 4 (chas) has type FLOAT, expected INT"},
		{"SELECT ML_PREDICT(iris, v7, 1, 2, 3, 4)", "version v7 of model default.default.iris does not exist"},
		{"SELECT ML_PREDICT(nosuch, v1, 1)", "model default.default.nosuch does not exist"},
		{"CREATE VIEW pv AS SELECT ML_PREDICT(iris, v1, 1, 2, 3, 4) AS p", "cannot be stored in a view"},
		{"PREPARE q AS SELECT ML_PREDICT(iris, v1, ?, 2, 3, 4); EXECUTE q(1.5::DOUBLE)", "prepared-statement parameters"},
	}
	for _, c := range cases {
		r := run(t, "", "--data", data, "-c", c.q)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: exit %d %q, want %q", c.q, r.code, r.stderr, c.want)
		}
	}
	// Accepted: integer widening, FLOAT to DOUBLE, NULL as a missing value.
	rows := csvRows(t, data, "SELECT ML_PREDICT(iris, v1, 1::TINYINT, 2::BIGINT, 3.5::FLOAT, NULL).label, ML_PREDICT(housing, v01, 0.22438f, 0f, 9.69f, 0, 0.585f, 6.027f, 79.7f, 2.4982f, 6.123f, 391f, 19.2f, NULL) IS NOT NULL")
	if len(rows) != 1 || rows[0][1] != "true" {
		t.Fatalf("widening and NULL: %v", rows)
	}
}

// Nested inference calls: at the documented depth they run (the rewrite is
// linear in the statement's size); far deeper (the server died at
// 2,000) they are refused at once with an error naming the limit.
func TestNestedPredictions(t *testing.T) {
	data := irisData(t)
	nest := func(n int) string {
		q := "1.5"
		for range n {
			q = "ML_PREDICT(iris, v1, " + q + ", 2.0, 3.0, 4.0).probs[1]"
		}
		return "SELECT " + q + " IS NOT NULL"
	}
	// Generous: the whole process, start to exit, not the rewrite alone;
	// the deadline also ends a run that would never finish.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	_, stderr, code := runCommand(t, exec.CommandContext(ctx, bin, "--data", data, "-c", nest(2000)))
	if code != 1 || !strings.Contains(stderr, "ML_PREDICT nested more than 16 deep") {
		t.Fatalf("2000 deep, after %s: exit %d %q", time.Since(start), code, stderr)
	}
	if rows := csvRows(t, data, nest(16)); len(rows) != 1 || rows[0][0] != "true" {
		t.Fatalf("16 deep: %v", rows)
	}
}

// The process is killed at random moments during CREATE MODEL; after a
// restart the catalog and the stored model files agree.
func TestCrashDuringCreate(t *testing.T) {
	data := t.TempDir()
	sql(t, data, "SELECT 1")
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for i := range 12 {
		stmt := `CREATE MODEL crash` + string(rune('a'+i)) + ` WITH VERSION v1 ` + housingInput +
			` OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LOCATION='file://` + example("housing_regressor_v2.json") + `')`
		cmd := exec.Command(bin, "--data", data, "-c", stmt)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Intn(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	// Every model listed has its stored file; every stored file belongs to a version.
	rows := csvRows(t, data, `SELECT (SELECT count(*) FROM __modelsql.versions v WHERE v.artifact IS NOT NULL AND v.artifact NOT IN (SELECT sha256 FROM __modelsql.artifacts)),
		(SELECT count(*) FROM __modelsql.artifacts a WHERE a.sha256 NOT IN (SELECT artifact FROM __modelsql.versions WHERE artifact IS NOT NULL)),
		(SELECT count(*) FROM __modelsql.models m WHERE NOT EXISTS (SELECT 1 FROM __modelsql.versions v WHERE v.project = m.project AND v.schema_name = m.schema_name AND v.model = m.name))`)
	if rows[0][0] != "0" || rows[0][1] != "0" || rows[0][2] != "0" {
		t.Fatalf("catalog and stored files disagree after crashes: versions without file %s, orphaned files %s, models without versions %s", rows[0][0], rows[0][1], rows[0][2])
	}
	for _, m := range csvRows(t, data, "SHOW MODELS") {
		r := run(t, "", "--data", data, "-c", "SELECT ML_PREDICT("+m[0]+", v1, 0.22438f, 0f, 9.69f, 0, 0.585f, 6.027f, 79.7f, 2.4982f, 6.123f, 391f, 19.2f, 14.33f)")
		if r.code != 0 {
			t.Fatalf("model %s unusable after crash: %s", m[0], r.stderr)
		}
	}
}
