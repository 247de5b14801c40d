// Package promexport exposes the server's counters in Prometheus' text
// format (modelsql serve --metrics ADDR): the work of AI calls per model and
// version, and the server's sessions and statements. Labels are the model
// and version only, so the series stay as many as the model versions used.
package promexport

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/modelsql/modelsql/internal/aiusage"
)

// Metrics is one process's counters. Its methods may be called from any
// goroutine.
type Metrics struct {
	reg *prometheus.Registry

	requests, rows, inputTokens, outputTokens *prometheus.CounterVec
	retries, errors, cacheHits, cacheMisses   *prometheus.CounterVec
	latency                                   *prometheus.HistogramVec

	sessionsOpen                          prometheus.Gauge
	sessions, statements, statementErrors prometheus.Counter
}

var modelVersion = []string{"model", "version"}

// New makes the counters, registered with a registry of their own (plus
// the Go runtime's and the process's collectors).
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	counter := func(name, help string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "modelsql", Subsystem: "ai", Name: name, Help: help}, modelVersion)
		m.reg.MustRegister(c)
		return c
	}
	m.requests = counter("requests_total", "Requests sent to the model version (an embeddings batch is one).")
	m.rows = counter("rows_total", "Rows the AI calls finished.")
	m.inputTokens = counter("input_tokens_total", "Input tokens, as the server's usage reported them.")
	m.outputTokens = counter("output_tokens_total", "Output tokens, as the server's usage reported them.")
	m.retries = counter("retries_total", "HTTP attempts after the first of each request.")
	m.errors = counter("errors_total", "Rows that failed (recorded in ai_errors), plus failed calls.")
	m.cacheHits = counter("cache_hits_total", "Requests answered by the result cache.")
	m.cacheMisses = counter("cache_misses_total", "Requests the result cache could not answer.")
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "modelsql", Subsystem: "ai", Name: "request_duration_seconds",
		Help:    "Time of each request sent, retries and back-off included.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}}, modelVersion)
	m.sessionsOpen = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "modelsql", Name: "sessions_open", Help: "Sessions open now."})
	m.sessions = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "modelsql", Name: "sessions_total", Help: "Sessions opened."})
	m.statements = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "modelsql", Name: "statements_total", Help: "Statements run."})
	m.statementErrors = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "modelsql", Name: "statement_errors_total", Help: "Statements that failed."})
	m.reg.MustRegister(m.latency, m.sessionsOpen, m.sessions, m.statements, m.statementErrors,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Handler serves the counters in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// SessionOpened counts a new session.
func (m *Metrics) SessionOpened() { m.sessions.Inc(); m.sessionsOpen.Inc() }

// SessionClosed counts a session's end.
func (m *Metrics) SessionClosed() { m.sessionsOpen.Dec() }

// StatementDone counts a statement and whether it failed.
func (m *Metrics) StatementDone(err error) {
	m.statements.Inc()
	if err != nil {
		m.statementErrors.Inc()
	}
}

// AIRequest observes the time of one request as it ends.
func (m *Metrics) AIRequest(model, version string, took time.Duration) {
	m.latency.WithLabelValues(model, version).Observe(took.Seconds())
}

// AIStatement adds what a statement's AI calls did, when it ends (the
// records stored in __modelsql.ai_usage).
func (m *Metrics) AIStatement(recs []aiusage.Record) {
	for _, r := range recs {
		l := []string{r.Model, r.Version}
		m.requests.WithLabelValues(l...).Add(float64(r.Requests))
		m.rows.WithLabelValues(l...).Add(float64(r.Rows))
		m.inputTokens.WithLabelValues(l...).Add(float64(r.InputTokens))
		m.outputTokens.WithLabelValues(l...).Add(float64(r.OutputTokens))
		m.retries.WithLabelValues(l...).Add(float64(r.Retries))
		m.errors.WithLabelValues(l...).Add(float64(r.Errors))
		m.cacheHits.WithLabelValues(l...).Add(float64(r.CacheHits))
		m.cacheMisses.WithLabelValues(l...).Add(float64(r.CacheMisses))
	}
}
