// Package membudget bounds, process-wide, the memory that buffered network
// bodies hold at once: LLM answers (internal/llm) and downloaded model files
// (internal/objstore). Each is limited on its own (64 MiB an answer, 2 GiB a
// file), but hundreds of concurrent requests times those limits would
// exhaust the machine; one Budget caps their sum.
//
// A reader reserves bytes before it buffers them and releases them when the
// buffer is no longer needed. A reservation that does not fit waits, in
// arrival order, until enough is released, for at most MaxWait (or until its
// context ends); one larger than the whole budget fails at once.
package membudget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
)

// DefaultLimit is the budget of Default unless configured (modelsql serve
// --buffer-memory).
const DefaultLimit int64 = 1 << 30

// DefaultMaxWait is how long a reservation waits for memory by default.
const DefaultMaxWait = 60 * time.Second

// Default is the process-wide budget the LLM client and the object fetcher
// use.
var Default = New(DefaultLimit)

// MinLimit is the smallest budget Configure accepts: one LLM answer at its
// largest (64 MiB) must fit.
const MinLimit int64 = 64 << 20

// Configure sets Default's limit from a size such as "1GiB", "512MiB" or
// "2GB" (GB = 10^9 bytes, GiB = 2^30, plain digits = bytes).
func Configure(size string) error {
	n, err := humanize.ParseBytes(size)
	if err != nil {
		return fmt.Errorf("not a size (e.g. 1GiB, 512MiB): %q", size)
	}
	if n < uint64(MinLimit) || n > 1<<50 {
		return fmt.Errorf("%s is out of range (%s to 1 PiB)", size, humanize.IBytes(uint64(MinLimit)))
	}
	Default.SetLimit(int64(n))
	return nil
}

// Budget is a byte budget shared by concurrent readers. The zero value is
// not usable; use New.
//
// A reader of unknown length grows its reservation as its buffer fills,
// waiting while holding what it has. Growth is served before new
// reservations (it finishes work already begun), and a growth that can
// never be served because every holder is itself waiting to grow (each
// holds part of the budget and waits for another's part) is refused at
// once with ErrContended rather than waiting for MaxWait; ReadAll then
// finishes that body through a temporary file.
type Budget struct {
	mu      sync.Mutex
	limit   int64
	maxWait time.Duration
	used    int64
	peak    int64
	spills  int64     // reads finished through a temporary file
	holders int       // reservations holding bytes
	growQ   []*waiter // growths waiting, first come first served
	freshQ  []*waiter // new reservations waiting, served when growQ is empty
}

type waiter struct {
	r    *Reservation
	n    int64
	done chan struct{} // closed when granted or refused
	err  error         // set before done is closed when refused
}

// New returns a budget of limit bytes (limit > 0).
func New(limit int64) *Budget {
	return &Budget{limit: limit, maxWait: DefaultMaxWait}
}

// SetLimit changes the budget; reservations already granted are kept even
// if they now exceed it.
func (b *Budget) SetLimit(limit int64) {
	b.mu.Lock()
	b.limit = limit
	b.settleLocked()
	b.mu.Unlock()
}

// SetMaxWait changes how long a reservation may wait.
func (b *Budget) SetMaxWait(d time.Duration) {
	b.mu.Lock()
	b.maxWait = d
	b.mu.Unlock()
}

// Limit returns the budget in bytes.
func (b *Budget) Limit() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit
}

// Used returns the bytes reserved now.
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Peak returns the most bytes reserved at once since New or ResetPeak.
func (b *Budget) Peak() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// Spills returns how many reads went through a temporary file (see spill).
func (b *Budget) Spills() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spills
}

// ResetPeak sets Peak to the bytes reserved now.
func (b *Budget) ResetPeak() {
	b.mu.Lock()
	b.peak = b.used
	b.mu.Unlock()
}

// ErrTooLarge is matched (errors.Is) by the error of a reservation larger
// than the whole budget.
var ErrTooLarge = errors.New("larger than the memory budget")

// ErrWaitedTooLong is matched by the error of a reservation that waited
// MaxWait without the memory coming free.
var ErrWaitedTooLong = errors.New("timed out waiting for the memory budget")

// ErrContended is matched by the error of a growth refused because every
// holder of the budget was waiting to grow: none would ever release.
var ErrContended = errors.New("memory budget held by other growing requests")

