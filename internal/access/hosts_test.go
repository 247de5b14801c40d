package access_test

import (
	"context"
	"errors"
	"io"
	"log"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/access"
	"github.com/modelsql/modelsql/internal/session"
)

// TestAllowHosts: with --allow-host, non-administrators' ENDPOINT and
// http(s)/oss LOCATION must name a listed server (issue 20, item 11).
func TestAllowHosts(t *testing.T) {
	e := newEnv(t)
	var pats []access.HostPattern
	for _, h := range []string{"llm.example.com", "*.internal.test", "127.0.0.1:8080", "[::1]:9000"} {
		p, err := access.ParseHostPattern(h)
		if err != nil {
			t.Fatal(err)
		}
		pats = append(pats, p)
	}
	g, err := access.NewGuard(e.store, access.GuardOptions{AllowDirs: []string{e.allowed}, AllowHosts: pats, Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	open := func(user string) *session.Session {
		s, err := e.w.NewSession(context.Background(), session.SessionOptions{User: user, Project: "default", Guard: g})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	bob, root := open("bob"), open("root")
	e.ok(e.admin, "GRANT CreateModel ON PROJECT default TO USER bob")
	remote := func(name, endpoint string) string {
		return `CREATE MODEL ` + name + ` WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE = 'REMOTE', MODEL_TYPE = 'LLM', TASKS = 'text-generation',
			PAI_EAS_MODEL_NAME = 'q', PAI_EAS_SERVICE_NAME = 's', ENDPOINT = '` + endpoint + `', APIKEY = 'k', PAI_EAS_SYNC_MODE = 'true')`
	}
	imported := func(name, loc string) string {
		return `CREATE MODEL ` + name + ` WITH VERSION v1 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)
			OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', ROLEARN='acs:ram::1:role/r', LOCATION='` + loc + `')`
	}
	for _, q := range []string{
		remote("r1", "http://127.0.0.1:9"),
		remote("r2", "http://127.0.0.1"),
		remote("r3", "http://LOCALHOST:8080"),
		remote("r4", "https://evil.example.com/v1"),
		remote("r5", "https://llm.example.com.evil.test/v1"),
		remote("r6", "http://internal.test.evil.org/"),
		remote("r7", "http://[::1]:9001/"),
		imported("i1", "https://evil.test/m.json?X-Amz-Signature=1"),
		imported("i2", "HTTP://169.254.169.254/latest/meta-data"),
		imported("i3", "oss://oss.evil.test/bucket1/m.json"),
	} {
		e.denied(bob, q, "--allow-host")
	}
	// Listed servers pass the guard (remote models are not called when created).
	for i, ep := range []string{"https://llm.example.com/v1", "http://LLM.Example.com:8443/", "http://a.b.internal.test/", "http://127.0.0.1:8080/v1", "http://[::1]:9000/"} {
		e.ok(bob, remote("ok"+string(rune('a'+i)), ep))
	}
	// A listed LOCATION passes the guard and fails only when fetched.
	if _, err := bob.Exec(context.Background(), imported("i4", "http://x.internal.test:1/m.json")); err == nil {
		t.Error("fetching from a host that does not exist succeeded")
	} else if de := (*access.DeniedError)(nil); errors.As(err, &de) {
		t.Errorf("a listed host was refused: %v", err)
	}
	// Administrators are not limited.
	if _, err := root.Exec(context.Background(), remote("adm", "http://127.0.0.1:9")); err != nil {
		t.Errorf("administrator: %v", err)
	}
	for _, bad := range []string{"", "http://x", "a/b", "*x.com", "user@host"} {
		if _, err := access.ParseHostPattern(bad); err == nil {
			t.Errorf("ParseHostPattern(%q) accepted", bad)
		}
	}
	if p, _ := access.ParseHostPattern("Example.COM:80"); !strings.EqualFold(p.String(), "example.com:80") {
		t.Errorf("pattern: %s", p)
	}
}
