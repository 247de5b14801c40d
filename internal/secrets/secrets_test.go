package secrets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenRoundTripAndKeyFile(t *testing.T) {
	t.Setenv("MODELSQL_SECRET_KEY", "")
	dir := t.TempDir()
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	s, err := b.Seal("sk-very-secret")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "sk-very-secret") || !IsSealed(s) {
		t.Fatalf("sealed value leaks or lacks prefix: %q", s)
	}
	b2, err := Load(dir) // reloads the same key
	if err != nil {
		t.Fatal(err)
	}
	got, err := b2.Open(s)
	if err != nil || got != "sk-very-secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func TestEnvKeyAndWrongKey(t *testing.T) {
	t.Setenv("MODELSQL_SECRET_KEY", "one")
	b1, _ := Load(t.TempDir())
	s, _ := b1.Seal("x")
	t.Setenv("MODELSQL_SECRET_KEY", "two")
	b2, _ := Load(t.TempDir())
	if _, err := b2.Open(s); err == nil {
		t.Fatal("opened with the wrong key")
	}
	if _, err := b2.Open("enc:v1:!!!"); err == nil {
		t.Fatal("opened garbage")
	}
}