// Error is the error of a reservation that could not be granted.
type Error struct {
	Want, Limit int64
	Waited      time.Duration // for ErrWaitedTooLong
	Kind        error         // ErrTooLarge, ErrWaitedTooLong or ErrContended
}

func (e *Error) Error() string {
	const what = "the memory budget for buffered answers and downloads"
	want, limit := humanize.IBytes(uint64(e.Want)), humanize.IBytes(uint64(e.Limit))
	switch e.Kind {
	case ErrTooLarge:
		return fmt.Sprintf("%s needed, more than the whole of %s (%s, modelsql serve --buffer-memory)", want, what, limit)
	case ErrContended:
		return fmt.Sprintf("%s more needed while all of %s (%s, modelsql serve --buffer-memory) is held by other requests that are growing too", want, what, limit)
	}
	return fmt.Sprintf("waited %s for %s of %s (%s, modelsql serve --buffer-memory), all held by other requests",
		e.Waited.Round(time.Millisecond), want, what, limit)
}

func (e *Error) Is(target error) bool { return target == e.Kind }

// Reservation is bytes held from a Budget. Release is safe to call more
// than once and on a nil Reservation.
type Reservation struct {
	b *Budget
	n int64
}

// Size returns the bytes held.
func (r *Reservation) Size() int64 {
	if r == nil {
		return 0
	}
	return r.n
}

// Reserve waits until n bytes fit in the budget and holds them. It fails
// at once with ErrTooLarge when n exceeds the whole budget, with
// ErrWaitedTooLong after MaxWait, or with ctx's error.
func (b *Budget) Reserve(ctx context.Context, n int64) (*Reservation, error) {
	r := &Reservation{b: b}
	if err := r.Grow(ctx, n); err != nil {
		return nil, err
	}
	return r, nil
}

// Grow adds n bytes to the reservation, waiting as Reserve does. ErrTooLarge
// counts the bytes already held: a reservation can never exceed the budget.
func (r *Reservation) Grow(ctx context.Context, n int64) error {
	if n <= 0 {
		return nil
	}
	b := r.b
	b.mu.Lock()
	if r.n+n > b.limit {
		limit := b.limit
		b.mu.Unlock()
		return &Error{Want: r.n + n, Limit: limit, Kind: ErrTooLarge}
	}
	w := &waiter{r: r, n: n, done: make(chan struct{})}
	if r.n > 0 {
		b.growQ = append(b.growQ, w)
	} else {
		b.freshQ = append(b.freshQ, w)
	}
	b.settleLocked()
	maxWait := b.maxWait
	b.mu.Unlock()

	select {
	case <-w.done:
		return w.err
	default:
	}
	start := time.Now()
	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	var err error
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = &Error{Want: n, Limit: b.Limit(), Waited: time.Since(start), Kind: ErrWaitedTooLong}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.done:
		if w.err != nil {
			return w.err
		}
		// Granted while giving up: hand the bytes back.
		b.takeLocked(r, -n)
	default:
		b.growQ = remove(b.growQ, w)
		b.freshQ = remove(b.freshQ, w)
	}
	b.settleLocked()
	return err
}

// Release gives all bytes back.
func (r *Reservation) Release() {
	if r == nil {
		return
	}
	b := r.b
	b.mu.Lock()
	if r.n > 0 {
		b.takeLocked(r, -r.n)
		b.settleLocked()
	}
	b.mu.Unlock()
}

func remove(q []*waiter, w *waiter) []*waiter {
	for i, x := range q {
		if x == w {
			return append(q[:i], q[i+1:]...)
		}
	}
	return q
}

// takeLocked adds n (negative: gives back) to r and the budget.
func (b *Budget) takeLocked(r *Reservation, n int64) {
	before := r.n
	r.n += n
	b.used += n
	switch {
	case before == 0 && r.n > 0:
		b.holders++
	case before > 0 && r.n == 0:
		b.holders--
	}
	if b.used > b.peak {
		b.peak = b.used
	}
}

