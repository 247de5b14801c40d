package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const (
	minioUser = "modelsqlroot"
	ossHost   = "oss-cn-hangzhou-internal.aliyuncs.com"
	roleKeys  = "acs:ram::1234567890123456:role/aliyunodpsdefaultrole"
	roleSTS   = "arn:minio:iam:::role/model-reader"
	roleWrong = "acs:ram::1234567890123456:role/wrong-keys"
)

type minioServer struct {
	url, addr, pass string
	client          *minio.Client
}

// startMinio starts a MinIO server on loopback for one test.
func startMinio(t *testing.T) *minioServer {
	t.Helper()
	tools := os.Getenv("MODELSQL_TOOLS")
	if tools == "" {
		home, _ := os.UserHomeDir()
		tools = filepath.Join(home, ".cache", "modelsql-tools")
	}
	bin := filepath.Join(tools, "bin", "minio")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("MODELSQL_REQUIRE_TOOLS") != "" {
			t.Fatalf("MinIO missing at %s (make deps installs it)", bin)
		}
		t.Skipf("MinIO missing at %s; run make deps", bin)
	}
	dir := t.TempDir()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	console := l2.Addr().String()
	l2.Close()
	s := &minioServer{url: "http://" + addr, addr: addr, pass: fmt.Sprintf("pw-%d", time.Now().UnixNano())}
	cmd := exec.Command(bin, "server", filepath.Join(dir, "data"), "--address", addr, "--console-address", console, "--quiet")
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "MINIO_ROOT_USER=" + minioUser, "MINIO_ROOT_PASSWORD=" + s.pass,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CALLHOME_ENABLE=off"}
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("MinIO did not start: %s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	c, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(minioUser, s.pass, ""), BucketLookup: minio.BucketLookupPath, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

func (s *minioServer) put(t *testing.T, bucket, key, file string) {
	t.Helper()
	ctx := context.Background()
	if ok, _ := s.client.BucketExists(ctx, bucket); !ok {
		if err := s.client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.client.FPutObject(ctx, bucket, key, file, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

// storageConfig writes the data directory's storage.json for the server.
func (s *minioServer) storageConfig(t *testing.T, data string) {
	t.Helper()
	cfg := map[string]any{
		"s3":  map[string]any{"endpoint": s.url, "region": "us-east-1", "path_style": true},
		"oss": map[string]any{"endpoints": map[string]any{ossHost: map[string]any{"url": s.url, "path_style": true, "region": "us-east-1"}}},
		"roles": map[string]any{
			roleKeys:  map[string]any{"type": "static", "access_key_id": minioUser, "access_key_secret": s.pass},
			roleSTS:   map[string]any{"type": "aws_sts", "endpoint": s.url, "region": "us-east-1", "access_key_id": minioUser, "access_key_secret": s.pass, "duration_seconds": 900},
			roleWrong: map[string]any{"type": "static", "access_key_id": minioUser, "access_key_secret": "not-the-password-xyz"},
		},
	}
	b, _ := json.Marshal(cfg)
	os.MkdirAll(data, 0o755)
	if err := os.WriteFile(filepath.Join(data, "storage.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func example(name string) string { return filepath.Join(repoRoot(), "examples", name) }

const housingInput = `INPUT(crim FLOAT, zn FLOAT, indus FLOAT, chas INT, nox FLOAT, rm FLOAT, age FLOAT, dis FLOAT, rad FLOAT, tax FLOAT, ptratio FLOAT, lstat FLOAT)`

func TestImportFromObjectStorage(t *testing.T) {
	s := startMinio(t)
	data := t.TempDir()
	s.storageConfig(t, data)
	s.put(t, "models", "iris/model.json", example("iris_classifier.json"))
	s.put(t, "models", "iris/README.txt", example("train_demo.py"))
	s.put(t, "models", "housing/housing_regressor.ubj", example("housing_regressor.ubj"))
	s.put(t, "models", "two/a.json", example("iris_classifier.json"))
	s.put(t, "models", "two/b.ubj", example("housing_regressor.ubj"))
	s.put(t, "models", "empty/notes.txt", example("train_demo.py"))

	// The documented form: an OSS directory and a RAM role ARN.
	sql(t, data, `CREATE MODEL test_xgboost_classifier WITH VERSION V1
INPUT (f1 int, f2 int, f3 int, f4 int)
OPTIONS(
    MODEL_SOURCE_TYPE = 'IMPORT',
    MODEL_TYPE = 'BOOSTED_TREE_CLASSIFIER',
    LOCATION = 'oss://`+ossHost+`/models/iris/',
    ROLEARN = '`+roleKeys+`'
)
COMMENT 'Import XGBoost model v1';`)
	// s3:// with AssumeRole.
	sql(t, data, `CREATE MODEL housing WITH VERSION v1 `+housingInput+`
OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LOCATION='s3://models/housing/housing_regressor.ubj', ROLEARN='`+roleSTS+`')`)

	// The warehouse keeps its own copy: deleting the sources changes nothing.
	ctx := context.Background()
	for _, k := range []string{"iris/model.json", "housing/housing_regressor.ubj"} {
		if err := s.client.RemoveObject(ctx, "models", k, minio.RemoveObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, "", "--data", data, "--format", "jsonl", "-c", "SELECT ML_PREDICT(test_xgboost_classifier, v1, 1, 2, 3, 4) AS p")
	if r.code != 0 || !strings.HasPrefix(r.stdout, `{"p":{"label":"`) || !strings.Contains(r.stdout, `"probs":[`) {
		t.Fatalf("prediction after deleting the source: %d %s %s", r.code, r.stdout, r.stderr)
	}
	rows := csvRows(t, data, "SELECT ML_PREDICT(housing, DEFAULT_VERSION, 0.22438f, 0f, 9.69f, 0, 0.585f, 6.027f, 79.7f, 2.4982f, 6.123f, 391f, 19.2f, 14.33f)")
	if _, err := strconv.ParseFloat(rows[0][0], 32); err != nil {
		t.Fatalf("regressor result %q", rows[0][0])
	}
	out := sql(t, data, "DESC MODEL housing VERSION v1")
	if !strings.Contains(out, "sha256:") || !strings.Contains(out, "s3://models/housing/housing_regressor.ubj") {
		t.Fatalf("DESC shows the stored copy: %s", out)
	}

	errCases := []struct{ name, loc, role, input, want string }{
		{"several files", "s3://models/two/", roleKeys, "INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)", "a.json"},
		{"no model file", "s3://models/empty/", roleKeys, "INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)", "notes.txt"},
		{"denied read", "s3://models/two/a.json", roleWrong, "INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)", roleWrong},
		{"unknown role", "s3://models/two/a.json", "acs:ram::1:role/nobody", "INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)", "acs:ram::1:role/nobody"},
		{"missing object", "s3://models/nothing/here.json", roleKeys, "INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)", "s3://models/nothing/here.json"},
		{"feature count", "s3://models/two/a.json", roleKeys, "INPUT(f1 DOUBLE, f2 DOUBLE)", "has 4 features but INPUT declares 2 columns"},
		{"objective", "s3://models/two/b.ubj", roleKeys, housingInput, "not a classification objective"},
	}
	for _, c := range errCases {
		stmt := fmt.Sprintf(`CREATE MODEL bad WITH VERSION v1 %s OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='%s', ROLEARN='%s')`, c.input, c.loc, c.role)
		r := run(t, "", "--data", data, "-c", stmt)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: exit %d, %q; want %q", c.name, r.code, r.stderr, c.want)
		}
		if strings.Contains(r.stderr, s.pass) || strings.Contains(r.stderr, "not-the-password-xyz") {
			t.Errorf("%s: secret in error %q", c.name, r.stderr)
		}
	}
	if rows := csvRows(t, data, "SHOW MODELS"); len(rows) != 2 {
		t.Fatalf("failed creates changed the catalog: %v", rows)
	}
}

func TestImportRefusesBadFiles(t *testing.T) {
	data := t.TempDir()
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte(`{"learner": {"gradient_booster": {"name": "gbtree", "model": {"trees": [`), 0o644)
	r := run(t, "", "--data", data, "-c", `CREATE MODEL m WITH VERSION v1 INPUT(a DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LOCATION='file://`+corrupt+`')`)
	if r.code != 1 || !strings.Contains(r.stderr, "corrupt.json") {
		t.Fatalf("corrupt file: %d %s", r.code, r.stderr)
	}
	r = run(t, "", "--data", data, "-c", `CREATE MODEL m WITH VERSION v1 INPUT(a STRING) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LOCATION='file://`+corrupt+`')`)
	if r.code != 1 || !strings.Contains(r.stderr, "numeric features") {
		t.Fatalf("string input: %d %s", r.code, r.stderr)
	}
	// A two-target regressor and a two-label classifier (XGBoost 1.7.4,
	// e2e/testdata): ML_PREDICT returns one value or label per row, so they
	// are refused rather than silently cut to one.
	multi := filepath.Join(repoRoot(), "e2e", "testdata", "multi_target_regressor.json")
	r = run(t, "", "--data", data, "-c", `CREATE MODEL m WITH VERSION v1 INPUT(a DOUBLE, b DOUBLE, c DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LOCATION='file://`+multi+`')`)
	if r.code != 1 || !strings.Contains(r.stderr, "predicts 2 targets per row") {
		t.Fatalf("multi-target regressor: %d %s", r.code, r.stderr)
	}
	multi = filepath.Join(repoRoot(), "e2e", "testdata", "multi_label_classifier.json")
	r = run(t, "", "--data", data, "-c", `CREATE MODEL m WITH VERSION v1 INPUT(a DOUBLE, b DOUBLE, c DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://`+multi+`')`)
	if r.code != 1 || !strings.Contains(r.stderr, "multi-label classifier (2 targets per row)") {
		t.Fatalf("multi-label classifier: %d %s", r.code, r.stderr)
	}
}

// A JSON model re-saved with a UTF-8 byte order mark imports and predicts
// as the original; a JSON array is refused as not a model (both were tried
// as pre-1.0 binary models, with a misleading error).
func TestImportJSONWithBOM(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	model, err := os.ReadFile(example("iris_classifier.json"))
	if err != nil {
		t.Fatal(err)
	}
	bom := filepath.Join(dir, "bom.json")
	os.WriteFile(bom, append([]byte("\xEF\xBB\xBF\n"), model...), 0o644)
	array := filepath.Join(dir, "array.json")
	os.WriteFile(array, append(append([]byte("["), model...), ']'), 0o644)
	create := func(name, file string) result {
		return run(t, "", "--data", data, "-c", `CREATE MODEL `+name+` WITH VERSION v1 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://`+file+`')`)
	}
	if r := create("plain", example("iris_classifier.json")); r.code != 0 {
		t.Fatalf("plain: %d %s", r.code, r.stderr)
	}
	if r := create("bom", bom); r.code != 0 {
		t.Fatalf("BOM: %d %s", r.code, r.stderr)
	}
	rows := csvRows(t, data, "SELECT ML_PREDICT(bom, v1, 5.1, 3.5, 1.4, 0.2) = ML_PREDICT(plain, v1, 5.1, 3.5, 1.4, 0.2), ML_PREDICT(bom, v1, 6.7, 3.0, 5.2, 2.3) = ML_PREDICT(plain, v1, 6.7, 3.0, 5.2, 2.3)")
	if len(rows) != 1 || rows[0][0] != "true" || rows[0][1] != "true" {
		t.Fatalf("BOM model predicts differently: %v", rows)
	}
	if r := create("arr", array); r.code != 1 || !strings.Contains(r.stderr, "a JSON array, not an XGBoost model") {
		t.Fatalf("JSON array: %d %s", r.code, r.stderr)
	}
}

// loadExpected reads an examples/*_expected.csv file: id then float32 bit patterns.
func loadExpected(t *testing.T, name string) map[string][]uint32 {
	t.Helper()
	b, err := os.ReadFile(example(name))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]uint32{}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		var bits []uint32
		for _, x := range f[1:] {
			v, _ := strconv.ParseUint(x, 10, 32)
			bits = append(bits, uint32(v))
		}
		out[f[0]] = bits
	}
	return out
}

// ML_PREDICT over whole tables returns XGBoost's own outputs bit for bit.
func TestPredictParityThroughSQL(t *testing.T) {
	data := t.TempDir()
	sql(t, data,
		"CREATE TABLE iris AS SELECT * FROM read_csv('"+example("iris.csv")+"')",
		"CREATE TABLE housing AS SELECT * FROM read_csv('"+example("housing.csv")+"')",
		`CREATE MODEL iris WITH VERSION v1 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://`+example("iris_classifier.json")+`')`,
		`CREATE MODEL housing WITH VERSION v1 INPUT(crim DOUBLE, zn DOUBLE, indus DOUBLE, chas BIGINT, nox DOUBLE, rm DOUBLE, age DOUBLE, dis DOUBLE, rad BIGINT, tax DOUBLE, ptratio DOUBLE, lstat DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LOCATION='file://`+example("housing_regressor.ubj")+`')`)

	want := loadExpected(t, "iris_expected.csv")
	r := run(t, "", "--data", data, "--format", "jsonl", "-c", "SELECT id, ML_PREDICT(iris, v1, f1, f2, f3, f4) AS p FROM iris ORDER BY id")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var row struct {
			ID int
			P  struct {
				Label string
				Probs []float32
			}
		}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		exp := want[strconv.Itoa(row.ID)]
		if row.P.Label != strconv.Itoa(int(exp[0])) || len(row.P.Probs) != 3 {
			t.Fatalf("row %d: %+v, want label %d", row.ID, row.P, exp[0])
		}
		for k, p := range row.P.Probs {
			if math.Float32bits(p) != exp[k+1] {
				t.Fatalf("row %d prob %d = %v (%08x), XGBoost %v (%08x)", row.ID, k, p, math.Float32bits(p), math.Float32frombits(exp[k+1]), exp[k+1])
			}
		}
		n++
	}
	if n != 150 {
		t.Fatalf("%d rows", n)
	}

	wantH := loadExpected(t, "housing_expected.csv")
	rows := csvRows(t, data, "SELECT id, ML_PREDICT(housing, v1, crim, zn, indus, chas, nox, rm, age, dis, rad, tax, ptratio, lstat) FROM housing ORDER BY id")
	for _, row := range rows {
		v, err := strconv.ParseFloat(row[1], 32)
		if err != nil || math.Float32bits(float32(v)) != wantH[row[0]][0] {
			t.Fatalf("housing row %s: %s, XGBoost %v", row[0], row[1], math.Float32frombits(wantH[row[0]][0]))
		}
	}
	if len(rows) != 500 {
		t.Fatalf("%d housing rows", len(rows))
	}
}
