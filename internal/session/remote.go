package session

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/modelsql/modelsql/internal/aibudget"
	"github.com/modelsql/modelsql/internal/aicache"
	"github.com/modelsql/modelsql/internal/aiusage"
	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/functions"
	"github.com/modelsql/modelsql/internal/parser"
)

// Tasks each AI function needs, checked when the statement is planned.
var functionTasks = map[string][]string{
	"AI_GENERATE":  {"text-generation", "chat", "image-text-to-text"},
	"AI_EMBEDDING": {"sentence-embedding", "multi-modal-embedding"},
	"AI_CLASSIFY":  {"text-generation", "chat", "image-text-to-text"},
	"AI_EXTRACT":   {"text-generation", "chat", "image-text-to-text"},
	"AI_SUMMARIZE": {"text-generation", "chat", "image-text-to-text"},
	"AI_TRANSLATE": {"text-generation", "chat", "image-text-to-text"},
	"AI_SENTIMENT": {"text-generation", "chat", "image-text-to-text"},
	// AI_SIMILARITY uses embeddings when the model has them, else asks a chat model.
	"AI_SIMILARITY": {"sentence-embedding", "multi-modal-embedding", "text-generation", "chat", "image-text-to-text"},
}

// bindRemote checks that the model fits the function and prepares its client.
func (s *Session) bindRemote(ctx context.Context, b *functions.Binding) error {
	m, v := b.Model, b.Version
	if m.SourceType != catalog.SourceRemote {
		return fmt.Errorf("%s needs a remote LLM or MLLM model; %s is a %s model (use ML_PREDICT)", b.Func, m.Ref(), m.ModelType)
	}
	tasks := strings.Split(v.Options[catalog.OptTasks], ",")
	okTask := false
	for _, t := range tasks {
		for _, want := range functionTasks[b.Func] {
			okTask = okTask || strings.TrimSpace(t) == want
		}
	}
	if !okTask {
		return fmt.Errorf("%s cannot use model %s version %s: its TASKS are %s, the function needs one of %s",
			b.Func, m.Ref(), v.Name, v.Options[catalog.OptTasks], strings.Join(functionTasks[b.Func], ", "))
	}
	client, err := s.versionClient(m, v)
	if err != nil {
		return err
	}
	if s.guard != nil && s.budget != nil && !s.budgetDaily { // server mode: the user's daily limits
		if err := s.budget.CapDaily(ctx, s.w.Engine.DB, s.User); err != nil {
			return err
		}
		s.budgetDaily = true
	}
	mode, _ := aicache.ParseMode(s.Setting("modelsql.ai.cache")) // checked by SET
	rc := &functions.RemoteCall{
		Client:      client,
		NullOnError: strings.EqualFold(s.Setting("modelsql.ai.on_error"), "null"),
		QueryID:     s.queryID,
		Cache:       s.w.AICache,
		CacheMode:   mode,
		Flights:     s.flights,
		Budget:      s.budget,
	}
	if o := s.w.Observer; o != nil {
		model, version := m.Ref().String(), v.Name
		rc.OnRequest = func(took time.Duration) { o.AIRequest(model, version, took) }
	}
	if d := s.Setting("odps.sql.ai.embedding.dimension"); d != "" {
		rc.EmbeddingDimension, _ = strconv.Atoi(d)
	}
	if b.Func == "AI_SIMILARITY" && !hasTask(tasks, "sentence-embedding", "multi-modal-embedding") {
		rc.SimilarityByChat = true
	}
	if s.costCalls != nil { // EXPLAIN COST: count, send nothing
		rc.Cost = &functions.Cost{}
		s.costCalls = append(s.costCalls, b)
	}
	b.Remote = rc
	return nil
}

func hasTask(tasks []string, want ...string) bool {
	for _, t := range tasks {
		for _, w := range want {
			if strings.TrimSpace(t) == w {
				return true
			}
		}
	}
	return false
}

// recordFailures stores the failed rows of a statement's AI calls in the
// system catalog's ai_errors table (created by package migrate).
func (s *Session) recordFailures(ctx context.Context, bindings []*functions.Binding) error {
	var all []functions.Failure
	for _, b := range bindings {
		if b.Remote != nil {
			all = append(all, b.Remote.Failures()...)
		}
	}
	if len(all) == 0 {
		return nil
	}
	tx, err := s.w.Engine.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, f := range all {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+engine.SystemCatalog+`.main.ai_errors VALUES (?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.QueryID, f.Model, f.Version, f.Func, f.InputHash, f.Class, f.Status, f.Attempts, f.Message,
			f.InputTokens, f.OutputTokens, f.Latency.Milliseconds()); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// clearAICache runs CLEAR AI CACHE [FOR MODEL m [VERSION v]].
func (s *Session) clearAICache(ctx context.Context, st *parser.ClearAICache) (*Result, error) {
	model := ""
	if len(st.Model.Parts) > 0 {
		ref, err := s.resolveModel(ctx, st.Model)
		if err != nil {
			return nil, err
		}
		model = ref.String()
	}
	n, err := s.w.AICache.Clear(ctx, model, st.Version)
	if err != nil {
		return nil, err
	}
	return &Result{Message: fmt.Sprintf("OK: %d cached answers removed", n)}, nil
}

// aiCacheBytesFromEnv reads MODELSQL_AI_CACHE_MAX_BYTES (0 when unset).
func aiCacheBytesFromEnv() (int64, error) {
	v := os.Getenv("MODELSQL_AI_CACHE_MAX_BYTES")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("MODELSQL_AI_CACHE_MAX_BYTES must be a positive number of bytes, got %q", v)
	}
	return n, nil
}

// newBudget is a statement's budget from modelsql.ai.max_requests and
// modelsql.ai.max_tokens (checked by SET).
func (s *Session) newBudget() *aibudget.Budget {
	r, _ := aibudget.ParseLimit("", s.Setting("modelsql.ai.max_requests"))
	t, _ := aibudget.ParseLimit("", s.Setting("modelsql.ai.max_tokens"))
	return aibudget.New(r, t)
}

// recordUsage stores what the statement's AI calls did (__modelsql.ai_usage).
func (s *Session) recordUsage(ctx context.Context, bindings []*functions.Binding, started time.Time) error {
	var recs []aiusage.Record
	for _, b := range bindings {
		rc := b.Remote
		if rc == nil {
			continue
		}
		errs := int64(len(rc.Failures()))
		if b.Failure() != nil {
			errs++
		}
		recs = append(recs, aiusage.Record{QueryID: s.queryID, User: s.User, Model: b.Model.Ref().String(),
			Version: b.Version.Name, Function: b.Func, Rows: b.Rows.Load(), Requests: rc.Requests.Load(),
			CacheHits: rc.CacheHits.Load(), CacheMisses: rc.CacheMisses.Load(), InputTokens: rc.PromptTokens.Load(), OutputTokens: rc.CompletionTokens.Load(),
			Retries: rc.Retries.Load(), Errors: errs, Elapsed: time.Since(started)})
		if n := rc.Requests.Load(); n > 0 && rc.Latency.Load() > 0 {
			recs[len(recs)-1].AvgLatency = time.Duration(rc.Latency.Load() / n)
		}
	}
	if o := s.w.Observer; o != nil {
		o.AIStatement(recs)
	}
	return aiusage.Write(ctx, s.w.Engine.DB, recs)
}
