package functions

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/modelsql/modelsql/internal/xgboost"
)

type fakePredictor struct{ id string }

func (fakePredictor) NumFeatures() int                                      { return 1 }
func (fakePredictor) Outputs() int                                          { return 1 }
func (fakePredictor) PredictRows([]float32, int, []float32) error           { return nil }
func (fakePredictor) PredictColumns([]xgboost.Column, int, []float32) error { return nil }
func (fakePredictor) ClassProbs() int                                       { return 0 }
func (fakePredictor) Classify([]float32, []float32) int                     { return 0 }

func TestModelCacheBoundsBytesAndEvicts(t *testing.T) {
	c := NewModelCache(100)
	load := func(id string, size int64) func() (Predictor, int64, error) {
		return func() (Predictor, int64, error) { return fakePredictor{id}, size, nil }
	}
	c.Get("a", load("a", 60))
	c.Get("b", load("b", 30))
	if c.Len() != 2 || c.Bytes() != 90 {
		t.Fatalf("len %d bytes %d", c.Len(), c.Bytes())
	}
	c.Get("a", load("a", 60)) // a becomes most recent
	c.Get("c", load("c", 30)) // 120 > 100: b (least recent) goes
	if c.Len() != 2 || c.Bytes() != 90 {
		t.Fatalf("after overflow: len %d bytes %d", c.Len(), c.Bytes())
	}
	var reloaded bool
	c.Get("b", func() (Predictor, int64, error) { reloaded = true; return fakePredictor{"b"}, 30, nil })
	if !reloaded {
		t.Fatal("b should have been evicted")
	}
	// Reloading b (30) overflowed again and pushed out a, the least recent.
	c.Evict("c")
	if c.Len() != 1 || c.Bytes() != 30 {
		t.Fatalf("after Evict: len %d bytes %d", c.Len(), c.Bytes())
	}
	big, err := c.Get("huge", load("huge", 1000))
	if err != nil || big.(fakePredictor).id != "huge" || c.Len() != 1 {
		t.Fatalf("oversized model: %v %v len %d", big, err, c.Len())
	}
	if _, err := c.Get("bad", func() (Predictor, int64, error) { return nil, 0, errors.New("corrupt") }); err == nil {
		t.Fatal("load error lost")
	}
}

func TestModelCacheLoadsOncePerKey(t *testing.T) {
	c := NewModelCache(1 << 20)
	var loads atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Get("k", func() (Predictor, int64, error) { loads.Add(1); return fakePredictor{"k"}, 1, nil })
		}()
	}
	wg.Wait()
	if loads.Load() != 1 {
		t.Fatalf("loaded %d times", loads.Load())
	}
}
