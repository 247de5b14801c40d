package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func requireLibXGBoost(t *testing.T) {
	t.Helper()
	r := run(t, "", "-c", "CREATE TABLE t AS SELECT 1.0 AS x, 1.0 AS y", "-c", "CREATE MODEL m WITH VERSION v OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y', NUM_ROUNDS='1') AS SELECT * FROM t", "--data", t.TempDir())
	if r.code != 0 {
		if os.Getenv("MODELSQL_REQUIRE_TOOLS") != "" {
			t.Fatalf("training does not work: %s", r.stderr)
		}
		t.Skip(r.stderr)
	}
}

// TestTrainEvaluateExplainInShell trains, predicts, evaluates and explains
// through the shell, on the golden regressor's rows.
func TestTrainEvaluateExplainInShell(t *testing.T) {
	requireLibXGBoost(t)
	csv := filepath.Join(repoRoot(), "internal", "train", "testdata", "golden", "regressor.csv")
	r := run(t, "", "--data", t.TempDir(), "--format", "csv",
		"-c", "CREATE TABLE houses AS SELECT * FROM read_csv('"+csv+"')",
		"-c", "CREATE MODEL price WITH VERSION v1 OPTIONS(MODEL_TYPE = 'BOOSTED_TREE_REGRESSOR', LABEL_COL = 'y', NUM_ROUNDS = '20', MAX_DEPTH = '4', DATA_SPLIT_EVAL_FRACTION = '0.2', EARLY_STOP_ROUNDS = '3') COMMENT 'trained in SQL' AS SELECT * FROM houses",
		"-c", "SELECT count(ML_PREDICT(price, v1, f0, f1, f2, f3, f4, f5)) AS n FROM houses",
		"-c", "SELECT r2_score > 0.5 AS good FROM ML_EVALUATE(price, v1, (SELECT * FROM houses))",
		"-c", "SELECT len(attributions) AS k FROM ML_EXPLAIN_PREDICT(price, DEFAULT_VERSION, (SELECT * FROM houses LIMIT 1), 3)",
		"-c", "SELECT count(*) > 0 AS some FROM ML_FEATURE_IMPORTANCE(price, v1)",
		"-c", "SHOW MODELS")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"n\n1200\n", "good\ntrue\n", "k\n3\n", "some\ntrue\n", "price,", "INTERNAL_TRAIN,BOOSTED_TREE_REGRESSOR,v1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestPythonPackageThroughServer runs python/modelsql against `modelsql
// serve`: to_odps_model then ML_PREDICT equals the estimator bit for bit,
// read_odps_model gives the same booster back, privileges apply.
func TestPythonPackageThroughServer(t *testing.T) {
	requirePsycopg2(t)
	if exec.Command("/usr/bin/python3", "-c", "import xgboost, numpy").Run() != nil {
		t.Skip("python3-xgboost is not installed")
	}
	requireLibXGBoost(t)
	data := t.TempDir()
	addUser(t, data, "admin", "admin-password-1", true)
	s := serve(t, data)
	cmd := exec.Command("/usr/bin/python3", filepath.Join(repoRoot(), "e2e", "testdata", "python_package.py"), strconv.Itoa(s.port), "admin-password-1")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(repoRoot(), "python"))
	stdout, stderr, code := runCommand(t, cmd)
	if code != 0 {
		t.Fatalf("python: %s\n%s\nserver:\n%s", stderr, stdout, s.log())
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	for _, k := range []string{"clf_probs_equal", "clf_labels_equal", "reg_predictions_equal", "read_back_equal_bytes", "read_back_predictions_equal", "read_default_equal", "sql_model_read_back"} {
		if out[k] != true {
			t.Errorf("%s = %v", k, out[k])
		}
	}
	if out["clf_version"] != "v1" || out["reg_v1"] != "v1" || out["reg_v2"] != "v2" {
		t.Errorf("versions %v %v %v", out["clf_version"], out["reg_v1"], out["reg_v2"])
	}
	models, _ := json.Marshal(out["models"])
	if want := `[["py_clf","INTERNAL_TRAIN","BOOSTED_TREE_CLASSIFIER","v1"],["py_reg","INTERNAL_TRAIN","BOOSTED_TREE_REGRESSOR","v2"]]`; string(models) != want {
		t.Errorf("models %s", models)
	}
	desc, _ := json.Marshal(out["desc_v1"])
	if want := `{"Comment":"first","Input[1]":"f0 DOUBLE","Option.MODEL_SOURCE_TYPE":"INTERNAL_TRAIN"}`; string(desc) != want {
		t.Errorf("desc %s", desc)
	}
	if labels, _ := json.Marshal(out["sql_model_labels"]); string(labels) != `["down","up"]` {
		t.Errorf("labels %s", labels)
	}
	for _, k := range []string{"bob", "bob_train"} {
		if s, _ := out[k].(string); !strings.Contains(s, "CreateModel") {
			t.Errorf("%s: %v", k, out[k])
		}
	}
}

// Without libxgboost everything but training works, and training names
// the package to install.
func TestTrainWithoutLibXGBoost(t *testing.T) {
	data := t.TempDir()
	iris := filepath.Join(repoRoot(), "examples", "iris_classifier.json")
	without := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, append([]string{"--data", data, "--format", "csv"}, args...)...)
		cmd.Env = append(os.Environ(), "MODELSQL_LIBXGBOOST=/nonexistent/libxgboost.so.0")
		return runCommand(t, cmd)
	}
	stdout, stderr, code := without("-c", "CREATE TABLE t AS SELECT 1.0 AS x, 2.0 AS y",
		"-c", "CREATE MODEL iris WITH VERSION v1 INPUT(a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://"+iris+"')",
		"-c", "SELECT ML_PREDICT(iris, v1, 5.1, 3.5, 1.4, 0.2).label AS l",
		"-c", "SELECT accuracy FROM ML_EVALUATE(iris, v1, (SELECT 5.1 AS a, 3.5 AS b, 1.4 AS c, 0.2 AS d, 0 AS y), 'y')",
		"-c", "CREATE MODEL m WITH VERSION v OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y') AS SELECT * FROM t")
	if code != 1 || !strings.Contains(stdout, "l\n0\n") || !strings.Contains(stdout, "accuracy\n1\n") || !strings.Contains(stderr, "libxgboost0") || !strings.Contains(stderr, "apt-get install") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	for _, q := range []string{"SELECT * FROM ML_FEATURE_IMPORTANCE(iris, v1)", "SELECT * FROM ML_EXPLAIN_PREDICT(iris, v1, (SELECT 1.0 AS a, 2.0 AS b, 3.0 AS c, 4.0 AS d))"} {
		if _, stderr, code := without("-c", q); code != 1 || !strings.Contains(stderr, "libxgboost0") {
			t.Errorf("%s: exit %d, %s", q, code, stderr)
		}
	}
}

