package functions

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/modelsql/modelsql/internal/aibudget"
	"github.com/modelsql/modelsql/internal/aicache"
	"github.com/modelsql/modelsql/internal/aisched"
	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/llm"
)

// RemoteCall is what an AI_* call needs at run time.
type RemoteCall struct {
	Client *llm.Client
	// NullOnError turns rows that still fail after their retries into NULL
	// (SET modelsql.ai.on_error = 'null'); their errors go to Failures.
	NullOnError bool
	// EmbeddingDimension is the session's odps.sql.ai.embedding.dimension (0: unset).
	EmbeddingDimension int
	// QueryID identifies the statement in the failure records.
	QueryID string
	// SimilarityByChat asks a generation model to rate AI_SIMILARITY instead
	// of comparing embeddings.
	SimilarityByChat bool
	// Sched sends the requests (nil: aisched.Default).
	Sched *aisched.Scheduler
	// Cache keeps answers across statements (nil: none); CacheMode is the
	// session's modelsql.ai.cache. Flights de-duplicates the requests of
	// the statement (shared by its calls; nil: one per call).
	Cache     *aicache.Store
	CacheMode aicache.Mode
	Flights   *aicache.Flights
	// CacheHits and CacheMisses count this call's rows answered by the
	// cache and its requests the cache could not answer.
	CacheHits, CacheMisses atomic.Int64
	// Cost, when set, makes the call count what it would send (EXPLAIN
	// COST) instead of sending.
	Cost *Cost
	// Budget bounds the statement's requests and tokens (nil: none).
	Budget *aibudget.Budget
	// Requests, PromptTokens and CompletionTokens count what this call
	// sent and what the server reported.
	Requests, PromptTokens, CompletionTokens, Retries atomic.Int64
	// Latency adds up the time of the requests sent (nanoseconds).
	Latency atomic.Int64
	// InFlight counts the requests sent and not answered yet (progress).
	InFlight atomic.Int64
	// OnRequest, when set, is told the time of each request as it ends
	// (metrics).
	OnRequest func(took time.Duration)

	mu       sync.Mutex
	failures []Failure
}

// Failure is one row that failed under the NULL-on-error policy.
type Failure struct {
	QueryID, Model, Version, Func string
	InputHash                     string
	Class                         string
	Status, Attempts              int
	Message                       string
	// InputTokens, OutputTokens and Latency are what the row's own request
	// took (zero when it sent none).
	InputTokens, OutputTokens int
	Latency                   time.Duration
}

// Failures returns the rows recorded so far.
func (r *RemoteCall) Failures() []Failure {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Failure(nil), r.failures...)
}

// aiFunc describes one AI_* function: its DuckDB name, result and argument shape.
type aiFunc struct {
	name   string // SQL name, e.g. AI_GENERATE
	result duckdb.Type
	list   bool // result is FLOAT[]
	// minArgs/maxArgs count the arguments after model and version.
	minArgs, maxArgs int
}

var aiFuncs = map[string]aiFunc{
	"AI_GENERATE":   {name: "AI_GENERATE", result: duckdb.TYPE_VARCHAR, minArgs: 1, maxArgs: 4},
	"AI_EMBEDDING":  {name: "AI_EMBEDDING", result: duckdb.TYPE_FLOAT, list: true, minArgs: 1, maxArgs: 2},
	"AI_CLASSIFY":   {name: "AI_CLASSIFY", result: duckdb.TYPE_VARCHAR, minArgs: 2, maxArgs: 3},
	"AI_EXTRACT":    {name: "AI_EXTRACT", result: duckdb.TYPE_VARCHAR, minArgs: 2, maxArgs: 3},
	"AI_SUMMARIZE":  {name: "AI_SUMMARIZE", result: duckdb.TYPE_VARCHAR, minArgs: 1, maxArgs: 2},
	"AI_TRANSLATE":  {name: "AI_TRANSLATE", result: duckdb.TYPE_VARCHAR, minArgs: 2, maxArgs: 3},
	"AI_SENTIMENT":  {name: "AI_SENTIMENT", result: duckdb.TYPE_VARCHAR, minArgs: 1, maxArgs: 2},
	"AI_SIMILARITY": {name: "AI_SIMILARITY", result: duckdb.TYPE_DOUBLE, minArgs: 2, maxArgs: 3},
}

func duckName(fn string) string { return "__modelsql_" + strings.ToLower(fn) }

