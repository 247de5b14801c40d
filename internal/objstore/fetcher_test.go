package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modelsql/modelsql/internal/membudget"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustFetcher(t *testing.T, c *Config, opts ...Option) *Fetcher {
	t.Helper()
	f, err := NewFetcher(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFetchLocal(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"one/model.json":      `{"learner":{}}`,
		"one/readme.txt":      "hello",
		"one/sub/other.ubj":   "nested models are not considered",
		"named/model":         "binary-model",
		"named/NOTES":         "x",
		"none/readme.txt":     "no model here",
		"none/sub/":           "",
		"empty/":              "",
		"several/a.json":      "a",
		"several/b.ubj":       "b",
		"several/c.txt":       "c",
		"hidden/._m.json":     "resource fork",
		"hidden/m.deprecated": "old binary",
		"big.bin":             strings.Repeat("x", 100),
		"exact.bin":           strings.Repeat("x", 64),
	})
	if err := os.Symlink(filepath.Join(root, "one", "model.json"), filepath.Join(root, "link.json")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := mustFetcher(t, &Config{MaxObjectBytes: 64})

	tests := []struct {
		name     string
		loc      string
		wantLoc  string
		wantData string
		wantErr  error
		wantText []string
	}{
		{name: "file path", loc: root + "/one/model.json", wantLoc: "file://" + root + "/one/model.json", wantData: `{"learner":{}}`},
		{name: "file URL", loc: "file://" + root + "/one/model.json", wantLoc: "file://" + root + "/one/model.json", wantData: `{"learner":{}}`},
		{name: "dir with slash", loc: root + "/one/", wantLoc: "file://" + root + "/one/model.json", wantData: `{"learner":{}}`},
		{name: "dir without slash", loc: "file://" + root + "/one", wantLoc: "file://" + root + "/one/model.json", wantData: `{"learner":{}}`},
		{name: "file named model", loc: root + "/named/", wantLoc: "file://" + root + "/named/model", wantData: "binary-model"},
		{name: "hidden files ignored", loc: root + "/hidden", wantLoc: "file://" + root + "/hidden/m.deprecated", wantData: "old binary"},
		{name: "symlink", loc: root + "/link.json", wantLoc: "file://" + root + "/link.json", wantData: `{"learner":{}}`},
		{name: "exactly the limit", loc: root + "/exact.bin", wantLoc: "file://" + root + "/exact.bin", wantData: strings.Repeat("x", 64)},
		{name: "no model", loc: root + "/none/", wantErr: ErrNoModelFile,
			wantText: []string{"file://" + root + "/none/", "expected exactly one file ending in .json, .ubj, .model, .bin or .deprecated", "found readme.txt, sub/"}},
		{name: "empty dir", loc: root + "/empty", wantErr: ErrNoModelFile, wantText: []string{"the directory is empty"}},
		{name: "several", loc: root + "/several/", wantErr: ErrSeveralModels,
			wantText: []string{"found 2 model files: a.json, b.ubj", "keep exactly one"}},
		{name: "missing", loc: root + "/nope.json", wantErr: ErrNotFound, wantText: []string{"no such file or directory"}},
		{name: "file with slash", loc: root + "/one/model.json/", wantErr: ErrNotFound, wantText: []string{"not a directory"}},
		{name: "too large", loc: root + "/big.bin", wantErr: ErrTooLarge, wantText: []string{"100 bytes; the limit is 64"}},
		{name: "fifo", loc: root + "/fifo.json", wantErr: ErrNotRegularFile, wantText: []string{"named pipe"}},
		{name: "bad location", loc: "relative/path.json", wantErr: ErrBadLocation, wantText: []string{"no scheme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := f.Fetch(context.Background(), tt.loc, "acs:ram::1:role/ignored-for-local")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Fetch(%q) err = %v, want %v", tt.loc, err, tt.wantErr)
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error is %T, want *Error", err)
				}
				for _, s := range tt.wantText {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch(%q): %v", tt.loc, err)
			}
			if obj.Location != tt.wantLoc || string(obj.Data) != tt.wantData {
				t.Fatalf("Fetch(%q) = %q, %q; want %q, %q", tt.loc, obj.Location, obj.Data, tt.wantLoc, tt.wantData)
			}
			if obj.LastModified.IsZero() {
				t.Errorf("LastModified not set")
			}
		})
	}
}

