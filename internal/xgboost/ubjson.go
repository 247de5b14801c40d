package xgboost

import (
	"encoding/binary"
	"math"
	"strconv"
)

// ubjReader is a streaming reader for UBJSON (Universal Binary JSON) as
// XGBoost writes it: big-endian numbers; object keys as a length and raw bytes
// with no 'S' marker; arrays either delimited by ']' or counted with '#'
// (then without ']'); typed arrays '[$<type>#<count>' holding raw elements.
// Counts are checked against the remaining input before any allocation.
type ubjReader struct {
	b     []byte
	p     int
	depth int
	// pending is the element marker of a typed array being read element by
	// element: the next scalar has no marker of its own.
	pending byte
}

func newUBJReader(b []byte) *ubjReader { return &ubjReader{b: b} }

func (r *ubjReader) errf(msg string) error {
	return &syntaxError{format: "ubjson", off: r.p, msg: msg}
}

func (r *ubjReader) remaining() int { return len(r.b) - r.p }
func (r *ubjReader) offset() int    { return r.p }

func (r *ubjReader) end() error {
	// No-op markers ('N') may pad the end.
	for r.p < len(r.b) && r.b[r.p] == 'N' {
		r.p++
	}
	if r.p != len(r.b) {
		return r.errf("unexpected data after the end of the document")
	}
	return nil
}

// marker returns the next type marker, skipping no-op markers.
func (r *ubjReader) marker() (byte, error) {
	for r.p < len(r.b) {
		c := r.b[r.p]
		if c != 'N' {
			return c, nil
		}
		r.p++
	}
	return 0, r.errf("unexpected end of input")
}

func (r *ubjReader) peek() (kind, error) {
	if r.pending != 0 {
		return kindNumber, nil
	}
	c, err := r.marker()
	if err != nil {
		return kindInvalid, err
	}
	switch c {
	case '{':
		return kindObject, nil
	case '[':
		return kindArray, nil
	case 'S':
		return kindString, nil
	case 'T', 'F':
		return kindBool, nil
	case 'Z':
		return kindNull, nil
	case 'i', 'U', 'I', 'l', 'L', 'd', 'D', 'C':
		return kindNumber, nil
	case 'H':
		return kindInvalid, r.errf("high-precision numbers are not supported")
	}
	return kindInvalid, r.errf("unknown type marker " + strconv.QuoteRune(rune(c)))
}

func (r *ubjReader) need(n int, what string) error {
	if n < 0 || len(r.b)-r.p < n {
		return r.errf("truncated " + what)
	}
	return nil
}

// intOf reads an integer payload of the given type marker.
func (r *ubjReader) intOf(m byte) (int64, error) {
	switch m {
	case 'i':
		if err := r.need(1, "int8"); err != nil {
			return 0, err
		}
		v := int64(int8(r.b[r.p]))
		r.p++
		return v, nil
	case 'U':
		if err := r.need(1, "uint8"); err != nil {
			return 0, err
		}
		v := int64(r.b[r.p])
		r.p++
		return v, nil
	case 'C':
		if err := r.need(1, "char"); err != nil {
			return 0, err
		}
		v := int64(r.b[r.p])
		r.p++
		return v, nil
	case 'I':
		if err := r.need(2, "int16"); err != nil {
			return 0, err
		}
		v := int64(int16(binary.BigEndian.Uint16(r.b[r.p:])))
		r.p += 2
		return v, nil
	case 'l':
		if err := r.need(4, "int32"); err != nil {
			return 0, err
		}
		v := int64(int32(binary.BigEndian.Uint32(r.b[r.p:])))
		r.p += 4
		return v, nil
	case 'L':
		if err := r.need(8, "int64"); err != nil {
			return 0, err
		}
		v := int64(binary.BigEndian.Uint64(r.b[r.p:]))
		r.p += 8
		return v, nil
	}
	return 0, r.errf("want an integer, found marker " + strconv.QuoteRune(rune(m)))
}

// length reads a length or count: an integer marker and its payload.
func (r *ubjReader) length(what string) (int, error) {
	if r.p >= len(r.b) {
		return 0, r.errf("truncated " + what)
	}
	m := r.b[r.p]
	r.p++
	v, err := r.intOf(m)
	if err != nil {
		return 0, err
	}
	if v < 0 || v > int64(len(r.b)-r.p) {
		r.p--
		return 0, r.errf(what + " " + strconv.FormatInt(v, 10) + " exceeds the input size")
	}
	return int(v), nil
}

