package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// irisModel is a real XGBoost classifier with 4 features (examples/train_demo.py).
func irisModel() string { return filepath.Join(repoRoot(), "examples", "iris_classifier.json") }

const remoteOpts = `MODEL_SOURCE_TYPE = 'REMOTE', MODEL_TYPE = 'LLM', TASKS = 'text-generation',
	PAI_EAS_MODEL_NAME = 'qwen', PAI_EAS_SERVICE_NAME = 'svc', ENDPOINT = 'http://127.0.0.1:9',
	APIKEY = 'sk-topsecret-123', PAI_EAS_SYNC_MODE = 'true'`

func importStmt(name, version string) string {
	return fmt.Sprintf(`CREATE MODEL %s WITH VERSION %s INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)
		OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://%s') COMMENT 'iris'`, name, version, irisModel())
}

// The statements of the seed document, verbatim; the imported model's
// LOCATION points at a local file, and its declared INT inputs match the
// iris model's four features.
func TestSeedDocumentStatements(t *testing.T) {
	data := t.TempDir()
	sql(t, data, `CREATE MODEL PAI_EAS_Qwen25_Omni_3B WITH VERSION v1
INPUT(data BINARY, promt STRING)
OPTIONS(
    MODEL_SOURCE_TYPE = 'REMOTE',
    MODEL_TYPE = 'MLLM',
    TASKS = 'text-generation',
    PAI_EAS_MODEL_NAME = 'Qwen2.5-Omni-3B',
    PAI_EAS_SERVICE_NAME = 'test_remote_model',
    ENDPOINT = 'http://11261230********.cn-shanghai.pai-eas.aliyuncs.com',
    APIKEY = '<YOUR-API-KEY>',
    PAI_EAS_SYNC_MODE = 'true'
)
COMMENT "PAI EAS remote model binary input";`)
	sql(t, data, `CREATE MODEL test_xgboost_classifier WITH VERSION V1
INPUT (f1 int, f2 int, f3 int, f4 int)
OPTIONS(
    MODEL_SOURCE_TYPE = 'IMPORT',
    MODEL_TYPE = 'BOOSTED_TREE_CLASSIFIER',
    LOCATION = 'file://`+irisModel()+`'
)
COMMENT 'Import XGBoost model v1';`)
	rows := csvRows(t, data, "SHOW MODELS")
	if len(rows) != 2 {
		t.Fatalf("SHOW MODELS rows: %v", rows)
	}
	if got := strings.Join(rows[0][:5], ","); !strings.HasPrefix(got, "PAI_EAS_Qwen25_Omni_3B,") || !strings.HasSuffix(got, ",REMOTE,MLLM,v1") {
		t.Errorf("remote model row: %v", rows[0])
	}
	if rows[1][0] != "test_xgboost_classifier" || rows[1][2] != "IMPORT" || rows[1][3] != "BOOSTED_TREE_CLASSIFIER" || rows[1][4] != "V1" || rows[1][7] != "Import XGBoost model v1" {
		t.Errorf("imported model row: %v", rows[1])
	}
	sql(t, data, "DROP MODEL PAI_EAS_Qwen25_Omni_3B;")
	if rows := csvRows(t, data, "SHOW MODELS"); len(rows) != 1 {
		t.Fatalf("after DROP: %v", rows)
	}
}

func TestShowModelsColumnsAndTimes(t *testing.T) {
	data := t.TempDir()
	sql(t, data, importStmt("m1", "v1"))
	r := run(t, "", "--data", data, "--format", "csv", "-c", "SHOW MODELS")
	lines := strings.Split(r.stdout, "\n")
	if lines[0] != "ModelName,Owner,SourceType,ModelType,DefaultVersion,CreateTime,LastModifiedTime,Comment" {
		t.Fatalf("header: %q", lines[0])
	}
	f := strings.Split(lines[1], ",")
	if len(f[5]) != len("2006-01-02 15:04:05") || f[5][4] != '-' || f[5][10] != ' ' {
		t.Errorf("CreateTime not yyyy-MM-dd HH:mm:ss: %q", f[5])
	}
	r = run(t, "", "--data", data, "--format", "csv", "-c", "SHOW VERSIONS FOR MODEL m1")
	if !strings.HasPrefix(r.stdout, "VersionName,IsDefault,SourceType,ModelType,CreateTime,LastModifiedTime,Comment,Aliases\nv1,true,IMPORT,BOOSTED_TREE_CLASSIFIER,") {
		t.Errorf("SHOW VERSIONS: %q", r.stdout)
	}
	// The model comment is also the first version's comment.
	if !strings.HasSuffix(strings.TrimSpace(r.stdout), ",iris,") {
		t.Errorf("first version comment: %q", r.stdout)
	}
}

