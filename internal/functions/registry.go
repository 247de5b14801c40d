// Package functions implements the inference functions inside DuckDB:
// ML_PREDICT over imported XGBoost models and the AI_* functions over remote
// models.
//
// The session rewrites each call in a statement into a call of a registered
// DuckDB scalar function whose first argument is a handle: a short string
// naming a Binding, the model version resolved once when the statement was
// planned. The binding lives until the statement ends.
package functions

import (
	"fmt"
	duckdb "github.com/duckdb/duckdb-go/v2"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/modelsql/modelsql/internal/catalog"
)

// InternalPrefix starts the names of the DuckDB functions that inference
// calls are rewritten into; it never belongs in what the user sees.
const InternalPrefix = "__modelsql_"

// Binding is one inference call site of one statement: the model version it
// uses and what the call needs at run time.
type Binding struct {
	Func    string // ML_PREDICT, AI_GENERATE, ...
	Model   *catalog.Model
	Version *catalog.Version

	// Predictor is the parsed XGBoost model (ML_PREDICT).
	Predictor Predictor

	// Explain is set for ML_EXPLAIN_PREDICT, Evaluate for ML_EVALUATE.
	Explain  *Explain
	Evaluate *Evaluation

	// Remote is set for AI_* calls.
	Remote *RemoteCall
	// Info, when set, makes AI_GENERATE return its provenance with the
	// value (AI_GENERATE_WITH_INFO, provenance.go).
	Info *Provenance

	// Rows counts the rows this call has finished, for progress reports.
	Rows atomic.Int64

	// Line and Col locate the call in its statement, for error messages.
	Line, Col int

	mu      sync.Mutex
	call    *boundCall // AI_* argument roles, set when the call is checked
	failure *CallError // the call's first error
}

// fail records err as the call's error (the first one wins) and returns it
// as a *CallError.
func (b *Binding) fail(err error, planning bool) error {
	if ce, ok := AsCallError(err); ok {
		return ce
	}
	ce := &CallError{Func: b.Func, Line: b.Line, Col: b.Col, Planning: planning, Err: err}
	b.mu.Lock()
	if b.failure == nil {
		b.failure = ce
	}
	b.mu.Unlock()
	return ce
}

// Failure returns the call's first error as the user should see it, or nil.
// DuckDB reports a failed function with its own wrapping; the session shows
// this instead.
func (b *Binding) Failure() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failure == nil {
		return nil
	}
	return b.failure
}

func (b *Binding) setCall(c *boundCall) {
	b.mu.Lock()
	b.call = c
	b.mu.Unlock()
}

func (b *Binding) getCall() *boundCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.call
}

// Registry hands out handles for bindings. It is shared by the whole process.
type Registry struct {
	mu       sync.RWMutex
	bindings map[string]*Binding
	next     atomic.Uint64
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{bindings: map[string]*Binding{}} }

// Bind registers b and returns its handle.
func (r *Registry) Bind(b *Binding) string {
	h := "h" + strconv.FormatUint(r.next.Add(1), 36)
	r.mu.Lock()
	r.bindings[h] = b
	r.mu.Unlock()
	return h
}

// Release forgets a handle.
func (r *Registry) Release(h string) {
	r.mu.Lock()
	delete(r.bindings, h)
	r.mu.Unlock()
}

func (r *Registry) lookup(h any) (*Binding, error) {
	s, ok := h.(string)
	if !ok {
		return nil, fmt.Errorf("internal error: model handle is not a constant string")
	}
	r.mu.RLock()
	b := r.bindings[s]
	r.mu.RUnlock()
	if b == nil {
		return nil, fmt.Errorf("model binding %s has expired: inference calls cannot be stored in views; run the query directly", s)
	}
	return b, nil
}

// chunkBinding reads the handle from the first column of a chunk (a
// constant produced by the bind function).
func (r *Registry) chunkBinding(chunk *duckdb.DataChunk) (*Binding, error) {
	h, err := chunk.GetValue(0, 0)
	if err != nil {
		return nil, err
	}
	return r.lookup(h)
}

// boundCallConfig is the signature of the functions bound to a model
// version (ML_PREDICT, the AI_* functions, ML_EVALUATE's and
// ML_EXPLAIN_PREDICT's row functions): the binding's handle, then the
// call's arguments of any type. NULL arguments reach the function (a NULL
// feature is a missing value, not a NULL result); volatile functions are
// never folded or cached.
func boundCallConfig(result duckdb.TypeInfo, volatile bool) duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	return duckdb.ScalarFuncConfig{
		InputTypeInfos:      []duckdb.TypeInfo{varchar},
		VariadicTypeInfo:    anyT,
		ResultTypeInfo:      result,
		SpecialNullHandling: true,
		Volatile:            volatile,
	}
}
