package functions

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/floatfmt"
	"github.com/modelsql/modelsql/internal/xgboost"
)

// Predictor is what ML_PREDICT needs from a parsed model.
type Predictor interface {
	NumFeatures() int
	// PredictRows fills out (nrows × outputs) from row-major float32
	// features, NaN meaning missing.
	PredictRows(features []float32, nrows int, out []float32) error
	// PredictColumns is PredictRows for features given column by column,
	// missing values marked by NaN or by the columns' validity bitmaps.
	PredictColumns(cols []xgboost.Column, nrows int, out []float32) error
	// Outputs is the number of outputs per row.
	Outputs() int
	// ClassProbs is the number of class probabilities per row of a
	// classifier (0 if it gives none).
	ClassProbs() int
	// Classify writes one row's class probabilities into probs
	// (ClassProbs() values) and returns its label (-1 if there is none).
	Classify(row, probs []float32) (label int)
}

// ClassNamer is a Predictor whose classes have names (a classifier trained
// on string or integer labels); ML_PREDICT's label is then the name.
type ClassNamer interface {
	ClassNames() []string // by class index; nil when the classes have none
}

// labelText returns a class label as ML_PREDICT returns it.
func labelText(names []string, label int, buf []byte) []byte {
	if label >= 0 && label < len(names) {
		return append(buf[:0], names[label]...)
	}
	return strconv.AppendInt(buf[:0], int64(label), 10)
}

// ClassNamesOf returns a predictor's class names (nil when it has none).
func ClassNamesOf(p Predictor) []string { return classNamesOf(p) }

func classNamesOf(p Predictor) []string {
	if n, ok := p.(ClassNamer); ok {
		return n.ClassNames()
	}
	return nil
}

// DuckDB function names the rewritten statements call.
const (
	PredictRegressorFunc  = "__modelsql_ml_predict_reg"
	PredictClassifierFunc = "__modelsql_ml_predict_cls"
)

// TypeSeparator separates argument type names in the type-signature argument.
const TypeSeparator = "|"

// PredictCall renders the rewritten ML_PREDICT call for a handle and the
// argument expressions. The second argument lists the arguments' DuckDB types
// (typeof folds to a constant), so that the binder can check them against
// the version's INPUT before any row runs.
func PredictCall(b *Binding, handle string, args CallArgs) string {
	fn := PredictRegressorFunc
	if b.Model.ModelType == catalog.TypeClassifier {
		fn = PredictClassifierFunc
	}
	return callSQL(fn, handle, args, false)
}

func typeSignature(args CallArgs) string {
	if len(args.Values) == 0 {
		return "''"
	}
	parts := make([]string, len(args.Values))
	for i := range args.Values {
		parts[i] = "typeof((" + args.shape(i) + "))"
	}
	return strings.Join(parts, "||'"+TypeSeparator+"'||")
}

// CheckArgTypes compares the argument types of an ML_PREDICT call with the
// version's INPUT. MaxCompute allows no implicit casts; modelsql accepts
// integer widening, FLOAT to DOUBLE, and integers and decimals where a DOUBLE
// or DECIMAL is declared (SQL literals such as 0.5 are DECIMAL in DuckDB but
// DOUBLE in MaxCompute).
func CheckArgTypes(ref string, inputs []catalog.Column, sig string) error {
	var got []string
	if sig != "" {
		got = strings.Split(sig, TypeSeparator)
	}
	if len(got) != len(inputs) {
		names := make([]string, len(inputs))
		for i, c := range inputs {
			names[i] = c.Name + " " + c.Type
		}
		return fmt.Errorf("%s: %d feature arguments given, the version's INPUT declares %d (%s)", ref, len(got), len(inputs), strings.Join(names, ", "))
	}
	for i, c := range inputs {
		if !typeAccepted(c.Type, got[i]) {
			return fmt.Errorf("%s: argument %d (%s) has type %s, expected %s", ref, i+1, c.Name, maxComputeName(got[i]), c.Type)
		}
	}
	return nil
}

var intRank = map[string]int{"TINYINT": 1, "UTINYINT": 1, "SMALLINT": 2, "USMALLINT": 2, "INTEGER": 3, "UINTEGER": 3, "BIGINT": 4}

func typeAccepted(declared, actual string) bool {
	if actual == `"NULL"` || actual == "NULL" {
		return true
	}
	base := declared
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = base[:i]
	}
	isDecimal := strings.HasPrefix(actual, "DECIMAL")
	switch base {
	case "TINYINT":
		return actual == "TINYINT"
	case "SMALLINT":
		return intRank[actual] >= 1 && intRank[actual] <= 2 && actual != "USMALLINT"
	case "INT":
		return intRank[actual] >= 1 && intRank[actual] <= 3 && actual != "UINTEGER"
	case "BIGINT":
		return intRank[actual] >= 1
	case "FLOAT":
		return actual == "FLOAT"
	case "DOUBLE":
		return actual == "FLOAT" || actual == "DOUBLE" || isDecimal || intRank[actual] > 0
	case "DECIMAL":
		return isDecimal || intRank[actual] > 0
	case "BOOLEAN":
		return actual == "BOOLEAN"
	}
	return false
}

// maxComputeName names a DuckDB type the way a MaxCompute user knows it.
func maxComputeName(t string) string {
	switch t {
	case "INTEGER":
		return "INT"
	case "VARCHAR":
		return "STRING"
	case "BLOB":
		return "BINARY"
	}
	return t
}

