package llm_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelsql/modelsql/internal/fakellm"
	"github.com/modelsql/modelsql/internal/llm"
)

func TestFaults(t *testing.T) {
	ctx := context.Background()
	s, url := fake(t, fakellm.Options{APIKey: key})
	tests := []struct {
		name     string
		prompt   string
		opts     []string // extra options
		class    llm.ErrorClass
		status   int
		attempts int    // HTTP attempts the server sees
		msg      string // part of the error text
	}{
		{"429 exhausts attempts", "[[fake:429]]", []string{"MAX_ATTEMPTS", "3"}, llm.ClassRateLimited, 429, 3, "injected 429"},
		{"503 exhausts attempts", "[[fake:503]]", []string{"MAX_ATTEMPTS", "2"}, llm.ClassServerError, 503, 2, "injected 503"},
		{"500 with message", "[[fake:500;message=CUDA out of memory]]", []string{"MAX_ATTEMPTS", "2"}, llm.ClassServerError, 500, 2, "CUDA out of memory"},
		{"502", "[[fake:502]]", []string{"MAX_ATTEMPTS", "2"}, llm.ClassServerError, 502, 2, "502"},
		{"504", "[[fake:504]]", []string{"MAX_ATTEMPTS", "2"}, llm.ClassServerError, 504, 2, "504"},
		{"408 is a timeout", "[[fake:408]]", []string{"MAX_ATTEMPTS", "2"}, llm.ClassTimeout, 408, 2, "408"},
		{"400 not retried", "[[fake:400;message=context length exceeded]]", nil, llm.ClassClientError, 400, 1, "context length exceeded"},
		{"404 not retried", "[[fake:404]]", nil, llm.ClassClientError, 404, 1, "404"},
		{"401 not retried", "[[fake:401]]", nil, llm.ClassAuth, 401, 1, "401"},
		{"403 not retried", "[[fake:403]]", nil, llm.ClassAuth, 403, 1, "403"},
		{"wrong key", "x", []string{"APIKEY", "wrong-key-000"}, llm.ClassAuth, 401, 1, "invalid or missing Authorization"},
		{"bearer on eas path", "x", []string{"AUTH_SCHEME", "bearer"}, llm.ClassAuth, 401, 1, "Authorization"},
		{"key echoed is scrubbed", "[[fake:echo-auth]]", nil, llm.ClassAuth, 401, 1, "token *** is not valid"},
		{"malformed retried", "[[fake:malformed]]", []string{"MAX_ATTEMPTS", "3"}, llm.ClassBadResponse, 200, 3, "not valid JSON"},
		{"empty not retried", "[[fake:empty]]", nil, llm.ClassBadResponse, 200, 1, "no choices"},
		{"reset mid-body retried", "[[fake:reset]]", []string{"MAX_ATTEMPTS", "3"}, llm.ClassConnection, 200, 3, ""},
		{"hang times out", "[[fake:hang]]", []string{"MAX_ATTEMPTS", "2", "PAI_EAS_SYNC_REQUEST_TIMEOUT", "100"}, llm.ClassTimeout, 0, 2, "PAI_EAS_SYNC_REQUEST_TIMEOUT (100 ms)"},
		{"latency beyond timeout", "[[fake:latency=300ms]]", []string{"MAX_ATTEMPTS", "1", "PAI_EAS_SYNC_REQUEST_TIMEOUT", "50"}, llm.ClassTimeout, 0, 1, "timeout"},
		{"bad directive", "[[fake:teapot]]", nil, llm.ClassClientError, 400, 1, "bad fault directive"},
		// transient faults: succeed after retries
		{"503 twice then ok", "[[fake:503;times=2]]", nil, "", 0, 3, ""},
		{"429 once then ok", "[[fake:429;retry-after=0;times=1]]", nil, "", 0, 2, ""},
		{"malformed once then ok", "[[fake:malformed;times=1]]", nil, "", 0, 2, ""},
		{"reset once then ok", "[[fake:reset;times=1]]", nil, "", 0, 2, ""},
		{"hang once then ok", "[[fake:hang;times=1]]", []string{"PAI_EAS_SYNC_REQUEST_TIMEOUT", "100"}, "", 0, 2, ""},
		{"latency within timeout", "[[fake:latency=20ms]]", nil, "", 0, 1, ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Reset()
			c := client(t, easOpts(url, tc.opts...))
			prompt := fmt.Sprintf("%s #%d", tc.prompt, i) // distinct body per case
			out, err := c.Generate(ctx, prompt, nil)
			if got := len(s.Requests()); got != tc.attempts {
				t.Errorf("server saw %d requests, want %d", got, tc.attempts)
			}
			if tc.class == "" {
				if err != nil || out != "echo: "+prompt {
					t.Fatalf("got %q, %v", out, err)
				}
				return
			}
			e, ok := llm.AsError(err)
			if !ok {
				t.Fatalf("error %v (%T) is not *llm.Error", err, err)
			}
			if e.Class != tc.class || e.Status != tc.status || e.Attempts != tc.attempts {
				t.Errorf("class=%s status=%d attempts=%d, want %s %d %d: %v", e.Class, e.Status, e.Attempts, tc.class, tc.status, tc.attempts, err)
			}
			text := err.Error()
			for _, want := range []string{e.Model, "version v1", string(tc.class), tc.msg} {
				if !strings.Contains(text, want) {
					t.Errorf("error %q lacks %q", text, want)
				}
			}
			if tc.status != 0 && !strings.Contains(text, fmt.Sprintf("HTTP %d", tc.status)) {
				t.Errorf("error %q lacks the status", text)
			}
			if strings.Contains(text, key) || strings.Contains(fmt.Sprintf("%+v", e), key) {
				t.Errorf("error leaks the key: %s", text)
			}
			if len(e.Message) > 210 {
				t.Errorf("message not shortened: %d", len(e.Message))
			}
		})
	}
}