// Every rule of the documentation, each with the error it gives.
func TestDocumentedRules(t *testing.T) {
	data := t.TempDir()
	sql(t, data, importStmt("base", "v1"), "CREATE MODEL rm WITH VERSION v1 OPTIONS("+remoteOpts+")")
	long := strings.Repeat("a", 257)
	cases := []struct{ name, stmt, want string }{
		{"model name charset", "CREATE MODEL `bad-name` WITH VERSION v1 OPTIONS(" + remoteOpts + ")", `model name "bad-name" contains '-'`},
		{"model name start", "CREATE MODEL `1abc` WITH VERSION v1 OPTIONS(" + remoteOpts + ")", "must start with a letter"},
		{"model name length", "CREATE MODEL " + long + " WITH VERSION v1 OPTIONS(" + remoteOpts + ")", "is 257 bytes long; the limit is 256 bytes"},
		{"version reserved", "CREATE MODEL x WITH VERSION Default_Version OPTIONS(" + remoteOpts + ")", "is reserved"},
		{"version charset", "CREATE MODEL x WITH VERSION `v.1` OPTIONS(" + remoteOpts + ")", `version name "v.1" contains '.'`},
		{"version length", "CREATE MODEL x WITH VERSION " + long + " OPTIONS(" + remoteOpts + ")", "version name"},
		{"duplicate version", "ALTER MODEL rm ADD VERSION V1 OPTIONS(" + remoteOpts + ")", "already exists; version names must be unique"},
		{"column charset", "CREATE MODEL x WITH VERSION v1 INPUT(`a-b` BIGINT) OPTIONS(" + remoteOpts + ")", `contains '-'`},
		{"column start", "CREATE MODEL x WITH VERSION v1 INPUT(_a BIGINT) OPTIONS(" + remoteOpts + ")", "must start with a letter"},
		{"column length", "CREATE MODEL x WITH VERSION v1 INPUT(" + strings.Repeat("c", 129) + " BIGINT) OPTIONS(" + remoteOpts + ")", "the limit is 128 bytes"},
		{"column duplicate", "CREATE MODEL x WITH VERSION v1 INPUT(a BIGINT, A DOUBLE) OPTIONS(" + remoteOpts + ")", `input column "A" is declared twice`},
		{"column array", "CREATE MODEL x WITH VERSION v1 INPUT(a ARRAY<BIGINT>) OPTIONS(" + remoteOpts + ")", "must be primitive types"},
		{"column map", "CREATE MODEL x WITH VERSION v1 INPUT(a MAP<STRING,BIGINT>) OPTIONS(" + remoteOpts + ")", "must be primitive types"},
		{"column struct", "CREATE MODEL x WITH VERSION v1 INPUT(a STRUCT<x:INT>) OPTIONS(" + remoteOpts + ")", "must be primitive types"},
		{"column unknown type", "CREATE MODEL x WITH VERSION v1 INPUT(a TEXT) OPTIONS(" + remoteOpts + ")", "unknown type TEXT"},
		{"decimal range", "CREATE MODEL x WITH VERSION v1 INPUT(a DECIMAL(40,2)) OPTIONS(" + remoteOpts + ")", "DECIMAL(p,s) needs"},
		{"source type missing", "CREATE MODEL x WITH VERSION v1 OPTIONS(MODEL_TYPE='LLM')", "MODEL_SOURCE_TYPE is required"},
		{"source type bad", "CREATE MODEL x WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='LOCAL', MODEL_TYPE='LLM')", `MODEL_SOURCE_TYPE "LOCAL" is not valid`},
		{"internal train", "CREATE MODEL x WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='INTERNAL_TRAIN', MODEL_TYPE='BOOSTED_TREE_REGRESSOR')", "needs a training query"},
		{"model type for import", "CREATE MODEL x WITH VERSION v1 INPUT(a DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='LLM', LOCATION='file:///x')", `MODEL_TYPE "LLM" is not valid for MODEL_SOURCE_TYPE IMPORT`},
		{"model type for remote", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + strings.Replace(remoteOpts, "'LLM'", "'BOOSTED_TREE_REGRESSOR'", 1) + ")", "is not valid for MODEL_SOURCE_TYPE REMOTE"},
		{"import needs input", "CREATE MODEL x WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LOCATION='file:///x')", "INPUT(...) is required for IMPORT"},
		{"import needs location", "CREATE MODEL x WITH VERSION v1 INPUT(a DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_REGRESSOR')", "LOCATION is required"},
		{"remote needs a service", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + strings.Replace(remoteOpts, "PAI_EAS_SERVICE_NAME = 'svc',", "", 1) + ")", "PAI_EAS_SERVICE_NAME is required (or an ENDPOINT ending in /api/predict/<service>)"},
		{"remote needs tasks", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + strings.Replace(remoteOpts, "TASKS = 'text-generation',", "", 1) + ")", "option TASKS is required for REMOTE"},
		{"remote needs apikey", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + strings.Replace(remoteOpts, "APIKEY = 'sk-topsecret-123',", "", 1) + ")", "option APIKEY is required"},
		{"remote needs sync mode", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + strings.Replace(remoteOpts, ", PAI_EAS_SYNC_MODE = 'true'", "", 1) + ")", "PAI_EAS_SYNC_MODE is required"},
		{"endpoint url", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + strings.Replace(remoteOpts, "http://127.0.0.1:9", "ftp://host", 1) + ")", "is not an http or https URL"},
		{"tasks value", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + strings.Replace(remoteOpts, "text-generation", "painting", 1) + ")", `TASKS value "painting" is not valid`},
		{"tasks vs type", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + strings.Replace(remoteOpts, "text-generation", "image-text-to-text", 1) + ")", "does not fit MODEL_TYPE LLM"},
		{"sync mode false", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + strings.Replace(remoteOpts, "PAI_EAS_SYNC_MODE = 'true'", "PAI_EAS_SYNC_MODE = 'false'", 1) + ")", "PAI_EAS_SYNC_MODE must be 'true'"},
		{"timeout low", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + remoteOpts + ", PAI_EAS_SYNC_REQUEST_TIMEOUT='4999')", "from 5000 to 1800000"},
		{"timeout high", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + remoteOpts + ", PAI_EAS_SYNC_REQUEST_TIMEOUT='1800001')", "from 5000 to 1800000"},
		{"timeout not int", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + remoteOpts + ", PAI_EAS_SYNC_REQUEST_TIMEOUT='5s')", "from 5000 to 1800000"},
		{"option of other source", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + remoteOpts + ", LOCATION='oss://a/b/c')", "option LOCATION belongs to IMPORT models"},
		{"unknown option", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + remoteOpts + ", PAI_EAS_MODLE_NAME='x')", "unknown option PAI_EAS_MODLE_NAME; did you mean PAI_EAS_MODEL_NAME?"},
		{"repeated option", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + remoteOpts + ", tasks='chat')", "option TASKS is given more than once"},
		{"comment length", "CREATE MODEL x WITH VERSION v1 OPTIONS(" + remoteOpts + ") COMMENT '" + strings.Repeat("c", 1025) + "'", "comment is 1025 bytes long; the limit is 1024 bytes"},
		{"exists", "CREATE MODEL rm WITH VERSION v9 OPTIONS(" + remoteOpts + ")", "model default.default.rm already exists"},
		{"drop missing", "DROP MODEL nosuch", "model default.default.nosuch does not exist"},
		{"alter missing", "ALTER MODEL nosuch SET DEFAULT_VERSION v1", "does not exist"},
		{"source type immutable", "ALTER MODEL rm ADD VERSION v2 INPUT(a DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LOCATION='file:///x')", "MODEL_SOURCE_TYPE cannot be changed"},
		{"model type immutable", "ALTER MODEL rm ADD VERSION v2 OPTIONS(" + strings.Replace(remoteOpts, "'LLM'", "'MLLM'", 1) + ")", "MODEL_TYPE cannot be changed"},
		{"drop default version", "ALTER MODEL rm DROP VERSION v1", "is the default version of model default.default.rm and cannot be dropped"},
		{"drop missing version", "ALTER MODEL rm DROP VERSION v7", "version v7 of model default.default.rm does not exist"},
		{"set default missing", "ALTER MODEL rm SET DEFAULT_VERSION v7", "DEFAULT_VERSION must name an existing version"},
		{"public read-only", "CREATE MODEL bigdata_public_modelset.default.x WITH VERSION v1 OPTIONS(" + remoteOpts + ")", "public models, which are read-only"},
		{"public drop", "DROP MODEL bigdata_public_modelset.default.x", "read-only"},
		{"syntax", "CREATE MODEL x WITH VERSON v1", "syntax error at line 1, column 21"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, "", "--data", data, "-c", c.stmt)
			if r.code != 1 || !strings.HasPrefix(r.stderr, "ERROR: ") || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want ERROR containing %q", r.code, r.stderr, c.want)
			}
			if strings.Contains(r.stderr, "sk-topsecret-123") {
				t.Fatalf("APIKEY leaked in error: %s", r.stderr)
			}
		})
	}
	// Nothing above changed the catalog.
	if rows := csvRows(t, data, "SHOW MODELS"); len(rows) != 2 {
		t.Fatalf("failed statements changed the catalog: %v", rows)
	}
}

