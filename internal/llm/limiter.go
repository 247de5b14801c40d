package llm

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
)

// limiter is a FIFO counting semaphore whose limit can change, shared by
// every Client of one model identity in the process.
type limiter struct {
	key string

	mu      sync.Mutex
	limit   int
	inUse   int
	waiters []chan struct{}

	// statistics
	maxInUse      int
	requests      atomic.Int64 // HTTP attempts sent
	retries       atomic.Int64 // attempts after the first
	failures      atomic.Int64 // operations that returned an error
	promptTokens  atomic.Int64
	complTokens   atomic.Int64
	retryAfterHit atomic.Int64 // responses carrying Retry-After
}

var registry struct {
	mu sync.Mutex
	m  map[string]*limiter
}

// sharedLimiter returns the process-wide limiter for key, setting its limit.
func sharedLimiter(key string, limit int) *limiter {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.m == nil {
		registry.m = make(map[string]*limiter)
	}
	l := registry.m[key]
	if l == nil {
		l = &limiter{key: key, limit: limit}
		registry.m[key] = l
		return l
	}
	l.setLimit(limit)
	return l
}

func (l *limiter) setLimit(n int) {
	if n < 1 {
		n = 1
	}
	l.mu.Lock()
	l.limit = n
	l.grantLocked()
	l.mu.Unlock()
}

// grantLocked hands free slots to waiters in FIFO order.
func (l *limiter) grantLocked() {
	for l.inUse < l.limit && len(l.waiters) > 0 {
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		l.inUse++
		l.maxInUse = max(l.maxInUse, l.inUse)
		close(w)
	}
}

func (l *limiter) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	if l.inUse < l.limit && len(l.waiters) == 0 {
		l.inUse++
		l.maxInUse = max(l.maxInUse, l.inUse)
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
		case <-w: // granted meanwhile: give the slot back
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

func (l *limiter) release() {
	l.mu.Lock()
	l.inUse--
	l.grantLocked()
	l.mu.Unlock()
}

// Stats are counters of one model identity, shared by all its Clients.
type Stats struct {
	Key              string // the limiter key (Endpoint.LimiterKey)
	Limit            int    // current concurrency limit
	InFlight         int    // requests holding a slot now (sending or backing off)
	Waiting          int    // requests waiting for a slot
	MaxInFlight      int    // highest InFlight seen
	Requests         int64  // HTTP attempts sent
	Retries          int64  // attempts after the first of an operation
	Failures         int64  // operations that ended in an error
	RetryAfterSeen   int64  // responses that carried Retry-After
	PromptTokens     int64  // usage reported by the server
	CompletionTokens int64
}

func (l *limiter) stats() Stats {
	l.mu.Lock()
	s := Stats{Key: l.key, Limit: l.limit, InFlight: l.inUse, Waiting: len(l.waiters), MaxInFlight: l.maxInUse}
	l.mu.Unlock()
	s.Requests = l.requests.Load()
	s.Retries = l.retries.Load()
	s.Failures = l.failures.Load()
	s.RetryAfterSeen = l.retryAfterHit.Load()
	s.PromptTokens = l.promptTokens.Load()
	s.CompletionTokens = l.complTokens.Load()
	return s
}

// AllStats returns the statistics of every model identity used in the
// process, sorted by key.
func AllStats() []Stats {
	registry.mu.Lock()
	ls := make([]*limiter, 0, len(registry.m))
	for _, l := range registry.m {
		ls = append(ls, l)
	}
	registry.mu.Unlock()
	out := make([]Stats, len(ls))
	for i, l := range ls {
		out[i] = l.stats()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
