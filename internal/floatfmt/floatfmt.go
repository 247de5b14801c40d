// Package floatfmt formats float32 values as their shortest round-trip
// decimal, byte for byte as strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
// does, in about half the time.
//
// ML_PREDICT returns a regressor's prediction as that STRING, once per row;
// with strconv, formatting was the largest part of the time SQL adds to the
// prediction itself. The digits come from the Ryū algorithm (Ulf Adams,
// "Ryū: fast float-to-string conversion", PLDI 2018) specialised to float32:
// the shortest decimal in the value's rounding interval, the closest one to
// the value when there are several, ties to even (up for powers of two, as
// strconv's Dragonbox does). The layout follows strconv's
// %g for the shortest precision. A test compares every one of the 2^32
// float32 values with strconv (FLOATFMT_EXHAUSTIVE=1); the default tests
// compare the edge cases and a few million random values.
package floatfmt

import (
	"math"
	"math/big"
)

const (
	mantissaBits = 23
	exponentBits = 8
	bias         = 127

	pow5InvBits = 59 // bits of the inverse powers of five in pow5Inv
	pow5Bits    = 61 // bits of the powers of five in pow5
)

// pow5Inv[q] = floor(2^(pow5bits(q)-1+pow5InvBits) / 5^q) + 1, pow5[i] =
// floor(5^i / 2^(pow5bits(i)-pow5Bits)): the fixed-point multipliers of
// Ryū's float32 variant, computed exactly once at start-up.
var pow5Inv, pow5 = func() (inv [31]uint64, pos [47]uint64) {
	for q := range inv {
		p := new(big.Int).Exp(big.NewInt(5), big.NewInt(int64(q)), nil)
		num := new(big.Int).Lsh(big.NewInt(1), uint(pow5bits(q)-1+pow5InvBits))
		inv[q] = new(big.Int).Quo(num, p).Uint64() + 1
	}
	for i := range pos {
		p := new(big.Int).Exp(big.NewInt(5), big.NewInt(int64(i)), nil)
		if s := pow5bits(i) - pow5Bits; s > 0 {
			p.Rsh(p, uint(s))
		} else {
			p.Lsh(p, uint(-s))
		}
		pos[i] = p.Uint64()
	}
	return
}()

// pow5bits is ceil(log2(5^e)) (1 for e = 0), for 0 <= e <= 3528.
func pow5bits(e int) int { return int((uint32(e)*1217359)>>19) + 1 }

// log10Pow2 is floor(log10(2^e)), for 0 <= e <= 1650.
func log10Pow2(e int) int { return int((uint32(e) * 78913) >> 18) }

// log10Pow5 is floor(log10(5^e)), for 0 <= e <= 2620.
func log10Pow5(e int) int { return int((uint32(e) * 732923) >> 20) }

func pow5Factor(v uint32) int {
	n := 0
	for v%5 == 0 {
		v /= 5
		n++
	}
	return n
}

func multipleOfPow5(v uint32, p int) bool { return pow5Factor(v) >= p }

func multipleOfPow2(v uint32, p int) bool { return v&(1<<uint(p)-1) == 0 }

// mulShift is (m * factor) >> shift, for shift > 32.
func mulShift(m uint32, factor uint64, shift int) uint32 {
	lo := uint64(m) * (factor & 0xffffffff)
	hi := uint64(m) * (factor >> 32)
	return uint32(((lo >> 32) + hi) >> uint(shift-32))
}

