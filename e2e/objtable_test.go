package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// The tutorial's location and role (MaxCompute's e-commerce MLLM tutorial),
// verbatim; storage.json maps them to MinIO.
const (
	tutorialEndpoint = "oss-cn-shanghai-internal.aliyuncs.com"
	tutorialRole     = "acs:ram::1393************:role/aliyunodpsdefaultrole"
	tutorialCreate   = `CREATE OBJECT TABLE IF NOT EXISTS image_demo
WITH SERDEPROPERTIES ('odps.properties.rolearn'='acs:ram::1393************:role/aliyunodpsdefaultrole')
LOCATION 'oss://oss-cn-shanghai-internal.aliyuncs.com/mllm-demo/jpg-test/';`
)

// genImage encodes a w×h image of noise as PNG or JPEG (sizes vary with
// the dimensions and the noise).
func genImage(t *testing.T, rng *rand.Rand, w, h int, asPNG bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(rng.Intn(256)), uint8(x * 7), uint8(y * 5), 255})
		}
	}
	var b bytes.Buffer
	var err error
	if asPNG {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// objectFixture is MinIO with bucket mllm-demo: 50 images under jpg-test/
// (10 of them under jpg-test/more/) and other files under sub-prefixes, and
// a data directory whose storage.json maps the tutorial's endpoint and role.
type objectFixture struct {
	minio *minioServer
	data  string
	files map[string][]byte // key relative to jpg-test/ -> content
}

func newObjectFixture(t *testing.T, data string) *objectFixture {
	t.Helper()
	s := startMinio(t)
	f := &objectFixture{minio: s, data: data, files: map[string][]byte{}}
	rng := rand.New(rand.NewSource(15))
	for i := 0; i < 50; i++ {
		asPNG := i%2 == 0
		name := fmt.Sprintf("poster_%02d.jpg", i)
		if asPNG {
			name = fmt.Sprintf("poster_%02d.png", i)
		}
		if i >= 40 {
			name = "more/" + name
		}
		f.files[name] = genImage(t, rng, 8+i*3, 6+i*2, asPNG)
	}
	f.files["notes/readme.txt"] = []byte("not an image\n")
	f.files["notes/deep/labels.csv"] = []byte("key,label\nposter_00.png,shoe\n")
	f.files["meta.json"] = []byte(`{"source":"generated"}`)
	ctx := context.Background()
	if err := s.client.MakeBucket(ctx, "mllm-demo", minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	for k, v := range f.files {
		f.put(t, k, v)
	}
	// Outside the prefix: never listed.
	if _, err := s.client.PutObject(ctx, "mllm-demo", "jpg-test-other/x.jpg", bytes.NewReader([]byte("x")), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{
		"s3": map[string]any{"endpoint": s.url, "region": "us-east-1", "path_style": true},
		"oss": map[string]any{"endpoints": map[string]any{
			tutorialEndpoint: map[string]any{"url": s.url, "path_style": true, "region": "us-east-1"}}},
		"roles": map[string]any{
			tutorialRole: map[string]any{"type": "static", "access_key_id": minioUser, "access_key_secret": s.pass},
			roleWrong:    map[string]any{"type": "static", "access_key_id": minioUser, "access_key_secret": "not-the-password-xyz"},
		},
	}
	b, _ := json.Marshal(cfg)
	os.MkdirAll(data, 0o700)
	if err := os.WriteFile(filepath.Join(data, "storage.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *objectFixture) put(t *testing.T, key string, content []byte) {
	t.Helper()
	if _, err := f.minio.client.PutObject(context.Background(), "mllm-demo", "jpg-test/"+key, bytes.NewReader(content), int64(len(content)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (f *objectFixture) remove(t *testing.T, key string) {
	t.Helper()
	if err := f.minio.client.RemoveObject(context.Background(), "mllm-demo", "jpg-test/"+key, minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (f *objectFixture) keys() []string {
	var ks []string
	for k := range f.files {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sha(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

// fails runs statements expecting the last to fail; it returns stderr.
func fails(t *testing.T, data string, stmts ...string) string {
	t.Helper()
	args := []string{"--data", data}
	for _, s := range stmts {
		args = append(args, "-c", s)
	}
	r := run(t, "", args...)
	if r.code == 0 {
		t.Fatalf("%q succeeded: %s", stmts, r.stdout)
	}
	return r.stderr
}

// The tutorial's three statements run verbatim; the listing, the bytes and
// byte ranges match what was uploaded.
func TestObjectTableTutorialAndReads(t *testing.T) {
	data := t.TempDir()
	f := newObjectFixture(t, data)
	out := sql(t, data, "SET odps.namespace.schema=true;", tutorialCreate, "ALTER TABLE image_demo REFRESH METADATA;")
	_ = out
	rows := csvRows(t, data, "SELECT COUNT(*) AS ROW_COUNT FROM image_demo;")
	if len(rows) != 1 || rows[0][0] != fmt.Sprint(len(f.files)) {
		t.Fatalf("count: %v, want %d", rows, len(f.files))
	}
	// Before the first refresh a new table is empty; IF NOT EXISTS keeps the old one.
	sql(t, data, tutorialCreate)
	rows = csvRows(t, data, "SELECT key, size, type, etag IS NOT NULL AND owner_id IS NOT NULL AND storage_class = 'STANDARD', last_modified > now() - INTERVAL 1 HOUR FROM image_demo ORDER BY key")
	keys := f.keys()
	if len(rows) != len(keys) {
		t.Fatalf("%d rows, want %d", len(rows), len(keys))
	}
	for i, r := range rows {
		if r[0] != keys[i] || r[1] != fmt.Sprint(len(f.files[keys[i]])) || r[2] != "Normal" || r[3] != "true" || r[4] != "true" {
			t.Fatalf("row %d: %v, want key %s size %d", i, r, keys[i], len(f.files[keys[i]]))
		}
	}
	// Filtering on metadata with ordinary SQL.
	rows = csvRows(t, data, "SELECT count(*) FROM image_demo WHERE key LIKE '%.png' AND size < 5e6")
	if rows[0][0] != "25" {
		t.Fatalf("png count %v", rows)
	}
	// Bytes: sha256 of every object equals the file's.
	rows = csvRows(t, data, "SELECT key, sha256(GET_DATA_FROM_OSS('default.default.image_demo', key)) FROM image_demo ORDER BY key")
	for i, r := range rows {
		if r[1] != sha(f.files[keys[i]]) {
			t.Fatalf("%s: sha256 %s, want %s", r[0], r[1], sha(f.files[keys[i]]))
		}
	}
	// Byte ranges (offset, length), to the end (-1), past the end.
	img := f.files["poster_03.jpg"]
	rows = csvRows(t, data, `SELECT hex(GET_DATA_FROM_OSS('default.image_demo', 'poster_03.jpg', 10, 20)),
		hex(get_data_from_oss('default.default.image_demo', 'poster_03.jpg', 100, -1, 'THROW_EXCEPTION')),
		octet_length(GET_DATA_FROM_OSS('default.image_demo', 'poster_03.jpg', 1000000, 5))`)
	if rows[0][0] != strings.ToUpper(hex.EncodeToString(img[10:30])) || rows[0][1] != strings.ToUpper(hex.EncodeToString(img[100:])) || rows[0][2] != "0" {
		t.Fatalf("ranges: %v", rows[0])
	}

	// The size limit (a setting) fails clearly; a range under it works.
	big := f.files["more/poster_48.png"]
	errOut := fails(t, data, "SET modelsql.object.max_bytes = 1000", "SELECT GET_DATA_FROM_OSS('default.image_demo', 'more/poster_48.png')")
	if !strings.Contains(errOut, fmt.Sprintf("%d bytes; the limit is 1000 bytes (modelsql.object.max_bytes)", len(big))) {
		t.Fatalf("size limit: %s", errOut)
	}
	out = sql(t, data, "SET modelsql.object.max_bytes = 1000", "SELECT octet_length(GET_DATA_FROM_OSS('default.image_demo', 'more/poster_48.png', 0, 1000)) AS n")
	if !strings.Contains(out, "1000") {
		t.Fatalf("range under the limit: %s", out)
	}
	if e := fails(t, data, "SET modelsql.object.max_bytes = 0"); !strings.Contains(e, "must be a number of bytes") {
		t.Fatalf("bad setting: %s", e)
	}

	// Not-found policies for a key listed at the refresh but gone now.
	f.remove(t, "poster_01.jpg")
	rows = csvRows(t, data, "SELECT GET_DATA_FROM_OSS('default.image_demo', key) IS NULL, GET_DATA_FROM_OSS('default.image_demo', key, 'OUTPUT_NULL') IS NULL FROM image_demo WHERE key = 'poster_01.jpg'")
	if rows[0][0] != "true" || rows[0][1] != "true" {
		t.Fatalf("OUTPUT_NULL: %v", rows)
	}
	r := run(t, "", "--data", data, "--format", "csv", "-c", "SELECT count(*) FILTER (WHERE GET_DATA_FROM_OSS('default.image_demo', key, 'WARN_AND_NULL') IS NULL) FROM image_demo")
	if r.code != 0 || !strings.Contains(r.stdout, "\n1\n") || !strings.Contains(r.stderr, "WARNING: GET_DATA_FROM_OSS: 1 object(s) listed at the last refresh no longer exist") {
		t.Fatalf("WARN_AND_NULL: %d %q %q", r.code, r.stdout, r.stderr)
	}
	errOut = fails(t, data, "SELECT GET_DATA_FROM_OSS('default.image_demo', key, 'THROW_EXCEPTION') FROM image_demo")
	if !strings.Contains(errOut, `GET_DATA_FROM_OSS: object "poster_01.jpg" of default.default.image_demo is gone`) {
		t.Fatalf("THROW_EXCEPTION: %s", errOut)
	}
	if e := fails(t, data, "SELECT GET_DATA_FROM_OSS('default.image_demo', 'x', 'IGNORE')"); !strings.Contains(e, "object_not_found_policy must be OUTPUT_NULL, THROW_EXCEPTION or WARN_AND_NULL") {
		t.Fatalf("bad policy: %s", e)
	}
	if e := fails(t, data, "SELECT GET_DATA_FROM_OSS('default.nosuch', 'x')"); !strings.Contains(e, "default.default.nosuch is not an object table") {
		t.Fatalf("not an object table: %s", e)
	}

	// Refresh after adding and deleting objects.
	f.put(t, "new/added.png", genImage(t, rand.New(rand.NewSource(1)), 20, 20, true))
	sql(t, data, "ALTER TABLE image_demo REFRESH METADATA")
	rows = csvRows(t, data, "SELECT count(*), count(*) FILTER (WHERE key = 'new/added.png'), count(*) FILTER (WHERE key = 'poster_01.jpg') FROM image_demo")
	if rows[0][0] != fmt.Sprint(len(f.files)) || rows[0][1] != "1" || rows[0][2] != "0" {
		t.Fatalf("after refresh: %v", rows)
	}

	// DESC shows location, role, last refresh and object count.
	out = sql(t, data, "DESC EXTENDED image_demo")
	for _, want := range []string{"OBJECT_TABLE", "oss://oss-cn-shanghai-internal.aliyuncs.com/mllm-demo/jpg-test/", tutorialRole,
		fmt.Sprintf("| ObjectCount      | %d", len(f.files)), "LastRefreshTime"} {
		if !strings.Contains(out, want) {
			t.Fatalf("DESC lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "| never") {
		t.Fatalf("DESC after a refresh says never:\n%s", out)
	}
	if out := sql(t, data, "SHOW TABLES"); !strings.Contains(out, "image_demo") {
		t.Fatalf("SHOW TABLES: %s", out)
	}

	// A failed refresh (wrong keys) names location and role, hides the
	// secret, and changes nothing.
	sql(t, data, "CREATE OBJECT TABLE bad WITH SERDEPROPERTIES ('odps.properties.rolearn'='"+roleWrong+"') LOCATION 'oss://oss-cn-shanghai-internal.aliyuncs.com/mllm-demo/jpg-test/'")
	errOut = fails(t, data, "ALTER TABLE bad REFRESH METADATA")
	if !strings.Contains(errOut, "oss://oss-cn-shanghai-internal.aliyuncs.com/mllm-demo/jpg-test/") || !strings.Contains(errOut, roleWrong) ||
		strings.Contains(errOut, "not-the-password-xyz") || !strings.Contains(errOut, "rows are unchanged") {
		t.Fatalf("failed refresh: %s", errOut)
	}
	if rows := csvRows(t, data, "SELECT count(*) FROM bad"); rows[0][0] != "0" {
		t.Fatalf("failed refresh changed rows: %v", rows)
	}

	// Read-only; DDL errors.
	for stmt, want := range map[string]string{
		"INSERT INTO image_demo VALUES ('x', 1, NULL, NULL, NULL, NULL, NULL)": "INSERT: object tables are read-only",
		"DELETE FROM image_demo":         "DELETE: object tables are read-only",
		"UPDATE image_demo SET size = 0": "UPDATE: object tables are read-only",
		"WITH k AS (SELECT 'x' AS key) INSERT INTO image_demo (key, size) SELECT key, 1 FROM k":                              "INSERT: object tables are read-only",
		"CREATE OBJECT TABLE c (a INT) LOCATION 's3://mllm-demo/'":                                                           "an object table has no column list",
		"CREATE OBJECT TABLE c PARTITIONED BY (d STRING) LOCATION 's3://xyz/'":                                               "object tables do not support partitions",
		"CREATE OBJECT TABLE c LOCATION 'https://example.com/x/'":                                                            "not http(s)",
		"CREATE OBJECT TABLE image_demo LOCATION 's3://mllm-demo/'":                                                          "object table default.default.image_demo already exists",
		"CREATE OBJECT TABLE c WITH SERDEPROPERTIES ('odps.properties.rolearn'='acs:ram::1:role/none') LOCATION 's3://xyz/'": "role acs:ram::1:role/none is not defined",
	} {
		if e := fails(t, data, stmt); !strings.Contains(e, want) {
			t.Errorf("%s: %s, want %q", stmt, e, want)
		}
	}

	// DROP TABLE removes the metadata only.
	sql(t, data, "DROP TABLE image_demo")
	if out := sql(t, data, "SHOW TABLES"); strings.Contains(out, "image_demo") {
		t.Fatalf("still listed: %s", out)
	}
	if _, err := f.minio.client.StatObject(context.Background(), "mllm-demo", "jpg-test/poster_00.png", minio.StatObjectOptions{}); err != nil {
		t.Fatalf("DROP TABLE touched the objects: %v", err)
	}
}

// Signed URLs: a plain HTTP client downloads with a GET URL and uploads with
// a PUT URL; an expired URL is refused by the store.
func TestObjectTableSignedURLs(t *testing.T) {
	data := t.TempDir()
	f := newObjectFixture(t, data)
	sql(t, data, tutorialCreate, "ALTER TABLE image_demo REFRESH METADATA")
	rows := csvRows(t, data, "SELECT GET_SIGNED_URL_FROM_OSS('default.default.image_demo', 'more/poster_41.jpg')")
	u := rows[0][0]
	if !strings.Contains(u, "X-Amz-Expires=3600") || !strings.Contains(u, "/mllm-demo/jpg-test/more/poster_41.jpg") {
		t.Fatalf("url %s", u)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, f.files["more/poster_41.jpg"]) {
		t.Fatalf("GET %d, %d bytes", resp.StatusCode, len(body))
	}

	// PUT: upload a new object through the URL.
	rows = csvRows(t, data, "SELECT GET_SIGNED_URL_FROM_OSS('default.image_demo', 'uploads/new.txt', 600, NULL, 'PUT')")
	req, _ := http.NewRequest(http.MethodPut, rows[0][0], strings.NewReader("uploaded through a signed URL"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT %d", resp.StatusCode)
	}
	obj, err := f.minio.client.GetObject(context.Background(), "mllm-demo", "jpg-test/uploads/new.txt", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(obj)
	if string(got) != "uploaded through a signed URL" {
		t.Fatalf("uploaded %q", got)
	}

	// Expiration as an absolute time, then a 1-second URL that expires.
	rows = csvRows(t, data, "SELECT GET_SIGNED_URL_FROM_OSS('default.image_demo', 'meta.json', NULL, CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP) + INTERVAL 2 HOUR)")
	if !strings.Contains(rows[0][0], "X-Amz-Expires=71") {
		t.Fatalf("expiration: %s", rows[0][0])
	}
	rows = csvRows(t, data, "SELECT GET_SIGNED_URL_FROM_OSS('default.image_demo', 'meta.json', 1)")
	time.Sleep(2500 * time.Millisecond)
	resp, err = http.Get(rows[0][0])
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), "expired") {
		t.Fatalf("expired URL: %d %s", resp.StatusCode, body)
	}
	for stmt, want := range map[string]string{
		"SELECT GET_SIGNED_URL_FROM_OSS('default.image_demo', 'k', 0)":                                      "time_to_live_seconds must be from 1 to 604800",
		"SELECT GET_SIGNED_URL_FROM_OSS('default.image_demo', 'k', 604801)":                                 "time_to_live_seconds must be from 1 to 604800",
		"SELECT GET_SIGNED_URL_FROM_OSS('default.image_demo', 'k', 60, NULL, 'POST')":                       "http_method must be 'GET' or 'PUT'",
		"SELECT GET_SIGNED_URL_FROM_OSS('default.image_demo', 'k', 60, now()::TIMESTAMP + INTERVAL 1 HOUR)": "not both",
		"SELECT GET_SIGNED_URL_FROM_OSS('image_demo', 'k')":                                                 "is not a full object table name",
	} {
		if e := fails(t, data, stmt); !strings.Contains(e, want) {
			t.Errorf("%s: %s, want %q", stmt, e, want)
		}
	}
}

// The tutorial's AI step: an MLLM over the images, bytes (data: URLs with
// the sniffed media type) and signed URLs, into a CTAS result table.
func TestObjectTableMLLMTutorial(t *testing.T) {
	l := newLLMFixture(t)
	f := newObjectFixture(t, l.data)
	sql(t, l.data, "SET odps.namespace.schema=true;", tutorialCreate, "ALTER TABLE image_demo REFRESH METADATA;")
	before := len(l.srv.Requests())
	sql(t, l.data, `CREATE TABLE image_desc AS
SELECT key, AI_GENERATE(vl, DEFAULT_VERSION, GET_DATA_FROM_OSS('default.default.image_demo', key),
                        'Classify this product and describe it') AS result
FROM image_demo WHERE key LIKE '%.jpg' OR key LIKE '%.png'`)
	reqs := l.srv.Requests()[before:]
	if len(reqs) != 50 {
		t.Fatalf("%d MLLM requests, want 50", len(reqs))
	}
	seen := map[string]bool{}
	for _, r := range reqs {
		body := string(r.Body)
		for k, v := range f.files {
			mime := "image/jpeg"
			if strings.HasSuffix(k, ".png") {
				mime = "image/png"
			} else if !strings.HasSuffix(k, ".jpg") {
				continue
			}
			if strings.Contains(body, `"url":"data:`+mime+`;base64,`+b64(v)+`"`) {
				seen[k] = true
			}
		}
	}
	if len(seen) != 50 {
		t.Fatalf("%d images arrived as data: URLs with their media type, want 50", len(seen))
	}
	rows := csvRows(t, l.data, "SELECT count(*), count(result) FROM image_desc")
	if rows[0][0] != "50" || rows[0][1] != "50" {
		t.Fatalf("result table: %v", rows)
	}

	// The same with signed URLs and type 'IMAGE'.
	before = len(l.srv.Requests())
	sql(t, l.data, `CREATE TABLE image_desc_url AS
SELECT key, AI_GENERATE(vl, DEFAULT_VERSION, GET_SIGNED_URL_FROM_OSS('default.default.image_demo', key),
                        'Classify this product and describe it', 'IMAGE') AS result
FROM image_demo WHERE key LIKE 'more/%'`)
	reqs = l.srv.Requests()[before:]
	if len(reqs) != 10 {
		t.Fatalf("%d URL requests, want 10", len(reqs))
	}
	for _, r := range reqs {
		var body struct {
			Messages []struct {
				Content []struct {
					ImageURL *struct{ URL string } `json:"image_url"`
				} `json:"content"`
			} `json:"messages"`
		}
		json.Unmarshal(r.Body, &body)
		var u string
		for _, m := range body.Messages {
			for _, c := range m.Content {
				if c.ImageURL != nil {
					u = c.ImageURL.URL
				}
			}
		}
		if !strings.HasPrefix(u, f.minio.url+"/mllm-demo/jpg-test/more/") || !strings.Contains(u, "X-Amz-Signature=") {
			t.Fatalf("image url %q in %s", u, r.Body)
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		key := strings.TrimPrefix(strings.SplitN(u, "?", 2)[0], f.minio.url+"/mllm-demo/jpg-test/")
		if !bytes.Equal(got, f.files[key]) {
			t.Fatalf("signed URL of %s does not give its bytes", key)
		}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// Privileges over the wire: CreateTable to create, Alter to refresh, Select
// to query the table and to read its objects through the functions.
func TestServerObjectTablePrivileges(t *testing.T) {
	requirePsql(t)
	data := t.TempDir()
	f := newObjectFixture(t, data)
	addUser(t, data, "admin", "pw", true)
	s := serve(t, data, "--allow-host", "oss-cn-shanghai-internal.aliyuncs.com")
	as := func(user, pw, q string) psqlResult {
		t.Helper()
		return s.psql(t, user, pw, "default", nil, "-At", "-c", q)
	}
	must := func(user, pw, q string) string {
		t.Helper()
		r := as(user, pw, q)
		if r.code != 0 {
			t.Fatalf("%s: %s: %s", user, q, r.err)
		}
		return r.out
	}
	deny := func(user, pw, q, want string) {
		t.Helper()
		r := as(user, pw, q)
		if r.code == 0 || !strings.Contains(r.err, want) {
			t.Fatalf("%s: %s: exit %d %q, want %q", user, q, r.code, r.err, want)
		}
	}
	must("admin", "pw", "CREATE USER bob PASSWORD 'bob-pw'")
	must("admin", "pw", "CREATE USER eve PASSWORD 'eve-pw'")
	deny("bob", "bob-pw", tutorialCreate, "CreateTable")
	must("admin", "pw", "GRANT CreateTable ON PROJECT default TO USER bob")
	deny("bob", "bob-pw", "CREATE OBJECT TABLE elsewhere LOCATION 'oss://oss-cn-beijing.aliyuncs.com/mllm-demo/jpg-test/'", "oss-cn-beijing.aliyuncs.com")
	// Local directories only inside --allow-dir (none here), for administrators too.
	deny("admin", "pw", "CREATE OBJECT TABLE etc LOCATION 'file:///etc/'", "outside the allowed directories")
	must("bob", "bob-pw", tutorialCreate)
	must("bob", "bob-pw", "ALTER TABLE image_demo REFRESH METADATA") // the owner
	if out := must("bob", "bob-pw", "SELECT count(*) FROM image_demo"); strings.TrimSpace(out) != fmt.Sprint(len(f.files)) {
		t.Fatalf("count %q", out)
	}
	q := "SELECT sha256(GET_DATA_FROM_OSS('default.default.image_demo', 'poster_00.png'))"
	if out := must("bob", "bob-pw", q); strings.TrimSpace(out) != sha(f.files["poster_00.png"]) {
		t.Fatalf("bob's bytes: %q", out)
	}
	// eve holds no privilege on the table: neither the rows nor the bytes.
	deny("eve", "eve-pw", "SELECT count(*) FROM image_demo", "Select")
	deny("eve", "eve-pw", q, "Select")
	deny("eve", "eve-pw", "SELECT GET_SIGNED_URL_FROM_OSS('default.image_demo', 'poster_00.png')", "Select")
	deny("eve", "eve-pw", "SELECT GET_DATA_FROM_OSS(t, 'poster_00.png') FROM (SELECT 'default.image_demo' AS t)", "must be a string literal")
	deny("eve", "eve-pw", "ALTER TABLE image_demo REFRESH METADATA", "Alter")
	must("admin", "pw", "GRANT Select ON TABLE image_demo TO USER eve")
	if out := must("eve", "eve-pw", q); strings.TrimSpace(out) != sha(f.files["poster_00.png"]) {
		t.Fatalf("eve's bytes: %q", out)
	}
	deny("eve", "eve-pw", "ALTER TABLE image_demo REFRESH METADATA", "Alter")
	must("admin", "pw", "GRANT Alter ON TABLE image_demo TO USER eve")
	must("eve", "eve-pw", "ALTER TABLE image_demo REFRESH METADATA")
}

// A listing longer than one page of the store (MinIO: 1,000 keys) is
// followed to the end.
func TestObjectTablePaginatedListing(t *testing.T) {
	data := t.TempDir()
	f := newObjectFixture(t, data)
	const n = 2500
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				key := fmt.Sprintf("jpg-test/bulk/p%02d/o%05d.txt", i%40, i)
				if _, err := f.minio.client.PutObject(context.Background(), "mllm-demo", key, strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	sql(t, data, tutorialCreate, "ALTER TABLE image_demo REFRESH METADATA")
	rows := csvRows(t, data, "SELECT count(*), count(DISTINCT key), count(*) FILTER (WHERE key LIKE 'bulk/%') FROM image_demo")
	if rows[0][0] != fmt.Sprint(n+len(f.files)) || rows[0][1] != rows[0][0] || rows[0][2] != fmt.Sprint(n) {
		t.Fatalf("listing: %v, want %d objects", rows, n+len(f.files))
	}
}

// Interrupting a statement whose fetches wait on a store that does not
// answer ends it at once, and closes every request it had in flight.
func TestObjectTableFetchCancel(t *testing.T) {
	data := t.TempDir()
	newObjectFixture(t, data)
	sql(t, data, tutorialCreate, "ALTER TABLE image_demo REFRESH METADATA")
	var inFlight, peak, served atomic.Int32
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		served.Add(1)
		<-r.Context().Done() // never answers; returns when the client goes away
		inFlight.Add(-1)
	}))
	defer hang.Close()
	// The same role and endpoint, now served by the silent server.
	cfg, _ := os.ReadFile(filepath.Join(data, "storage.json"))
	cfg = bytes.ReplaceAll(cfg, []byte(newObjectFixtureURL(t, cfg)), []byte(hang.URL))
	os.WriteFile(filepath.Join(data, "storage.json"), cfg, 0o600)

	cmd := exec.Command(bin, "--data", data, "-c", "SELECT count(GET_DATA_FROM_OSS('default.default.image_demo', key)) FROM image_demo")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for inFlight.Load() < 16 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if inFlight.Load() != 16 {
		t.Fatalf("%d fetches in flight, want the statement's limit of 16", inFlight.Load())
	}
	// Waiting costs no CPU: the process's CPU time hardly moves in a second.
	cpu0 := procCPU(cmd.Process.Pid)
	time.Sleep(time.Second)
	if used := procCPU(cmd.Process.Pid) - cpu0; used > 200*time.Millisecond {
		t.Errorf("%v of CPU in one second of waiting", used)
	}
	if p := peak.Load(); p > 16 {
		t.Fatalf("%d fetches in flight, limit 16", p)
	}
	start := time.Now()
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the statement did not end after the interrupt: %s", stderr.String())
	}
	for inFlight.Load() > 0 && time.Since(start) < 5*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	if inFlight.Load() != 0 || served.Load() != 16 {
		t.Fatalf("after the interrupt: %d requests still open, %d sent (want 16)", inFlight.Load(), served.Load())
	}
	if !strings.Contains(stderr.String(), "cancel") {
		t.Fatalf("stderr: %s", stderr.String())
	}
}

// newObjectFixtureURL finds the MinIO URL the fixture's storage.json maps
// the tutorial's endpoint to.
func newObjectFixtureURL(t *testing.T, cfg []byte) string {
	t.Helper()
	var c struct {
		OSS struct {
			Endpoints map[string]struct{ URL string } `json:"endpoints"`
		} `json:"oss"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		t.Fatal(err)
	}
	return c.OSS.Endpoints[tutorialEndpoint].URL
}

// procCPU is a process's user+system CPU time from /proc (0 elsewhere).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses): utime and
	// stime are the 12th and 13th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
}