// RemoteCallSQL renders the rewritten AI_* call.
func RemoteCallSQL(b *Binding, handle string, args CallArgs) (string, error) {
	f, ok := aiFuncs[b.Func]
	if !ok {
		return "", fmt.Errorf("unknown AI function %s", b.Func)
	}
	if n := len(args.Values); n < f.minArgs || n > f.maxArgs {
		return "", fmt.Errorf("%s takes %s", f.name, signature(f.name, b.Model.ModelType))
	}
	return callSQL(duckName(f.name), handle, args, true), nil
}

// signature documents each function's arguments for error messages.
func signature(fn, modelType string) string {
	switch fn {
	case "AI_GENERATE":
		if modelType == catalog.TypeMLLM {
			return "(model, version, data BINARY|STRING url, prompt STRING [, type 'IMAGE'|'AUDIO'|'VIDEO'] [, model_parameters STRING])"
		}
		return "(model, version, prompt STRING [, model_parameters STRING])"
	case "AI_EMBEDDING":
		return "(model, version, input STRING|BINARY [, model_parameters STRING])"
	case "AI_CLASSIFY", "AI_EXTRACT":
		return "(model, version, input STRING, labels ARRAY<STRING> [, model_parameters STRING])"
	case "AI_TRANSLATE":
		return "(model, version, input STRING, target_language STRING [, model_parameters STRING])"
	case "AI_SIMILARITY":
		return "(model, version, text1 STRING, text2 STRING [, model_parameters STRING])"
	}
	return "(model, version, input STRING [, model_parameters STRING])"
}

// RegisterRemote registers the AI_* functions on a connection.
func RegisterRemote(conn *sql.Conn, reg *Registry) error {
	for _, f := range aiFuncs {
		if err := duckdb.RegisterScalarUDF(conn, duckName(f.name), &remoteFunc{reg: reg, f: f}); err != nil {
			return fmt.Errorf("register %s: %w", f.name, err)
		}
	}
	return nil
}

type remoteFunc struct {
	reg *Registry
	f   aiFunc
}

// boundCall is a checked AI_* call: the roles of its arguments.
type boundCall struct {
	b *Binding
	// argument positions after model and version (-1: absent)
	data, text, text2, labels, mediaType, params int
	dataIsBinary                                 bool
	constParams                                  llm.Params // parsed constant model_parameters
	constType                                    llm.MediaType
}

func (f *remoteFunc) Config() duckdb.ScalarFuncConfig {
	result, _ := duckdb.NewTypeInfo(f.f.result)
	if f.f.list {
		result, _ = duckdb.NewListInfo(result)
	}
	return boundCallConfig(result, true) // each row is a request
}

func (f *remoteFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: guarded(f.reg, f.execute)}
}

func isNullType(t string) bool { return t == `"NULL"` || t == "NULL" }
func isText(t string) bool     { return t == "VARCHAR" || isNullType(t) }

