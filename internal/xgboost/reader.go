package xgboost

import (
	"fmt"
)

// kind is the type of the next value in a document.
type kind uint8

const (
	kindInvalid kind = iota
	kindObject
	kindArray
	kindString
	kindNumber // any JSON number, NaN/Infinity token, or UBJSON numeric scalar
	kindBool
	kindNull
)

func (k kind) String() string {
	return [...]string{"invalid", "object", "array", "string", "number", "boolean", "null"}[k]
}

// maxDepth bounds the nesting of objects and arrays, so that a hostile
// document cannot exhaust the stack while being skipped.
const maxDepth = 256

// iter tracks the position inside one array or object.
type iter struct {
	n     int64 // remaining elements of a counted (UBJSON) array; -1 if delimited
	first bool  // no element read yet (JSON commas)
	elem  byte  // element marker of a UBJSON typed array read element-wise
}

// reader is a pull parser over a JSON or UBJSON document. The schema walker
// (schema.go) drives it, so both encodings share one interpretation of the
// model. Errors carry the byte offset.
type reader interface {
	// peek returns the kind of the next value without consuming it.
	peek() (kind, error)
	// object consumes the start of an object.
	object() (iter, error)
	// key returns the next key of the object, or ok == false once the object
	// has ended (its end is consumed). The key aliases the input or a scratch
	// buffer; it is valid until the next call.
	key(it *iter) (k []byte, ok bool, err error)
	// array consumes the start of an array.
	array() (iter, error)
	// next reports whether the array has another element; at the end it
	// consumes the array's end.
	next(it *iter) (bool, error)
	// str reads a string. The result aliases the input or a scratch buffer.
	str() ([]byte, error)
	// f32 reads a number as float32 (decimal text is rounded once, directly).
	f32() (float32, error)
	// i64 reads an integer (a float with an integral value is accepted).
	i64() (int64, error)
	// boolean reads true/false, or an integer 0/1.
	boolean() (bool, error)
	// skip consumes one value of any kind.
	skip() error
	// f32s, i32s, i64s and u8s read a whole array of numbers, appending to dst.
	f32s(dst []float32) ([]float32, error)
	i32s(dst []int32) ([]int32, error)
	i64s(dst []int64) ([]int64, error)
	u8s(dst []uint8) ([]uint8, error)
	// end checks that only whitespace (JSON) or nothing (UBJSON) remains.
	end() error
	// remaining is the number of unread input bytes.
	remaining() int
	// offset is the current byte offset, for error messages.
	offset() int
}

// syntaxError is a malformed-document error with its byte offset.
type syntaxError struct {
	format string // "json" or "ubjson"
	off    int
	msg    string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("xgboost: %s: offset %d: %s", e.format, e.off, e.msg)
}

// readStrings reads an array of strings.
func readStrings(r reader) ([]string, error) {
	it, err := r.array()
	if err != nil {
		return nil, err
	}
	var out []string
	for {
		ok, err := r.next(&it)
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		out = append(out, string(s))
	}
}

// readStringMap reads an object whose values are strings (other values are
// skipped).
func readStringMap(r reader) (map[string]string, error) {
	out := map[string]string{}
	err := eachKey(r, "", func(k []byte) (bool, error) {
		key := string(k)
		kd, err := r.peek()
		if err != nil || kd != kindString {
			return false, err
		}
		s, err := r.str()
		if err != nil {
			return true, err
		}
		out[key] = string(s)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var (
	_ reader = (*jsonReader)(nil)
	_ reader = (*ubjReader)(nil)
)
