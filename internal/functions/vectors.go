package functions

import (
	"math"
	"reflect"
	"sync/atomic"
	"unsafe"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
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

// readFeaturesFast fills feats (row-major n×nf) from columns first..first+nf-1
// when every column is a flat numeric vector; NULL becomes NaN. It reports
// false (having written nothing useful) when it cannot handle the chunk.
func readFeaturesFast(dc *duckdb.DataChunk, first, n, nf int, feats []float32) bool {
	raw, ok := rawChunk(dc)
	if !ok || raw.Ptr == nil || int(mapping.DataChunkGetSize(raw)) != n {
		return false
	}
	nan := float32(math.NaN())
	for c := range nf {
		vec := mapping.DataChunkGetVector(raw, mapping.IdxT(first+c))
		lt := mapping.VectorGetColumnType(vec)
		typ := mapping.GetTypeId(lt)
		mapping.DestroyLogicalType(&lt)
		data := mapping.VectorGetData(vec)
		if data == nil {
			return false
		}
		switch typ {
		case duckdb.TYPE_DOUBLE:
			for r, v := range unsafe.Slice((*float64)(data), n) {
				feats[r*nf+c] = float32(v)
			}
		case duckdb.TYPE_FLOAT:
			for r, v := range unsafe.Slice((*float32)(data), n) {
				feats[r*nf+c] = v
			}
		case duckdb.TYPE_BIGINT:
			for r, v := range unsafe.Slice((*int64)(data), n) {
				feats[r*nf+c] = float32(v)
			}
		case duckdb.TYPE_INTEGER:
			for r, v := range unsafe.Slice((*int32)(data), n) {
				feats[r*nf+c] = float32(v)
			}
		case duckdb.TYPE_SMALLINT:
			for r, v := range unsafe.Slice((*int16)(data), n) {
				feats[r*nf+c] = float32(v)
			}
		case duckdb.TYPE_TINYINT:
			for r, v := range unsafe.Slice((*int8)(data), n) {
				feats[r*nf+c] = float32(v)
			}
		case duckdb.TYPE_BOOLEAN:
			for r, v := range unsafe.Slice((*bool)(data), n) {
				if v {
					feats[r*nf+c] = 1
				} else {
					feats[r*nf+c] = 0
				}
			}
		default:
			return false
		}
		if mask := mapping.VectorGetValidity(vec); mask != nil {
			words := unsafe.Slice((*uint64)(mask), (n+63)/64)
			for r := range n {
				if words[r/64]&(1<<(r%64)) == 0 {
					feats[r*nf+c] = nan
				}
			}
		}
	}
	fastReads.Add(1)
	return true
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
