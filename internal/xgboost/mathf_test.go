package xgboost

import (
	"math"
	"math/big"
	"testing"
)

// TestExp2Table recomputes 2^(i/32) to 300 bits with Newton's method and
// checks the hard-coded table against it.
func TestExp2Table(t *testing.T) {
	const prec = 300
	for i := 0; i < expN; i++ {
		target := new(big.Float).SetPrec(prec).SetMantExp(big.NewFloat(1).SetPrec(prec), i)
		y := new(big.Float).SetPrec(prec).SetFloat64(math.Exp2(float64(i) / expN))
		for it := 0; it < 20; it++ {
			p := new(big.Float).SetPrec(prec).SetInt64(1)
			for k := 0; k < expN-1; k++ {
				p.Mul(p, y)
			}
			q := new(big.Float).SetPrec(prec).Quo(target, p)
			n := new(big.Float).SetPrec(prec).Mul(y, big.NewFloat(expN-1))
			n.Add(n, q)
			y = n.Quo(n, big.NewFloat(expN))
		}
		f, _ := y.Float64()
		if want := math.Float64bits(f) - uint64(i)<<(52-expTableBits); exp2Tab[i] != want {
			t.Errorf("exp2Tab[%d] = %#x, want %#x", i, exp2Tab[i], want)
		}
	}
}

// The two variants of glibc's expf differ on exactly two float32 inputs (found
// by an exhaustive scan; TestLibmExhaustive checks every input against libc).
func TestExpfVariants(t *testing.T) {
	cases := []struct{ x, fma, nofma uint32 }{
		{0x4202422f, 0x56fc9f1c, 0x56fc9f1b},
		{0xc27c65d9, 0x11fa2993, 0x11fa2992},
	}
	for _, c := range cases {
		x := math.Float32frombits(c.x)
		if got := math.Float32bits(expfFMA(x)); got != c.fma {
			t.Errorf("expfFMA(%g) = %#x, want %#x", x, got, c.fma)
		}
		if got := math.Float32bits(expfNoFMA(x)); got != c.nofma {
			t.Errorf("expfNoFMA(%g) = %#x, want %#x", x, got, c.nofma)
		}
	}
}

func TestExpfLogfAccuracy(t *testing.T) {
	for _, f := range []struct {
		name     string
		exp, log func(float32) float32
	}{{"fma", expfFMA, logfFMA}, {"nofma", expfNoFMA, logfNoFMA}} {
		// Special values.
		inf := float32(math.Inf(1))
		if v := f.exp(-inf); v != 0 {
			t.Errorf("%s: exp(-Inf) = %g", f.name, v)
		}
		if v := f.exp(inf); v != inf {
			t.Errorf("%s: exp(+Inf) = %g", f.name, v)
		}
		if v := f.exp(89); v != inf {
			t.Errorf("%s: exp(89) = %g", f.name, v)
		}
		if v := f.exp(-105); v != 0 {
			t.Errorf("%s: exp(-105) = %g", f.name, v)
		}
		if v := f.exp(float32(math.NaN())); v == v {
			t.Errorf("%s: exp(NaN) = %g", f.name, v)
		}
		if v := f.exp(0); v != 1 {
			t.Errorf("%s: exp(0) = %g", f.name, v)
		}
		if v := f.log(1); v != 0 || math.Signbit(float64(v)) {
			t.Errorf("%s: log(1) = %g", f.name, v)
		}
		if v := f.log(0); v != -inf {
			t.Errorf("%s: log(0) = %g", f.name, v)
		}
		if v := f.log(inf); v != inf {
			t.Errorf("%s: log(Inf) = %g", f.name, v)
		}
		if v := f.log(-1); v == v {
			t.Errorf("%s: log(-1) = %g", f.name, v)
		}
		// Within one ulp of the correctly rounded value on a sweep.
		for u := uint32(0); u < 0xffffffff-9973; u += 9973 {
			x := math.Float32frombits(u)
			if x != x {
				continue
			}
			check := func(name string, got float32, want float64) {
				w := float32(want)
				if got == w || (got != got && w != w) {
					return
				}
				d := int64(math.Float32bits(got)) - int64(math.Float32bits(w))
				if d < -1 || d > 1 {
					t.Fatalf("%s %s(%g) = %g, want about %g", f.name, name, x, got, w)
				}
			}
			check("exp", f.exp(x), math.Exp(float64(x)))
			if x > 0 {
				check("log", f.log(x), math.Log(float64(x)))
			}
		}
	}
}