// shortest returns the shortest decimal digits and exponent (value =
// digits × 10^exp) of a positive finite float32 given by its exponent and
// mantissa fields.
func shortest(ieeeMant, ieeeExp uint32) (digits uint32, exp int) {
	var e2 int
	var m2 uint32
	if ieeeExp == 0 {
		e2 = 1 - bias - mantissaBits - 2
		m2 = ieeeMant
	} else {
		e2 = int(ieeeExp) - bias - mantissaBits - 2
		m2 = 1<<mantissaBits | ieeeMant
	}
	even := m2&1 == 0
	acceptBounds := even

	// The value and its interval's bounds, times 4 (so that the halfway
	// points are integers), scaled by a power of ten.
	mv := 4 * m2
	mp := 4*m2 + 2
	var mmShift uint32
	if ieeeMant != 0 || ieeeExp <= 1 {
		mmShift = 1
	}
	mm := 4*m2 - 1 - mmShift

	var vr, vp, vm uint32
	var e10 int
	vmTrailingZeros, vrTrailingZeros := false, false
	var lastRemoved uint32
	if e2 >= 0 {
		q := log10Pow2(e2)
		e10 = q
		k := pow5InvBits + pow5bits(q) - 1
		i := -e2 + q + k
		vr = mulShift(mv, pow5Inv[q], i)
		vp = mulShift(mp, pow5Inv[q], i)
		vm = mulShift(mm, pow5Inv[q], i)
		if q != 0 && (vp-1)/10 <= vm/10 {
			// One more digit is needed than the loop below removes: keep the
			// last removed one for rounding.
			l := pow5InvBits + pow5bits(q-1) - 1
			lastRemoved = mulShift(mv, pow5Inv[q-1], -e2+q-1+l) % 10
		}
		if q <= 9 {
			// Only one of mp, mv and mm can be a multiple of 5, if any.
			switch {
			case mv%5 == 0:
				vrTrailingZeros = multipleOfPow5(mv, q)
			case acceptBounds:
				vmTrailingZeros = multipleOfPow5(mm, q)
			default:
				if multipleOfPow5(mp, q) {
					vp--
				}
			}
		}
	} else {
		q := log10Pow5(-e2)
		e10 = q + e2
		i := -e2 - q
		k := pow5bits(i) - pow5Bits
		j := q - k
		vr = mulShift(mv, pow5[i], j)
		vp = mulShift(mp, pow5[i], j)
		vm = mulShift(mm, pow5[i], j)
		if q != 0 && (vp-1)/10 <= vm/10 {
			j = q - 1 - (pow5bits(i+1) - pow5Bits)
			lastRemoved = mulShift(mv, pow5[i+1], j) % 10
		}
		switch {
		case q <= 1:
			// mv has at least q trailing zero bits, so vr is exact.
			vrTrailingZeros = true
			if acceptBounds {
				vmTrailingZeros = mmShift == 1
			} else {
				vp--
			}
		case q < 31:
			vrTrailingZeros = multipleOfPow2(mv, q-1)
		}
	}

	// Remove digits while the interval still holds a shorter decimal. The
	// trailing-zero flags are false in the common case, where this is
	// plain rounding of the last removed digit.
	removed := 0
	for vp/10 > vm/10 {
		vmTrailingZeros = vmTrailingZeros && vm%10 == 0
		vrTrailingZeros = vrTrailingZeros && lastRemoved == 0
		lastRemoved = vr % 10
		vr /= 10
		vp /= 10
		vm /= 10
		removed++
	}
	if vmTrailingZeros {
		for vm%10 == 0 {
			vrTrailingZeros = vrTrailingZeros && lastRemoved == 0
			lastRemoved = vr % 10
			vr /= 10
			vp /= 10
			vm /= 10
			removed++
		}
	}
	if vrTrailingZeros && lastRemoved == 5 && vr%2 == 0 && mmShift == 1 {
		// Exactly halfway: round to even. strconv (Dragonbox) rounds
		// halfway cases up for powers of two, whose interval is narrower
		// below (mmShift 0), and so does this.
		lastRemoved = 4
	}
	digits = vr
	if (vr == vm && (!acceptBounds || !vmTrailingZeros)) || lastRemoved >= 5 {
		digits++
	}
	return digits, e10 + removed
}

const pairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// AppendFloat32 appends f formatted as strconv.AppendFloat(dst, float64(f),
// 'g', -1, 32) would.
func AppendFloat32(dst []byte, f float32) []byte {
	bits := math.Float32bits(f)
	neg := bits>>31 != 0
	ieeeExp := (bits >> mantissaBits) & (1<<exponentBits - 1)
	ieeeMant := bits & (1<<mantissaBits - 1)
	switch {
	case ieeeExp == 1<<exponentBits-1:
		switch {
		case ieeeMant != 0:
			return append(dst, "NaN"...)
		case neg:
			return append(dst, "-Inf"...)
		}
		return append(dst, "+Inf"...)
	case neg:
		dst = append(dst, '-')
	}
	if ieeeExp == 0 && ieeeMant == 0 {
		return append(dst, '0')
	}
	digits, exp := shortest(ieeeMant, ieeeExp)

	// The digits as text (at most 9 of them), two at a time.
	var buf [10]byte
	n := len(buf)
	d := digits
	for d >= 100 {
		r := d % 100
		d /= 100
		n -= 2
		buf[n], buf[n+1] = pairs[2*r], pairs[2*r+1]
	}
	if d >= 10 {
		n -= 2
		buf[n], buf[n+1] = pairs[2*d], pairs[2*d+1]
	} else {
		n--
		buf[n] = byte('0' + d)
	}
	ds := buf[n:]
	nd := len(ds)
	dp := nd + exp // position of the decimal point

	// strconv's %g with the shortest precision: exponent form when the
	// exponent is below -4 or at least 6 (the precision it uses for the
	// decision), plain decimal otherwise.
	if x := dp - 1; x < -4 || x >= 6 {
		dst = append(dst, ds[0])
		if nd > 1 {
			dst = append(dst, '.')
			dst = append(dst, ds[1:]...)
		}
		dst = append(dst, 'e')
		if x < 0 {
			dst = append(dst, '-')
			x = -x
		} else {
			dst = append(dst, '+')
		}
		switch {
		case x < 10:
			return append(dst, '0', byte('0'+x))
		case x < 100:
			return append(dst, byte('0'+x/10), byte('0'+x%10))
		}
		return append(dst, byte('0'+x/100), byte('0'+x/10%10), byte('0'+x%10))
	}
	switch {
	case dp <= 0:
		dst = append(dst, '0', '.')
		for range -dp {
			dst = append(dst, '0')
		}
		return append(dst, ds...)
	case dp >= nd:
		dst = append(dst, ds...)
		for range dp - nd {
			dst = append(dst, '0')
		}
		return dst
	}
	dst = append(dst, ds[:dp]...)
	dst = append(dst, '.')
	return append(dst, ds[dp:]...)
}