// The table functions need Execute on the model and Select on what their
// query reads; training needs CreateModel and Select.
func TestTableFunctionPrivileges(t *testing.T) {
	requirePsql(t)
	requireLibXGBoost(t)
	data := t.TempDir()
	addUser(t, data, "admin", "admin-password-1", true)
	s := serve(t, data)
	admin := s.psql(t, "admin", "admin-password-1", "default", nil, "-c", "CREATE TABLE t AS SELECT i::DOUBLE AS x, (i > 50)::INT AS y FROM range(100) r(i)",
		"-c", "CREATE TABLE secret AS SELECT * FROM t",
		"-c", "CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LABEL_COL='y') AS SELECT * FROM t",
		"-c", "CREATE MODEL m2 WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LABEL_COL='y') AS SELECT * FROM t",
		"-c", "CREATE USER bob PASSWORD 'bob-password-1'", "-c", "GRANT Select ON TABLE t TO USER bob",
		"-c", "GRANT Execute ON MODEL m TO USER bob", "-c", "GRANT CreateModel ON PROJECT default TO USER bob")
	if admin.code != 0 {
		t.Fatalf("%s %s", admin.out, admin.err)
	}
	for _, tc := range []struct{ sql, want string }{
		{"SELECT accuracy FROM ML_EVALUATE(m, v1, (SELECT * FROM t))", "1"},
		{"SELECT count(*) FROM ML_EXPLAIN_PREDICT(m, v1, (SELECT * FROM t), 1)", "100"},
		{"SELECT count(*) > 0 FROM ML_FEATURE_IMPORTANCE(m, v1)", "t"},
		{"SELECT length(model_base64) > 0 FROM ML_EXPORT_MODEL(m, v1)", "t"},
		{"SELECT accuracy FROM ML_EVALUATE(m, v1, (SELECT * FROM secret))", "lacks Select on table default.default.secret"},
		{"SELECT * FROM ML_EXPLAIN_PREDICT(m, v1, (SELECT * FROM secret))", "lacks Select on table default.default.secret"},
		{"SELECT * FROM ML_EVALUATE(m2, v1, (SELECT * FROM t))", "lacks Execute on model default.default.m2"},
		{"SELECT * FROM ML_FEATURE_IMPORTANCE(m2, v1)", "lacks Execute on model default.default.m2"},
		{"SELECT * FROM ML_EXPORT_MODEL(m2, v1)", "lacks Execute on model default.default.m2"},
		{"CREATE MODEL b WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y') AS SELECT * FROM secret", "lacks Select on table default.default.secret"},
		{"CREATE MODEL b WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='y') AS SELECT * FROM t", "CREATE MODEL"},
		{"ALTER MODEL m ADD VERSION v2 OPTIONS(LABEL_COL='y') AS SELECT * FROM t", "lacks Alter on model default.default.m"},
	} {
		r := s.psql(t, "bob", "bob-password-1", "default", nil, "-A", "-t", "-c", tc.sql)
		got := strings.TrimSpace(r.out + r.err)
		if strings.Contains(tc.want, "lacks") && !strings.Contains(got, tc.want) || !strings.Contains(tc.want, "lacks") && got != tc.want {
			t.Errorf("%s: %q, want %q", tc.sql, got, tc.want)
		}
	}
}
