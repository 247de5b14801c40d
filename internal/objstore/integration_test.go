package objstore

// Integration tests against a real S3-compatible server (MinIO) started on
// a free loopback port in a temporary directory. scripts/deps.d/20-objstore.sh
// installs the binary into $MODELSQL_TOOLS/bin. Without it the tests skip,
// unless MODELSQL_REQUIRE_TOOLS is set, in which case they fail.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const (
	minioRegion   = "cn-hangzhou"
	minioRootUser = "modelsql-root"
	// The OSS endpoints MinIO serves virtual-hosted style in these tests
	// (through a transport that dials loopback whatever the host name).
	ossHangzhou = "oss-cn-hangzhou.aliyuncs.com"
	ossBeijing  = "oss-cn-beijing.aliyuncs.com"
)

type minioServer struct {
	bin      string
	dir      string
	addr     string // 127.0.0.1:port
	url      string // http://127.0.0.1:port
	rootPass string
	cmd      *exec.Cmd
	log      *bytes.Buffer
	done     chan struct{}
}

var (
	minioOnce sync.Once
	minioSrv  *minioServer
	minioErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if minioSrv != nil {
		minioSrv.stop()
	}
	os.Exit(code)
}

// findMinio looks in $MODELSQL_TOOLS/bin (default
// $HOME/.cache/modelsql-tools/bin), then on PATH.
func findMinio() string {
	tools := os.Getenv("MODELSQL_TOOLS")
	if tools == "" {
		if home, err := os.UserHomeDir(); err == nil {
			tools = filepath.Join(home, ".cache", "modelsql-tools")
		}
	}
	if tools != "" {
		p := filepath.Join(tools, "bin", "minio")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	return ""
}

// needMinio returns the shared MinIO server, starting it on first use.
func needMinio(t *testing.T) *minioServer {
	t.Helper()
	bin := findMinio()
	if bin == "" {
		msg := "MinIO is not installed ($MODELSQL_TOOLS/bin/minio); run scripts/deps.d/20-objstore.sh or make deps"
		if os.Getenv("MODELSQL_REQUIRE_TOOLS") != "" {
			t.Fatal(msg + " (MODELSQL_REQUIRE_TOOLS is set)")
		}
		t.Skip(msg)
	}
	minioOnce.Do(func() {
		var s *minioServer
		for attempt := 0; attempt < 3; attempt++ {
			s, minioErr = startMinio(bin)
			if minioErr == nil {
				break
			}
		}
		if minioErr == nil {
			minioErr = s.populate()
		}
		minioSrv = s
	})
	if minioErr != nil {
		t.Fatalf("MinIO: %v", minioErr)
	}
	return minioSrv
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startMinio(bin string) (*minioServer, error) {
	dir, err := os.MkdirTemp("", "modelsql-objstore-minio-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cport, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &minioServer{
		bin:      bin,
		dir:      dir,
		addr:     fmt.Sprintf("127.0.0.1:%d", port),
		rootPass: fmt.Sprintf("root-pass-%d-%d", time.Now().UnixNano(), os.Getpid()),
		log:      &bytes.Buffer{},
		done:     make(chan struct{}),
	}
	s.url = "http://" + s.addr
	cmd := exec.Command(bin, "server", filepath.Join(dir, "data"),
		"--address", s.addr,
		"--console-address", fmt.Sprintf("127.0.0.1:%d", cport),
		"--certs-dir", filepath.Join(dir, "certs"),
		"--quiet")
	cmd.Env = []string{
		"HOME=" + dir,
		"PATH=" + os.Getenv("PATH"),
		"MINIO_ROOT_USER=" + minioRootUser,
		"MINIO_ROOT_PASSWORD=" + s.rootPass,
		"MINIO_SITE_REGION=" + minioRegion,
		"MINIO_DOMAIN=" + ossHangzhou + "," + ossBeijing,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CALLHOME_ENABLE=off",
	}
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.cmd = cmd
	go func() { cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			out := s.log.String()
			os.RemoveAll(dir)
			return nil, fmt.Errorf("minio exited at start: %s", out)
		default:
		}
		resp, err := http.Get(s.url + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("minio did not become ready in 30s: %s", s.log.String())
}

func (s *minioServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
		}
	}
	os.RemoveAll(s.dir)
}

// root returns a minio-go client with the root credentials.
func (s *minioServer) root() *minio.Client {
	c, err := minio.New(s.addr, &minio.Options{
		Creds:        credentials.NewStaticV4(minioRootUser, s.rootPass, ""),
		Region:       minioRegion,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		panic(err)
	}
	return c
}

// fixtures: bucket -> key -> content.
var minioFixtures = map[string]map[string]string{
	"models": {
		"direct/xgb.ubj":       "{UBJSON model bytes}",
		"single/model.json":    `{"learner":{"single":true}}`,
		"single/readme.txt":    "docs",
		"single/sub/x.json":    "nested, not considered",
		"none/readme.txt":      "no model",
		"none/notes.md":        "still none",
		"none/deeper/m.json":   "nested, not considered",
		"several/a.json":       "a",
		"several/b.ubj":        "b",
		"several/c.txt":        "c",
		"named/model":          "binary model named model",
		"named/model.txt":      "not a model",
		"big/huge.bin":         strings.Repeat("0123456789", 100),
		"dirmarker/":           "",
		"dirmarker/m.bin":      "model behind a directory marker",
		"with space/m.json":    "key with a space",
		"unicode/模型.json":      "unicode key",
		"prefix-trap/m.json":   "prefix-trap is not prefix",
		"prefix/only.model":    "prefix only",
		"legacy/v1.deprecated": "legacy",
	},
	"private": {
		"secret/model.json": "must not be readable by the narrowed role",
	},
	"public": {
		"open/model.json": "anyone may read this",
	},
	"empty-bucket": {},
}

func (s *minioServer) populate() error {
	ctx := context.Background()
	c := s.root()
	for bucket, objs := range minioFixtures {
		if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: minioRegion}); err != nil {
			return fmt.Errorf("make bucket %s: %w", bucket, err)
		}
		for key, content := range objs {
			if _, err := c.PutObject(ctx, bucket, key, strings.NewReader(content), int64(len(content)), minio.PutObjectOptions{}); err != nil {
				return fmt.Errorf("put %s/%s: %w", bucket, key, err)
			}
		}
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::public/*"]}]}`
	if err := c.SetBucketPolicy(ctx, "public", policy); err != nil {
		return fmt.Errorf("public policy: %w", err)
	}
	return nil
}

// loopbackTransport sends every connection to the MinIO server, whatever
// the host name, and records the Host of each request and the STS calls.
type loopbackTransport struct {
	rt       http.RoundTripper
	mu       sync.Mutex
	hosts    []string
	stsCalls atomic.Int32
}

func newLoopbackTransport(addr string) *loopbackTransport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &loopbackTransport{rt: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		},
		MaxIdleConnsPerHost: 4,
	}}
}

func (l *loopbackTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.hosts = append(l.hosts, r.URL.Host)
	l.mu.Unlock()
	if r.Method == http.MethodPost && r.URL.Path == "/" {
		l.stsCalls.Add(1)
	}
	return l.rt.RoundTrip(r)
}

func (l *loopbackTransport) sawHost(h string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.hosts {
		if x == h {
			return true
		}
	}
	return false
}

const (
	roleStatic  = "acs:ram::1234567890123456:role/static-root"
	roleAssume  = "arn:minio:iam:::role/models-reader"
	roleBadSTS  = "arn:minio:iam:::role/bad-caller"
	roleBadKeys = "acs:ram::1234567890123456:role/wrong-keys"
	roleBadSig  = "acs:ram::1234567890123456:role/wrong-secret"
	roleAliyun  = "acs:ram::1234567890123456:role/aliyun-chain"
)

// modelsOnlyPolicy narrows AssumeRole sessions to the models bucket.
const modelsOnlyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::models","arn:aws:s3:::models/*"]}]}`

func (s *minioServer) config() *Config {
	return &Config{
		S3: S3Config{Endpoint: s.url, Region: minioRegion, PathStyle: true},
		OSS: OSSConfig{Endpoints: map[string]EndpointConfig{
			// path-style MinIO standing in for an OSS endpoint
			ossHangzhou: {URL: s.url, PathStyle: true},
		}},
		Roles: map[string]RoleConfig{
			roleStatic: {Type: RoleStatic, AccessKeyID: minioRootUser, AccessKeySecret: s.rootPass},
			roleAssume: {Type: RoleAWSSTS, Endpoint: s.url, Region: minioRegion,
				AccessKeyID: minioRootUser, AccessKeySecret: s.rootPass, Policy: modelsOnlyPolicy, DurationSeconds: 900},
			roleBadSTS: {Type: RoleAWSSTS, Endpoint: s.url, Region: minioRegion,
				AccessKeyID: minioRootUser, AccessKeySecret: "not-the-root-password"},
			roleBadKeys: {Type: RoleStatic, AccessKeyID: "no-such-user", AccessKeySecret: "no-such-user-secret"},
			roleBadSig:  {Type: RoleStatic, AccessKeyID: minioRootUser, AccessKeySecret: "wrong-root-secret"},
		},
	}
}

func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains a secret", err)
		}
	}
}

func TestMinIOFetch(t *testing.T) {
	s := needMinio(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	f := mustFetcher(t, s.config())
	m := minioFixtures["models"]

	tests := []struct {
		name    string
		loc     string
		role    string
		wantLoc string
		want    string
		wantErr error
		text    []string
	}{
		// s3:// and oss:// (endpoint mapped to MinIO, path style), static keys.
		{name: "s3 object", loc: "s3://models/direct/xgb.ubj", role: roleStatic, wantLoc: "s3://models/direct/xgb.ubj", want: m["direct/xgb.ubj"]},
		{name: "oss object", loc: "oss://" + ossHangzhou + "/models/direct/xgb.ubj", role: roleStatic,
			wantLoc: "oss://" + ossHangzhou + "/models/direct/xgb.ubj", want: m["direct/xgb.ubj"]},
		{name: "key with space", loc: "s3://models/with space/m.json", role: roleStatic, wantLoc: "s3://models/with space/m.json", want: m["with space/m.json"]},
		{name: "unicode key", loc: "s3://models/unicode/模型.json", role: roleStatic, wantLoc: "s3://models/unicode/模型.json", want: m["unicode/模型.json"]},
		// Directory resolution.
		{name: "dir one model", loc: "s3://models/single/", role: roleStatic, wantLoc: "s3://models/single/model.json", want: m["single/model.json"]},
		{name: "prefix one model", loc: "oss://" + ossHangzhou + "/models/single", role: roleStatic,
			wantLoc: "oss://" + ossHangzhou + "/models/single/model.json", want: m["single/model.json"]},
		{name: "file named model", loc: "s3://models/named/", role: roleStatic, wantLoc: "s3://models/named/model", want: m["named/model"]},
		{name: "deprecated", loc: "s3://models/legacy", role: roleStatic, wantLoc: "s3://models/legacy/v1.deprecated", want: m["legacy/v1.deprecated"]},
		{name: "directory marker", loc: "s3://models/dirmarker/", role: roleStatic, wantLoc: "s3://models/dirmarker/m.bin", want: m["dirmarker/m.bin"]},
		{name: "prefix is a path segment", loc: "s3://models/prefix", role: roleStatic, wantLoc: "s3://models/prefix/only.model", want: m["prefix/only.model"]},
		{name: "dir no model", loc: "s3://models/none/", role: roleStatic, wantErr: ErrNoModelFile,
			text: []string{"s3://models/none/", "(role " + roleStatic + ")", "found deeper/, notes.md, readme.txt"}},
		{name: "oss dir no model", loc: "oss://" + ossHangzhou + "/models/none", role: roleStatic, wantErr: ErrNoModelFile,
			text: []string{"oss://" + ossHangzhou + "/models/none/", "found deeper/, notes.md, readme.txt"}},
		{name: "dir several", loc: "s3://models/several/", role: roleStatic, wantErr: ErrSeveralModels,
			text: []string{"found 2 model files: a.json, b.ubj"}},
		{name: "empty bucket", loc: "s3://empty-bucket/", role: roleStatic, wantErr: ErrNoModelFile, text: []string{"the directory is empty"}},
		{name: "bucket root several", loc: "s3://models", role: roleStatic, wantErr: ErrNoModelFile,
			text: []string{"s3://models/", "big/", "direct/"}},
		{name: "missing object", loc: "s3://models/missing.json", role: roleStatic, wantErr: ErrNotFound, text: []string{"no such object"}},
		{name: "missing dir", loc: "s3://models/missing/", role: roleStatic, wantErr: ErrNoModelFile, text: []string{"the directory is empty"}},
		{name: "missing bucket", loc: "s3://no-such-bucket/m.json", role: roleStatic, wantErr: ErrNotFound, text: []string{"NoSuchBucket"}},
		// Anonymous access (no role, no default role).
		{name: "anonymous public", loc: "s3://public/open/model.json", wantLoc: "s3://public/open/model.json", want: minioFixtures["public"]["open/model.json"]},
		{name: "anonymous private", loc: "s3://private/secret/model.json", wantErr: ErrAccessDenied, text: []string{"AccessDenied"}},
		// Denied reads with wrong keys.
		{name: "unknown access key", loc: "s3://models/direct/xgb.ubj", role: roleBadKeys, wantErr: ErrAccessDenied,
			text: []string{"InvalidAccessKeyId", "(role " + roleBadKeys + ")", "s3://models/direct/xgb.ubj"}},
		{name: "wrong secret", loc: "oss://" + ossHangzhou + "/models/direct/xgb.ubj", role: roleBadSig, wantErr: ErrAccessDenied,
			text: []string{"SignatureDoesNotMatch", "(role " + roleBadSig + ")", "oss://" + ossHangzhou + "/models/direct/xgb.ubj"}},
		{name: "unknown role", loc: "s3://models/direct/xgb.ubj", role: "acs:ram::1:role/nobody", wantErr: ErrUnknownRole,
			text: []string{"(role acs:ram::1:role/nobody)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := f.Fetch(ctx, tt.loc, tt.role)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Fetch(%q) = %v, want %v", tt.loc, err, tt.wantErr)
				}
				for _, x := range tt.text {
					if !strings.Contains(err.Error(), x) {
						t.Errorf("error %q does not contain %q", err, x)
					}
				}
				assertNoSecrets(t, err, s.rootPass, "no-such-user-secret", "wrong-root-secret")
				t.Logf("%v", err)
				return
			}
			if err != nil {
				t.Fatalf("Fetch(%q): %v", tt.loc, err)
			}
			if obj.Location != tt.wantLoc || string(obj.Data) != tt.want {
				t.Fatalf("Fetch(%q) = %q %q, want %q %q", tt.loc, obj.Location, obj.Data, tt.wantLoc, tt.want)
			}
			if obj.ETag == "" || obj.LastModified.IsZero() {
				t.Errorf("ETag %q, LastModified %v", obj.ETag, obj.LastModified)
			}
		})
	}

	// ETag agrees with the server's.
	info, err := s.root().StatObject(ctx, "models", "direct/xgb.ubj", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := f.Fetch(ctx, "s3://models/direct/xgb.ubj", roleStatic)
	if err != nil || obj.ETag != strings.Trim(info.ETag, `"`) {
		t.Fatalf("ETag %q, server %q, err %v", obj.ETag, info.ETag, err)
	}
}

func TestMinIOTooLarge(t *testing.T) {
	s := needMinio(t)
	cfg := s.config()
	cfg.MaxObjectBytes = 999
	f := mustFetcher(t, cfg)
	_, err := f.Fetch(context.Background(), "s3://models/big/huge.bin", roleStatic)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1000 bytes; the limit is 999") {
		t.Fatalf("Fetch = %v", err)
	}
	cfg.MaxObjectBytes = 1000
	f = mustFetcher(t, cfg)
	if obj, err := f.Fetch(context.Background(), "s3://models/big/", roleStatic); err != nil || len(obj.Data) != 1000 {
		t.Fatalf("at the limit: %v", err)
	}
}

// TestMinIOVirtualHostedOSS goes through the code path used for real OSS
// endpoints (no endpoint mapping): virtual-hosted bucket addressing and a
// region derived from the endpoint name. MinIO serves the OSS domains
// (MINIO_DOMAIN) and a transport dials loopback for every host name;
// oss.insecure lets it speak plain http.
func TestMinIOVirtualHostedOSS(t *testing.T) {
	s := needMinio(t)
	cfg := s.config()
	cfg.OSS = OSSConfig{Insecure: true}
	tr := newLoopbackTransport(s.addr)
	f := mustFetcher(t, cfg, WithTransport(tr))
	ctx := context.Background()

	obj, err := f.Fetch(ctx, "oss://"+ossHangzhou+"/models/single/", roleStatic)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if obj.Location != "oss://"+ossHangzhou+"/models/single/model.json" || string(obj.Data) != minioFixtures["models"]["single/model.json"] {
		t.Fatalf("obj = %q %q", obj.Location, obj.Data)
	}
	if !tr.sawHost("models." + ossHangzhou) {
		t.Fatalf("no virtual-hosted request; hosts: %q", tr.hosts)
	}
	for _, h := range tr.hosts {
		if h != "models."+ossHangzhou {
			t.Errorf("request to %q (want only virtual-hosted requests)", h)
		}
	}
	// The same server under another region's endpoint name: the request is
	// signed for cn-beijing, which MinIO (cn-hangzhou) refuses. This shows
	// the derived region is the one used for signing.
	_, err = f.Fetch(ctx, "oss://"+ossBeijing+"/models/direct/xgb.ubj", roleStatic)
	if err == nil {
		t.Fatal("a request signed for the wrong region succeeded")
	}
	if !strings.Contains(err.Error(), "region") || !strings.Contains(err.Error(), "(role "+roleStatic+")") {
		t.Fatalf("wrong region error: %v", err)
	}
	t.Logf("wrong region: %v", err)
}

// TestMinIOAssumeRole: an aws_sts role gets temporary credentials from
// MinIO's STS (root as the caller, narrowed by a session policy), caches
// them, and is denied outside the policy.
func TestMinIOAssumeRole(t *testing.T) {
	s := needMinio(t)
	tr := newLoopbackTransport(s.addr)
	f := mustFetcher(t, s.config(), WithTransport(tr))
	ctx := context.Background()

	obj, err := f.Fetch(ctx, "s3://models/direct/xgb.ubj", roleAssume)
	if err != nil {
		t.Fatalf("Fetch with AssumeRole: %v", err)
	}
	if string(obj.Data) != minioFixtures["models"]["direct/xgb.ubj"] {
		t.Fatalf("data = %q", obj.Data)
	}
	if n := tr.stsCalls.Load(); n != 1 {
		t.Fatalf("STS calls = %d, want 1", n)
	}
	temp := f.cache.entries[roleAssume].v
	if temp.SessionToken == "" || temp.AccessKeyID == minioRootUser || temp.Expiration.IsZero() {
		t.Fatalf("not temporary credentials: id %q, expiry %v", temp.AccessKeyID, temp.Expiration)
	}
	// Directory listing and oss:// with the same role; credentials cached.
	if obj, err := f.Fetch(ctx, "oss://"+ossHangzhou+"/models/single", roleAssume); err != nil || obj.Location != "oss://"+ossHangzhou+"/models/single/model.json" {
		t.Fatalf("dir with AssumeRole: %v", err)
	}
	if n := tr.stsCalls.Load(); n != 1 {
		t.Fatalf("STS calls = %d after a second fetch, want 1 (cached)", n)
	}
	// Outside the session policy: denied, naming role and location.
	_, err = f.Fetch(ctx, "s3://private/secret/model.json", roleAssume)
	if !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("private bucket: %v", err)
	}
	for _, x := range []string{"(role " + roleAssume + ")", "s3://private/secret/model.json", "AccessDenied"} {
		if !strings.Contains(err.Error(), x) {
			t.Errorf("error %q does not contain %q", err, x)
		}
	}
	assertNoSecrets(t, err, s.rootPass, temp.SecretAccessKey, temp.SessionToken)
	t.Logf("denied: %v", err)

	// The same object is readable with the root's static keys.
	if _, err := f.Fetch(ctx, "s3://private/secret/model.json", roleStatic); err != nil {
		t.Fatalf("root read: %v", err)
	}

	// A refused AssumeRole (wrong caller secret).
	_, err = f.Fetch(ctx, "s3://models/direct/xgb.ubj", roleBadSTS)
	if !errors.Is(err, ErrAssumeRole) || !strings.Contains(err.Error(), "(role "+roleBadSTS+")") ||
		!strings.Contains(err.Error(), "s3://models/direct/xgb.ubj") {
		t.Fatalf("bad caller: %v", err)
	}
	assertNoSecrets(t, err, s.rootPass, "not-the-root-password")
	t.Logf("refused: %v", err)
}

// TestMinIOAliyunSTSChain: an acs:ram role of type aliyun_sts, served by a
// fake Alibaba STS that checks the RPC signature and hands out real
// temporary MinIO credentials; the oss:// read then goes to MinIO with the
// security token.
func TestMinIOAliyunSTSChain(t *testing.T) {
	s := needMinio(t)
	const callerSecret = "aliyun-caller-secret-value"
	var issued atomic.Int32
	fake := &fakeAliyunSTS{t: t, secret: callerSecret, reply: func(q url.Values) (int, any) {
		if q.Get("RoleArn") != roleAliyun || q.Get("RoleSessionName") != "model-import" {
			return 400, map[string]string{"Code": "InvalidParameter", "Message": "unexpected role or session"}
		}
		creds, err := credentials.NewSTSAssumeRole(s.url, credentials.STSAssumeRoleOptions{
			AccessKey: minioRootUser, SecretKey: s.rootPass, Location: minioRegion, Policy: modelsOnlyPolicy,
		})
		if err != nil {
			return 500, map[string]string{"Code": "InternalError", "Message": err.Error()}
		}
		v, err := creds.GetWithContext(&credentials.CredContext{Client: http.DefaultClient})
		if err != nil {
			return 500, map[string]string{"Code": "InternalError", "Message": err.Error()}
		}
		issued.Add(1)
		return 200, map[string]any{
			"RequestId":       "test",
			"AssumedRoleUser": map[string]string{"Arn": roleAliyun + "/model-import", "AssumedRoleId": "1:model-import"},
			"Credentials": map[string]string{
				"AccessKeyId": v.AccessKeyID, "AccessKeySecret": v.SecretAccessKey,
				"SecurityToken": v.SessionToken, "Expiration": v.Expiration.UTC().Format(time.RFC3339),
			},
		}
	}}
	stsSrv := httptest.NewServer(fake)
	defer stsSrv.Close()
	cfg := s.config()
	cfg.Roles[roleAliyun] = RoleConfig{Type: RoleAliyunSTS, Endpoint: stsSrv.URL, AccessKeyID: "LTAI5tCaller",
		AccessKeySecret: callerSecret, SessionName: "model-import", DurationSeconds: 900}
	cfg.DefaultRole = roleAliyun
	f := mustFetcher(t, cfg)
	ctx := context.Background()
	obj, err := f.Fetch(ctx, "oss://"+ossHangzhou+"/models/named", "") // default role
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if string(obj.Data) != minioFixtures["models"]["named/model"] || issued.Load() != 1 {
		t.Fatalf("data %q, issued %d", obj.Data, issued.Load())
	}
	if _, err := f.Fetch(ctx, "oss://"+ossHangzhou+"/models/direct/xgb.ubj", roleAliyun); err != nil || issued.Load() != 1 {
		t.Fatalf("second fetch: %v, issued %d", err, issued.Load())
	}
	_, err = f.Fetch(ctx, "oss://"+ossHangzhou+"/private/secret/model.json", roleAliyun)
	if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), roleAliyun) {
		t.Fatalf("private: %v", err)
	}
	temp := f.cache.entries[roleAliyun].v
	assertNoSecrets(t, err, callerSecret, s.rootPass, temp.SecretAccessKey, temp.SessionToken)
}

// TestMinIODeletedAfterFetch: once the source object is deleted it can no
// longer be read (the warehouse must keep its own copy).
func TestMinIODeletedAfterFetch(t *testing.T) {
	s := needMinio(t)
	ctx := context.Background()
	c := s.root()
	const content = `{"learner":{"deleted":"soon"}}`
	if _, err := c.PutObject(ctx, "models", "ephemeral/model.json", strings.NewReader(content), int64(len(content)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	f := mustFetcher(t, s.config())
	for _, loc := range []string{"s3://models/ephemeral/model.json", "oss://" + ossHangzhou + "/models/ephemeral/"} {
		obj, err := f.Fetch(ctx, loc, roleStatic)
		if err != nil || string(obj.Data) != content {
			t.Fatalf("Fetch(%s) before delete: %v", loc, err)
		}
	}
	if err := c.RemoveObject(ctx, "models", "ephemeral/model.json", minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := f.Fetch(ctx, "s3://models/ephemeral/model.json", roleStatic)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	_, err = f.Fetch(ctx, "oss://"+ossHangzhou+"/models/ephemeral/", roleStatic)
	if !errors.Is(err, ErrNoModelFile) {
		t.Fatalf("dir after delete: %v", err)
	}
}
