package functions

import (
	"container/list"
	"sync"
)

// ModelCache keeps parsed models in memory, bounded in bytes, least recently
// used first out. Keys are the stored files' content hashes, so a cached
// model can never be stale; Evict drops a model when its version is dropped.
type ModelCache struct {
	mu       sync.Mutex
	maxBytes int64
	used     int64
	lru      *list.List // of *cacheEntry, front = most recent
	entries  map[string]*list.Element
	loading  map[string]*loadCall
}

type cacheEntry struct {
	key   string
	value Predictor
	size  int64
}

type loadCall struct {
	done  chan struct{}
	value Predictor
	err   error
}

// NewModelCache returns a cache holding at most maxBytes of models. A single
// model larger than the bound is still returned, just not kept.
func NewModelCache(maxBytes int64) *ModelCache {
	return &ModelCache{maxBytes: maxBytes, lru: list.New(), entries: map[string]*list.Element{}, loading: map[string]*loadCall{}}
}

// Get returns the model for key, calling load at most once at a time per key.
func (c *ModelCache) Get(key string, load func() (Predictor, int64, error)) (Predictor, error) {
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		c.lru.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*cacheEntry).value, nil
	}
	if call, ok := c.loading[key]; ok {
		c.mu.Unlock()
		<-call.done
		return call.value, call.err
	}
	call := &loadCall{done: make(chan struct{})}
	c.loading[key] = call
	c.mu.Unlock()

	v, size, err := load()
	call.value, call.err = v, err

	c.mu.Lock()
	delete(c.loading, key)
	if err == nil && size <= c.maxBytes {
		c.entries[key] = c.lru.PushFront(&cacheEntry{key: key, value: v, size: size})
		c.used += size
		for c.used > c.maxBytes {
			c.removeLocked(c.lru.Back())
		}
	}
	c.mu.Unlock()
	close(call.done)
	return v, err
}

// Evict drops key from the cache.
func (c *ModelCache) Evict(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.removeLocked(el)
	}
}

// Len and Bytes report the cache's content.
func (c *ModelCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Bytes returns the total size of the cached models.
func (c *ModelCache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

func (c *ModelCache) removeLocked(el *list.Element) {
	e := el.Value.(*cacheEntry)
	c.lru.Remove(el)
	delete(c.entries, e.key)
	c.used -= e.size
}