// bindRemote checks argument count and types (and constant arguments) at
// planning time, before any request is sent.
func bindRemote(b *Binding, types []string, args []constArg) (*boundCall, error) {
	fn, mt := b.Func, b.Model.ModelType
	c := &boundCall{b: b, data: -1, text: -1, text2: -1, labels: -1, mediaType: -1, params: -1}
	n := len(types)
	bad := func() error {
		return fmt.Errorf("%s on %s model %s takes %s; got (%s)", fn, mt, b.Model.Ref(), signature(fn, mt), strings.Join(mcTypes(types), ", "))
	}
	switch fn {
	case "AI_GENERATE":
		if mt == catalog.TypeMLLM {
			if n < 2 || n > 4 {
				return nil, bad()
			}
			c.data, c.text = 0, 1
			c.dataIsBinary = types[0] == "BLOB"
			if !(c.dataIsBinary || isText(types[0])) || !isText(types[1]) {
				return nil, bad()
			}
			if c.dataIsBinary && !declaresBinary(b.Version.Inputs) {
				return nil, fmt.Errorf("AI_GENERATE: model %s version %s declares no BINARY input; as in MaxCompute, sending image bytes needs a version created with INPUT(<name> BINARY, ...)", b.Model.Ref(), b.Version.Name)
			}
			switch n {
			case 3:
				// The fifth SQL argument is type for URL data, model_parameters for bytes,
				// or model_parameters when it is a constant JSON object.
				if v, ok := constString(args, 2); ok && strings.HasPrefix(strings.TrimSpace(v), "{") || c.dataIsBinary {
					c.params = 2
				} else {
					c.mediaType = 2
				}
			case 4:
				c.mediaType, c.params = 2, 3
			}
		} else {
			if n < 1 || n > 2 || !isText(types[0]) {
				return nil, bad()
			}
			c.text = 0
			if n == 2 {
				c.params = 1
			}
		}
	case "AI_EMBEDDING":
		c.data = 0
		c.dataIsBinary = types[0] == "BLOB"
		if !(c.dataIsBinary || isText(types[0])) {
			return nil, bad()
		}
		if n == 2 {
			c.params = 1
		}
	case "AI_CLASSIFY", "AI_EXTRACT":
		c.text, c.labels = 0, 1
		if !isText(types[0]) || !(types[1] == "VARCHAR[]" || types[1] == `"NULL"[]` || isNullType(types[1])) {
			return nil, bad()
		}
		if n == 3 {
			c.params = 2
		}
		if args[1].known {
			if labels, ok := toStrings(args[1].value); ok {
				if err := checkLabels(fn, labels); err != nil {
					return nil, err
				}
			}
		}
	case "AI_TRANSLATE", "AI_SIMILARITY":
		c.text, c.text2 = 0, 1
		if !isText(types[0]) || !isText(types[1]) {
			return nil, bad()
		}
		if n == 3 {
			c.params = 2
		}
	default: // AI_SUMMARIZE, AI_SENTIMENT
		c.text = 0
		if !isText(types[0]) {
			return nil, bad()
		}
		if n == 2 {
			c.params = 1
		}
	}
	for _, i := range []int{c.params, c.mediaType} {
		if i >= 0 && !isText(types[i]) {
			return nil, bad()
		}
	}
	if c.params >= 0 {
		if v, ok := constString(args, c.params); ok {
			p, err := llm.ParseParams(v)
			if err != nil {
				return nil, fmt.Errorf("%s: model_parameters: %w", fn, err)
			}
			c.constParams = p
		}
	}
	if c.mediaType >= 0 {
		if v, ok := constString(args, c.mediaType); ok {
			t, err := llm.ParseMediaType(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", fn, err)
			}
			c.constType = t
		}
	}
	return c, nil
}

func declaresBinary(cols []catalog.Column) bool {
	for _, c := range cols {
		if c.Type == "BINARY" {
			return true
		}
	}
	return false
}

func checkLabels(fn string, labels []string) error {
	var err error
	if fn == "AI_CLASSIFY" {
		err = llm.ValidateClassifyLabels(labels)
	} else {
		err = llm.ValidateExtractLabels(labels)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	return nil
}

func mcTypes(types []string) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = maxComputeName(t)
		if isNullType(t) {
			out[i] = "NULL"
		}
	}
	return out
}

func constString(args []constArg, i int) (string, bool) {
	if i < 0 || i >= len(args) || !args[i].known {
		return "", false
	}
	s, ok := args[i].value.(string)
	return s, ok
}

