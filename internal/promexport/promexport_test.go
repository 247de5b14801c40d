package promexport

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/modelsql/modelsql/internal/aiusage"
)

// scrape reads the handler's text exposition with Prometheus' own parser.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var parser expfmt.TextParser
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no family %s", name)
	}
	for _, m := range f.Metric {
		match := len(m.Label) == len(labels)
		for _, l := range m.Label {
			match = match && labels[l.GetName()] == l.GetValue()
		}
		if !match {
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
	t.Fatalf("%s has no series %v", name, labels)
	return 0
}

func TestCountersAddUpPerModelVersion(t *testing.T) {
	m := New()
	m.SessionOpened()
	m.SessionOpened()
	m.SessionClosed()
	m.StatementDone(nil)
	m.StatementDone(errors.New("x"))
	m.StatementDone(nil)
	m.AIRequest("p.s.gen", "v1", 40*time.Millisecond)
	m.AIRequest("p.s.gen", "v1", 3*time.Second)
	m.AIRequest("p.s.gen", "v2", time.Millisecond)
	m.AIStatement([]aiusage.Record{
		{Model: "p.s.gen", Version: "v1", Function: "AI_GENERATE", Rows: 10, Requests: 7, CacheHits: 3, CacheMisses: 7, InputTokens: 70, OutputTokens: 14, Retries: 2, Errors: 1},
		{Model: "p.s.gen", Version: "v1", Function: "AI_CLASSIFY", Rows: 5, Requests: 5, CacheMisses: 5, InputTokens: 50, OutputTokens: 5},
		{Model: "p.s.gen", Version: "v2", Function: "AI_GENERATE", Rows: 1, Requests: 1, CacheMisses: 1},
	})
	fams := scrape(t, m)
	v1 := map[string]string{"model": "p.s.gen", "version": "v1"}
	v2 := map[string]string{"model": "p.s.gen", "version": "v2"}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"modelsql_ai_requests_total", v1, 12},
		{"modelsql_ai_requests_total", v2, 1},
		{"modelsql_ai_rows_total", v1, 15},
		{"modelsql_ai_input_tokens_total", v1, 120},
		{"modelsql_ai_output_tokens_total", v1, 19},
		{"modelsql_ai_retries_total", v1, 2},
		{"modelsql_ai_errors_total", v1, 1},
		{"modelsql_ai_cache_hits_total", v1, 3},
		{"modelsql_ai_cache_misses_total", v1, 12},
		{"modelsql_ai_request_duration_seconds", v1, 2},
		{"modelsql_ai_request_duration_seconds", v2, 1},
		{"modelsql_sessions_total", nil, 2},
		{"modelsql_sessions_open", nil, 1},
		{"modelsql_statements_total", nil, 3},
		{"modelsql_statement_errors_total", nil, 1},
	} {
		if got := value(t, fams, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	// The function is not a label: series stay one per model version.
	if n := len(fams["modelsql_ai_requests_total"].Metric); n != 2 {
		t.Errorf("%d request series, want 2 (one per model version)", n)
	}
	// 40 ms falls in the 0.05 s bucket, 3 s does not.
	for _, b := range fams["modelsql_ai_request_duration_seconds"].Metric[0].Histogram.Bucket {
		if b.GetUpperBound() == 0.05 && b.GetCumulativeCount() != 1 {
			t.Errorf("bucket le=0.05 has %d, want 1", b.GetCumulativeCount())
		}
	}
}
