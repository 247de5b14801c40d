package functions

import (
	"context"
	"time"

	"github.com/modelsql/modelsql/internal/aicache"
	"github.com/modelsql/modelsql/internal/llm"
)

// rowState is where a row's answer comes from: the statement's flight of
// its request, led by this row (it sends the request) or by an earlier
// identical one, or already answered by the cache.
type rowState struct {
	body   [32]byte
	key    aicache.Key
	flight *aicache.Flight
	leader bool
	cache  bool          // the row's request is read from and written to the cache
	info   *llm.CallInfo // what the request this row sent took (nil: none sent)
	took   time.Duration // how long that request took
	// counted: the row was added to the binding's Rows as its answer came
	// (so that progress moves within a vector), not after the vector.
	counted bool
}

// recordRow records a failed row with what its own request cost.
func (rc *RemoteCall) recordRow(b *Binding, r *request, err error, st *rowState) {
	f := rc.failure(b, r, err, err.Error())
	if st != nil && st.leader {
		if st.info != nil {
			f.InputTokens, f.OutputTokens = st.info.PromptTokens, st.info.CompletionTokens
		}
		f.Latency = st.took
	}
	rc.push(f)
}

// flights are the statement's (one per call when the session gave none).
func (rc *RemoteCall) flights() *aicache.Flights {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.Flights == nil {
		rc.Flights = aicache.NewFlights()
	}
	return rc.Flights
}

// cacheUse tells whether a request with these parameters uses the cache.
func (rc *RemoteCall) cacheUse(temperature []byte) bool {
	return rc.Cache != nil && rc.CacheMode.Uses(aicache.Sampled(temperature))
}

// lookup joins each row to its flight and answers the flights it leads
// from the cache where it can. A cache that cannot be read answers nothing:
// the rows are sent.
func (c *boundCall) lookup(ctx context.Context, reqs []request) []rowState {
	return c.lookupWith(ctx, reqs, false)
}

// lookupOnly is lookup for EXPLAIN COST: the cache is read, not marked
// used, and no hit is counted.
func (c *boundCall) lookupOnly(ctx context.Context, reqs []request) []rowState {
	return c.lookupWith(ctx, reqs, true)
}

func (c *boundCall) lookupWith(ctx context.Context, reqs []request, dry bool) []rowState {
	rc := c.b.Remote
	fl := rc.flights()
	rows := make([]rowState, len(reqs))
	var ask []aicache.Key
	var askRows []int
	for i := range reqs {
		if reqs[i].skip {
			continue
		}
		r := &rows[i]
		r.body = c.body(&reqs[i])
		r.key = aicache.KeyOf(c.b.Version.ID, r.body)
		r.cache = rc.cacheUse(reqs[i].params["temperature"])
		r.flight, r.leader = fl.Start(r.key)
		if r.leader && r.cache {
			ask = append(ask, r.key)
			askRows = append(askRows, i)
		}
	}
	if len(ask) == 0 {
		return rows
	}
	get := rc.Cache.Get
	if dry {
		get = rc.Cache.Peek
	}
	found, _ := get(ctx, ask)
	hits := 0
	for _, i := range askRows {
		if v, ok := found[rows[i].key]; ok {
			rows[i].flight.Finish(v, nil)
			hits++
		}
	}
	if !dry {
		rc.countHits(c.b, hits)
	}
	return rows
}

// answered ends a flight this row led with the server's answer, and
// stores a good answer as soon as it is there.
func (c *boundCall) answered(r *rowState, v any, err error) {
	rc := c.b.Remote
	if r.cache {
		rc.countMiss(c.b)
	}
	if err != nil {
		r.flight.Finish(nil, err)
		rc.flights().Forget(r.key, r.flight) // a later identical row may try again
		return
	}
	r.flight.Finish(v, nil)
	if r.cache && (r.info == nil || !r.info.FellBack) { // a fallback's answer is not this version's
		rc.store(c.b, r.key, v)
	}
}

func (rc *RemoteCall) store(b *Binding, key aicache.Key, v any) {
	_ = rc.Cache.Put(aicache.Entry{Key: key, VersionID: b.Version.ID, Model: b.Model.Ref().String(),
		Version: b.Version.Name, Function: b.Func, Value: v})
}

func (rc *RemoteCall) countHits(b *Binding, n int) {
	if n == 0 {
		return
	}
	rc.CacheHits.Add(int64(n))
	rc.Cache.Count(b.Model.Ref().String(), b.Version.Name, n, 0)
}

func (rc *RemoteCall) countMiss(b *Binding) {
	rc.CacheMisses.Add(1)
	rc.Cache.Count(b.Model.Ref().String(), b.Version.Name, 0, 1)
}

// fromCache turns a stored embedding into DuckDB's FLOAT[] value.
func fromCache(v any) any {
	if f, ok := v.([]float32); ok {
		return floats(f)
	}
	return v
}

// budgetError is the error of a row whose request the budget refused.
func (rc *RemoteCall) budgetError(b *Binding) error {
	return &llm.Error{Model: b.Model.Ref().String(), Version: b.Version.Name, Op: b.Func, Class: llm.ClassBudget,
		Message: "not sent: the statement's AI budget (modelsql.ai.max_requests / max_tokens) is spent"}
}

// budgetSpent records a row the budget left NULL; false for other errors.
func (rc *RemoteCall) budgetSpent(b *Binding, r *request, err error) bool {
	if llm.ClassOf(err) != llm.ClassBudget {
		return false
	}
	rc.record(b, r, err)
	rc.Budget.Skip()
	return true
}

// used adds a request's usage to the call's counters and the budget.
func (rc *RemoteCall) used(info *llm.CallInfo) {
	p, c := int64(info.PromptTokens), int64(info.CompletionTokens)
	rc.Requests.Add(1)
	rc.Retries.Add(int64(max(info.Attempts-1, 0)))
	rc.PromptTokens.Add(p)
	rc.CompletionTokens.Add(c)
	rc.Budget.AddTokens(p + c)
}
