package functions

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/modelsql/modelsql/internal/aisched"
	"github.com/modelsql/modelsql/internal/llm"
)

func (rc *RemoteCall) sched() *aisched.Scheduler {
	if rc.Sched != nil {
		return rc.Sched
	}
	return aisched.Default
}

// run answers one vector's rows into results through the scheduler.
// Embeddings of texts go in batches; every other row is one request.
func (c *boundCall) run(ctx context.Context, reqs []request, results []any) error {
	if c.batchesEmbeddings() {
		return c.runEmbeddings(ctx, reqs, results)
	}
	rc := c.b.Remote
	cl := rc.Client
	key := cl.Endpoint().LimiterKey()
	var jobs []aisched.Request
	for i := range reqs {
		if reqs[i].skip {
			c.b.Rows.Add(1)
			continue
		}
		jobs = append(jobs, aisched.Request{
			Model: key, Limit: cl.Limit(), Body: c.body(&reqs[i]),
			Send: func(ctx context.Context) (_ any, err error) {
				defer recoverAsError(&err) // a panic on this goroutine would end the process
				defer c.b.Rows.Add(1)
				callCtx, info := llm.WithCallInfo(ctx)
				v, err := c.call(callCtx, &reqs[i])
				rc.recordFallback(c.b, &reqs[i], info, err) // which model answered
				if err == nil && c.b.Info != nil {
					v = c.b.Info.envelope(v, info)
				}
				if err != nil {
					if rc.NullOnError && ctx.Err() == nil {
						rc.record(c.b, &reqs[i], err)
						return nil, nil
					}
					return nil, err
				}
				results[i] = v
				return nil, nil
			},
		})
	}
	_, err := rc.sched().SubmitAll(ctx, jobs)
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
}

// runEmbeddings embeds the texts of the rows in batches (texts with equal
// parameters share a batch), then builds each row's result.
func (c *boundCall) runEmbeddings(ctx context.Context, reqs []request, results []any) error {
	rc := c.b.Remote
	var inputs []*embedInput
	rowInputs := make([][]*embedInput, len(reqs))
	groups := map[string][]*embedInput{}
	var order []string
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
			in := &embedInput{row: i, text: t, params: r.params}
			inputs = append(inputs, in)
			rowInputs[i] = append(rowInputs[i], in)
			if _, ok := groups[string(pk)]; !ok {
				order = append(order, string(pk))
			}
			groups[string(pk)] = append(groups[string(pk)], in)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	size := rc.Client.EmbeddingBatchSize()
	var wg sync.WaitGroup
	for _, k := range order {
		g := groups[k]
		for lo := 0; lo < len(g); lo += size {
			batch := g[lo:min(lo+size, len(g))]
			wg.Go(func() { c.embedBatch(ctx, cancel, batch) })
		}
	}
	wg.Wait()

	for i := range reqs {
		c.b.Rows.Add(1)
		if reqs[i].skip {
			continue
		}
		v, err := c.embedResult(rowInputs[i])
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
			return cl.EmbedTexts(ctx, texts, batch[0].params)
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
		if !rc.NullOnError {
			cancel() // the statement fails: stop the other batches
		}
		return
	}
	for i, vec := range v.([][]float32) {
		batch[i].vec = vec
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
