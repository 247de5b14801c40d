package aicache

import (
	"context"
	"sync"
)

// Flights de-duplicates the requests of one statement: the first row
// with a key sends the request (it leads the flight), every other row with
// that key waits for its answer. Answers stay for the statement's life, so
// an identical request later in the statement is not sent again either,
// even when the cache is off.
type Flights struct {
	mu sync.Mutex
	m  map[Key]*Flight
}

// NewFlights returns the flights of a new statement.
func NewFlights() *Flights { return &Flights{m: map[Key]*Flight{}} }

// Flight is one request of a statement and, once done, its answer.
type Flight struct {
	done chan struct{}
	once sync.Once
	v    any
	err  error
}

// Start returns the flight of key; leader is true when the caller created
// it and must send the request and Finish it.
func (f *Flights) Start(key Key) (fl *Flight, leader bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl := f.m[key]; fl != nil {
		return fl, false
	}
	fl = &Flight{done: make(chan struct{})}
	f.m[key] = fl
	return fl, true
}

// Forget drops a flight that failed, so that a later row may try again
// (a failed request is not an answer).
func (f *Flights) Forget(key Key, fl *Flight) {
	f.mu.Lock()
	if f.m[key] == fl {
		delete(f.m, key)
	}
	f.mu.Unlock()
}

// Finish sets the flight's answer; only the first call counts.
func (fl *Flight) Finish(v any, err error) {
	fl.once.Do(func() {
		fl.v, fl.err = v, err
		close(fl.done)
	})
}

// Done reports whether the flight has its answer.
func (fl *Flight) Done() bool {
	select {
	case <-fl.done:
		return true
	default:
		return false
	}
}

// Wait returns the flight's answer once it is there.
func (fl *Flight) Wait(ctx context.Context) (any, error) {
	select {
	case <-fl.done:
		return fl.v, fl.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