func TestVersionLifecycle(t *testing.T) {
	data := t.TempDir()
	sql(t, data, "CREATE MODEL m WITH VERSION v1 OPTIONS("+remoteOpts+") COMMENT 'first'")
	// IF NOT EXISTS on an existing model changes nothing (no version added).
	sql(t, data, "CREATE MODEL IF NOT EXISTS m WITH VERSION v9 OPTIONS("+remoteOpts+")")
	// ADD VERSION may omit the source and model types, takes WITH OPTIONS, and does not move the default.
	sql(t, data, "ALTER MODEL m ADD VERSION v2 WITH OPTIONS(TASKS='chat', PAI_EAS_MODEL_NAME='q2', PAI_EAS_SERVICE_NAME='s', ENDPOINT='https://x.example', APIKEY='k2', PAI_EAS_SYNC_MODE='true') COMMENT 'second'")
	rows := csvRows(t, data, "SHOW VERSIONS FOR MODEL m")
	if len(rows) != 2 || rows[0][0] != "v1" || rows[0][1] != "true" || rows[1][0] != "v2" || rows[1][1] != "false" || rows[1][6] != "second" {
		t.Fatalf("versions: %v", rows)
	}
	sql(t, data, "ALTER MODEL m SET DEFAULT_VERSION = v2", "ALTER MODEL m DROP VERSION v1", "ALTER MODEL m DROP VERSION IF EXISTS v1")
	rows = csvRows(t, data, "SHOW VERSIONS IN MODEL m")
	if len(rows) != 1 || rows[0][0] != "v2" || rows[0][1] != "true" {
		t.Fatalf("after drop: %v", rows)
	}
	// The last version is the default, so it cannot be dropped.
	if r := run(t, "", "--data", data, "-c", "ALTER MODEL m DROP VERSION v2"); r.code != 1 || !strings.Contains(r.stderr, "default version") {
		t.Fatalf("dropping the last version: %d %s", r.code, r.stderr)
	}
	// SHOW MODELS filters.
	sql(t, data, "CREATE MODEL other_model WITH VERSION v1 OPTIONS("+remoteOpts+")")
	if rows := csvRows(t, data, "SHOW MODELS LIKE 'oth%'"); len(rows) != 1 || rows[0][0] != "other_model" {
		t.Fatalf("LIKE: %v", rows)
	}
	if rows := csvRows(t, data, "SHOW MODELS IN default.default LIKE '_'"); len(rows) != 1 || rows[0][0] != "m" {
		t.Fatalf("IN ... LIKE: %v", rows)
	}
	sql(t, data, "DROP MODEL m", "DROP MODEL IF EXISTS m", "DROP MODEL other_model")
	if rows := csvRows(t, data, "SHOW MODELS"); len(rows) != 0 {
		t.Fatalf("after DROP MODEL: %v", rows)
	}
}

