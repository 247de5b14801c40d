package floatfmt

import (
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

func check(t *testing.T, f float32) bool {
	t.Helper()
	want := strconv.AppendFloat(nil, float64(f), 'g', -1, 32)
	got := AppendFloat32(nil, f)
	if string(got) != string(want) {
		t.Errorf("%#08x: %q, strconv %q", math.Float32bits(f), got, want)
		return false
	}
	return true
}

// The first table entries are the ones Ryū's paper lists.
func TestTables(t *testing.T) {
	if pow5Inv[0] != 576460752303423489 || pow5Inv[1] != 461168601842738791 {
		t.Errorf("pow5Inv starts %d, %d", pow5Inv[0], pow5Inv[1])
	}
	if pow5[0] != 1152921504606846976 || pow5[1] != 1441151880758558720 {
		t.Errorf("pow5 starts %d, %d", pow5[0], pow5[1])
	}
}

func TestEdgeCases(t *testing.T) {
	fs := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.1, 0.3, 1e-45, -1e-45, math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, 1.1754942e-38, 1.17549435e-38, 123456, 1234567, 999999, 9999999, 1e6, 1e-4, 1e-5, 0.0001234,
		0.00001234, 16777216, 16777217, 33554432, 2.5, 0.5, 7.038531e-26, 3.4028235e38, 1.0e-7, 9.999999e-5,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for _, f := range fs {
		check(t, f)
	}
	// Every power of two and of ten, and their neighbours.
	for e := -149; e <= 127; e++ {
		f := float32(math.Ldexp(1, e))
		for _, g := range []float32{f, math.Nextafter32(f, 0), math.Nextafter32(f, float32(math.Inf(1)))} {
			check(t, g)
			check(t, -g)
		}
	}
	for e := -45; e <= 38; e++ {
		f := float32(math.Pow(10, float64(e)))
		for _, g := range []float32{f, math.Nextafter32(f, 0), math.Nextafter32(f, float32(math.Inf(1)))} {
			check(t, g)
		}
	}
	// All subnormals with small mantissas, and every exponent with its
	// smallest and largest mantissas.
	for m := uint32(0); m < 1<<16; m++ {
		check(t, math.Float32frombits(m))
	}
	for e := uint32(0); e < 255; e++ {
		for m := uint32(0); m < 64; m++ {
			check(t, math.Float32frombits(e<<23|m))
			check(t, math.Float32frombits(e<<23|(1<<23-1-m)))
		}
	}
}

func TestRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 3_000_000
	if testing.Short() {
		n = 100_000
	}
	for range n {
		if !check(t, math.Float32frombits(r.Uint32())) {
			t.FailNow()
		}
		// Values like predictions: normal with a modest spread.
		if !check(t, float32(r.NormFloat64()*10)) {
			t.FailNow()
		}
	}
}

// TestExhaustive compares all 2^32 float32 values with strconv. It takes a
// few minutes, so it only runs when FLOATFMT_EXHAUSTIVE is set.
func TestExhaustive(t *testing.T) {
	if os.Getenv("FLOATFMT_EXHAUSTIVE") == "" {
		t.Skip("set FLOATFMT_EXHAUSTIVE=1")
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var a, b []byte
			for x := uint64(w); x < 1<<32; x += uint64(workers) {
				f := math.Float32frombits(uint32(x))
				a = strconv.AppendFloat(a[:0], float64(f), 'g', -1, 32)
				b = AppendFloat32(b[:0], f)
				if string(a) != string(b) {
					mu.Lock()
					if bad < 20 {
						t.Errorf("%#08x: %q, strconv %q", uint32(x), b, a)
					}
					bad++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if bad > 0 {
		t.Fatalf("%d values differ", bad)
	}
}

func BenchmarkAppendFloat32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]float32, 2048)
	for i := range v {
		v[i] = float32(r.NormFloat64() * 2)
	}
	buf := make([]byte, 0, 32)
	b.Run("floatfmt", func(b *testing.B) {
		for b.Loop() {
			for _, x := range v {
				buf = AppendFloat32(buf[:0], x)
			}
		}
	})
	b.Run("strconv", func(b *testing.B) {
		for b.Loop() {
			for _, x := range v {
				buf = strconv.AppendFloat(buf[:0], float64(x), 'g', -1, 32)
			}
		}
	})
}