func TestFetchLocalRootsAndDisabled(t *testing.T) {
	allowed := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, allowed, map[string]string{"m.json": "in"})
	writeFiles(t, outside, map[string]string{"m.json": "out", "d/m.json": "out2"})
	if err := os.Symlink(filepath.Join(outside, "m.json"), filepath.Join(allowed, "escape.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "d"), filepath.Join(allowed, "escdir")); err != nil {
		t.Fatal(err)
	}
	f := mustFetcher(t, &Config{Local: LocalConfig{Roots: []string{allowed}}})
	ctx := context.Background()
	if obj, err := f.Fetch(ctx, allowed+"/m.json", ""); err != nil || string(obj.Data) != "in" {
		t.Fatalf("inside root: %v", err)
	}
	for _, loc := range []string{outside + "/m.json", allowed + "/escape.json", allowed + "/escdir/", allowed + "/../" + filepath.Base(outside) + "/m.json"} {
		_, err := f.Fetch(ctx, loc, "")
		if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "local.roots") {
			t.Errorf("Fetch(%q) = %v, want access denied by local.roots", loc, err)
		}
	}
	f = mustFetcher(t, &Config{Local: LocalConfig{Disabled: true}})
	if _, err := f.Fetch(ctx, allowed+"/m.json", ""); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled: %v", err)
	}
}