func TestDescMasksAPIKeyAndEncryptsAtRest(t *testing.T) {
	data := t.TempDir()
	sql(t, data, "CREATE MODEL m WITH VERSION v1 INPUT(p STRING) OPTIONS("+remoteOpts+")")
	for _, q := range []string{"DESC MODEL m", "DESCRIBE MODEL m VERSION v1", "SHOW VERSIONS FOR MODEL m"} {
		for _, f := range []string{"table", "csv", "jsonl"} {
			r := run(t, "", "--data", data, "--format", f, "-c", q)
			if r.code != 0 || strings.Contains(r.stdout+r.stderr, "sk-topsecret-123") {
				t.Fatalf("%s (%s): exit %d, key shown: %s", q, f, r.code, r.stdout)
			}
		}
	}
	out := sql(t, data, "DESC MODEL m VERSION v1")
	if !strings.Contains(out, "Option.APIKEY") || !strings.Contains(out, "******") || !strings.Contains(out, "p STRING") {
		t.Fatalf("DESC version: %s", out)
	}
	// No file of the data directory holds the key in clear.
	filepath.Walk(data, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), "sk-topsecret-123") {
				t.Errorf("%s holds the APIKEY in clear", p)
			}
		}
		return nil
	})
	st, err := os.Stat(filepath.Join(data, "secret.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v %v", st, err)
	}
}

