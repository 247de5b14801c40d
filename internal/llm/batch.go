package llm

import (
	"context"
	"sync"
	"sync/atomic"
)

// RunBatch calls fn(ctx, i) for i in [0, n) on up to workers goroutines
// (workers <= 0 means n). The first error returned by fn cancels the ctx
// given to the remaining calls, no new index is started, and RunBatch
// returns that error after every running call has returned. Calls that
// must not fail the batch (an on_error='null' policy) record their error
// and return nil.
func RunBatch(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	if n <= 0 {
		return ctx.Err()
	}
	if workers <= 0 || workers > n {
		workers = n
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
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
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// RunBatch runs fn for n rows with as many workers as the model's
// concurrency limit; the shared limiter bounds the requests in flight
// across every batch of the process.
func (c *Client) RunBatch(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	return RunBatch(ctx, n, c.Limit(), fn)
}
