package xgboost

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLibmExhaustive compares the expf/logf ports, and float32(math.Exp) for
// the double-precision exp of survival:aft, with the C library on all 2^32
// float32 inputs. It needs a C compiler and takes about a minute, so it
// only runs when XGB_LIBM_EXHAUSTIVE is set: "fma" compares the FMA variant
// with glibc as the CPU selects it, "nofma" compares the SSE2 variant with
// glibc forced onto its SSE2 build through GLIBC_TUNABLES.
func TestLibmExhaustive(t *testing.T) {
	mode := os.Getenv("XGB_LIBM_EXHAUSTIVE")
	if mode == "" {
		t.Skip("set XGB_LIBM_EXHAUSTIVE=fma or nofma")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "dump")
	if out, err := exec.Command("gcc", "-O1", "-fno-builtin", "-o", bin, "testdata/libm/dump.c", "-lm").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	var exp, log func(float32) float32
	env := os.Environ()
	switch mode {
	case "fma":
		exp, log = expfFMA, logfFMA
	case "nofma":
		exp, log = expfNoFMA, logfNoFMA
		env = append(env, "GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA")
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	names := []string{"expf", "logf", "exp"}
	expd := func(x float32) float32 { return float32(math.Exp(float64(x))) }
	for which, f := range []func(float32) float32{exp, log, expd} {
		cmd := exec.Command(bin, []string{"0", "1", "2"}[which])
		cmd.Env = env
		pipe, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReaderSize(pipe, 1<<20)
		var buf [4]byte
		bad := 0
		for u := uint64(0); u < 1<<32; u++ {
			if _, err := io.ReadFull(r, buf[:]); err != nil {
				t.Fatal(err)
			}
			want := binary.LittleEndian.Uint32(buf[:])
			got := math.Float32bits(f(math.Float32frombits(uint32(u))))
			if got != want && !(math.IsNaN(float64(math.Float32frombits(got))) && math.IsNaN(float64(math.Float32frombits(want)))) {
				if bad < 10 {
					t.Errorf("%s(%#08x=%g) = %#08x, libc %#08x", names[which], u, math.Float32frombits(uint32(u)), got, want)
				}
				bad++
			}
		}
		_ = cmd.Wait()
		if bad > 0 {
			t.Errorf("%s: %d mismatches", names[which], bad)
		}
	}
}
