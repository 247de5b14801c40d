package functions

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/modelsql/modelsql/internal/catalog"
)

// BindFunc is the DuckDB function that checks an inference call when the
// statement is planned. Its arguments are the handle, the type signature of
// the call's arguments and, for AI_* calls, each argument as JSON (constant
// arguments fold, so their values are known at planning time). It returns
// the handle, which the inference function reads at run time.
//
// The checks run in this separate function because duckdb-go can hand a
// binder only constants of simple types (not LIST, DECIMAL or BLOB), while
// the inference functions themselves take any argument.
const BindFunc = "__modelsql_bind"

// CallArgs are the arguments of an inference call after model and version,
// as rewritten SQL (see parser.InferenceCall).
type CallArgs struct {
	Values []string // each argument
	// Shapes are Values with inner inference calls replaced by short
	// expressions of their types: typeof needs only these, so no
	// argument's text is written twice and nesting stays linear in size.
	// nil: the same as Values.
	Shapes []string
	// Opaque marks arguments that hold an inference call: never constant
	// at planning time, so their values are not passed to the binder (which
	// would also run the inner call once more per row).
	Opaque []bool
}

func (a CallArgs) shape(i int) string {
	if i < len(a.Shapes) {
		return a.Shapes[i]
	}
	return a.Values[i]
}

func (a CallArgs) opaque(i int) bool { return i < len(a.Opaque) && a.Opaque[i] }

// unknownArg stands, in the binder's value arguments, for an argument whose
// value is not known at planning time; to_json never returns it.
const unknownArg = "?"

// callSQL renders fn(bind(handle, signature[, values]), args...): the
// rewritten text of one inference call.
func callSQL(fn, handle string, args CallArgs, withValues bool) string {
	var sb strings.Builder
	sb.WriteString(fn)
	sb.WriteString("(")
	sb.WriteString(BindFunc)
	sb.WriteString("('")
	sb.WriteString(handle)
	sb.WriteString("', ")
	sb.WriteString(typeSignature(args))
	if withValues {
		for i, a := range args.Values {
			if args.opaque(i) {
				sb.WriteString(", '" + unknownArg + "'")
				continue
			}
			// coalesce: a NULL constant must not reach duckdb-go's binder,
			// which cannot read NULL VARCHAR constants.
			sb.WriteString(", coalesce(to_json((")
			sb.WriteString(a)
			sb.WriteString(")), 'null')")
		}
	}
	sb.WriteString(")")
	for _, a := range args.Values {
		sb.WriteString(", (")
		sb.WriteString(a)
		sb.WriteString(")")
	}
	sb.WriteString(")")
	return sb.String()
}

// StandIn returns a short expression of the result type of a bound call,
// which outer calls' type signatures use in its place. It is a scalar
// subquery because DuckDB folds expressions on a NULL constant to the type
// NULL (typeof(CAST(NULL AS VARCHAR) || 'x') is "NULL"); typeof replaces
// the subquery by a constant, so it never runs.
func StandIn(b *Binding) string {
	typ := "VARCHAR"
	switch {
	case b.Func == "ML_PREDICT" && b.Model.ModelType == catalog.TypeClassifier:
		typ = "STRUCT(label VARCHAR, probs FLOAT[])"
	case b.Func == "ML_PREDICT":
	default:
		switch f := aiFuncs[b.Func]; {
		case f.list:
			typ = "FLOAT[]"
		case f.result == duckdb.TYPE_DOUBLE:
			typ = "DOUBLE"
		}
	}
	return "(SELECT CAST(NULL AS " + typ + "))"
}

// RegisterBind registers the bind function on a connection.
func RegisterBind(conn *sql.Conn, reg *Registry) error {
	return duckdb.RegisterScalarUDF(conn, BindFunc, &bindFunc{reg: reg})
}

type bindFunc struct{ reg *Registry }

func (f *bindFunc) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{
		InputTypeInfos:      []duckdb.TypeInfo{varchar, varchar},
		VariadicTypeInfo:    varchar,
		ResultTypeInfo:      varchar,
		SpecialNullHandling: true,
	}
}

func (f *bindFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{
		ScalarBinder: func(ctx context.Context, args []duckdb.ScalarUDFArg) (_ context.Context, err error) {
			defer recoverAsError(&err)
			if len(args) < 2 || !args[0].Foldable {
				return ctx, fmt.Errorf("internal error: inference call handle must be a constant")
			}
			if !args[1].Foldable {
				return ctx, fmt.Errorf("the argument types of an inference call must be known when the statement is planned: prepared-statement parameters (?, $1) are not supported inside ML_PREDICT and AI_* calls")
			}
			b, err := f.reg.lookup(args[0].Value)
			if err != nil {
				return ctx, err
			}
			sig, _ := args[1].Value.(string)
			var types []string
			if sig != "" {
				types = strings.Split(sig, TypeSeparator)
			}
			if b.Func == "ML_PREDICT" {
				if err := CheckArgTypes("model "+b.Model.Ref().String()+" version "+b.Version.Name, b.Version.Inputs, sig); err != nil {
					return ctx, b.fail(err, true)
				}
				return ctx, nil
			}
			consts := make([]constArg, len(args)-2)
			for i, a := range args[2:] {
				if s, _ := a.Value.(string); a.Foldable && s != unknownArg {
					consts[i].known = true
					if s, ok := a.Value.(string); ok {
						if err := json.Unmarshal([]byte(s), &consts[i].value); err != nil {
							return ctx, fmt.Errorf("internal error: argument %d as JSON: %w", i+1, err)
						}
					}
				}
			}
			call, err := bindRemote(b, types, consts)
			if err != nil {
				return ctx, b.fail(err, true)
			}
			b.setCall(call)
			return ctx, nil
		},
		RowExecutor: func(values []driver.Value) (any, error) { return values[0], nil },
	}
}

// constArg is an argument's value when it is constant at planning time.
type constArg struct {
	known bool
	value any // decoded JSON: string, float64, []any, map, nil
}

// guarded turns a panic in an executor into a query error: the executors
// run inside DuckDB's C++ callbacks, where a Go panic would end the whole
// process (and, on the server, every session).
// guarded runs an inference function's executor: a panic becomes an
// error, and an error is recorded on the call's binding (Binding.Failure).
func guarded(reg *Registry, fn duckdb.ChunkContextExecutorFn) duckdb.ChunkContextExecutorFn {
	return func(ctx context.Context, state *duckdb.ChunkIteratorState) (err error) {
		defer func() {
			if err == nil || ctx.Err() != nil {
				return
			}
			if b, lerr := reg.chunkBinding(state.GetInputChunk()); lerr == nil {
				err = b.fail(err, false)
			}
		}()
		defer recoverAsError(&err)
		return fn(ctx, state)
	}
}

func recoverAsError(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error in an inference function: %v", r)
	}
}
