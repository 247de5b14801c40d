package e2e

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMainJob runs the README's main job (scripts/demo.sh: examples/demo.sql
// with the test LLM server) twice on one data directory, and checks the
// shapes MaxCompute documents for its ML_PREDICT examples, which the demo
// runs verbatim: a classifier's STRUCT(label, probs) with one probability
// per class, a regressor's number as STRING.
//
// The demo must not depend on a fixed port: while it runs, another server
// holds 127.0.0.1:18089 (the address demo.sql names) and answers 401, as
// the server a fresh clone met did.
func TestMainJob(t *testing.T) {
	if ln, err := net.Listen("tcp", "127.0.0.1:18089"); err == nil {
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "unauthorized: not the demo's server", http.StatusUnauthorized)
		})}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
	} // else the port is taken already, which is the case under test
	data := t.TempDir()
	for i := range 2 { // the demo cleans up after itself, so it can run again
		cmd := exec.Command("bash", filepath.Join(repoRoot(), "scripts", "demo.sh"))
		cmd.Env = append(os.Environ(), "MODELSQL_BIN="+bin, "MODELSQL_DATA="+data)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, out)
		}
		text := string(out)
		for _, want := range []*regexp.Regexp{
			// SELECT ML_PREDICT(test_xgboost_classifier, v1, 1, 2, 3, 4);
			regexp.MustCompile(`\| \{"label":"[012]","probs":\[[0-9.e-]+,[0-9.e-]+,[0-9.e-]+\]\} +\|`),
			// SELECT ML_PREDICT(demo_model_xgboost_regressor, v01, 0.22438f, ...);
			regexp.MustCompile(`\| _c0 +\|\n\+-+\+\n\| [0-9]+\.[0-9]+ +\|`),
			regexp.MustCompile(`\| training_accuracy +\|\n\+-+\+\n\| (1|0\.9[0-9]*) +\|`),
		} {
			if !want.MatchString(text) {
				t.Fatalf("run %d: output lacks %s:\n%s", i+1, want, text)
			}
		}
		if strings.Contains(text, "error") || strings.Contains(text, "demo-key") {
			t.Fatalf("run %d: an error or the API key in the output:\n%s", i+1, text)
		}
	}
}

// When the test LLM server cannot start, the demo stops at once with its
// error instead of running the remote-model part against whatever listens.
func TestMainJobFailsWhenTheLLMServerDoesNotStart(t *testing.T) {
	wrapper := filepath.Join(t.TempDir(), "modelsql")
	script := "#!/bin/sh\nif [ \"$1\" = fake-llm ]; then echo 'ERROR: fake-llm: listen tcp: address already in use' >&2; exit 1; fi\nexec " + bin + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(repoRoot(), "scripts", "demo.sh"))
	cmd.Env = append(os.Environ(), "MODELSQL_BIN="+wrapper, "MODELSQL_DATA="+t.TempDir())
	stdout, stderr, code := runCommand(t, cmd)
	if code == 0 || !strings.Contains(stderr, "did not start") || !strings.Contains(stderr, "address already in use") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "ModelName") {
		t.Fatalf("the demo ran without its LLM server:\n%s", stdout)
	}
}
