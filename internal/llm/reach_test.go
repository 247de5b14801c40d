package llm_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelsql/modelsql/internal/llm"
)

// TestRedirectsNotFollowed: a redirect answer is an error; neither the prompt
// nor the key reach where it points (issue 20, item 11).
func TestRedirectsNotFollowed(t *testing.T) {
	var reached atomic.Int64
	var sawKey atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		if strings.Contains(r.Header.Get("Authorization"), key) {
			sawKey.Store(true)
		}
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"choices":[{"message":{"content":"hi"}}]}`))
	}))
	defer target.Close()
	for _, code := range []int{301, 302, 303, 307, 308} {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+r.URL.Path, code)
		}))
		c := client(t, easOpts(redirector.URL, "MAX_ATTEMPTS", "1"))
		_, err := c.Chat(context.Background(), llm.ChatRequest{Prompt: "the secret prompt"})
		redirector.Close()
		if err == nil || !strings.Contains(err.Error(), "redirect") {
			t.Errorf("HTTP %d: %v", code, err)
		}
	}
	if n := reached.Load(); n != 0 || sawKey.Load() {
		t.Errorf("the redirect target was reached %d times (key sent: %v)", n, sawKey.Load())
	}
}

// TestConnectionFailuresLookAlike: a closed port, a server that hangs up and
// one that answers something other than HTTP give the same message, so that
// errors are no port scanner (issue 20, item 11).
func TestConnectionFailuresLookAlike(t *testing.T) {
	listen := func(handle func(net.Conn)) string {
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
		return "http://" + ln.Addr().String()
	}
	closed := func() string {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}()
	hangUp := listen(func(net.Conn) {})
	banner := listen(func(c net.Conn) { c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n")) })
	var msgs []string
	for _, url := range []string{closed, hangUp, banner} {
		c := client(t, easOpts(url, "MAX_ATTEMPTS", "1"))
		_, err := c.Chat(context.Background(), llm.ChatRequest{Prompt: "x"})
		if err == nil {
			t.Fatalf("%s: no error", url)
		}
		e, _ := llm.AsError(err)
		msgs = append(msgs, string(e.Class)+": "+e.Message)
	}
	if msgs[0] != msgs[1] || msgs[1] != msgs[2] {
		t.Errorf("connection failures differ:\n%s", strings.Join(msgs, "\n"))
	}
	for _, m := range msgs {
		if strings.Contains(m, "refused") || strings.Contains(m, "EOF") || strings.Contains(m, "SSH") || strings.Contains(m, "malformed") {
			t.Errorf("message tells what answered: %s", m)
		}
	}
}