func toStrings(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// request is one row's work.
type request struct {
	skip   bool // NULL or empty input: NULL result, no request
	text   string
	text2  string
	data   []byte
	url    string
	labels []string
	mtype  llm.MediaType
	params llm.Params
}

func (f *remoteFunc) execute(ctx context.Context, state *duckdb.ChunkIteratorState) error {
	if state.GetInputChunk().GetSize() == 0 {
		return nil
	}
	b, err := f.reg.chunkBinding(state.GetInputChunk())
	if err != nil {
		return err
	}
	c := b.getCall()
	if c == nil {
		return fmt.Errorf("%s: internal error: call not checked", f.f.name)
	}
	// First pass: read and check every row before any request is sent.
	var reqs []request
	for row, err := range state.Rows() {
		if err != nil {
			return err
		}
		r, err := c.readRow(row)
		if err != nil {
			return err
		}
		reqs = append(reqs, r)
	}
	results := make([]any, len(reqs))
	if err := c.run(ctx, reqs, results); err != nil {
		return err
	}
	i := 0
	for row, err := range state.Rows() {
		if err != nil {
			return err
		}
		if err := row.SetResult(results[i]); err != nil {
			return err
		}
		i++
	}
	return nil
}

func (c *boundCall) readRow(row *duckdb.ChunkIteratorState) (request, error) {
	val := func(i int) any { return *row.GetValuePtr(i + 1) }
	str := func(i int) (string, bool) {
		s, ok := val(i).(string)
		return s, ok
	}
	r := request{params: c.constParams, mtype: c.constType}
	fn := c.b.Func
	if c.params >= 0 && c.constParams == nil {
		if s, ok := str(c.params); ok {
			p, err := llm.ParseParams(s)
			if err != nil {
				return r, fmt.Errorf("%s: model_parameters: %w", fn, err)
			}
			r.params = p
		}
	}
	if c.mediaType >= 0 && c.constType == "" {
		if s, ok := str(c.mediaType); ok {
			t, err := llm.ParseMediaType(s)
			if err != nil {
				return r, fmt.Errorf("%s: %w", fn, err)
			}
			r.mtype = t
		}
	}
	if c.data >= 0 {
		switch v := val(c.data).(type) {
		case []byte:
			r.data = v
		case string:
			if fn == "AI_EMBEDDING" {
				r.text = v // text to embed
			} else {
				r.url = v
			}
		}
		if len(r.data) == 0 && r.url == "" && r.text == "" {
			r.skip = true
		}
	}
	if c.text >= 0 {
		s, _ := str(c.text)
		r.text = s
		if s == "" {
			r.skip = true
		}
	}
	if c.text2 >= 0 {
		s, _ := str(c.text2)
		r.text2 = s
		if s == "" {
			r.skip = true
		}
	}
	if c.labels >= 0 {
		labels, ok := toStrings(val(c.labels))
		if !ok || len(labels) == 0 {
			r.skip = true
		} else if err := checkLabels(fn, labels); err != nil {
			return r, err
		}
		r.labels = labels
	}
	if rc := c.b.Remote; fn == "AI_EMBEDDING" && rc.EmbeddingDimension > 0 {
		if _, ok := r.params.Dimensions(); !ok {
			r.params = r.params.WithDefault("dimensions", rc.EmbeddingDimension)
		}
	}
	return r, nil
}

func (c *boundCall) call(ctx context.Context, r *request) (any, error) {
	cl := c.b.Remote.Client
	switch c.b.Func {
	case "AI_GENERATE":
		if c.b.Model.ModelType == catalog.TypeMLLM {
			m := llm.Media{Type: r.mtype, URL: r.url, Data: r.data}
			if m.Type == "" {
				m.Type = llm.MediaImage
			}
			return cl.GenerateMedia(ctx, m, r.text, r.params)
		}
		return cl.Generate(ctx, r.text, r.params)
	case "AI_EMBEDDING":
		if r.data != nil {
			v, err := cl.EmbedMedia(ctx, llm.Media{Type: llm.MediaImage, Data: r.data}, r.params)
			return floats(v), err
		}
		v, err := cl.Embed(ctx, r.text, r.params)
		return floats(v), err
	case "AI_CLASSIFY":
		return cl.Classify(ctx, r.text, r.labels, r.params)
	case "AI_EXTRACT":
		return cl.Extract(ctx, r.text, r.labels, r.params)
	case "AI_SUMMARIZE":
		return cl.Summarize(ctx, r.text, r.params)
	case "AI_TRANSLATE":
		return cl.Translate(ctx, r.text, r.text2, r.params)
	case "AI_SENTIMENT":
		return cl.Sentiment(ctx, r.text, r.params)
	case "AI_SIMILARITY":
		if c.b.Remote.SimilarityByChat {
			return cl.SimilarityByChat(ctx, r.text, r.text2, r.params)
		}
		return cl.Similarity(ctx, r.text, r.text2, r.params)
	}
	return nil, fmt.Errorf("unknown AI function %s", c.b.Func)
}

// floats converts an embedding for DuckDB's FLOAT[] (nil stays NULL).
func floats(v []float32) any {
	if v == nil {
		return nil
	}
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

func (rc *RemoteCall) record(b *Binding, r *request, err error) {
	rc.add(b, r, err, err.Error())
}

// add records a row under the error err (its class, status and attempts)
// with message msg.
func (rc *RemoteCall) add(b *Binding, r *request, err error, msg string) {
	rc.push(rc.failure(b, r, err, msg))
}

// failure is the record of a row that failed with err.
func (rc *RemoteCall) failure(b *Binding, r *request, err error, msg string) Failure {
	h := sha256.New()
	h.Write([]byte(r.text))
	h.Write([]byte{0})
	h.Write([]byte(r.text2))
	h.Write([]byte{0})
	h.Write(r.data)
	h.Write([]byte(r.url))
	h.Write([]byte(strings.Join(r.labels, "\x00")))
	f := Failure{QueryID: rc.QueryID, Model: b.Model.Ref().String(), Version: b.Version.Name, Func: b.Func,
		InputHash: hex.EncodeToString(h.Sum(nil))[:16], Class: string(llm.ClassOf(err)), Message: msg}
	if e, ok := llm.AsError(err); ok {
		f.Status, f.Attempts = e.Status, e.Attempts
	}
	return f
}

func (rc *RemoteCall) push(f Failure) {
	rc.mu.Lock()
	rc.failures = append(rc.failures, f)
	rc.mu.Unlock()
}