// A syntax error never quotes a key or a password (a missing '=' before
// APIKEY's value showed it: found "'sk-...'").
func TestSyntaxErrorsHideSecrets(t *testing.T) {
	data := t.TempDir()
	for _, q := range []string{
		"CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', APIKEY 'sk-topsecret-123')",
		"CREATE MODEL m WITH VERSION v1 OPTIONS(APIKEY=sk_topsecret_123 more)",
		"CREATE USER bob PASSWORD 'pw' 'sk-topsecret-123'",
		"ALTER USER bob PASSWORD sk_topsecret_123",
		// DuckDB's own statements: its errors quote the statement ("LINE 1: ...").
		"CREATE SECRET (TYPE s3, KEY_ID 'a', SECRET 'sk-topsecret-123' bogus)",
		"CREATE SECRET s3 (TYPE s3, SECRET 'sk-topsecret-123', REGION 1+)",
	} {
		r := run(t, "", "--data", data, "-c", q)
		if r.code == 0 || !strings.Contains(r.stderr, "syntax error") || strings.Contains(r.stdout+r.stderr, "topsecret") {
			t.Errorf("%s: exit %d %s", q, r.code, r.stderr)
		}
	}
	// Over the wire too (an administrator may run CREATE SECRET), by the
	// simple and the extended protocol.
	addUser(t, data, "admin", "pw", true)
	s := serve(t, data)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.url("admin", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		"CREATE SECRET (TYPE s3, KEY_ID 'a', SECRET 'sk-topsecret-123' bogus)",
		"CREATE MODEL m WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', APIKEY 'sk-topsecret-123')",
	} {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
			_, err := conn.Exec(ctx, q, mode)
			if err == nil || !strings.Contains(err.Error(), "syntax error") || strings.Contains(err.Error(), "topsecret") {
				t.Errorf("wire (%v) %s: %v", mode, q, err)
			}
		}
	}
}

