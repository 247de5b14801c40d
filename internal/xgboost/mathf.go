package xgboost

import (
	"math"
	"runtime"

	"golang.org/x/sys/cpu"
)

// This file holds a port of the single-precision exp and log of GNU libc
// (2.27 and later; the algorithm comes from ARM's optimized-routines). XGBoost
// calls expf/logf from the C library for its output transforms and for
// base_score, so the only way to reproduce its float32 results bit for bit is
// to evaluate exactly the same formula with exactly the same roundings.
//
// On x86-64, glibc picks one of two builds of the same C source at run time:
// a plain SSE2 build, and (when the CPU has both FMA and AVX2) a build compiled
// with -mfma, where GCC contracts every a*b+c into one fused multiply-add.
// Both are provided here; expf32/logf32 dispatch on UseFMA.

// UseFMA selects the fused multiply-add variant of the ported expf/logf. It
// defaults to what glibc would pick on this machine: true on x86-64 CPUs with
// FMA and AVX2 (and on arm64, where GCC always contracts), false otherwise. Set
// it only before predicting (it is read without synchronisation); tests use it
// to check both variants.
var UseFMA = defaultUseFMA()

func defaultUseFMA() bool {
	switch runtime.GOARCH {
	case "amd64":
		return cpu.X86.HasFMA && cpu.X86.HasAVX2
	case "arm64":
		return true
	}
	return false
}

// Constants of the exp algorithm: exp(x) = 2^(k/N) * 2^(r/N) with N = 32,
// k integer and |r| <= 1/2, where 2^(r/N) is approximated by a cubic.
const (
	expTableBits = 5
	expN         = 1 << expTableBits
	// expShift rounds a double to an integer when added (1.5 * 2^52).
	expShift = 0x1.8p+52
	// expInvLn2N is N/ln(2).
	expInvLn2N = 0x1.71547652b82fep+0 * expN
	// Polynomial coefficients for 2^(r/N) - 1, pre-scaled by powers of N.
	expC0 = 0x1.c6af84b912394p-5 / expN / expN / expN
	expC1 = 0x1.ebfce50fac4f3p-3 / expN / expN
	expC2 = 0x1.62e42ff0c52d6p-1 / expN
)

// exp2Tab[i] holds the bits of 2^(i/32) (correctly rounded double) minus
// i<<47, so that adding k<<47 for an integer k with k%32 == i yields the bits
// of 2^(k/32). TestExp2Table recomputes it with math/big.
var exp2Tab = [expN]uint64{
	0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
	0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
	0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
	0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
	0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
	0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
	0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
	0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
}

// expSpecial handles |x| >= 88 and NaN. ok is false when x needs the main path.
func expSpecial(x float32) (v float32, ok bool) {
	b := math.Float32bits(x)
	abstop := (b >> 20) & 0x7ff
	if abstop < 0x42b { // top 12 bits of 88.0f
		return 0, false
	}
	switch {
	case b == 0xff800000: // -Inf
		return 0, true
	case abstop >= 0x7f8: // +Inf or NaN
		return x + x, true
	case x > 0x1.62e42ep6: // overflows float32
		return float32(math.Inf(1)), true
	case x < -0x1.9fe368p6: // underflows to zero
		return 0, true
	}
	return 0, false
}

// expf32 is glibc's expf (see UseFMA).
func expf32(x float32) float32 {
	if UseFMA {
		return expfFMA(x)
	}
	return expfNoFMA(x)
}

// expfNoFMA is the SSE2 build: every product and sum is rounded to double.
// The explicit float64 conversions keep the Go compiler from fusing them.
func expfNoFMA(x float32) float32 {
	if v, ok := expSpecial(x); ok {
		return v
	}
	xd := float64(x)
	z := float64(expInvLn2N * xd)
	kd := float64(z + expShift)
	ki := math.Float64bits(kd)
	kd -= expShift
	r := z - kd
	s := math.Float64frombits(exp2Tab[ki%expN] + ki<<(52-expTableBits))
	p := float64(expC0*r) + expC1
	r2 := float64(r * r)
	y := float64(expC2*r) + 1
	y = float64(p*r2) + y
	return float32(y * s)
}

// expfFMA is the -mfma build: GCC contracts z = InvLn2N*x into both of its
// uses (z+shift and z-kd), and each polynomial step into one fma.
func expfFMA(x float32) float32 {
	if v, ok := expSpecial(x); ok {
		return v
	}
	xd := float64(x)
	kd := math.FMA(expInvLn2N, xd, expShift)
	ki := math.Float64bits(kd)
	kd -= expShift
	r := math.FMA(expInvLn2N, xd, -kd)
	s := math.Float64frombits(exp2Tab[ki%expN] + ki<<(52-expTableBits))
	p := math.FMA(expC0, r, expC1)
	r2 := float64(r * r)
	y := math.FMA(expC2, r, 1)
	y = math.FMA(p, r2, y)
	return float32(y * s)
}

