package xgboost

import (
	"errors"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// jsonReader is a streaming tokenizer for JSON text as XGBoost writes it,
// including the non-standard number tokens NaN, Infinity and -Infinity. It
// never builds a generic tree: the schema walker pulls values and arrays of
// numbers are decoded straight into typed slices.
type jsonReader struct {
	b       []byte
	p       int
	depth   int
	scratch []byte // unescaped strings
}

func newJSONReader(b []byte) *jsonReader { return &jsonReader{b: b} }

func (r *jsonReader) errf(msg string) error {
	return &syntaxError{format: "json", off: r.p, msg: msg}
}

func (r *jsonReader) remaining() int { return len(r.b) - r.p }
func (r *jsonReader) offset() int    { return r.p }

func (r *jsonReader) ws() {
	for r.p < len(r.b) {
		switch r.b[r.p] {
		case ' ', '\t', '\n', '\r':
			r.p++
		default:
			return
		}
	}
}

func (r *jsonReader) end() error {
	r.ws()
	if r.p != len(r.b) {
		return r.errf("unexpected data after the end of the document")
	}
	return nil
}

func (r *jsonReader) peek() (kind, error) {
	r.ws()
	if r.p >= len(r.b) {
		return kindInvalid, r.errf("unexpected end of input")
	}
	switch c := r.b[r.p]; c {
	case '{':
		return kindObject, nil
	case '[':
		return kindArray, nil
	case '"':
		return kindString, nil
	case 't', 'f':
		return kindBool, nil
	case 'n':
		return kindNull, nil
	case 'N', 'I', '-', '+', '.', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return kindNumber, nil
	default:
		return kindInvalid, r.errf("unexpected character " + strconv.QuoteRune(rune(c)))
	}
}

func (r *jsonReader) expect(c byte, what string) error {
	r.ws()
	if r.p >= len(r.b) {
		return r.errf("unexpected end of input, want " + what)
	}
	if r.b[r.p] != c {
		return r.errf("unexpected character " + strconv.QuoteRune(rune(r.b[r.p])) + ", want " + what)
	}
	r.p++
	return nil
}

func (r *jsonReader) object() (iter, error) {
	if err := r.expect('{', "an object"); err != nil {
		return iter{}, err
	}
	if r.depth++; r.depth > maxDepth {
		return iter{}, r.errf("nesting too deep")
	}
	return iter{n: -1, first: true}, nil
}

func (r *jsonReader) key(it *iter) ([]byte, bool, error) {
	r.ws()
	if r.p >= len(r.b) {
		return nil, false, r.errf("unexpected end of input in an object")
	}
	c := r.b[r.p]
	if c == '}' {
		r.p++
		r.depth--
		return nil, false, nil
	}
	if !it.first {
		if c != ',' {
			return nil, false, r.errf("want ',' or '}' in an object")
		}
		r.p++
	}
	it.first = false
	k, err := r.str()
	if err != nil {
		return nil, false, err
	}
	if err := r.expect(':', "':'"); err != nil {
		return nil, false, err
	}
	return k, true, nil
}

func (r *jsonReader) array() (iter, error) {
	if err := r.expect('[', "an array"); err != nil {
		return iter{}, err
	}
	if r.depth++; r.depth > maxDepth {
		return iter{}, r.errf("nesting too deep")
	}
	return iter{n: -1, first: true}, nil
}

func (r *jsonReader) next(it *iter) (bool, error) {
	r.ws()
	if r.p >= len(r.b) {
		return false, r.errf("unexpected end of input in an array")
	}
	c := r.b[r.p]
	if c == ']' {
		r.p++
		r.depth--
		return false, nil
	}
	if !it.first {
		if c != ',' {
			return false, r.errf("want ',' or ']' in an array")
		}
		r.p++
	}
	it.first = false
	return true, nil
}

func (r *jsonReader) str() ([]byte, error) {
	if err := r.expect('"', "a string"); err != nil {
		return nil, err
	}
	start := r.p
	for r.p < len(r.b) {
		c := r.b[r.p]
		if c == '"' {
			s := r.b[start:r.p]
			r.p++
			return s, nil
		}
		if c == '\\' {
			return r.strSlow(start)
		}
		if c < 0x20 {
			return nil, r.errf("control character in a string")
		}
		r.p++
	}
	return nil, r.errf("unterminated string")
}

// strSlow decodes a string with escapes into the scratch buffer.
func (r *jsonReader) strSlow(start int) ([]byte, error) {
	out := append(r.scratch[:0], r.b[start:r.p]...)
	for r.p < len(r.b) {
		c := r.b[r.p]
		switch {
		case c == '"':
			r.p++
			r.scratch = out
			return out, nil
		case c < 0x20:
			return nil, r.errf("control character in a string")
		case c != '\\':
			out = append(out, c)
			r.p++
			continue
		}
		if r.p+1 >= len(r.b) {
			return nil, r.errf("unterminated string")
		}
		e := r.b[r.p+1]
		r.p += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			c1, ok := r.hex4()
			if !ok {
				return nil, r.errf("bad \\u escape")
			}
			ru := rune(c1)
			if utf16.IsSurrogate(ru) {
				// A surrogate pair is two escapes; a lone half becomes U+FFFD.
				if r.p+1 < len(r.b) && r.b[r.p] == '\\' && r.b[r.p+1] == 'u' {
					save := r.p
					r.p += 2
					c2, ok := r.hex4()
					if !ok {
						return nil, r.errf("bad \\u escape")
					}
					if d := utf16.DecodeRune(ru, rune(c2)); d != utf8.RuneError {
						ru = d
					} else {
						ru = utf8.RuneError
						r.p = save
					}
				} else {
					ru = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, ru)
		default:
			return nil, r.errf("bad escape in a string")
		}
	}
	return nil, r.errf("unterminated string")
}

func (r *jsonReader) hex4() (uint16, bool) {
	if r.p+4 > len(r.b) {
		return 0, false
	}
	var v uint16
	for _, c := range r.b[r.p : r.p+4] {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= uint16(c - '0')
		case c >= 'a' && c <= 'f':
			v |= uint16(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			v |= uint16(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	r.p += 4
	return v, true
}

// numToken scans one number token (including NaN and [+-]Infinity) and
// returns it. isInt reports a plain integer (no fraction or exponent).
func (r *jsonReader) numToken() (tok []byte, isInt bool, err error) {
	r.ws()
	start := r.p
	b := r.b
	p := r.p
	if p < len(b) && b[p] == 'N' {
		if len(b)-p >= 3 && string(b[p:p+3]) == "NaN" {
			r.p = p + 3
			return b[start:r.p], false, nil
		}
		return nil, false, r.errf("bad number")
	}
	if p < len(b) && (b[p] == '-' || b[p] == '+') {
		p++
	}
	if p < len(b) && b[p] == 'I' {
		if len(b)-p >= 8 && string(b[p:p+8]) == "Infinity" {
			r.p = p + 8
			return b[start:r.p], false, nil
		}
		return nil, false, r.errf("bad number")
	}
	digits := 0
	for p < len(b) && b[p] >= '0' && b[p] <= '9' {
		p++
		digits++
	}
	isInt = true
	if p < len(b) && b[p] == '.' {
		isInt = false
		p++
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
			digits++
		}
	}
	if digits == 0 {
		r.p = p
		return nil, false, r.errf("bad number")
	}
	if p < len(b) && (b[p] == 'e' || b[p] == 'E') {
		isInt = false
		p++
		if p < len(b) && (b[p] == '-' || b[p] == '+') {
			p++
		}
		if p >= len(b) || b[p] < '0' || b[p] > '9' {
			r.p = p
			return nil, false, r.errf("bad number: want exponent digits")
		}
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			p++
		}
	}
	r.p = p
	return b[start:p], isInt, nil
}

// pow10f32 holds the powers of ten that are exact in float32.
var pow10f32 = [...]float32{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}

// parseF32 converts a number token to float32 with a single rounding.
func parseF32(tok []byte) (float32, bool) {
	if v, ok := parseF32Fast(tok); ok {
		return v, true
	}
	switch string(tok) {
	case "NaN":
		return float32(math.NaN()), true
	case "Infinity", "+Infinity":
		return float32(math.Inf(1)), true
	case "-Infinity":
		return float32(math.Inf(-1)), true
	}
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(tok), len(tok)), 32)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return float32(f), true // overflow: ±Inf, as strtof
		}
		return 0, false
	}
	return float32(f), true
}