// settleLocked grants waiting reservations that fit, growths first, each
// queue in arrival order; then refuses growths that can never be served.
func (b *Budget) settleLocked() {
	for {
		for len(b.growQ) > 0 && b.used+b.growQ[0].n <= b.limit {
			b.grantLocked(&b.growQ)
		}
		if len(b.growQ) > 0 {
			// Every holder waiting to grow: no bytes will ever come free.
			// Refuse the latest growth; its owner then releases.
			if len(b.growQ) < b.holders {
				return
			}
			w := b.growQ[len(b.growQ)-1]
			b.growQ = b.growQ[:len(b.growQ)-1]
			w.err = &Error{Want: w.n, Limit: b.limit, Kind: ErrContended}
			close(w.done)
			return
		}
		if len(b.freshQ) == 0 || b.used+b.freshQ[0].n > b.limit {
			return
		}
		b.grantLocked(&b.freshQ)
	}
}

func (b *Budget) grantLocked(q *[]*waiter) {
	w := (*q)[0]
	*q = (*q)[1:]
	b.takeLocked(w.r, w.n)
	close(w.done)
}

// ErrLimit is returned by ReadAll when the reader holds more than max bytes.
var ErrLimit = errors.New("more bytes than allowed")

// initialChunk is the first reservation of a body of unknown length.
const initialChunk = 16 << 10

// ReadAll reads r to its end into a buffer whose capacity is reserved from
// b, growing (and reserving) by doubling as it fills. sizeHint is the
// announced length, -1 if unknown; the buffer starts at that size. More than
// max bytes is ErrLimit. On success the caller releases the reservation when
// it no longer needs the data; on error nothing stays reserved.
//
// A growth refused because every holder is waiting to grow (ErrContended)
// does not fail the read: it continues into a temporary file (see spill).
func (b *Budget) ReadAll(ctx context.Context, r io.Reader, sizeHint, max int64) ([]byte, *Reservation, error) {
	first := int64(initialChunk)
	if sizeHint >= 0 && sizeHint <= max {
		first = sizeHint + 1 // one more byte finds the end without growing
	}
	first = min(first, max+1)
	res, err := b.Reserve(ctx, first)
	if err != nil {
		return nil, nil, err
	}
	buf := make([]byte, 0, first)
	for {
		if int64(len(buf)) == int64(cap(buf)) {
			if int64(len(buf)) > max {
				res.Release()
				return nil, nil, ErrLimit
			}
			next := min(2*int64(cap(buf)), max+1)
			if err := res.Grow(ctx, next-int64(cap(buf))); err != nil {
				if errors.Is(err, ErrContended) {
					return b.spill(ctx, buf, res, r, max, err)
				}
				res.Release()
				return nil, nil, err
			}
			// The reservation now equals the new capacity; the old buffer
			// is garbage once copied.
			grown := make([]byte, len(buf), next)
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if int64(len(buf)) > max {
				res.Release()
				return nil, nil, ErrLimit
			}
			return buf, res, nil
		}
		if err != nil {
			res.Release()
			return nil, nil, err
		}
	}
}

// spill finishes a read whose growth was refused under contention: the
// bytes so far and the rest of r go to a temporary file (created 0600 and
// unlinked at once, so nothing stays on disk), the reservation is given
// back, and the body is read back into memory once its whole size can be
// reserved: a waiter that holds nothing can block no one. refused is
// returned if no temporary file can be made.
func (b *Budget) spill(ctx context.Context, buf []byte, res *Reservation, r io.Reader, max int64, refused error) ([]byte, *Reservation, error) {
	f, err := os.CreateTemp("", "modelsql-spill-*")
	if err != nil {
		res.Release()
		return nil, nil, refused
	}
	os.Remove(f.Name())
	defer f.Close()
	b.mu.Lock()
	b.spills++
	b.mu.Unlock()
	_, err = f.Write(buf)
	have := int64(len(buf))
	buf = nil
	res.Release()
	if err != nil {
		return nil, nil, refused
	}
	n, err := io.Copy(f, io.LimitReader(r, max+1-have))
	if err != nil {
		return nil, nil, err
	}
	total := have + n
	if total > max {
		return nil, nil, ErrLimit
	}
	held, err := b.Reserve(ctx, total)
	if err != nil {
		return nil, nil, err
	}
	data := make([]byte, total)
	if _, err := f.ReadAt(data, 0); err != nil && !(err == io.EOF && total == 0) {
		held.Release()
		return nil, nil, fmt.Errorf("reading back the spilled body: %w", err)
	}
	return data, held, nil
}
