package functions

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/modelsql/modelsql/internal/aicache"
	"github.com/modelsql/modelsql/internal/aisched"
)

// Cost is what an AI call would send (EXPLAIN COST): the call runs over the
// statement's rows but sends nothing and answers NULL.
type Cost struct {
	Rows     atomic.Int64 // rows that reached the call
	Distinct atomic.Int64 // distinct requests (embeddings: distinct inputs)
	Cached   atomic.Int64 // of those, answered by the result cache
	Requests atomic.Int64 // requests the run would send
	// InputTokens estimates the input tokens of those requests
	// (EstimateTokens); OutputBound adds their max_tokens, Unbounded is
	// set when one of them has none.
	InputTokens, OutputBound atomic.Int64
	Unbounded                atomic.Bool

	mu   sync.Mutex
	sent map[aicache.Key]bool // embedding inputs an earlier vector would send
}

// EstimateTokens is the documented estimate of a text's tokens: its UTF-8
// bytes divided by 4, rounded up (about right for English and code; CJK
// text has more tokens per byte).
func EstimateTokens(texts ...string) int64 {
	n := 0
	for _, t := range texts {
		n += len(t)
	}
	return int64((n + 3) / 4)
}

// maxTokens is a request's max_tokens parameter, if it has one.
func maxTokens(r *request) (int64, bool) {
	raw, ok := r.params["max_tokens"]
	if !ok {
		return 0, false
	}
	var n int64
	if json.Unmarshal(raw, &n) != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// estimate counts one vector's rows as EXPLAIN COST: like run, without
// sending; every result stays NULL.
func (c *boundCall) estimate(ctx context.Context, reqs []request) {
	rc := c.b.Remote
	cost := rc.Cost
	cost.Rows.Add(int64(len(reqs)))
	c.b.Rows.Add(int64(len(reqs)))
	if c.batchesEmbeddings() {
		c.estimateEmbeddings(ctx, reqs)
		return
	}
	rows := c.lookupOnly(ctx, reqs)
	for i := range reqs {
		r := &rows[i]
		if reqs[i].skip || !r.leader {
			continue
		}
		cost.Distinct.Add(1)
		if r.flight.Done() {
			cost.Cached.Add(1)
			continue
		}
		r.flight.Finish(nil, nil)
		cost.Requests.Add(1)
		cost.InputTokens.Add(EstimateTokens(append([]string{reqs[i].text, reqs[i].text2, reqs[i].url}, reqs[i].labels...)...))
		if n, ok := maxTokens(&reqs[i]); ok {
			cost.OutputBound.Add(n)
		} else {
			cost.Unbounded.Store(true)
		}
	}
}

// estimateEmbeddings counts the batches runEmbeddings would send.
func (c *boundCall) estimateEmbeddings(ctx context.Context, reqs []request) {
	rc := c.b.Remote
	cost := rc.Cost
	groups := map[string][]aicache.Key{}
	seen := map[aicache.Key]bool{}
	var ask []aicache.Key
	for i := range reqs {
		r := &reqs[i]
		if r.skip {
			continue
		}
		texts := []string{r.text}
		if c.b.Func == "AI_SIMILARITY" {
			texts = append(texts, r.text2)
		}
		pk, _ := json.Marshal(r.params)
		for _, t := range texts {
			k := aicache.KeyOf(c.b.Version.ID, aisched.BodyID([]byte("embed"), []byte(t), pk))
			if seen[k] {
				continue
			}
			seen[k] = true
			cost.Distinct.Add(1)
			cost.InputTokens.Add(EstimateTokens(t))
			groups[string(pk)] = append(groups[string(pk)], k)
			if rc.cacheUse(r.params["temperature"]) {
				ask = append(ask, k)
			}
		}
	}
	var found map[aicache.Key]any
	if len(ask) > 0 {
		found, _ = rc.Cache.Peek(ctx, ask)
	}
	size := int64(rc.Client.EmbeddingBatchSize())
	cost.mu.Lock()
	defer cost.mu.Unlock()
	if cost.sent == nil {
		cost.sent = map[aicache.Key]bool{}
	}
	for _, keys := range groups {
		var n int64
		for _, k := range keys {
			if _, ok := found[k]; ok || cost.sent[k] {
				cost.Cached.Add(1)
				continue
			}
			cost.sent[k] = true
			n++
		}
		cost.Requests.Add((n + size - 1) / size)
	}
}