func TestFaultsOnEmbeddings(t *testing.T) {
	ctx := context.Background()
	s, url := fake(t, fakellm.Options{})
	c := client(t, easOpts(url, "MAX_ATTEMPTS", "4"))
	v, err := c.Embed(ctx, "[[fake:503;times=3]] text", nil)
	if err != nil || len(v) != 1024 || len(s.Requests()) != 4 {
		t.Fatalf("len %d err %v requests %d", len(v), err, len(s.Requests()))
	}
	s.Reset()
	_, err = c.Embed(ctx, "[[fake:malformed]]", nil)
	if llm.ClassOf(err) != llm.ClassBadResponse || len(s.Requests()) != 4 {
		t.Fatalf("err %v requests %d", err, len(s.Requests()))
	}
	s.Reset()
	_, err = c.Embed(ctx, "[[fake:empty]]", nil)
	if llm.ClassOf(err) != llm.ClassBadResponse || len(s.Requests()) != 1 {
		t.Fatalf("err %v requests %d", err, len(s.Requests()))
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := client(t, easOpts("http://"+addr, "MAX_ATTEMPTS", "3"))
	_, err = c.Generate(context.Background(), "x", nil)
	e, ok := llm.AsError(err)
	if !ok || e.Class != llm.ClassConnection || e.Attempts != 3 || strings.Contains(err.Error(), key) {
		t.Fatalf("%v", err)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	ctx := context.Background()
	s, url := fake(t, fakellm.Options{})
	c := client(t, easOpts(url, "RETRY_BASE_DELAY_MS", "1"))

	// seconds
	start := time.Now()
	if _, err := c.Generate(ctx, "[[fake:429;retry-after=1;times=1]] a", nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second || d > 2*time.Second {
		t.Errorf("Retry-After 1 s: took %v", d)
	}
	// HTTP-date (whole seconds: wait at least 1 s after the next second boundary)
	s.Reset()
	at := time.Now().Add(2 * time.Second).UTC().Truncate(time.Second)
	start = time.Now()
	if _, err := c.Generate(ctx, "[[fake:503;retry-after="+at.Format(http.TimeFormat)+";times=1]] b", nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); time.Now().Before(at) || d > 3*time.Second {
		t.Errorf("Retry-After date %v: finished at %v after %v", at, time.Now(), d)
	}
	if st := c.Stats(); st.RetryAfterSeen != 2 || st.Retries != 2 {
		t.Errorf("stats %+v", st)
	}

	// a Retry-After beyond RETRY_MAX_DELAY_MS fails at once
	c2 := client(t, easOpts(url, "RETRY_MAX_DELAY_MS", "500"))
	start = time.Now()
	_, err := c2.Generate(ctx, "[[fake:429;retry-after=3600]] c", nil)
	e, ok := llm.AsError(err)
	if !ok || e.Class != llm.ClassRateLimited || e.Attempts != 1 || e.RetryAfter != time.Hour || time.Since(start) > time.Second {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
	if !strings.Contains(err.Error(), "Retry-After") {
		t.Errorf("error does not explain: %v", err)
	}
}

func TestBackoffBetweenAttempts(t *testing.T) {
	_, url := fake(t, fakellm.Options{})
	c := client(t, easOpts(url, "RETRY_BASE_DELAY_MS", "100", "MAX_ATTEMPTS", "3"))
	start := time.Now()
	_, err := c.Generate(context.Background(), "[[fake:500]]", nil)
	// delays: [50,100] + [100,200] ms
	if d := time.Since(start); llm.ClassOf(err) != llm.ClassServerError || d < 150*time.Millisecond || d > time.Second {
		t.Fatalf("%v after %v", err, d)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	ctx := context.Background()
	s, url := fake(t, fakellm.Options{Latency: 20 * time.Millisecond})
	o := easOpts(url, "MAX_CONCURRENCY", "4", "_MODEL", "proj.default.shared_limit")
	c1, c2 := client(t, o), client(t, o)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, c := range []*llm.Client{c1, c2} {
		wg.Go(func() {
			errs <- c.RunBatch(ctx, 40, func(ctx context.Context, i int) error {
				_, err := c.Generate(ctx, fmt.Sprint("row ", i), nil)
				return err
			})
		})
	}
	// a third batch that spawns a goroutine per row
	wg.Go(func() {
		var inner sync.WaitGroup
		for i := range 40 {
			inner.Go(func() { c1.Generate(ctx, fmt.Sprint("g ", i), nil) })
		}
		inner.Wait()
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Requests != 120 || st.MaxInFlight != 4 {
		t.Fatalf("server stats %+v, want 120 requests and at most 4 in flight", st)
	}
	if cs := c1.Stats(); cs.MaxInFlight != 4 || cs.InFlight != 0 || cs.Requests != 120 {
		t.Fatalf("client stats %+v", cs)
	}
	found := false
	for _, st := range llm.AllStats() {
		found = found || st.Key == "proj.default.shared_limit@v1"
	}
	if !found {
		t.Error("AllStats lacks the model")
	}
}

func TestCancellation(t *testing.T) {
	s, url := fake(t, fakellm.Options{})
	c := client(t, easOpts(url, "MAX_CONCURRENCY", "4"))
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 20)
	for i := range 20 { // 4 in flight (hung), 16 waiting for a slot
		go func() {
			_, err := c.Generate(ctx, fmt.Sprint("[[fake:hang]] ", i), nil)
			errs <- err
		}()
	}
	for s.Stats().InFlight < 4 || c.Stats().Waiting < 16 {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	cancel()
	for range 20 {
		select {
		case err := <-errs:
			if !errors.Is(err, context.Canceled) || llm.ClassOf(err) != llm.ClassCanceled {
				t.Errorf("err %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("calls did not return after cancel")
		}
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("cancellation took %v", d)
	}
	// the server sees the in-flight requests go away
	deadline := time.Now().Add(2 * time.Second)
	for s.Stats().InFlight != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := s.Stats().InFlight; n != 0 {
		t.Errorf("%d requests still in flight on the server", n)
	}
	if st := c.Stats(); st.InFlight != 0 || st.Waiting != 0 {
		t.Errorf("limiter not released: %+v", st)
	}

	// cancel during back-off
	ctx2, cancel2 := context.WithCancel(context.Background())
	c2 := client(t, easOpts(url, "RETRY_BASE_DELAY_MS", "10000"))
	go func() { time.Sleep(100 * time.Millisecond); cancel2() }()
	start = time.Now()
	_, err := c2.Generate(ctx2, "[[fake:503]] backoff", nil)
	if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("back-off cancel: %v after %v", err, time.Since(start))
	}
}

func TestFailRateDeterministic(t *testing.T) {
	ctx := context.Background()
	o := fakellm.Options{FailRate: 0.3, Seed: 7, FailLimit: 3, RetryAfter: "0"}
	s, url := fake(t, o)
	c := client(t, easOpts(url, "MAX_ATTEMPTS", "4", "MAX_CONCURRENCY", "8"))
	run := func() []string {
		out := make([]string, 200)
		if err := c.RunBatch(ctx, len(out), func(ctx context.Context, i int) error {
			var err error
			out[i], err = c.Generate(ctx, fmt.Sprint("prompt ", i), nil)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a := run()
	st1 := s.Stats()
	s.Reset()
	b := run()
	st2 := s.Stats()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("results differ between runs")
	}
	if st1.Faults != st2.Faults || st1.Requests != st2.Requests {
		t.Errorf("fault pattern differs: %+v vs %+v", st1, st2)
	}
	if st1.Faults < 40 || st1.Faults > 120 {
		t.Errorf("faults %d for 200 rows at 30%%", st1.Faults)
	}
	for i, r := range s.Requests() {
		if r.Fault != "" && r.Fault != "429;retry-after=0" && r.Fault != "503;retry-after=0" {
			t.Fatalf("request %d fault %q", i, r.Fault)
		}
	}
}
