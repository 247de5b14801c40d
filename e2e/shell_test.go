package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// With a terminal on stdin modelsql starts its interactive shell: line
// editing, multi-line statements ending in ';'. util-linux's script(1)
// gives it a pseudo-terminal.
func TestInteractiveShell(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) not installed")
	}
	data := t.TempDir()
	cmd := exec.Command("script", "-qec", bin+" --data "+data, "/dev/null")
	cmd.Stdin = strings.NewReader("SELECT 40 +\n 2 AS answer;\nSHOW MODELS;\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("shell: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"modelsql:default.default>", "->", "| answer |", "| 42     |", "| ModelName |"} {
		if !strings.Contains(s, want) {
			t.Fatalf("shell output lacks %q:\n%s", want, s)
		}
	}
}
