package aisched

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gauge counts Sends running at once.
type gauge struct{ now, max atomic.Int64 }

func (g *gauge) send(d time.Duration, v any) func(context.Context) (any, error) {
	return func(ctx context.Context) (any, error) {
		n := g.now.Add(1)
		defer g.now.Add(-1)
		for {
			m := g.max.Load()
			if n <= m || g.max.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-time.After(d):
			return v, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func TestLimitSharedAcrossCallers(t *testing.T) {
	for _, tc := range []struct {
		name            string
		callers, n, lim int
	}{
		{"one caller", 1, 40, 4},
		{"three callers share the limit", 3, 20, 5},
		{"limit above the requests", 1, 3, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New()
			var g gauge
			var wg sync.WaitGroup
			for c := range tc.callers {
				wg.Go(func() {
					reqs := make([]Request, tc.n)
					for i := range reqs {
						reqs[i] = Request{Model: "m@v1", Limit: tc.lim, Send: g.send(2*time.Millisecond, c*1000+i)}
					}
					out, err := s.SubmitAll(context.Background(), reqs)
					if err != nil {
						t.Error(err)
					}
					for i, v := range out {
						if v != c*1000+i {
							t.Errorf("answer %d is %v", i, v)
						}
					}
				})
			}
			wg.Wait()
			if m := g.max.Load(); m > int64(tc.lim) {
				t.Fatalf("%d requests in flight, limit %d", m, tc.lim)
			}
			st := s.Stats("m@v1")
			if st.Sent != int64(tc.callers*tc.n) || st.InFlight != 0 || st.MaxInFlight > tc.lim {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestFirstErrorStopsTheRest(t *testing.T) {
	s := New()
	boom := errors.New("boom")
	var sent atomic.Int64
	reqs := make([]Request, 100)
	for i := range reqs {
		reqs[i] = Request{Model: "m", Limit: 2, Send: func(ctx context.Context) (any, error) {
			sent.Add(1)
			if i == 1 {
				return nil, boom
			}
			time.Sleep(time.Millisecond)
			return i, nil
		}}
	}
	if _, err := s.SubmitAll(context.Background(), reqs); !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	if n := sent.Load(); n > 4 {
		t.Fatalf("%d requests sent after the failure", n)
	}
}

// Cancelling the caller's context ends every request in flight and every
// wait for a slot at once.
func TestCancelStopsAllAtOnce(t *testing.T) {
	s := New()
	var g gauge
	reqs := make([]Request, 50)
	for i := range reqs {
		reqs[i] = Request{Model: "m", Limit: 8, Send: g.send(time.Hour, i)}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := s.SubmitAll(ctx, reqs); done <- err }()
	for g.now.Load() < 8 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancel did not stop the requests")
	}
	if st := s.Stats("m"); st.InFlight != 0 || st.Waiting != 0 || st.Sent != 8 {
		t.Fatalf("after cancel: %+v", st)
	}
}

func TestLimitChanges(t *testing.T) {
	s := New()
	var g gauge
	hold := make(chan struct{})
	block := func(ctx context.Context) (any, error) {
		g.now.Add(1)
		defer g.now.Add(-1)
		<-hold
		return nil, nil
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { s.Submit(context.Background(), Request{Model: "m", Limit: 1, Send: block}) })
	}
	for s.Stats("m").Waiting != 3 {
		time.Sleep(time.Millisecond)
	}
	// A later request with a higher limit (ALTER MODEL) frees waiters.
	wg.Go(func() { s.Submit(context.Background(), Request{Model: "m", Limit: 3, Send: block}) })
	for s.Stats("m").InFlight != 3 {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	wg.Wait()
	if st := s.Stats("m"); st.Limit != 3 || st.Sent != 5 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBodyID(t *testing.T) {
	for _, tc := range []struct {
		a, b [][]byte
		same bool
	}{
		{[][]byte{[]byte("ab"), []byte("c")}, [][]byte{[]byte("ab"), []byte("c")}, true},
		{[][]byte{[]byte("ab"), []byte("c")}, [][]byte{[]byte("a"), []byte("bc")}, false},
		{[][]byte{[]byte("x"), nil}, [][]byte{[]byte("x")}, false},
	} {
		if got := BodyID(tc.a...) == BodyID(tc.b...); got != tc.same {
			t.Errorf("%q vs %q: equal %v", tc.a, tc.b, got)
		}
	}
}

// The adaptive limit: a run of overloads halves it, a latency above 2.5 times the
// baseline cuts it by a fifth (once per latency), answers at the baseline
// raise it back up to MAX_CONCURRENCY, never below 1.
func TestAdaptiveLimit(t *testing.T) {
	l := &slots{limit: 16, cur: 16}
	ms := time.Millisecond
	l.inUse = 1
	l.done(10*ms, false, false) // baseline 10 ms
	if l.current() != 16 {
		t.Fatalf("at the baseline: %d", l.current())
	}
	// One overloaded answer among good ones is noise, not a cut.
	l.inUse = 1
	l.done(10*ms, true, false)
	if l.current() != 16 {
		t.Fatalf("after one scattered overload: %d, want 16", l.current())
	}
	// A run of them (over half of recent answers) halves the limit.
	for range 6 {
		l.inUse = 1
		l.done(10*ms, true, false)
	}
	if l.current() != 8 {
		t.Fatalf("after overloads: %d, want 8", l.current())
	}
	l.inUse = 1
	l.done(10*ms, true, false) // within one latency of the last cut: counted once
	if l.current() != 8 {
		t.Fatalf("a second overload at once: %d, want 8", l.current())
	}
	l.lastCut = time.Time{}
	for range 10 { // the latency climbs to 10×: cut, once per latency
		l.inUse = 1
		l.done(100*ms, false, false)
	}
	if c := l.current(); c >= 8 || c < 1 {
		t.Fatalf("after slow answers: %d", c)
	}
	for range 2000 {
		l.inUse = 1
		l.done(10*ms, false, false)
	}
	if l.current() != 16 {
		t.Fatalf("recovered to %d, want 16", l.current())
	}
	// Cancelled requests say nothing about the server.
	l.inUse = 1
	l.done(time.Hour, true, true)
	if l.current() != 16 || l.inUse != 0 {
		t.Fatalf("a cancelled request changed the limit: %d", l.current())
	}
}
