package membudget

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReserveWaitsForRelease(t *testing.T) {
	b := New(100)
	ctx := context.Background()
	a, err := b.Reserve(ctx, 70)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		r, err := b.Reserve(ctx, 50)
		if err == nil {
			defer r.Release()
			if b.Used() > b.Limit() {
				err = errors.New("over the limit")
			}
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("granted 50 bytes while 70 of 100 were held: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	a.Release()
	a.Release() // twice is harmless
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if b.Used() != 0 || b.Peak() != 70 {
		t.Fatalf("used %d, peak %d", b.Used(), b.Peak())
	}
}

func TestReserveFailures(t *testing.T) {
	b := New(100)
	ctx := context.Background()
	if _, err := b.Reserve(ctx, 101); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than the whole of the memory budget") {
		t.Fatalf("reserve over the budget: %v", err)
	}
	held, _ := b.Reserve(ctx, 90)
	if err := held.Grow(ctx, 11); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("grow over the budget: %v", err)
	}
	b.SetMaxWait(30 * time.Millisecond)
	if _, err := b.Reserve(ctx, 20); !errors.Is(err, ErrWaitedTooLong) || !strings.Contains(err.Error(), "waited") {
		t.Fatalf("wait: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	b.SetMaxWait(time.Minute)
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := b.Reserve(cctx, 20); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
	held.Release()
	if b.Used() != 0 {
		t.Fatalf("used %d after every release and give-up", b.Used())
	}
	// A waiter that gave up does not block those behind it.
	if r, err := b.Reserve(ctx, 100); err != nil {
		t.Fatal(err)
	} else {
		r.Release()
	}
}

// smallReads returns at most 4 KiB per call, as a network body does.
type smallReads struct{ r io.Reader }

func (o smallReads) Read(p []byte) (int, error) { return o.r.Read(p[:min(4096, len(p))]) }

func TestReadAll(t *testing.T) {
	ctx := context.Background()
	body := bytes.Repeat([]byte("0123456789"), 30000) // 300,000 bytes
	for _, tc := range []struct {
		name     string
		r        io.Reader
		hint     int64
		max      int64
		wantErr  error
		maxBytes int64 // most bytes the reservation may hold
	}{
		{"known size", bytes.NewReader(body), int64(len(body)), 1 << 20, nil, int64(len(body)) + 1},
		{"unknown size", smallReads{bytes.NewReader(body)}, -1, 1 << 20, nil, 2 * int64(len(body))},
		{"exactly max", bytes.NewReader(body), -1, int64(len(body)), nil, int64(len(body)) + 1},
		{"over max", bytes.NewReader(body), -1, int64(len(body)) - 1, ErrLimit, 0},
		{"lying hint", bytes.NewReader(body), 10, 1 << 20, nil, 2 * int64(len(body))},
		{"over the budget", bytes.NewReader(body), -1, 1 << 20, ErrTooLarge, 0},
	} {
		b := New(1 << 20)
		if tc.wantErr == ErrTooLarge {
			b = New(200000)
		}
		data, res, err := b.ReadAll(ctx, tc.r, tc.hint, tc.max)
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) || b.Used() != 0 {
				t.Errorf("%s: err %v, %d bytes still reserved", tc.name, err, b.Used())
			}
			continue
		}
		if err != nil || !bytes.Equal(data, body) {
			t.Errorf("%s: %d bytes, %v", tc.name, len(data), err)
			continue
		}
		if res.Size() < int64(cap(data)) || res.Size() > tc.maxBytes || b.Peak() > tc.maxBytes {
			t.Errorf("%s: reserved %d (peak %d) for a buffer of capacity %d", tc.name, res.Size(), b.Peak(), cap(data))
		}
		res.Release()
		if b.Used() != 0 {
			t.Errorf("%s: %d bytes reserved after release", tc.name, b.Used())
		}
	}
}

// Many concurrent readers share the budget: together they never hold more
// than it, and all finish: of known length because a waiting reader holds
// nothing; of unknown length because a reader refused as every holder
// waits to grow (ErrContended) continues through a temporary file.
func TestReadAllConcurrent(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 300<<10)
	for _, hint := range []int64{int64(len(body)), -1} {
		b := New(1 << 20)
		var wg sync.WaitGroup
		errs := make(chan error, 32)
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				data, res, err := b.ReadAll(context.Background(), smallReads{bytes.NewReader(body)}, hint, 1<<20)
				if err == nil && !bytes.Equal(data, body) {
					err = errors.New("wrong data")
				}
				time.Sleep(time.Millisecond)
				res.Release()
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			if err != nil {
				t.Fatalf("hint %d: %v", hint, err)
			}
			ok++
		}
		if b.Peak() > b.Limit() || b.Used() != 0 {
			t.Fatalf("hint %d: peak %d of %d, %d still used", hint, b.Peak(), b.Limit(), b.Used())
		}
		// 16 first chunks fill the budget, so some reader must spill.
		if hint < 0 && b.Spills() == 0 || hint >= 0 && b.Spills() != 0 {
			t.Errorf("hint %d: %d spills", hint, b.Spills())
		}
		t.Logf("hint %d: %d of 32 finished, %d spilled, peak %d of %d", hint, ok, b.Spills(), b.Peak(), b.Limit())
	}
}

func TestConfigure(t *testing.T) {
	defer Default.SetLimit(DefaultLimit)
	for _, tc := range []struct {
		in   string
		want int64 // 0: refused
	}{
		{"1GiB", 1 << 30},
		{"512MiB", 512 << 20},
		{"2GB", 2e9},
		{"134217728", 128 << 20},
		{"1MiB", 0},
		{"lots", 0},
		{"", 0},
		{"-1GiB", 0},
	} {
		Default.SetLimit(DefaultLimit)
		err := Configure(tc.in)
		if tc.want == 0 {
			if err == nil || Default.Limit() != DefaultLimit {
				t.Errorf("Configure(%q) accepted: limit %d", tc.in, Default.Limit())
			}
			continue
		}
		if err != nil || Default.Limit() != tc.want {
			t.Errorf("Configure(%q) = %v, limit %d, want %d", tc.in, err, Default.Limit(), tc.want)
		}
	}
}
