package aicache

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

func TestModeUses(t *testing.T) {
	for _, tc := range []struct {
		in            string
		plain, sample bool
		bad           bool
	}{
		{"", true, false, false}, {"auto", true, false, false}, {" AUTO ", true, false, false},
		{"on", true, true, false}, {"off", false, false, false}, {"sometimes", false, false, true},
	} {
		m, err := ParseMode(tc.in)
		if (err != nil) != tc.bad {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if tc.bad {
			continue
		}
		if m.Uses(false) != tc.plain || m.Uses(true) != tc.sample {
			t.Errorf("%q: uses %v/%v", tc.in, m.Uses(false), m.Uses(true))
		}
	}
}

func TestSampled(t *testing.T) {
	for in, want := range map[string]bool{"": false, "0": false, "0.0": false, "0.7": true, "1": true, `"x"`: true} {
		if got := Sampled(json.RawMessage(in)); got != want {
			t.Errorf("temperature %q: %v", in, got)
		}
	}
}

func TestEncodeDecode(t *testing.T) {
	for _, v := range []any{"an answer", "", 0.25, math.Inf(-1), []float32{1.5, -2, float32(math.SmallestNonzeroFloat32)}} {
		kind, data, err := Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(kind, data)
		if err != nil || !reflect.DeepEqual(got, v) {
			t.Errorf("%v: got %v %v", v, got, err)
		}
	}
	// DuckDB's FLOAT[] value is stored as an embedding.
	kind, data, _ := Encode([]any{float32(1), float32(2)})
	if got, _ := Decode(kind, data); !reflect.DeepEqual(got, []float32{1, 2}) {
		t.Errorf("[]any: %v", got)
	}
	if _, _, err := Encode(42); err == nil {
		t.Error("an int must not be storable")
	}
	for _, bad := range []struct {
		kind string
		data []byte
	}{{"number", []byte{1}}, {"embedding", []byte{1, 2, 3}}, {"what", nil}} {
		if _, err := Decode(bad.kind, bad.data); err == nil {
			t.Errorf("corrupt %s accepted", bad.kind)
		}
	}
}

// Keys differ per version id and per body; the length prefix keeps
// id/body splits apart.
func TestKeyOf(t *testing.T) {
	var b1, b2 [32]byte
	b2[0] = 1
	if KeyOf("v", b1) == KeyOf("w", b1) || KeyOf("v", b1) == KeyOf("v", b2) || KeyOf("v", b1) != KeyOf("v", b1) {
		t.Fatal("keys")
	}
}
