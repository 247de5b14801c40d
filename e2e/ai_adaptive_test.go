package e2e

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelsql/modelsql/internal/fakellm"
)

// Against a server that answers one request at a time (400 ms each), at
// the documented defaults (MAX_CONCURRENCY 16, PAI_EAS_SYNC_REQUEST_TIMEOUT
// 5000 ms): every row is answered and the requests wasted on timeouts stay
// under a quarter of the rows.
func TestAIAdaptsToQueueingServer(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 20 s")
	}
	srv := fakellm.NewServer(fakellm.Options{APIKey: llmKey, Latency: 400 * time.Millisecond, Workers: 1})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	url := hs.URL
	data := t.TempDir()
	sql(t, data, fmt.Sprintf(`CREATE MODEL q WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM',
		TASKS='text-generation', PAI_EAS_MODEL_NAME='m', PAI_EAS_SERVICE_NAME='s', ENDPOINT='%s', APIKEY='%s',
		PAI_EAS_SYNC_MODE='true')`, url, llmKey))
	const rows = 40
	rs := csvRows(t, data, fmt.Sprintf(`SELECT count(*), count(a) FROM (SELECT AI_GENERATE(q, v1, 'queued ' || i) AS a FROM range(%d) t(i))`, rows))
	sent := srv.Stats().Requests
	t.Logf("%d rows, %d requests", rows, sent)
	if rs[0][0] != fmt.Sprint(rows) || rs[0][1] != fmt.Sprint(rows) {
		t.Fatalf("rows answered: %v", rs)
	}
	if float64(sent) > 1.25*rows {
		t.Fatalf("%d requests for %d rows: more than 1.25 per row", sent, rows)
	}
}
