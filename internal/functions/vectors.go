package functions

import (
	"reflect"
	"sync/atomic"
	"unsafe"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"

	"github.com/modelsql/modelsql/internal/xgboost"
)

// Reading feature columns value by value through duckdb-go boxes every
// value (about 20 ns each); for a small model that costs more than the
// prediction. duckdb-go exposes typed vectors only for VARCHAR, so the fast
// path reads numeric input vectors through the C API (package mapping),
// using the chunk handle duckdb-go keeps in an unexported field. The field
// is located by reflection once; if duckdb-go's layout ever changes, the
// fast path switches itself off and the boxed path is used.
var chunkFieldOffset, chunkFieldOK = func() (uintptr, bool) {
	f, ok := reflect.TypeFor[duckdb.DataChunk]().FieldByName("chunk")
	if !ok || f.Type != reflect.TypeFor[mapping.DataChunk]() {
		return 0, false
	}
	return f.Offset, true
}()

// fastReads counts chunks read through the fast path (for tests).
var fastReads atomic.Int64

func rawChunk(dc *duckdb.DataChunk) (mapping.DataChunk, bool) {
	if !chunkFieldOK || dc == nil {
		return mapping.DataChunk{}, false
	}
	return *(*mapping.DataChunk)(unsafe.Add(unsafe.Pointer(dc), chunkFieldOffset)), true
}

// readColumnsFast returns the feature columns first..first+nf-1 of the
// chunk when every column is a flat numeric vector. NULLs stay where DuckDB
// marks them, in the vector's validity bitmap, which the runtime reads as
// missing values. FLOAT vectors are DuckDB's own memory, used in place
// (valid until the callback returns); other types are converted into buf.
func readColumnsFast(dc *duckdb.DataChunk, first, n, nf int, buf *buffers) ([]xgboost.Column, bool) {
	raw, ok := rawChunk(dc)
	if !ok || raw.Ptr == nil || int(mapping.DataChunkGetSize(raw)) != n {
		return nil, false
	}
	cols := buf.columns(nf, n)
	for c := range nf {
		vec := mapping.DataChunkGetVector(raw, mapping.IdxT(first+c))
		lt := mapping.VectorGetColumnType(vec)
		typ := mapping.GetTypeId(lt)
		mapping.DestroyLogicalType(&lt)
		data := mapping.VectorGetData(vec)
		if data == nil {
			return nil, false
		}
		var valid []uint64
		if mask := mapping.VectorGetValidity(vec); mask != nil {
			valid = unsafe.Slice((*uint64)(mask), (n+63)/64)
		}
		if typ == duckdb.TYPE_FLOAT {
			cols[c] = xgboost.Column{Values: unsafe.Slice((*float32)(data), n), Valid: valid}
			continue
		}
		col := buf.colData[c*n : (c+1)*n]
		switch typ {
		case duckdb.TYPE_DOUBLE:
			convert(col, unsafe.Slice((*float64)(data), n))
		case duckdb.TYPE_BIGINT:
			convert(col, unsafe.Slice((*int64)(data), n))
		case duckdb.TYPE_INTEGER:
			convert(col, unsafe.Slice((*int32)(data), n))
		case duckdb.TYPE_SMALLINT:
			convert(col, unsafe.Slice((*int16)(data), n))
		case duckdb.TYPE_TINYINT:
			convert(col, unsafe.Slice((*int8)(data), n))
		case duckdb.TYPE_BOOLEAN:
			for r, v := range unsafe.Slice((*bool)(data), n) {
				col[r] = 0
				if v {
					col[r] = 1
				}
			}
		default:
			return nil, false
		}
		cols[c] = xgboost.Column{Values: col, Valid: valid}
	}
	fastReads.Add(1)
	return cols, true
}

func convert[T int8 | int16 | int32 | int64 | float64](dst []float32, src []T) {
	for r, v := range src {
		dst[r] = float32(v)
	}
}