// parseF32Fast handles tokens whose significand has at most 7 digits and
// whose decimal exponent is within ±10: both are exact float32 values, so one
// IEEE multiplication or division rounds correctly (Clinger's fast path).
func parseF32Fast(tok []byte) (float32, bool) {
	p := 0
	neg := false
	if p < len(tok) && (tok[p] == '-' || tok[p] == '+') {
		neg = tok[p] == '-'
		p++
	}
	var m uint32
	nd := 0 // significant digits accumulated
	exp := 0
	sawDigit := false
	for p < len(tok) && tok[p] >= '0' && tok[p] <= '9' {
		sawDigit = true
		if m != 0 || tok[p] != '0' {
			nd++
		}
		m = m*10 + uint32(tok[p]-'0')
		p++
		if nd > 7 {
			return 0, false
		}
	}
	if p < len(tok) && tok[p] == '.' {
		p++
		for p < len(tok) && tok[p] >= '0' && tok[p] <= '9' {
			sawDigit = true
			if m != 0 || tok[p] != '0' {
				nd++
			}
			m = m*10 + uint32(tok[p]-'0')
			exp--
			p++
			if nd > 7 {
				return 0, false
			}
		}
	}
	if !sawDigit {
		return 0, false
	}
	if p < len(tok) && (tok[p] == 'e' || tok[p] == 'E') {
		p++
		eneg := false
		if p < len(tok) && (tok[p] == '-' || tok[p] == '+') {
			eneg = tok[p] == '-'
			p++
		}
		e := 0
		for p < len(tok) && tok[p] >= '0' && tok[p] <= '9' {
			e = e*10 + int(tok[p]-'0')
			p++
			if e > 1000 {
				return 0, false
			}
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if p != len(tok) {
		return 0, false
	}
	f := float32(m) // exact: m < 10^7 < 2^24
	switch {
	case m == 0:
	case exp >= 0 && exp <= 10:
		f = float32(f * pow10f32[exp])
	case exp < 0 && exp >= -10:
		f = float32(f / pow10f32[-exp])
	default:
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}

// parseInt converts an integer token; integral floats are accepted.
func parseInt(tok []byte, isInt bool) (int64, bool) {
	if !isInt {
		f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(tok), len(tok)), 64)
		if err != nil || f != math.Trunc(f) || f < -(1<<62) || f > 1<<62 {
			return 0, false
		}
		return int64(f), true
	}
	p := 0
	neg := false
	if tok[0] == '-' || tok[0] == '+' {
		neg = tok[0] == '-'
		p++
	}
	var v int64
	for ; p < len(tok); p++ {
		if v > (math.MaxInt64-9)/10 {
			return 0, false
		}
		v = v*10 + int64(tok[p]-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

func (r *jsonReader) f32() (float32, error) {
	tok, _, err := r.numToken()
	if err != nil {
		return 0, err
	}
	v, ok := parseF32(tok)
	if !ok {
		return 0, r.errf("bad number " + strconv.Quote(string(tok)))
	}
	return v, nil
}

func (r *jsonReader) i64() (int64, error) {
	tok, isInt, err := r.numToken()
	if err != nil {
		return 0, err
	}
	v, ok := parseInt(tok, isInt)
	if !ok {
		return 0, r.errf("bad integer " + strconv.Quote(string(tok)))
	}
	return v, nil
}

func (r *jsonReader) boolean() (bool, error) {
	r.ws()
	b := r.b[r.p:]
	switch {
	case len(b) >= 4 && string(b[:4]) == "true":
		r.p += 4
		return true, nil
	case len(b) >= 5 && string(b[:5]) == "false":
		r.p += 5
		return false, nil
	}
	v, err := r.i64()
	if err != nil {
		return false, err
	}
	return v != 0, nil
}

func (r *jsonReader) skip() error {
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
		it, err := r.array()
		if err != nil {
			return err
		}
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
	case kindNumber:
		_, _, err := r.numToken()
		return err
	case kindBool:
		_, err := r.boolean()
		return err
	case kindNull:
		if len(r.b)-r.p >= 4 && string(r.b[r.p:r.p+4]) == "null" {
			r.p += 4
			return nil
		}
		return r.errf("bad literal")
	}
	return r.errf("bad value")
}

func (r *jsonReader) f32s(dst []float32) ([]float32, error) {
	it, err := r.array()
	if err != nil {
		return dst, err
	}
	for {
		ok, err := r.next(&it)
		if err != nil || !ok {
			return dst, err
		}
		v, err := r.f32()
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
}

func (r *jsonReader) i64s(dst []int64) ([]int64, error) {
	it, err := r.array()
	if err != nil {
		return dst, err
	}
	for {
		ok, err := r.next(&it)
		if err != nil || !ok {
			return dst, err
		}
		v, err := r.i64()
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
}

func (r *jsonReader) i32s(dst []int32) ([]int32, error) {
	it, err := r.array()
	if err != nil {
		return dst, err
	}
	for {
		ok, err := r.next(&it)
		if err != nil || !ok {
			return dst, err
		}
		v, err := r.i64()
		if err != nil {
			return dst, err
		}
		if v != int64(int32(v)) {
			return dst, r.errf("integer out of int32 range")
		}
		dst = append(dst, int32(v))
	}
}

func (r *jsonReader) u8s(dst []uint8) ([]uint8, error) {
	it, err := r.array()
	if err != nil {
		return dst, err
	}
	for {
		ok, err := r.next(&it)
		if err != nil || !ok {
			return dst, err
		}
		k, err := r.peek()
		if err != nil {
			return dst, err
		}
		var v int64
		if k == kindBool {
			b, _ := r.boolean()
			if b {
				v = 1
			}
		} else if v, err = r.i64(); err != nil {
			return dst, err
		}
		if v < 0 || v > 255 {
			return dst, r.errf("integer out of uint8 range")
		}
		dst = append(dst, uint8(v))
	}
}