func (r *ubjReader) object() (iter, error) {
	if r.pending != 0 {
		return iter{}, r.errf("want an object, found an element of a typed array")
	}
	c, err := r.marker()
	if err != nil {
		return iter{}, err
	}
	if c != '{' {
		return iter{}, r.errf("want an object, found marker " + strconv.QuoteRune(rune(c)))
	}
	r.p++
	if r.depth++; r.depth > maxDepth {
		return iter{}, r.errf("nesting too deep")
	}
	// Optimised objects ('$' type / '#' count) are not written by XGBoost.
	if r.p < len(r.b) && (r.b[r.p] == '$' || r.b[r.p] == '#') {
		return iter{}, r.errf("optimised UBJSON objects are not supported")
	}
	return iter{n: -1}, nil
}

func (r *ubjReader) key(it *iter) ([]byte, bool, error) {
	c, err := r.marker()
	if err != nil {
		return nil, false, err
	}
	if c == '}' {
		r.p++
		r.depth--
		return nil, false, nil
	}
	n, err := r.length("key length")
	if err != nil {
		return nil, false, err
	}
	if err := r.need(n, "key"); err != nil {
		return nil, false, err
	}
	k := r.b[r.p : r.p+n]
	r.p += n
	return k, true, nil
}

// arrayHeader consumes the start of an array. For a typed array it returns
// the element marker and count (the payload is checked to be present); for a
// counted array, marker 0 and the count; for a delimited one, 0 and -1.
func (r *ubjReader) arrayHeader() (elem byte, n int64, err error) {
	if r.pending != 0 {
		return 0, 0, r.errf("want an array, found an element of a typed array")
	}
	c, err := r.marker()
	if err != nil {
		return 0, 0, err
	}
	if c != '[' {
		return 0, 0, r.errf("want an array, found marker " + strconv.QuoteRune(rune(c)))
	}
	r.p++
	if r.depth++; r.depth > maxDepth {
		return 0, 0, r.errf("nesting too deep")
	}
	if r.p >= len(r.b) {
		return 0, 0, r.errf("truncated array")
	}
	switch r.b[r.p] {
	case '$':
		r.p++
		if r.p >= len(r.b) {
			return 0, 0, r.errf("truncated typed array")
		}
		elem = r.b[r.p]
		r.p++
		if r.p >= len(r.b) || r.b[r.p] != '#' {
			return 0, 0, r.errf("typed array without a count")
		}
		r.p++
		cnt, err := r.length("array count")
		if err != nil {
			return 0, 0, err
		}
		size := ubjSize(elem)
		if size == 0 {
			return 0, 0, r.errf("unsupported typed array element " + strconv.QuoteRune(rune(elem)))
		}
		if err := r.need(cnt*size, "typed array of "+strconv.Itoa(cnt)+" elements"); err != nil {
			return 0, 0, err
		}
		return elem, int64(cnt), nil
	case '#':
		r.p++
		cnt, err := r.length("array count")
		if err != nil {
			return 0, 0, err
		}
		return 0, int64(cnt), nil
	}
	return 0, -1, nil
}

// ubjSize is the payload size of a fixed-size scalar type, or 0.
func ubjSize(m byte) int {
	switch m {
	case 'i', 'U', 'C':
		return 1
	case 'I':
		return 2
	case 'l', 'd':
		return 4
	case 'L', 'D':
		return 8
	}
	return 0
}

func (r *ubjReader) array() (iter, error) {
	elem, n, err := r.arrayHeader()
	if err != nil {
		return iter{}, err
	}
	if elem != 0 {
		// Element-wise access to a typed array: each element is a scalar of
		// type elem without its own marker.
		return iter{n: n, elem: elem}, nil
	}
	return iter{n: n}, nil
}

func (r *ubjReader) next(it *iter) (bool, error) {
	if it.n >= 0 {
		if it.n == 0 {
			r.depth--
			return false, nil
		}
		it.n--
		if it.elem != 0 {
			r.pending = it.elem
		}
		return true, nil
	}
	c, err := r.marker()
	if err != nil {
		return false, err
	}
	if c == ']' {
		r.p++
		r.depth--
		return false, nil
	}
	return true, nil
}

// scalarMarker returns the marker of the next scalar: either the pending
// element type of a typed array, or a marker read from the input.
func (r *ubjReader) scalarMarker() (byte, error) {
	if m := r.pending; m != 0 {
		r.pending = 0
		return m, nil
	}
	c, err := r.marker()
	if err != nil {
		return 0, err
	}
	r.p++
	return c, nil
}