func TestFetchHTTP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/m.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"abc123"`)
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		io.WriteString(w, `{"learner":{}}`)
	})
	mux.HandleFunc("/weak.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `W/"weak1"`)
		io.WriteString(w, "x")
	})
	mux.HandleFunc("/forbidden", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) })
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	mux.HandleFunc("/big-declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, strings.Repeat("y", 1000))
	})
	var streamed atomic.Int64
	mux.HandleFunc("/big-streamed", func(w http.ResponseWriter, r *http.Request) {
		// No Content-Length: chunked, endless unless the client stops.
		fl := w.(http.Flusher)
		for i := 0; i < 10000; i++ {
			if _, err := io.WriteString(w, strings.Repeat("z", 100)); err != nil {
				return
			}
			streamed.Add(100)
			fl.Flush()
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := mustFetcher(t, &Config{MaxObjectBytes: 500})
	ctx := context.Background()

	obj, err := f.Fetch(ctx, srv.URL+"/m.json", "")
	if err != nil {
		t.Fatal(err)
	}
	if obj.ETag != "abc123" || string(obj.Data) != `{"learner":{}}` || obj.Location != srv.URL+"/m.json" || obj.LastModified.Year() != 2006 {
		t.Fatalf("obj = %+v", obj)
	}
	if obj, err := f.Fetch(ctx, srv.URL+"/weak.json", ""); err != nil || obj.ETag != "weak1" {
		t.Fatalf("weak etag: %+v %v", obj, err)
	}
	tests := []struct {
		path    string
		want    error
		text    string
		notText string
	}{
		{"/missing.json?X-Amz-Signature=deadbeef", ErrNotFound, "/missing.json?[query hidden]", "deadbeef"},
		{"/forbidden", ErrAccessDenied, "403 Forbidden", ""},
		{"/broken", ErrUnavailable, "500 Internal Server Error", ""},
		{"/big-declared", ErrTooLarge, "1000 bytes; the limit is 500", ""},
		{"/big-streamed", ErrTooLarge, "more than 500 bytes", ""},
		{"/dir/", ErrBadLocation, "directories cannot be listed over http", ""},
	}
	for _, tt := range tests {
		_, err := f.Fetch(ctx, srv.URL+tt.path, "")
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("Fetch(%s) = %v, want %v containing %q", tt.path, err, tt.want, tt.text)
		}
		if tt.notText != "" && strings.Contains(err.Error(), tt.notText) {
			t.Errorf("Fetch(%s) error %q shows %q", tt.path, err, tt.notText)
		}
	}
	if n := streamed.Load(); n >= 1000000 {
		t.Errorf("the streamed body was read to the end (%d bytes)", n)
	}
	_, err = f.Fetch(ctx, "https://user:hunter2pass@example.com/x", "")
	if !errors.Is(err, ErrBadLocation) || strings.Contains(err.Error(), "hunter2pass") {
		t.Fatalf("userinfo: %v", err)
	}
	f = mustFetcher(t, &Config{HTTP: HTTPConfig{Disabled: true}})
	if _, err := f.Fetch(ctx, srv.URL+"/m.json", ""); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled: %v", err)
	}
}

func TestServerFor(t *testing.T) {
	f := mustFetcher(t, &Config{
		S3: S3Config{Endpoint: "http://127.0.0.1:9000", Region: "eu-west-1", PathStyle: true},
		OSS: OSSConfig{Endpoints: map[string]EndpointConfig{
			"OSS-CN-Beijing.aliyuncs.com": {URL: "http://127.0.0.1:9100", PathStyle: true},
			"oss-accelerate.aliyuncs.com": {Region: "cn-shanghai"},
			"minio.local:9000":            {URL: "https://minio.local:9000"},
		}},
	})
	tests := []struct {
		loc  string
		want server
		err  string
	}{
		{"oss://oss-cn-hangzhou.aliyuncs.com/b1b/k", server{host: "oss-cn-hangzhou.aliyuncs.com", secure: true, region: "cn-hangzhou"}, ""},
		{"oss://oss-cn-hangzhou-internal.aliyuncs.com/b1b/k", server{host: "oss-cn-hangzhou-internal.aliyuncs.com", secure: true, region: "cn-hangzhou"}, ""},
		{"oss://s3.oss-cn-shenzhen.aliyuncs.com/b1b/k", server{host: "s3.oss-cn-shenzhen.aliyuncs.com", secure: true, region: "cn-shenzhen"}, ""},
		{"oss://oss-cn-beijing.aliyuncs.com/b1b/k", server{host: "127.0.0.1:9100", region: "cn-beijing", pathStyle: true}, ""},
		{"oss://oss-accelerate.aliyuncs.com/b1b/k", server{host: "oss-accelerate.aliyuncs.com", secure: true, region: "cn-shanghai"}, ""},
		{"oss://minio.local:9000/b1b/k", server{host: "minio.local:9000", secure: true, region: "us-east-1"}, ""},
		{"oss://oss-accelerate-overseas.aliyuncs.com/b1b/k", server{}, "cannot derive the region"},
		{"oss://example.com/b1b/k", server{}, "not an Alibaba Cloud OSS endpoint"},
		{"s3://b1b/k", server{host: "127.0.0.1:9000", region: "eu-west-1", pathStyle: true}, ""},
	}
	for _, tt := range tests {
		loc, err := ParseLocation(tt.loc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.serverFor(loc)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("serverFor(%s) err = %v, want %q", tt.loc, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("serverFor(%s) = %+v, %v; want %+v", tt.loc, got, err, tt.want)
		}
	}
	// Defaults for s3:// with no configuration: AWS.
	f = mustFetcher(t, nil)
	loc, _ := ParseLocation("s3://bucket/k")
	if got, _ := f.serverFor(loc); got != (server{host: "s3.amazonaws.com", secure: true, region: "us-east-1"}) {
		t.Errorf("default s3 server = %+v", got)
	}
}

func TestRefreshMargin(t *testing.T) {
	tests := map[time.Duration]time.Duration{
		time.Hour:        5 * time.Minute,
		12 * time.Hour:   5 * time.Minute,
		15 * time.Minute: 225 * time.Second,
		time.Minute:      15 * time.Second,
		-time.Minute:     0,
	}
	for life, want := range tests {
		if got := refreshMargin(life); got != want {
			t.Errorf("refreshMargin(%v) = %v, want %v", life, got, want)
		}
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestCredentialCaching(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	fake := &fakeAliyunSTS{t: t, secret: "caller-secret-1234", now: clock.now}
	var mu sync.Mutex
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mu.Lock(); defer mu.Unlock(); fake.ServeHTTP(w, r) })
	srv := httptest.NewServer(handler)
	defer srv.Close()
	roleA, roleB := "acs:ram::1234567890123456:role/a", "acs:ram::1234567890123456:role/b"
	cfg := &Config{Roles: map[string]RoleConfig{
		roleA: {Type: RoleAliyunSTS, Endpoint: srv.URL, AccessKeyID: "LTAIcaller", AccessKeySecret: "caller-secret-1234"},
		roleB: {Type: RoleAliyunSTS, Endpoint: srv.URL, AccessKeyID: "LTAIcaller", AccessKeySecret: "caller-secret-1234"},
	}}
	f := mustFetcher(t, cfg, WithClock(clock.now))
	ctx := context.Background()
	loc, _ := ParseLocation("oss://oss-cn-hangzhou.aliyuncs.com/bucket/m.json")
	calls := func() int { mu.Lock(); defer mu.Unlock(); return fake.calls }

	// Concurrent first use: one STS request.
	var wg sync.WaitGroup
	vals := make([]credValue, 8)
	for i := range vals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := f.credentialsFor(ctx, loc, roleA)
			if err != nil {
				t.Error(err)
			}
			vals[i] = v
		}()
	}
	wg.Wait()
	if calls() != 1 {
		t.Fatalf("STS calls = %d, want 1", calls())
	}
	for _, v := range vals[1:] {
		if v != vals[0] {
			t.Fatalf("callers got different credentials")
		}
	}
	// Cached until 5 minutes before expiry (1 h lifetime).
	clock.add(54 * time.Minute)
	if v, _ := f.credentialsFor(ctx, loc, roleA); v != vals[0] || calls() != 1 {
		t.Fatalf("after 54m: calls = %d, want cached", calls())
	}
	// A different role has its own entry.
	if _, err := f.credentialsFor(ctx, loc, roleB); err != nil || calls() != 2 {
		t.Fatalf("role b: calls = %d, err %v", calls(), err)
	}
	clock.add(61 * time.Second) // 55m01s: inside the margin
	v2, err := f.credentialsFor(ctx, loc, roleA)
	if err != nil || calls() != 3 || v2 == vals[0] {
		t.Fatalf("after 55m: calls = %d, err %v, refreshed %v", calls(), err, v2 != vals[0])
	}
	if v, _ := f.credentialsFor(ctx, loc, roleA); v != v2 || calls() != 3 {
		t.Fatalf("refreshed credentials not cached")
	}
	// Short lifetime (15 min): refreshed 3m45s before expiry.
	fake.lifetime = 15 * time.Minute
	f.cache.invalidate(roleA)
	if _, err := f.credentialsFor(ctx, loc, roleA); err != nil || calls() != 4 {
		t.Fatal(err)
	}
	clock.add(11*time.Minute + 14*time.Second)
	f.credentialsFor(ctx, loc, roleA)
	if calls() != 4 {
		t.Fatalf("refreshed too early")
	}
	clock.add(2 * time.Second)
	f.credentialsFor(ctx, loc, roleA)
	if calls() != 5 {
		t.Fatalf("not refreshed inside the margin")
	}
	// A failed refresh is not cached: the next call tries again.
	fake.reply = func(url.Values) (int, any) {
		return 403, map[string]string{"Code": "NoPermission", "Message": "denied"}
	}
	f.cache.invalidate(roleA)
	if _, err := f.credentialsFor(ctx, loc, roleA); !errors.Is(err, ErrAssumeRole) {
		t.Fatalf("refused: %v", err)
	}
	fake.reply = nil
	if _, err := f.credentialsFor(ctx, loc, roleA); err != nil || calls() != 7 {
		t.Fatalf("after a refusal: calls = %d, err %v", calls(), err)
	}
}

// fakeS3 is a minimal S3 server for error paths: it answers every request
// with the given status and XML error body, or calls handle.
func fakeS3(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(handle))
	t.Cleanup(srv.Close)
	return srv
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>1</RequestId></Error>`, code, msg)
}

