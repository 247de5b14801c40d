package functions

import (
	"context"
	"time"

	"encoding/json"
	"github.com/modelsql/modelsql/internal/aicache"
	"sync"

	"github.com/modelsql/modelsql/internal/aisched"
	"github.com/modelsql/modelsql/internal/llm"
)

func (rc *RemoteCall) observe(took time.Duration) {
	if rc.OnRequest != nil {
		rc.OnRequest(took)
	}
}

func (rc *RemoteCall) sched() *aisched.Scheduler {
	if rc.Sched != nil {
		return rc.Sched
	}
	return aisched.Default
}

// run answers one vector's rows into results through the scheduler.
// Embeddings of texts go in batches; every other row is one request, sent
// only when no identical request of the statement was sent and the cache
// has no answer (see cached.go).
func (c *boundCall) run(ctx context.Context, reqs []request, results []any) error {
	if c.b.Remote.Cost != nil {
		c.estimate(ctx, reqs)
		return nil
	}
	if c.batchesEmbeddings() {
		return c.runEmbeddings(ctx, reqs, results)
	}
	rc := c.b.Remote
	cl := rc.Client
	key := cl.Endpoint().LimiterKey()
	rows := c.lookup(ctx, reqs)
	var jobs []aisched.Request
	for i := range reqs {
		r := &rows[i]
		if reqs[i].skip {
			c.b.Rows.Add(1)
			continue
		}
		if !r.leader || r.flight.Done() {
			continue // answered by the cache or by another row's request
		}
		jobs = append(jobs, aisched.Request{
			Model: key, Limit: cl.Limit(), Body: r.body,
			Send: func(ctx context.Context) (_ any, err error) {
				defer recoverAsError(&err) // a panic on this goroutine would end the process
				if !rc.Budget.Take() {
					r.flight.Finish(nil, rc.budgetError(c.b))
					rc.flights().Forget(r.key, r.flight)
					return nil, nil
				}
				callCtx, info := llm.WithCallInfo(ctx)
				start := time.Now()
				rc.InFlight.Add(1)
				v, err := c.call(callCtx, &reqs[i])
				rc.InFlight.Add(-1)
				r.took = time.Since(start)
				rc.Latency.Add(int64(r.took))
				rc.observe(r.took)
				rc.recordFallback(c.b, &reqs[i], info, err) // which model answered
				rc.used(info)
				r.info = info
				c.answered(r, v, err)
				c.b.Rows.Add(1)
				r.counted = true
				if err != nil && !(rc.NullOnError && ctx.Err() == nil) {
					return nil, err // the statement fails: stop the other requests
				}
				return nil, nil
			},
		})
	}
	_, err := rc.sched().SubmitAll(ctx, jobs)
	if err == nil {
		err = ctx.Err()
	}
	// Flights the scheduler never started (it stopped at an error) must not
	// leave rows of other vectors waiting.
	for i := range rows {
		if rows[i].leader && !reqs[i].skip && !rows[i].flight.Done() {
			rows[i].flight.Finish(nil, err)
			rc.Flights.Forget(rows[i].key, rows[i].flight)
		}
	}
	for i := range reqs {
		if reqs[i].skip {
			continue
		}
		v, rerr := rows[i].flight.Wait(ctx)
		if !rows[i].counted {
			c.b.Rows.Add(1)
		}
		if rerr != nil {
			if rc.budgetSpent(c.b, &reqs[i], rerr) {
				continue
			}
			if rc.NullOnError && ctx.Err() == nil && llm.ClassOf(rerr) != llm.ClassCanceled {
				rc.recordRow(c.b, &reqs[i], rerr, &rows[i])
				continue
			}
			if err == nil {
				err = rerr
			}
			continue
		}
		v = fromCache(v)
		if c.b.Info != nil {
			// Provenance of this row: what its own request took, nothing
			// for a row answered by the cache or another row's request.
			info := rows[i].info
			if info == nil {
				info = &llm.CallInfo{Model: c.b.Model.Ref().String(), Version: c.b.Version.Name}
			}
			v = c.b.Info.envelope(v, info)
		}
		results[i] = v
	}
	return err
}

// body identifies a row's request: the function, its inputs and its
// parameters (the HTTP body itself is built by the client from them).
func (c *boundCall) body(r *request) [32]byte {
	params, _ := json.Marshal(r.params)
	labels, _ := json.Marshal(r.labels)
	return aisched.BodyID([]byte(c.b.Func), []byte(r.text), []byte(r.text2), []byte(r.url), r.data,
		labels, []byte(r.mtype), params)
}

// batchesEmbeddings: AI_EMBEDDING of text and AI_SIMILARITY on an embedding
// model send their texts as lists of up to EMBEDDING_BATCH_SIZE inputs.
func (c *boundCall) batchesEmbeddings() bool {
	switch c.b.Func {
	case "AI_EMBEDDING":
		return !c.dataIsBinary
	case "AI_SIMILARITY":
		return !c.b.Remote.SimilarityByChat
	}
	return false
}

// embedInput is one text to embed: row's first or second text.
type embedInput struct {
	row    int
	text   string
	params llm.Params
	vec    []float32
	err    error
	key    aicache.Key
	cache  bool        // read from and written to the cache
	same   *embedInput // an identical input of the vector that is sent instead
}

