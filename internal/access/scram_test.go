package access

import (
	"encoding/base64"
	"strings"
	"testing"
)

// RFC 7677 section 3: the SCRAM-SHA-256 example exchange.
func TestScramRFC7677(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	v, err := deriveVerifier("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseVerifier(v.String())
	if err != nil || back.String() != v.String() {
		t.Fatalf("verifier round trip: %v %s", err, back)
	}
	x := NewServerExchange(v)
	if _, err := x.First([]byte("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")); err != nil {
		t.Fatal(err)
	}
	// Replay the RFC's server nonce.
	x.nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	x.serverFirst = "r=" + x.nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
	final, err := x.Final([]byte("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))
	if err != nil {
		t.Fatal(err)
	}
	if string(final) != "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Errorf("server-final %s", final)
	}
	// A wrong proof fails.
	x2 := NewServerExchange(v)
	x2.First([]byte("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
	x2.nonce = x.nonce
	x2.serverFirst = x.serverFirst
	if _, err := x2.Final([]byte("c=biws,r=" + x.nonce + ",p=" + base64.StdEncoding.EncodeToString(make([]byte, 32)))); err != ErrAuthFailed {
		t.Errorf("wrong proof: %v", err)
	}
	// A fake exchange (unknown user) always fails, with a stable salt.
	f1, _ := NewFakeExchange([]byte("k"), "ghost").First([]byte("n,,n=,r=abc"))
	f2, _ := NewFakeExchange([]byte("k"), "ghost").First([]byte("n,,n=,r=abc"))
	if strings.Split(string(f1), ",")[1] != strings.Split(string(f2), ",")[1] {
		t.Errorf("fake salts differ: %s / %s", f1, f2)
	}
	// Channel binding is refused; malformed messages too.
	for _, m := range []string{"p=tls-server-end-point,,n=,r=x", "n,a=someone,n=,r=x", "garbage", "n,,n=,m=ext,r=x"} {
		if _, err := NewServerExchange(v).First([]byte(m)); err == nil {
			t.Errorf("%q accepted", m)
		}
	}
}

func TestSASLprep(t *testing.T) {
	for in, want := range map[string]string{
		"pencil":          "pencil",
		"I\u00ADX":        "IX",            // soft hyphen mapped to nothing
		"a\u00A0b":        "a b",           // non-ASCII space
		"\u2168":          "IX",            // NFKC
		"bad\u0007ctrl":   "bad\u0007ctrl", // prohibited: used as given
		"\xff\xfeinvalid": "\xff\xfeinvalid",
	} {
		if got := string(saslPrep(in)); got != want {
			t.Errorf("saslPrep(%q) = %q, want %q", in, got, want)
		}
	}
}