// RegisterPredict registers the ML_PREDICT functions on a connection.
func RegisterPredict(conn *sql.Conn, reg *Registry) error {
	for _, classifier := range []bool{false, true} {
		f := &predictFunc{reg: reg, classifier: classifier}
		name := PredictRegressorFunc
		if classifier {
			name = PredictClassifierFunc
		}
		if err := duckdb.RegisterScalarUDF(conn, name, f); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	return nil
}

type predictFunc struct {
	reg        *Registry
	classifier bool
}

func (f *predictFunc) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	result := varchar
	if f.classifier {
		floatT, _ := duckdb.NewTypeInfo(duckdb.TYPE_FLOAT)
		probs, _ := duckdb.NewListInfo(floatT)
		label, _ := duckdb.NewStructEntry(varchar, "label")
		probsE, _ := duckdb.NewStructEntry(probs, "probs")
		result, _ = duckdb.NewStructInfo(label, probsE)
	}
	return boundCallConfig(result, false)
}

func (f *predictFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: guarded(f.reg, f.execute)}
}

func (f *predictFunc) execute(ctx context.Context, state *duckdb.ChunkIteratorState) error {
	chunk := state.GetInputChunk()
	n := chunk.GetSize()
	if n == 0 {
		return nil
	}
	b, err := f.reg.chunkBinding(chunk)
	if err != nil {
		return err
	}
	if b.Predictor == nil {
		return fmt.Errorf("ML_PREDICT: internal error: no model bound")
	}
	nf := chunk.ColumnCount() - 1
	p := b.Predictor
	if nf != p.NumFeatures() {
		return fmt.Errorf("ML_PREDICT: %d features given, model file has %d", nf, p.NumFeatures())
	}
	no := p.Outputs()
	buf := getBuffers(n * no)
	defer putBuffers(buf)
	out := buf.out
	if cols, ok := readColumnsFast(chunk, 1, n, nf, buf); ok {
		if err := p.PredictColumns(cols, n, out); err != nil {
			return err
		}
	} else {
		feats := buf.rowMajor(n * nf)
		if err := readFeatures(chunk, n, nf, feats); err != nil {
			return err
		}
		if err := p.PredictRows(feats, n, out); err != nil {
			return err
		}
	}
	b.Rows.Add(int64(n))
	if !f.classifier {
		// The float32 prediction in shortest round-trip form (as
		// strconv's 'g' with precision -1, faster).
		if sw, ok := newStringWriter(state.GetResultVector()); ok {
			for i := range n {
				buf.text = floatfmt.AppendFloat32(buf.text[:0], out[i*no])
				sw.set(i, buf.text)
			}
			return nil
		}
		w, err := duckdb.GetVectorWriter[string](state.GetResultVector())
		if err != nil {
			return err
		}
		for i := range n {
			buf.text = floatfmt.AppendFloat32(buf.text[:0], out[i*no])
			if err := w.Set(i, string(buf.text)); err != nil {
				return err
			}
		}
		return nil
	}
	if writeClasses(state.GetResultVector(), p, out, n, no, buf) {
		return nil
	}
	probs := make([]float32, p.ClassProbs())
	i := 0
	for row, err := range state.Rows() {
		if err != nil {
			return err
		}
		label := p.Classify(out[i*no:(i+1)*no], probs)
		if err := row.SetResult(map[string]any{"label": string(labelText(classNamesOf(p), label, nil)), "probs": probs}); err != nil {
			return err
		}
		i++
	}
	return nil
}

// readFeatures converts the feature columns to float32; NULL becomes NaN.
func readFeatures(chunk *duckdb.DataChunk, n, nf int, feats []float32) error {
	for c := range nf {
		for r := range n {
			v, err := chunk.GetValue(c+1, r)
			if err != nil {
				return err
			}
			x, err := toFloat32(v)
			if err != nil {
				return fmt.Errorf("ML_PREDICT: argument %d: %w", c+1, err)
			}
			feats[r*nf+c] = x
		}
	}
	return nil
}

func toFloat32(v any) (float32, error) {
	switch x := v.(type) {
	case nil:
		return float32(math.NaN()), nil
	case float32:
		return x, nil
	case float64:
		return float32(x), nil
	case int8:
		return float32(x), nil
	case int16:
		return float32(x), nil
	case int32:
		return float32(x), nil
	case int64:
		return float32(x), nil
	case uint8:
		return float32(x), nil
	case uint16:
		return float32(x), nil
	case uint32:
		return float32(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case duckdb.Decimal:
		// Through float64, as a DOUBLE column holding the same value would go.
		f, err := strconv.ParseFloat(x.String(), 64)
		if err != nil {
			return 0, err
		}
		return float32(f), nil
	}
	return 0, fmt.Errorf("unsupported value type %T", v)
}

// buffers are reused across chunks: a chunk of 2048 rows × 28 features is
// 229 KB, which would otherwise be garbage for every chunk.
type buffers struct {
	feats, out, colData []float32
	cols                []xgboost.Column
	text                []byte
}

var bufferPool = sync.Pool{New: func() any { return &buffers{} }}

func getBuffers(nOut int) *buffers {
	b := bufferPool.Get().(*buffers)
	if cap(b.out) < nOut {
		b.out = make([]float32, nOut)
	}
	b.out = b.out[:nOut]
	return b
}

// rowMajor returns a buffer for n row-major feature values.
func (b *buffers) rowMajor(n int) []float32 {
	if cap(b.feats) < n {
		b.feats = make([]float32, n)
	}
	return b.feats[:n]
}

// columns returns nf column slots and room for nf columns of n values.
func (b *buffers) columns(nf, n int) []xgboost.Column {
	if cap(b.colData) < nf*n {
		b.colData = make([]float32, nf*n)
	}
	b.colData = b.colData[:nf*n]
	if cap(b.cols) < nf {
		b.cols = make([]xgboost.Column, nf)
	}
	b.cols = b.cols[:nf]
	return b.cols
}

func putBuffers(b *buffers) { bufferPool.Put(b) }