func (r *ubjReader) str() ([]byte, error) {
	m, err := r.scalarMarker()
	if err != nil {
		return nil, err
	}
	if m != 'S' {
		if m == 'C' { // a char is a one-byte string
			if err := r.need(1, "char"); err != nil {
				return nil, err
			}
			r.p++
			return r.b[r.p-1 : r.p], nil
		}
		r.p--
		return nil, r.errf("want a string, found marker " + strconv.QuoteRune(rune(m)))
	}
	n, err := r.length("string length")
	if err != nil {
		return nil, err
	}
	if err := r.need(n, "string"); err != nil {
		return nil, err
	}
	s := r.b[r.p : r.p+n]
	r.p += n
	return s, nil
}

// num reads a numeric scalar of marker m as float64 (for f32: the exact
// float32 value) and reports whether it was an integer type.
func (r *ubjReader) num(m byte) (f float64, i int64, isInt bool, err error) {
	switch m {
	case 'd':
		if err := r.need(4, "float32"); err != nil {
			return 0, 0, false, err
		}
		f = float64(math.Float32frombits(binary.BigEndian.Uint32(r.b[r.p:])))
		r.p += 4
		return f, 0, false, nil
	case 'D':
		if err := r.need(8, "float64"); err != nil {
			return 0, 0, false, err
		}
		f = math.Float64frombits(binary.BigEndian.Uint64(r.b[r.p:]))
		r.p += 8
		return f, 0, false, nil
	}
	i, err = r.intOf(m)
	return float64(i), i, true, err
}

func (r *ubjReader) f32() (float32, error) {
	m, err := r.scalarMarker()
	if err != nil {
		return 0, err
	}
	if m == 'd' { // exact: no float64 round trip needed
		if err := r.need(4, "float32"); err != nil {
			return 0, err
		}
		v := math.Float32frombits(binary.BigEndian.Uint32(r.b[r.p:]))
		r.p += 4
		return v, nil
	}
	f, i, isInt, err := r.num(m)
	if err != nil {
		return 0, err
	}
	if isInt {
		return float32(i), nil
	}
	return float32(f), nil
}

func (r *ubjReader) i64() (int64, error) {
	m, err := r.scalarMarker()
	if err != nil {
		return 0, err
	}
	f, i, isInt, err := r.num(m)
	if err != nil {
		return 0, err
	}
	if !isInt {
		if f != math.Trunc(f) || f < -(1<<62) || f > 1<<62 {
			return 0, r.errf("want an integer, found a fraction")
		}
		return int64(f), nil
	}
	return i, nil
}

func (r *ubjReader) boolean() (bool, error) {
	m, err := r.scalarMarker()
	if err != nil {
		return false, err
	}
	switch m {
	case 'T':
		return true, nil
	case 'F':
		return false, nil
	}
	_, i, isInt, err := r.num(m)
	if err != nil {
		return false, err
	}
	if !isInt {
		return false, r.errf("want a boolean")
	}
	return i != 0, nil
}

func (r *ubjReader) skip() error {
	if m := r.pending; m != 0 {
		r.pending = 0
		r.p += ubjSize(m) // checked against the input by arrayHeader
		return nil
	}
	k, err := r.peek()
	if err != nil {
		return err
	}
	switch k {
	case kindObject:
		it, err := r.object()
		if err != nil {
			return err
		}
		for {
			_, ok, err := r.key(&it)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := r.skip(); err != nil {
				return err
			}
		}
	case kindArray:
		elem, n, err := r.arrayHeader()
		if err != nil {
			return err
		}
		if elem != 0 {
			r.p += int(n) * ubjSize(elem)
			r.depth--
			return nil
		}
		it := iter{n: n}
		for {
			ok, err := r.next(&it)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := r.skip(); err != nil {
				return err
			}
		}
	case kindString:
		_, err := r.str()
		return err
	case kindNull, kindBool:
		r.p++
		return nil
	case kindNumber:
		m := r.b[r.p]
		r.p++
		if err := r.need(ubjSize(m), "number"); err != nil {
			return err
		}
		r.p += ubjSize(m)
		return nil
	}
	return r.errf("bad value")
}

