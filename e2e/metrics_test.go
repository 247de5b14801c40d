package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// modelsql serve --metrics exposes the AI calls' counters per model version
// and the server's own, in Prometheus' text format, read here with
// Prometheus' parser.
func TestServeMetrics(t *testing.T) {
	fake := startFakeProcess(t, true)
	ctx := context.Background()
	data := t.TempDir()
	addUser(t, data, "admin", "pw", true)
	mport := freePort(t)
	s := serve(t, data, "--metrics", fmt.Sprintf("127.0.0.1:%d", mport))
	scrape := func() map[string]*dto.MetricFamily {
		t.Helper()
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", mport))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p expfmt.TextParser
		fams, err := p.TextToMetricFamilies(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return fams
	}
	get := func(fams map[string]*dto.MetricFamily, name, version string) float64 {
		t.Helper()
		f := fams[name]
		if f == nil {
			return 0
		}
		for _, m := range f.Metric {
			ok := true
			for _, l := range m.Label {
				ok = ok && (l.GetName() == "model" && l.GetValue() == "default.default.gen" || l.GetName() == "version" && l.GetValue() == version)
			}
			if !ok {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
		return 0
	}
	before := scrape()
	conn, err := pgx.Connect(ctx, s.url("admin", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf(progressModel, fake.url)); err != nil {
		t.Fatal(err)
	}
	var n int64
	// 6 distinct prompts of 8 rows; the second run is answered by the cache.
	for i := 0; i < 2; i++ {
		if err := conn.QueryRow(ctx, "SELECT count(AI_GENERATE(gen, v1, 'm ' || (i % 6))) FROM range(8) t(i)").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, "SELECT * FROM no_such_table"); err == nil {
		t.Fatal("no error from a missing table")
	}
	after := scrape()
	sent := float64(fake.requests("/chat/completions"))
	for _, tc := range []struct {
		name string
		want float64
	}{
		{"modelsql_ai_requests_total", sent},
		{"modelsql_ai_request_duration_seconds", sent},
		{"modelsql_ai_rows_total", 16},
		{"modelsql_ai_cache_hits_total", 6}, // the second run's 6 distinct requests
		{"modelsql_ai_cache_misses_total", 6},
	} {
		if got := get(after, tc.name, "v1"); got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, got, tc.want)
		}
	}
	if sent != 6 {
		t.Errorf("the fake server saw %v requests, want 6", sent)
	}
	if get(after, "modelsql_ai_input_tokens_total", "v1") == 0 || get(after, "modelsql_ai_output_tokens_total", "v1") == 0 {
		t.Error("no tokens counted")
	}
	for _, name := range []string{"modelsql_sessions_total", "modelsql_statements_total", "modelsql_statement_errors_total"} {
		if d := get(after, name, "") - get(before, name, ""); d < 1 {
			t.Errorf("%s grew by %v", name, d)
		}
	}
	if get(after, "modelsql_sessions_open", "") < 1 {
		t.Error("no session open")
	}
}
