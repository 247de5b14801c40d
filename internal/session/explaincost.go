package session

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/modelsql/modelsql/internal/aiusage"
	"github.com/modelsql/modelsql/internal/functions"
	"github.com/modelsql/modelsql/internal/parser"
)

// costColumns are EXPLAIN COST's result: one row per AI call.
var costColumns = []string{"call", "model", "version", "rows", "distinct_requests", "cached", "requests",
	"est_input_tokens", "max_output_tokens", "concurrency", "latency_ms", "expected_seconds", "est_price", "currency"}

// explainCost runs EXPLAIN COST: the statement runs in a transaction that
// is rolled back, its AI calls answer NULL and count what they would send
// (functions.Cost), nothing is sent and nothing is recorded.
func (s *Session) explainCost(ctx context.Context, st *parser.ExplainCost) (*Result, error) {
	if inner, err := parser.Parse(st.SQL); err != nil {
		return nil, err
	} else if _, ok := inner.(*parser.Passthrough); !ok {
		return nil, fmt.Errorf("EXPLAIN COST takes a SQL statement (SELECT, CREATE TABLE ... AS SELECT, INSERT ... SELECT, ...)")
	}
	if _, err := s.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, fmt.Errorf("EXPLAIN COST cannot run inside a transaction (it runs the statement in its own and rolls it back): %w", err)
	}
	s.costCalls = []*functions.Binding{}
	defer func() { s.costCalls = nil }()
	_, err := s.passthrough(ctx, st.SQL)
	if _, rerr := s.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: costColumns,
		Types: []string{"VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "INTEGER", "DOUBLE", "DOUBLE", "DOUBLE", "VARCHAR"}}
	for _, b := range s.costCalls {
		c := b.Remote.Cost
		model := b.Model.Ref().String()
		requests, input := c.Requests.Load(), c.InputTokens.Load()
		var maxOut, latencyMs, expected, price, currency any
		if !c.Unbounded.Load() || requests == 0 {
			maxOut = c.OutputBound.Load()
		}
		conc := b.Remote.Client.Limit()
		lat, err := aiusage.RecentLatency(ctx, s.w.Engine.DB, model, b.Version.Name)
		if err != nil {
			return nil, err
		}
		if lat > 0 {
			latencyMs = math.Round(float64(lat)/float64(time.Millisecond)*10) / 10
			waves := (requests + int64(conc) - 1) / int64(conc)
			expected = math.Round(float64(waves)*lat.Seconds()*100) / 100
		} else if requests == 0 {
			expected = 0.0
		}
		if p := b.Remote.Client.Endpoint().Price; p != nil {
			v := float64(input) / 1e6 * p.Input
			if mo, ok := maxOut.(int64); ok {
				v += float64(mo) / 1e6 * p.Output
				price = math.Round(v*1e6) / 1e6
			} else if p.Output == 0 {
				price = math.Round(v*1e6) / 1e6
			}
			currency = p.Currency
		}
		res.Rows = append(res.Rows, []any{fmt.Sprintf("%s at %d:%d", b.Func, b.Line, b.Col), model, b.Version.Name,
			c.Rows.Load(), c.Distinct.Load(), c.Cached.Load(), requests, input, maxOut, int32(conc), latencyMs, expected, price, currency})
	}
	res.RowCount = int64(len(res.Rows))
	return res, nil
}
