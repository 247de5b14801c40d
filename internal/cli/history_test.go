package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHistoryEntry(t *testing.T) {
	for _, tc := range []struct {
		stmt, want string
	}{
		{"SELECT 40 +\n  2 AS answer;\n", "SELECT 40 + 2 AS answer;"},
		{"SHOW MODELS;", "SHOW MODELS;"},
		{"CREATE MODEL m WITH VERSION v1 OPTIONS(\n  APIKEY = 'sk-live-1234',\n  ENDPOINT='http://x');", ""},
		{"create model m with version v1 options(apikey='sk-1')", ""},
		{"ALTER MODEL m ADD VERSION v2 OPTIONS(ApiKey = \"sk-2\");", ""},
		{"CREATE USER bob PASSWORD 'hunter2';", ""},
		{"ALTER USER bob PASSWORD 'hunter3';", ""},
		{"CREATE SECRET s3cred (TYPE s3, KEY_ID 'AKIA', SECRET 'wJalr');", ""},
		{"SET s3_secret_access_key = 'wJalr';", ""},
		{"SET s3_session_token = 'tok';", ""},
		{"SET s3_access_key_id = 'AKIA';", ""},
		{"SELECT * FROM oss_conf WHERE AccessKeySecret = 'x';", ""},
	} {
		if got := historyEntry(tc.stmt); got != tc.want {
			t.Errorf("historyEntry(%q) = %q, want %q", tc.stmt, got, tc.want)
		}
	}
}

// An existing history file written by an earlier version (0644, every line
// typed, an API key among them) becomes private and loses the secret lines;
// new entries keep the mode.
func TestHistoryLoadFixesModeAndDropsSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".modelsql_history")
	old := "SELECT 1;\nCREATE MODEL m WITH VERSION v1 OPTIONS(\nAPIKEY = 'sk-live-1234',\nENDPOINT = 'http://x');\nSHOW MODELS;\n"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644) // whatever the umask
	h := &history{path: path}
	entries, err := h.load()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"SELECT 1;", "CREATE MODEL m WITH VERSION v1 OPTIONS(", "ENDPOINT = 'http://x');", "SHOW MODELS;"}
	if strings.Join(entries, "|") != strings.Join(want, "|") {
		t.Fatalf("entries %q, want %q", entries, want)
	}
	if err := h.add("SELECT 2;"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), "sk-live") || !strings.HasSuffix(string(b), "SHOW MODELS;\nSELECT 2;\n") {
		t.Fatalf("file:\n%s", b)
	}
}

func TestHistoryNewFileIsPrivateAndBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".modelsql_history")
	h := &history{path: path}
	if _, err := h.load(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("new file: %v %v", st, err)
	}
	for i := range historyLimit + 10 {
		h.add("SELECT " + strings.Repeat("x", i%7) + ";")
	}
	entries, err := h.load()
	if err != nil || len(entries) != historyLimit {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("rewritten file mode %v", st.Mode().Perm())
	}
}
