package e2e

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/modelsql/modelsql/internal/fakellm"
)

// Interrupting a statement whose AI calls wait on a slow server ends every
// request in flight at once, sends no further request, and ends the
// statement.
func TestAICancelStopsAllRequests(t *testing.T) {
	srv := fakellm.NewServer(fakellm.Options{Latency: 10 * time.Minute, MaxRecorded: -1})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	data := t.TempDir()
	const limit = 8
	sql(t, data, fmt.Sprintf(`CREATE MODEL slow WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM',
		TASKS='text-generation', PAI_EAS_MODEL_NAME='m', PAI_EAS_SERVICE_NAME='s', ENDPOINT='%s', APIKEY='k',
		PAI_EAS_SYNC_MODE='true', MAX_CONCURRENCY='%d')`, hs.URL, limit))

	cmd := exec.Command(bin, "--data", data, "-c", "SELECT count(AI_GENERATE(slow, v1, 'p ' || i)) FROM range(5000) t(i)")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for srv.Stats().InFlight < limit {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("requests never reached the limit: %+v %s", srv.Stats(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	cmd.Process.Signal(os.Interrupt)
	for srv.Stats().InFlight > 0 {
		if time.Since(start) > 5*time.Second {
			cmd.Process.Kill()
			t.Fatalf("requests still in flight 5 s after the interrupt: %+v", srv.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the statement did not end after the interrupt")
	}
	if !strings.Contains(errb.String(), "cancel") {
		t.Errorf("stderr after interrupt: %s", errb.String())
	}
	if st := srv.Stats(); st.Requests != limit || st.MaxInFlight != limit {
		t.Errorf("server saw %+v, want exactly %d requests, all at once", st, limit)
	}
}
