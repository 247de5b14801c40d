package objstore

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestAllowedDirs: a fetcher confined to directories reads nothing outside
// them, whatever the spelling of the location (issue 20, item 2).
func TestAllowedDirs(t *testing.T) {
	allowed, _ := filepath.EvalSymlinks(t.TempDir())
	outside, _ := filepath.EvalSymlinks(t.TempDir())
	os.WriteFile(filepath.Join(allowed, "m.json"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(outside, "m.json"), []byte("{}"), 0o644)
	os.Symlink(filepath.Join(outside, "m.json"), filepath.Join(allowed, "out.json"))
	os.Symlink(outside, filepath.Join(allowed, "outdir"))
	os.Mkdir(filepath.Join(allowed, "d"), 0o755)
	os.Symlink(filepath.Join(outside, "m.json"), filepath.Join(allowed, "d", "model.json"))
	up := strings.Repeat("/%2E%2E", strings.Count(allowed, "/"))
	f, err := NewFetcher(nil, WithAllowedDirs([]string{allowed}))
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range []string{
		"file://" + filepath.Join(allowed, "m.json"),
		"FILE://localhost" + filepath.Join(allowed, "m.json"),
		filepath.Join(allowed, "m.json"),
	} {
		if _, err := f.Fetch(context.Background(), loc, ""); err != nil {
			t.Errorf("%s: %v", loc, err)
		}
	}
	for _, loc := range []string{
		"file://" + filepath.Join(outside, "m.json"),
		"FILE://" + filepath.Join(outside, "m.json"),
		"file://" + allowed + up + filepath.Join(outside, "m.json"),
		"file://" + allowed + strings.ToLower(up) + outside + "/",
		"file://" + allowed + strings.ReplaceAll(up, "/", "%2F") + filepath.Join(outside, "m.json"),
		"file://localhost" + filepath.Join(outside, "m.json"),
		"file://" + filepath.Join(allowed, "out.json"),
		"file://" + allowed + "/outdir/",
		"file://" + allowed + "/d/",
		"file://" + filepath.Join(outside, "missing.json"),
		"file:///etc/passwd",
	} {
		_, err := f.Fetch(context.Background(), loc, "")
		if !errors.Is(err, ErrAccessDenied) {
			t.Errorf("%s: want access denied, got %v", loc, err)
		}
	}
	none, _ := NewFetcher(nil, WithAllowedDirs(nil))
	if _, err := none.Fetch(context.Background(), "file://"+filepath.Join(allowed, "m.json"), ""); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("no allowed directory: %v", err)
	}
}

func TestLocalPath(t *testing.T) {
	for _, c := range []struct {
		in, path string
		local    bool
	}{
		{"file:///a/b/%2E%2E/c", "/a/c", true},
		{"FILE:///a/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd", true},
		{"file://localhost/a%2F..%2Fb", "/b", true},
		{"/a/./b/../c", "/a/c", true},
		{"s3://bucket/key", "", false},
		{"HTTP://h/x", "", false},
	} {
		p, local, err := LocalPath(c.in)
		if err != nil || p != c.path || local != c.local {
			t.Errorf("LocalPath(%q) = %q, %v, %v; want %q, %v", c.in, p, local, err, c.path, c.local)
		}
	}
	if _, local, err := LocalPath("file://otherhost/x"); err == nil || !local {
		t.Errorf("a file location on another host: local %v, err %v", local, err)
	}
}

// TestHTTPRedirectsStayOnServer: an http(s) location is not led to another
// server by a redirect (whoever may name a server may not reach others).
func TestHTTPRedirectsStayOnServer(t *testing.T) {
	var reached atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.Write([]byte("{}"))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away.json":
			http.Redirect(w, r, other.URL+"/m.json", http.StatusFound)
		case "/here.json":
			http.Redirect(w, r, "/m.json", http.StatusFound)
		default:
			w.Write([]byte(`{"ok":1}`))
		}
	}))
	defer srv.Close()
	f, err := NewFetcher(nil)
	if err != nil {
		t.Fatal(err)
	}
	if obj, err := f.Fetch(context.Background(), srv.URL+"/here.json", ""); err != nil || string(obj.Data) != `{"ok":1}` {
		t.Errorf("redirect on the same server: %q %v", obj.Data, err)
	}
	if _, err := f.Fetch(context.Background(), srv.URL+"/away.json", ""); err == nil || reached.Load() != 0 {
		t.Errorf("redirect to another server followed: %v (reached %d)", err, reached.Load())
	}
}

// TestHTTPLocationFailuresLookAlike: a closed port, a server that hangs up
// and one that is not HTTP fail with one message (no port scanner).
func TestHTTPLocationFailuresLookAlike(t *testing.T) {
	serve := func(handle func(net.Conn)) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { handle(c); c.Close() }()
			}
		}()
		return ln.Addr().String()
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	f, _ := NewFetcher(nil)
	var msgs []string
	for _, addr := range []string{closed, serve(func(net.Conn) {}), serve(func(c net.Conn) { c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n")) })} {
		_, err := f.Fetch(context.Background(), "http://"+addr+"/m.json", "")
		if err == nil {
			t.Fatalf("%s: no error", addr)
		}
		msgs = append(msgs, strings.ReplaceAll(err.Error(), addr, "ADDR"))
	}
	if msgs[0] != msgs[1] || msgs[1] != msgs[2] {
		t.Errorf("failures differ:\n%s", strings.Join(msgs, "\n"))
	}
}