func TestRestartPersistenceAndStatementAtomicity(t *testing.T) {
	data := t.TempDir()
	sql(t, data, importStmt("m1", "v1"))
	// A script that fails in the middle: statements before it stay done,
	// the failing one changes nothing, later ones do not run.
	script := importStmt("m2", "v1") + ";\n" +
		"ALTER MODEL m1 ADD VERSION v2 INPUT(a DOUBLE) OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LOCATION='file:///x');\n" +
		"CREATE MODEL m3 WITH VERSION v1 OPTIONS(" + remoteOpts + ");\n"
	r := run(t, script, "--data", data)
	if r.code != 1 || !strings.Contains(r.stderr, "MODEL_TYPE cannot be changed") {
		t.Fatalf("script: %d %s", r.code, r.stderr)
	}
	rows := csvRows(t, data, "SHOW MODELS")
	if len(rows) != 2 || rows[0][0] != "m1" || rows[1][0] != "m2" {
		t.Fatalf("after failing script: %v", rows)
	}
	if v := csvRows(t, data, "SHOW VERSIONS FOR MODEL m1"); len(v) != 1 {
		t.Fatalf("m1 versions: %v", v)
	}
	// --continue-on-error goes on.
	r = run(t, script, "--data", data, "--continue-on-error")
	if r.code != 1 {
		t.Fatalf("continue-on-error exit %d", r.code)
	}
	if rows := csvRows(t, data, "SHOW MODELS"); len(rows) != 3 {
		t.Fatalf("continue-on-error: %v", rows)
	}
}

func TestConcurrentCreatesFromProcesses(t *testing.T) {
	data := t.TempDir()
	sql(t, data, "SELECT 1") // create the data directory
	const n = 6
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stmt := fmt.Sprintf("CREATE MODEL race WITH VERSION v%d OPTIONS(%s)", i, remoteOpts)
			results[i] = run(t, "", "--data", data, "-c", stmt)
		}()
	}
	wg.Wait()
	wins := 0
	for _, r := range results {
		switch {
		case r.code == 0:
			wins++
		case !strings.Contains(r.stderr, "already exists"):
			t.Errorf("unexpected failure: %s", r.stderr)
		}
	}
	if wins != 1 {
		t.Fatalf("%d processes created the model, want exactly 1", wins)
	}
	if v := csvRows(t, data, "SHOW VERSIONS FOR MODEL race"); len(v) != 1 {
		t.Fatalf("versions: %v", v)
	}
}

func TestOrdinarySQLAndFormats(t *testing.T) {
	data := t.TempDir()
	csvPath := filepath.Join(t.TempDir(), "t.csv")
	os.WriteFile(csvPath, []byte("a,b\n1,x\n2,y\n"), 0o644)
	sql(t, data, "CREATE TABLE t AS SELECT * FROM read_csv('"+csvPath+"')")
	r := run(t, "", "--data", data, "--format", "jsonl", "-c", "SELECT a, b, [a, a] AS l, {'k': b} AS s FROM t ORDER BY a")
	want := "{\"a\":1,\"b\":\"x\",\"l\":[1,1],\"s\":{\"k\":\"x\"}}\n{\"a\":2,\"b\":\"y\",\"l\":[2,2],\"s\":{\"k\":\"y\"}}\n"
	if r.stdout != want {
		t.Fatalf("jsonl:\n%s\nwant\n%s", r.stdout, want)
	}
	r = run(t, "", "--data", data, "-c", "SELECT count(*) AS n FROM default.default.t")
	if r.code != 0 || !strings.Contains(r.stdout, "+---") || !strings.Contains(r.stdout, "| 2 ") {
		t.Fatalf("table output: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// Projects and schemas: --project creates a project, three-part names cross projects.
	if r := run(t, "", "--data", data, "--project", "p2", "-c", "CREATE TABLE x AS SELECT 42 AS a"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if rows := csvRows(t, data, "SELECT a FROM p2.default.x"); len(rows) != 1 || rows[0][0] != "42" {
		t.Fatalf("cross-project read: %v", rows)
	}
	if rows := csvRows(t, data, "USE p2; SELECT a FROM x"); len(rows) != 1 || rows[0][0] != "42" {
		t.Fatalf("USE: %v", rows)
	}
}