// TestErrorsNeverContainSecrets drives every error path that involves
// credentials, with servers that echo secrets back, and checks that no
// secret reaches an error string.
func TestErrorsNeverContainSecrets(t *testing.T) {
	const (
		staticSecret = "STATIC-secret-0123456789abcdef"
		staticToken  = "STATIC-token-0123456789abcdef"
		callerSecret = "CALLER-secret-0123456789abcdef"
		callerToken  = "CALLER-token-0123456789abcdef"
		awsSecret    = "AWSCALLER-secret-0123456789abcdef"
	)
	secrets := []string{staticSecret, staticToken, callerSecret, callerToken, awsSecret}

	// Object store that denies everything and echoes the request headers
	// and any secret it can think of.
	var lastToken string
	s3 := fakeS3(t, func(w http.ResponseWriter, r *http.Request) {
		lastToken = r.Header.Get("X-Amz-Security-Token")
		s3Error(w, 403, "AccessDenied", "Access Denied. auth="+r.Header.Get("Authorization")+" token="+lastToken+
			" known="+staticSecret+" temp=temporary-secret-"+r.URL.Query().Get("nonce"))
	})
	// Alibaba STS: hands out credentials for one role, refuses another
	// while echoing the caller's secrets.
	aliyun := &fakeAliyunSTS{t: t, secret: callerSecret}
	aliyunSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Query().Get("RoleArn"), "refused") {
			w.WriteHeader(403)
			fmt.Fprintf(w, `{"Code":"NoPermission","Message":"no: %s %s %s"}`, callerSecret, callerToken, r.URL.RawQuery)
			return
		}
		aliyun.ServeHTTP(w, r)
	}))
	defer aliyunSrv.Close()
	// AWS STS that refuses and echoes.
	awsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(403)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no for %s auth=%s</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
			awsSecret, r.Header.Get("Authorization"))
	}))
	defer awsSrv.Close()

	cfg := &Config{
		S3: S3Config{Endpoint: s3.URL, PathStyle: true},
		OSS: OSSConfig{Endpoints: map[string]EndpointConfig{
			"oss-cn-hangzhou.aliyuncs.com": {URL: s3.URL, PathStyle: true},
		}},
		Roles: map[string]RoleConfig{
			"static":                    {Type: RoleStatic, AccessKeyID: "AKIDSTATIC", AccessKeySecret: staticSecret, SessionToken: staticToken},
			"acs:ram::1:role/ok":        {Type: RoleAliyunSTS, Endpoint: aliyunSrv.URL, AccessKeyID: "LTAIcaller", AccessKeySecret: callerSecret, SessionToken: callerToken},
			"acs:ram::1:role/refused":   {Type: RoleAliyunSTS, Endpoint: aliyunSrv.URL, AccessKeyID: "LTAIcaller", AccessKeySecret: callerSecret, SessionToken: callerToken},
			"arn:aws:iam::1:role/awsno": {Type: RoleAWSSTS, Endpoint: awsSrv.URL, AccessKeyID: "AKIDAWS", AccessKeySecret: awsSecret},
		},
	}
	f := mustFetcher(t, cfg)
	ctx := context.Background()
	check := func(name string, err error, kind error, role, location string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		msg := err.Error()
		if !errors.Is(err, kind) {
			t.Errorf("%s: %v, want %v", name, err, kind)
		}
		if role != "" && !strings.Contains(msg, "(role "+role+")") {
			t.Errorf("%s: %q does not name the role %s", name, msg, role)
		}
		if !strings.Contains(msg, location) {
			t.Errorf("%s: %q does not name the location %s", name, msg, location)
		}
		all := append([]string{}, secrets...)
		if lastToken != "" {
			all = append(all, lastToken)
		}
		for _, s := range all {
			if strings.Contains(msg, s) {
				t.Errorf("%s: error %q contains secret %q", name, msg, s)
			}
		}
		t.Logf("%s: %s", name, msg)
	}

	_, err := f.Fetch(ctx, "oss://oss-cn-hangzhou.aliyuncs.com/models/m.json", "acs:ram::1:role/unknown")
	check("unknown role", err, ErrUnknownRole, "acs:ram::1:role/unknown", "oss://oss-cn-hangzhou.aliyuncs.com/models/m.json")
	if !strings.Contains(err.Error(), "not defined in storage.json") {
		t.Errorf("unknown role: %v", err)
	}

	_, err = f.Fetch(ctx, "oss://oss-cn-hangzhou.aliyuncs.com/models/m.json", "acs:ram::1:role/refused")
	check("aliyun refused", err, ErrAssumeRole, "acs:ram::1:role/refused", "oss://oss-cn-hangzhou.aliyuncs.com/models/m.json")
	if e := (*Error)(nil); !errors.As(err, &e) || e.Code != "NoPermission" {
		t.Errorf("aliyun refused: code %v", err)
	}

	_, err = f.Fetch(ctx, "s3://models/m.json", "arn:aws:iam::1:role/awsno")
	check("aws refused", err, ErrAssumeRole, "arn:aws:iam::1:role/awsno", "s3://models/m.json")

	_, err = f.Fetch(ctx, "s3://models/m.json", "static")
	check("static denied", err, ErrAccessDenied, "static", "s3://models/m.json")

	_, err = f.Fetch(ctx, "oss://oss-cn-hangzhou.aliyuncs.com/models/m.json", "acs:ram::1:role/ok")
	check("temporary denied", err, ErrAccessDenied, "acs:ram::1:role/ok", "oss://oss-cn-hangzhou.aliyuncs.com/models/m.json")
	if lastToken == "" || !strings.HasPrefix(lastToken, "CAIS-temporary-token-") {
		t.Fatalf("the temporary token was not sent: %q", lastToken)
	}
	// The temporary secret the fake handed out is scrubbed too.
	tempSecret := "temporary-secret-" + strings.TrimPrefix(lastToken, "CAIS-temporary-token-")
	if strings.Contains(err.Error(), tempSecret) {
		t.Fatalf("error contains the temporary secret: %v", err)
	}

	// Unreachable STS: the transport error has no URL (signature, token).
	aliyunSrv.Close()
	f = mustFetcher(t, cfg)
	_, err = f.Fetch(ctx, "oss://oss-cn-hangzhou.aliyuncs.com/models/m.json", "acs:ram::1:role/ok")
	check("aliyun unreachable", err, ErrUnavailable, "acs:ram::1:role/ok", "oss://")
	if !strings.Contains(err.Error(), "cannot reach the STS endpoint") {
		t.Errorf("aliyun unreachable: %v", err)
	}
	if strings.Contains(err.Error(), "Signature") {
		t.Errorf("error shows the signed URL: %v", err)
	}
}