// runEmbeddings embeds the texts of the rows in batches (texts with equal
// parameters share a batch), then builds each row's result.
func (c *boundCall) runEmbeddings(ctx context.Context, reqs []request, results []any) error {
	rc := c.b.Remote
	var inputs []*embedInput
	rowInputs := make([][]*embedInput, len(reqs))
	groups := map[string][]*embedInput{}
	var order []string
	uniq := map[aicache.Key]*embedInput{}
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
		cache := rc.cacheUse(r.params["temperature"])
		for _, t := range texts {
			in := &embedInput{row: i, text: t, params: r.params, cache: cache,
				key: aicache.KeyOf(c.b.Version.ID, aisched.BodyID([]byte("embed"), []byte(t), pk))}
			inputs = append(inputs, in)
			rowInputs[i] = append(rowInputs[i], in)
			if first := uniq[in.key]; first != nil {
				in.same = first // sent once per vector
				continue
			}
			uniq[in.key] = in
			if cache {
				ask = append(ask, in.key)
			}
			if _, ok := groups[string(pk)]; !ok {
				order = append(order, string(pk))
			}
			groups[string(pk)] = append(groups[string(pk)], in)
		}
	}
	if len(ask) > 0 {
		found, _ := rc.Cache.Get(ctx, ask)
		for k, v := range found {
			if vec, ok := v.([]float32); ok {
				uniq[k].vec = vec
			}
		}
		rc.countHits(c.b, len(found))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	size := rc.Client.EmbeddingBatchSize()
	var wg sync.WaitGroup
	for _, k := range order {
		var g []*embedInput
		for _, in := range groups[k] {
			if in.vec == nil { // not answered by the cache
				g = append(g, in)
			}
		}
		for lo := 0; lo < len(g); lo += size {
			batch := g[lo:min(lo+size, len(g))]
			wg.Go(func() { c.embedBatch(ctx, cancel, batch) })
		}
	}
	wg.Wait()
	for _, in := range inputs {
		if in.same != nil {
			in.vec, in.err = in.same.vec, in.same.err
		}
	}

	for i := range reqs {
		c.b.Rows.Add(1)
		if reqs[i].skip {
			continue
		}
		v, err := c.embedResult(rowInputs[i])
		if err != nil && rc.budgetSpent(c.b, &reqs[i], err) {
			continue
		}
		if err != nil {
			if rc.NullOnError && ctx.Err() == nil {
				rc.record(c.b, &reqs[i], err)
				continue
			}
			if fe := firstEmbedError(inputs); fe != nil {
				err = fe // the cause, not a cancellation it caused
			}
			return err
		}
		results[i] = v
	}
	return nil
}

// embedBatch sends one batch through the scheduler; a batch the server finds
// too large is split in halves, down to single inputs.
func (c *boundCall) embedBatch(ctx context.Context, cancel func(), batch []*embedInput) {
	rc := c.b.Remote
	cl := rc.Client
	texts := make([]string, len(batch))
	for i, in := range batch {
		texts[i] = in.text
	}
	parts := [][]byte{[]byte(c.b.Func)}
	for _, t := range texts {
		parts = append(parts, []byte(t))
	}
	params, _ := json.Marshal(batch[0].params)
	v, err := rc.sched().Submit(ctx, aisched.Request{
		Model: cl.Endpoint().LimiterKey(), Limit: cl.Limit(), Body: aisched.BodyID(append(parts, params)...),
		Send: func(ctx context.Context) (_ any, err error) {
			defer recoverAsError(&err)
			if !rc.Budget.Take() {
				return nil, rc.budgetError(c.b)
			}
			callCtx, info := llm.WithCallInfo(ctx)
			start := time.Now()
			rc.InFlight.Add(1)
			defer func() {
				took := time.Since(start)
				rc.InFlight.Add(-1)
				rc.Latency.Add(int64(took))
				rc.observe(took)
				rc.used(info)
			}()
			return cl.EmbedTexts(callCtx, texts, batch[0].params)
		},
	})
	if err != nil && llm.IsTooLarge(err) && len(batch) > 1 {
		h := len(batch) / 2
		var wg sync.WaitGroup
		wg.Go(func() { c.embedBatch(ctx, cancel, batch[:h]) })
		c.embedBatch(ctx, cancel, batch[h:])
		wg.Wait()
		return
	}
	if err != nil {
		for _, in := range batch {
			in.err = err
		}
		if !rc.NullOnError && llm.ClassOf(err) != llm.ClassBudget {
			cancel() // the statement fails: stop the other batches
		}
		return
	}
	for i, vec := range v.([][]float32) {
		in := batch[i]
		in.vec = vec
		if in.cache {
			rc.countMiss(c.b)
			rc.store(c.b, in.key, vec)
		}
	}
}

// embedResult is a row's value: its embedding, or the similarity of its two.
func (c *boundCall) embedResult(ins []*embedInput) (any, error) {
	for _, in := range ins {
		if in.err != nil {
			return nil, in.err
		}
	}
	if c.b.Func == "AI_EMBEDDING" {
		return floats(ins[0].vec), nil
	}
	s, ok := llm.Cosine(ins[0].vec, ins[1].vec)
	if !ok {
		return nil, &llm.Error{Model: c.b.Model.Ref().String(), Version: c.b.Version.Name, Op: "similarity",
			Class: llm.ClassValidation, Message: "embeddings of different lengths or of zero norm"}
	}
	return s, nil
}

// firstEmbedError is the first failure that is not a cancellation.
func firstEmbedError(ins []*embedInput) error {
	for _, in := range ins {
		if in.err != nil && llm.ClassOf(in.err) != llm.ClassCanceled {
			return in.err
		}
	}
	return nil
}
