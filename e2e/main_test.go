// Package e2e drives the real modelsql binary as a user would.
//
// The binary is taken from MODELSQL_BIN (make test sets it) or built once
// into a temporary directory.
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var bin string

func TestMain(m *testing.M) {
	bin = os.Getenv("MODELSQL_BIN")
	if bin == "" {
		dir, err := os.MkdirTemp("", "modelsql-e2e")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		bin = filepath.Join(dir, "modelsql")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/modelsql")
		cmd.Dir = repoRoot()
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build modelsql:", err)
			os.Exit(1)
		}
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// run runs modelsql with args in dir (the data directory is given by the caller).
func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, errOut, code := runCommand(t, cmd)
	return result{out, errOut, code}
}

// runCommand runs cmd and returns its stdout, stderr and exit status; it
// fails the test if cmd cannot run at all.
func runCommand(t *testing.T, cmd *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", cmd.Path, err)
	}
	return out.String(), errb.String(), code
}

// sql runs statements on a data directory and fails the test on error.
func sql(t *testing.T, data string, stmts ...string) string {
	t.Helper()
	args := []string{"--data", data}
	for _, s := range stmts {
		args = append(args, "-c", s)
	}
	r := run(t, "", args...)
	if r.code != 0 {
		t.Fatalf("modelsql %q failed (%d): %s", stmts, r.code, r.stderr)
	}
	return r.stdout
}

// csvRows runs one query with --format csv and returns its data rows split on commas.
func csvRows(t *testing.T, data, query string) [][]string {
	t.Helper()
	r := run(t, "", "--data", data, "--format", "csv", "-c", query)
	if r.code != 0 {
		t.Fatalf("query %q failed: %s", query, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	var rows [][]string
	for _, l := range lines[1:] {
		rows = append(rows, strings.Split(l, ","))
	}
	return rows
}