// TestStaleTemporaryCredentialsRetried: a store that rejects a cached token
// as expired makes Fetch drop it and retry once with fresh credentials.
func TestStaleTemporaryCredentialsRetried(t *testing.T) {
	aliyun := &fakeAliyunSTS{t: t, secret: "caller-secret-xyz"}
	stsSrv := httptest.NewServer(aliyun)
	defer stsSrv.Close()
	var rejected string
	var gets int
	s3 := fakeS3(t, func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Amz-Security-Token")
		if rejected == "" {
			rejected = tok
		}
		if tok == rejected {
			s3Error(w, 400, "ExpiredToken", "The provided token has expired.")
			return
		}
		gets++
		w.Header().Set("ETag", `"e1"`)
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "model")
	})
	role := "acs:ram::1:role/r"
	f := mustFetcher(t, &Config{
		OSS:   OSSConfig{Endpoints: map[string]EndpointConfig{"oss-cn-hangzhou.aliyuncs.com": {URL: s3.URL, PathStyle: true}}},
		Roles: map[string]RoleConfig{role: {Type: RoleAliyunSTS, Endpoint: stsSrv.URL, AccessKeyID: "id", AccessKeySecret: "caller-secret-xyz"}},
	})
	obj, err := f.Fetch(context.Background(), "oss://oss-cn-hangzhou.aliyuncs.com/bucket/m.json", role)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if string(obj.Data) != "model" || obj.ETag != "e1" || aliyun.calls != 2 || gets != 1 {
		t.Fatalf("obj %+v, STS calls %d, gets %d", obj, aliyun.calls, gets)
	}
}