// Constants of the log algorithm: x = 2^k z with z in [logOff, 2 logOff),
// log(x) = log1p(z/c - 1) + log(c) + k ln2 where c is the centre of one of
// 16 subintervals.
const (
	logTableBits = 4
	logN         = 1 << logTableBits
	logOff       = 0x3f330000
	logLn2       = 0x1.62e42fefa39efp-1
	logA0        = -0x1.00ea348b88334p-2
	logA1        = 0x1.5575b0be00b6ap-2
	logA2        = -0x1.ffffef20a4123p-2
)

// logTab holds 1/c and log(c) for each subinterval. These values are data of
// the reference algorithm (ARM optimized-routines, also in glibc's
// e_logf_data.c); they are not derivable by a simple formula, and bit
// exactness requires the identical table.
var logTab = [logN]struct{ invc, logc float64 }{
	{0x1.661ec79f8f3bep+0, -0x1.57bf7808caadep-2},
	{0x1.571ed4aaf883dp+0, -0x1.2bef0a7c06ddbp-2},
	{0x1.49539f0f010bp+0, -0x1.01eae7f513a67p-2},
	{0x1.3c995b0b80385p+0, -0x1.b31d8a68224e9p-3},
	{0x1.30d190c8864a5p+0, -0x1.6574f0ac07758p-3},
	{0x1.25e227b0b8eap+0, -0x1.1aa2bc79c81p-3},
	{0x1.1bb4a4a1a343fp+0, -0x1.a4e76ce8c0e5ep-4},
	{0x1.12358f08ae5bap+0, -0x1.1973c5a611cccp-4},
	{0x1.0953f419900a7p+0, -0x1.252f438e10c1ep-5},
	{0x1p+0, 0x0p+0},
	{0x1.e608cfd9a47acp-1, 0x1.aa5aa5df25984p-5},
	{0x1.ca4b31f026aap-1, 0x1.c5e53aa362eb4p-4},
	{0x1.b2036576afce6p-1, 0x1.526e57720db08p-3},
	{0x1.9c2d163a1aa2dp-1, 0x1.bc2860d22477p-3},
	{0x1.886e6037841edp-1, 0x1.1058bc8a07ee1p-2},
	{0x1.767dcf5534862p-1, 0x1.4043057b6ee09p-2},
}

// logfPrep handles special inputs and splits x. ok is false when v is the
// final result.
func logfPrep(x float32) (v float32, z, invc, logc float64, k int32, ok bool) {
	ix := math.Float32bits(x)
	if ix == 0x3f800000 { // log(1) = +0
		return 0, 0, 0, 0, 0, false
	}
	if ix-0x00800000 >= 0x7f800000-0x00800000 {
		switch {
		case ix*2 == 0: // ±0
			return float32(math.Inf(-1)), 0, 0, 0, 0, false
		case ix == 0x7f800000: // +Inf
			return x, 0, 0, 0, 0, false
		case ix&0x80000000 != 0 || ix*2 >= 0xff000000: // negative or NaN
			d := x - x // NaN with the hardware's sign and payload, as glibc
			return d / d, 0, 0, 0, 0, false
		}
		// Subnormal: normalise.
		ix = math.Float32bits(x * 0x1p23)
		ix -= 23 << 23
	}
	tmp := ix - logOff
	i := (tmp >> (23 - logTableBits)) % logN
	k = int32(tmp) >> 23
	iz := ix - tmp&(0x1ff<<23)
	return 0, float64(math.Float32frombits(iz)), logTab[i].invc, logTab[i].logc, k, true
}

// logf32 is glibc's logf (see UseFMA).
func logf32(x float32) float32 {
	if UseFMA {
		return logfFMA(x)
	}
	return logfNoFMA(x)
}

func logfNoFMA(x float32) float32 {
	v, z, invc, logc, k, ok := logfPrep(x)
	if !ok {
		return v
	}
	r := float64(z*invc) - 1
	y0 := logc + float64(float64(k)*logLn2)
	r2 := float64(r * r)
	y := float64(logA1*r) + logA2
	y = float64(logA0*r2) + y
	y = float64(y*r2) + (y0 + r)
	return float32(y)
}

func logfFMA(x float32) float32 {
	v, z, invc, logc, k, ok := logfPrep(x)
	if !ok {
		return v
	}
	r := math.FMA(z, invc, -1)
	y0 := math.FMA(float64(k), logLn2, logc)
	r2 := float64(r * r)
	y := math.FMA(logA1, r, logA2)
	y = math.FMA(logA0, r2, y)
	y = math.FMA(y, r2, y0+r)
	return float32(y)
}
