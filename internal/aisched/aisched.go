// Package aisched sends the requests of AI calls. Every request of every
// statement goes through one Scheduler, which bounds the requests in flight
// per model, shared by all statements and sessions of the process, across
// DuckDB's threads and vectors: MAX_CONCURRENCY is the ceiling, and an
// adaptive limiter (AIMD, see slots.done) finds the concurrency the server
// sustains, lowering it when latency climbs or the server answers 429,
// 503 or not in time, raising it again while the server keeps up.
//
// A request is a model version key, the identity of its body (a SHA-256:
// per-statement de-duplication and a result cache will key on model and
// body) and the function that sends it. The Scheduler decides
// when it is sent; the caller only waits for the answer, blocking its own
// goroutine, never spinning.
package aisched

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// BodyID is the SHA-256 of parts, each length-prefixed so that different
// splits of the same bytes differ.
func BodyID(parts ...[]byte) [32]byte {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Request is one request to a model.
type Request struct {
	// Model is the model version key (llm.Endpoint.LimiterKey): requests
	// with one key share one concurrency limit.
	Model string
	// Limit is the model's concurrency limit (MAX_CONCURRENCY); the value
	// of the latest request wins.
	Limit int
	// Body identifies the request: the SHA-256 of everything that makes up
	// its body (see BodyID); equal requests have equal Body.
	Body [32]byte
	// Send sends the request (retries included) and returns its answer.
	Send func(ctx context.Context) (any, error)
}

// Scheduler sends requests with a concurrency limit per model.
type Scheduler struct {
	mu     sync.Mutex
	models map[string]*slots
}

// New returns an empty Scheduler.
func New() *Scheduler { return &Scheduler{models: map[string]*slots{}} }

// Default is the process-wide scheduler.
var Default = New()

// Submit sends r once a slot of its model is free and returns the answer.
// Cancelling ctx gives up the wait or cancels the request in flight.
func (s *Scheduler) Submit(ctx context.Context, r Request) (any, error) {
	m := s.model(r.Model, r.Limit)
	if err := m.acquire(ctx); err != nil {
		return nil, err
	}
	m.sent.Add(1)
	fb := &feedback{}
	start := time.Now()
	defer func() { m.done(time.Since(start), fb.overloaded.Load(), ctx.Err() != nil) }()
	return r.Send(context.WithValue(ctx, feedbackKey{}, fb))
}

type feedbackKey struct{}

// feedback carries what a request's sender saw back to the scheduler.
type feedback struct{ overloaded atomic.Bool }

// Overloaded tells the scheduler that the request running with ctx met a
// sign of an overloaded server (a 429, a 503, a timeout): its model's
// concurrency is lowered.
func Overloaded(ctx context.Context) {
	if fb, ok := ctx.Value(feedbackKey{}).(*feedback); ok {
		fb.overloaded.Store(true)
	}
}

// SubmitAll sends reqs, as many at a time as their models allow, and
// returns the answers in order. The first error cancels the requests not
// yet answered and is returned once every running request has returned;
// a request whose failure must not stop the others (a NULL-on-error
// policy) records it and returns a nil error from Send.
func (s *Scheduler) SubmitAll(ctx context.Context, reqs []Request) ([]any, error) {
	out := make([]any, len(reqs))
	if len(reqs) == 0 {
		return out, ctx.Err()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// One goroutine per slot the requests can use, not per request.
	workers := 0
	seen := map[string]bool{}
	for _, r := range reqs {
		if !seen[r.Model] {
			seen[r.Model] = true
			workers += max(r.Limit, 1)
		}
	}
	workers = min(workers, len(reqs))
	var (
		next     atomic.Int64
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) || ctx.Err() != nil {
					return
				}
				v, err := s.Submit(ctx, reqs[i])
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				out[i] = v
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return out, firstErr
	}
	return out, ctx.Err()
}

// Stats are a model's counters.
type Stats struct {
	// Limit is MAX_CONCURRENCY, the ceiling; Current is the concurrency
	// the adaptive limiter allows now.
	Limit, Current, InFlight, Waiting, MaxInFlight int
	Sent                                           int64         // requests handed to Send
	Latency                                        time.Duration // smoothed request latency
}

// Stats returns the counters of a model key.
func (s *Scheduler) Stats(model string) Stats {
	s.mu.Lock()
	m := s.models[model]
	s.mu.Unlock()
	if m == nil {
		return Stats{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return Stats{Limit: m.limit, Current: m.current(), InFlight: m.inUse, Waiting: len(m.waiters), MaxInFlight: m.maxInUse,
		Sent: m.sent.Load(), Latency: time.Duration(m.ewma)}
}

func (s *Scheduler) model(key string, limit int) *slots {
	s.mu.Lock()
	m := s.models[key]
	if m == nil {
		m = &slots{limit: max(limit, 1), cur: float64(max(limit, 1))}
		s.models[key] = m
		s.mu.Unlock()
		return m
	}
	s.mu.Unlock()
	if limit > 0 {
		m.setLimit(limit)
	}
	return m
}

// slots is a FIFO counting semaphore whose limit adapts (see done).
type slots struct {
	mu       sync.Mutex
	limit    int     // MAX_CONCURRENCY: the ceiling
	cur      float64 // the adaptive limit, 1..limit
	ewma     float64 // smoothed latency, ns
	overload float64 // smoothed share of requests that met an overload sign
	base     float64 // baseline latency (the lowest seen, drifting up slowly), ns
	samples  int
	lastCut  time.Time
	inUse    int
	maxInUse int
	waiters  []chan struct{}
	sent     atomic.Int64
}

func (l *slots) setLimit(n int) {
	l.mu.Lock()
	if l.limit != n {
		l.limit = n
		l.cur = min(max(l.cur, 1), float64(n))
		if l.samples == 0 {
			l.cur = float64(n)
		}
		l.grantLocked()
	}
	l.mu.Unlock()
}

// current is the concurrency allowed now.
func (l *slots) current() int { return max(1, min(l.limit, int(l.cur))) }

// The adaptive limiter (AIMD on latency and overload signals): when more
// than overloadShare of the recent requests (exponential average, weight
// overloadWeight) met a 429, a 503 or a timeout, such a request halves the
// limit (a few scattered faults of a server that keeps up do not); a smoothed latency
// above latencyTolerance times the baseline multiplies it by 0.8; each
// decrease at most once per smoothed latency, so that one queue's worth of
// slow answers counts once. Otherwise each answer adds 1/limit (one per
// round of answers), up to MAX_CONCURRENCY.
const (
	latencyTolerance = 2.5
	overloadShare    = 0.5
	overloadWeight   = 0.1
	ewmaWeight       = 0.2
	baseDrift        = 1.02 // per 50 answers, so the baseline follows a server that got slower for good
)

// done feeds one request's latency and outcome back into the limit.
func (l *slots) done(took time.Duration, overloaded, cancelled bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inUse--
	if !cancelled {
		x := float64(took)
		l.samples++
		if l.samples == 1 {
			l.ewma, l.base = x, x
		} else {
			l.ewma += ewmaWeight * (x - l.ewma)
			l.base = min(l.base, x)
			if l.samples%50 == 0 {
				l.base *= baseDrift
			}
		}
		o := 0.0
		if overloaded {
			o = 1
		}
		l.overload += overloadWeight * (o - l.overload)
		now := time.Now()
		canCut := now.Sub(l.lastCut) > time.Duration(l.ewma)
		switch {
		case overloaded && l.overload > overloadShare && canCut:
			l.cur, l.lastCut = max(1, l.cur*0.5), now
		case l.ewma > latencyTolerance*l.base && canCut:
			l.cur, l.lastCut = max(1, l.cur*0.8), now
		case !overloaded && l.ewma <= latencyTolerance*l.base:
			l.cur = min(float64(l.limit), l.cur+1/l.cur)
		}
	}
	l.grantLocked()
}

func (l *slots) grantLocked() {
	for l.inUse < l.current() && len(l.waiters) > 0 {
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		l.take()
		close(w)
	}
}

func (l *slots) take() {
	l.inUse++
	l.maxInUse = max(l.maxInUse, l.inUse)
}

func (l *slots) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	if l.inUse < l.current() && len(l.waiters) == 0 {
		l.take()
		l.mu.Unlock()
		return nil
	}
	w := make(chan struct{})
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()
	select {
	case <-w:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		select {
		case <-w: // granted meanwhile: give it back
			l.inUse--
			l.grantLocked()
		default:
			for i, x := range l.waiters {
				if x == w {
					l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
					break
				}
			}
		}
		l.mu.Unlock()
		return ctx.Err()
	}
}