func TestDefaultRoleAndAnonymous(t *testing.T) {
	var auth []string
	s3 := fakeS3(t, func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		w.Header().Set("Content-Length", "2")
		io.WriteString(w, "ok")
	})
	cfg := &Config{
		S3:    S3Config{Endpoint: s3.URL, PathStyle: true},
		Roles: map[string]RoleConfig{"dflt": {Type: RoleStatic, AccessKeyID: "AKIDDEFAULT", AccessKeySecret: "default-secret"}},
	}
	f := mustFetcher(t, cfg)
	if _, err := f.Fetch(context.Background(), "s3://bucket/m.json", ""); err != nil {
		t.Fatal(err)
	}
	cfg.DefaultRole = "dflt"
	f = mustFetcher(t, cfg)
	if _, err := f.Fetch(context.Background(), "s3://bucket/m.json", ""); err != nil {
		t.Fatal(err)
	}
	if len(auth) != 2 || auth[0] != "" || !strings.Contains(auth[1], "Credential=AKIDDEFAULT/") {
		t.Fatalf("Authorization headers = %q", auth)
	}
}

// TestCredentialWaitHonoursContext: while one statement waits on a slow
// STS, another one for the same role gives up when its context ends.
func TestCredentialWaitHonoursContext(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.WriteHeader(503)
	}))
	defer srv.Close()
	defer close(release)
	role := "acs:ram::1:role/slow"
	f := mustFetcher(t, &Config{Roles: map[string]RoleConfig{role: {Type: RoleAliyunSTS, Endpoint: srv.URL, AccessKeyID: "id", AccessKeySecret: "secret-value"}}})
	loc, _ := ParseLocation("oss://oss-cn-hangzhou.aliyuncs.com/bucket/m.json")
	go f.credentialsFor(context.Background(), loc, role)
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.credentialsFor(ctx, loc, role)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("waited %v", d)
	}
}