// bulk reads an array of numbers, calling typed for a typed array's raw
// payload and scalar for each element of a generic array.
func (r *ubjReader) bulk(typed func(elem byte, payload []byte, n int) error, scalar func() error) error {
	elem, n, err := r.arrayHeader()
	if err != nil {
		return err
	}
	if elem != 0 {
		size := ubjSize(elem)
		payload := r.b[r.p : r.p+int(n)*size]
		r.p += int(n) * size
		r.depth--
		return typed(elem, payload, int(n))
	}
	it := iter{n: n}
	for {
		ok, err := r.next(&it)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if err := scalar(); err != nil {
			return err
		}
	}
}

// elemInt decodes element i of a typed integer payload.
func elemInt(elem byte, payload []byte, i int) (int64, bool) {
	switch elem {
	case 'i':
		return int64(int8(payload[i])), true
	case 'U', 'C':
		return int64(payload[i]), true
	case 'I':
		return int64(int16(binary.BigEndian.Uint16(payload[2*i:]))), true
	case 'l':
		return int64(int32(binary.BigEndian.Uint32(payload[4*i:]))), true
	case 'L':
		return int64(binary.BigEndian.Uint64(payload[8*i:])), true
	case 'd':
		f := float64(math.Float32frombits(binary.BigEndian.Uint32(payload[4*i:])))
		return int64(f), f == math.Trunc(f) && math.Abs(f) < 1<<62
	case 'D':
		f := math.Float64frombits(binary.BigEndian.Uint64(payload[8*i:]))
		return int64(f), f == math.Trunc(f) && math.Abs(f) < 1<<62
	}
	return 0, false
}

func (r *ubjReader) f32s(dst []float32) ([]float32, error) {
	err := r.bulk(func(elem byte, payload []byte, n int) error {
		switch elem {
		case 'd':
			for i := 0; i < n; i++ {
				dst = append(dst, math.Float32frombits(binary.BigEndian.Uint32(payload[4*i:])))
			}
		case 'D':
			for i := 0; i < n; i++ {
				dst = append(dst, float32(math.Float64frombits(binary.BigEndian.Uint64(payload[8*i:]))))
			}
		default:
			for i := 0; i < n; i++ {
				v, _ := elemInt(elem, payload, i)
				dst = append(dst, float32(v))
			}
		}
		return nil
	}, func() error {
		v, err := r.f32()
		dst = append(dst, v)
		return err
	})
	return dst, err
}

func (r *ubjReader) i64s(dst []int64) ([]int64, error) {
	err := r.bulk(func(elem byte, payload []byte, n int) error {
		for i := 0; i < n; i++ {
			v, ok := elemInt(elem, payload, i)
			if !ok {
				return r.errf("want integers, found fractions")
			}
			dst = append(dst, v)
		}
		return nil
	}, func() error {
		v, err := r.i64()
		dst = append(dst, v)
		return err
	})
	return dst, err
}

func (r *ubjReader) i32s(dst []int32) ([]int32, error) {
	err := r.bulk(func(elem byte, payload []byte, n int) error {
		if elem == 'l' {
			for i := 0; i < n; i++ {
				dst = append(dst, int32(binary.BigEndian.Uint32(payload[4*i:])))
			}
			return nil
		}
		for i := 0; i < n; i++ {
			v, ok := elemInt(elem, payload, i)
			if !ok || v != int64(int32(v)) {
				return r.errf("integer out of int32 range")
			}
			dst = append(dst, int32(v))
		}
		return nil
	}, func() error {
		v, err := r.i64()
		if err == nil && v != int64(int32(v)) {
			err = r.errf("integer out of int32 range")
		}
		dst = append(dst, int32(v))
		return err
	})
	return dst, err
}

func (r *ubjReader) u8s(dst []uint8) ([]uint8, error) {
	err := r.bulk(func(elem byte, payload []byte, n int) error {
		if elem == 'U' {
			dst = append(dst, payload...)
			return nil
		}
		for i := 0; i < n; i++ {
			v, ok := elemInt(elem, payload, i)
			if !ok || v < 0 || v > 255 {
				return r.errf("integer out of uint8 range")
			}
			dst = append(dst, uint8(v))
		}
		return nil
	}, func() error {
		k, err := r.peek()
		if err != nil {
			return err
		}
		if k == kindBool {
			v, _ := r.boolean()
			if v {
				dst = append(dst, 1)
			} else {
				dst = append(dst, 0)
			}
			return nil
		}
		v, err := r.i64()
		if err == nil && (v < 0 || v > 255) {
			err = r.errf("integer out of uint8 range")
		}
		dst = append(dst, uint8(v))
		return err
	})
	return dst, err
}