// The result vector's C handle sits in Vector.v (*vector).vec, both
// unexported; located once by reflection like the chunk handle.
var resultVecOffsets, resultVecOK = func() ([2]uintptr, bool) {
	v, ok := reflect.TypeFor[duckdb.Vector]().FieldByName("v")
	if !ok || v.Type.Kind() != reflect.Pointer {
		return [2]uintptr{}, false
	}
	inner, ok := v.Type.Elem().FieldByName("vec")
	if !ok || inner.Type != reflect.TypeFor[mapping.Vector]() {
		return [2]uintptr{}, false
	}
	return [2]uintptr{v.Offset, inner.Offset}, true
}()

func rawVector(v *duckdb.Vector) (mapping.Vector, bool) {
	if !resultVecOK {
		return mapping.Vector{}, false
	}
	p := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(v), resultVecOffsets[0]))
	if p == nil {
		return mapping.Vector{}, false
	}
	return *(*mapping.Vector)(unsafe.Add(p, resultVecOffsets[1])), true
}

// stringWriter writes VARCHAR results. Strings of up to 12 bytes are
// stored inline in DuckDB's 16-byte string_t (length, then the bytes), so
// they are written straight into the vector; longer ones go through the C
// API, which copies them into the vector's string heap.
type stringWriter struct {
	vec  mapping.Vector
	data unsafe.Pointer
}

func newStringWriter(v duckdb.Vector) (stringWriter, bool) {
	raw, ok := rawVector(&v)
	if !ok || raw.Ptr == nil {
		return stringWriter{}, false
	}
	data := mapping.VectorGetData(raw)
	return stringWriter{vec: raw, data: data}, data != nil
}

func (w stringWriter) set(row int, b []byte) {
	if len(b) <= 12 {
		slot := (*[16]byte)(unsafe.Add(w.data, 16*row))
		*slot = [16]byte{}
		slot[0], slot[1], slot[2], slot[3] = byte(len(b)), 0, 0, 0
		copy(slot[4:], b)
		return
	}
	mapping.VectorAssignStringElementLen(w.vec, mapping.IdxT(row), b)
}

// fastClassWrites counts chunks of classifier results written through
// writeClasses (for tests).
var fastClassWrites atomic.Int64

// writeClasses writes n classifier results, STRUCT(label VARCHAR, probs
// FLOAT[]), straight into DuckDB's vectors: each label as an inline string,
// the probabilities into the list's child vector, ClassProbs() per row.
// Setting them row by row through duckdb-go boxes every row into a map and
// every probability into an interface, which cost more than the prediction.
// It reports false, having written nothing that matters, if the vectors
// cannot be reached; the caller then takes the boxed path.
func writeClasses(result duckdb.Vector, p Predictor, out []float32, n, no int, buf *buffers) bool {
	raw, ok := rawVector(&result)
	if !ok || raw.Ptr == nil {
		return false
	}
	labelVec := mapping.StructVectorGetChild(raw, 0)
	probsVec := mapping.StructVectorGetChild(raw, 1)
	labels := stringWriter{vec: labelVec, data: mapping.VectorGetData(labelVec)}
	entries := mapping.VectorGetData(probsVec)
	if labels.data == nil || entries == nil {
		return false
	}
	k := p.ClassProbs()
	base := int(mapping.ListVectorGetSize(probsVec))
	size := base + n*k
	if mapping.ListVectorReserve(probsVec, mapping.IdxT(size)) == mapping.StateError {
		return false
	}
	var probs []float32
	if k > 0 {
		data := mapping.VectorGetData(mapping.ListVectorGetChild(probsVec)) // after the reserve, which may move it
		if data == nil {
			return false
		}
		probs = unsafe.Slice((*float32)(data), size)[base:]
	}
	// duckdb_list_entry: the offset of the row's list in the child vector
	// and its length.
	lists := unsafe.Slice((*[2]uint64)(entries), n)
	names := classNamesOf(p)
	for i := range n {
		lists[i] = [2]uint64{uint64(base + i*k), uint64(k)}
		label := p.Classify(out[i*no:(i+1)*no], probs[i*k:(i+1)*k])
		buf.text = labelText(names, label, buf.text)
		labels.set(i, buf.text)
	}
	if mapping.ListVectorSetSize(probsVec, mapping.IdxT(size)) == mapping.StateError {
		return false
	}
	fastClassWrites.Add(1)
	return true
}