func TestReadLimited(t *testing.T) {
	tests := []struct {
		body        string
		size, limit int64
		want        string
		err         string
	}{
		{"hello", 5, 10, "hello", ""},
		{"hello", -1, 10, "hello", ""},
		{"hello", -1, 5, "hello", ""},
		{"hello", 5, 5, "hello", ""},
		{"hello!", -1, 5, "", "more than 5 bytes"},
		{"hello!", 5, 5, "", "more than 5 bytes"},
		{"hello!", 5, 10, "", "longer than the announced 5 bytes"},
		{"hel", 5, 10, "", "short read"},
		{"", 0, 10, "", ""},
		{"", -1, 0, "", ""},
	}
	for _, tt := range tests {
		got, err := readLimited(strings.NewReader(tt.body), tt.size, tt.limit)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("readLimited(%q, %d, %d) err = %v, want %q", tt.body, tt.size, tt.limit, err, tt.err)
			}
			continue
		}
		if err != nil || string(got) != tt.want || (tt.size >= 0 && int64(cap(got)) != tt.size) {
			t.Errorf("readLimited(%q, %d, %d) = %q (cap %d), %v", tt.body, tt.size, tt.limit, got, cap(got), err)
		}
	}
}

func TestRedactLocation(t *testing.T) {
	tests := map[string]string{
		"https://h/m.json?X-Amz-Signature=abc": "https://h/m.json?[query hidden]",
		"HTTP://u:pw@h/m.json":                 "http://REDACTED@h/m.json",
		"https://h/m.json":                     "https://h/m.json",
		"s3://b/k?x":                           "s3://b/k?x",
		"/srv/m.json":                          "/srv/m.json",
	}
	for in, want := range tests {
		if got := RedactLocation(in); got != want {
			t.Errorf("RedactLocation(%q) = %q, want %q", in, got, want)
		}
	}
}

// Concurrent downloads share the process-wide memory budget: together they
// never hold more than it (bytes reserved, announced length or not), each
// holds its share until released, and one file larger than the whole
// budget fails clearly.
func TestFetchHTTPWithinBudget(t *testing.T) {
	const size = 256 << 10
	body := strings.Repeat("m", size)
	mux := http.NewServeMux()
	mux.HandleFunc("/declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		io.WriteString(w, body)
	})
	mux.HandleFunc("/streamed", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < size; i += 16 << 10 {
			io.WriteString(w, body[i:i+16<<10])
			w.(http.Flusher).Flush()
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	for _, path := range []string{"/declared", "/streamed"} {
		b := membudget.New(1 << 20)
		f, err := NewFetcher(&Config{}, WithBudget(b))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				obj, err := f.Fetch(ctx, srv.URL+path, "")
				if err != nil {
					if !strings.Contains(err.Error(), "memory budget") {
						t.Errorf("%s: %v", path, err)
					}
					failed.Add(1)
					return
				}
				if len(obj.Data) != size || b.Used() < size {
					t.Errorf("%s: %d bytes, %d reserved while held", path, len(obj.Data), b.Used())
				}
				time.Sleep(5 * time.Millisecond)
				obj.Release()
			}()
		}
		wg.Wait()
		if b.Peak() > b.Limit() || b.Peak() < size || b.Used() != 0 {
			t.Fatalf("%s: peak %d reserved of %d, %d still reserved", path, b.Peak(), b.Limit(), b.Used())
		}
		if path == "/declared" && failed.Load() != 0 {
			t.Errorf("%s: %d downloads failed", path, failed.Load())
		}
		// One file larger than the whole budget.
		b.SetLimit(size / 2)
		_, err = f.Fetch(ctx, srv.URL+path, "")
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than the whole of the memory budget") || b.Used() != 0 {
			t.Errorf("%s over the budget: %v (%d reserved)", path, err, b.Used())
		}
	}
}
