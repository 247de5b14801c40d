// Package session routes statements: model statements to the catalog,
// everything else (after rewriting inference calls) to DuckDB.
//
// A Warehouse is one open data directory shared by every session of the
// process; a Session is one user's connection with its current project,
// schema and settings.
package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelsql/modelsql/internal/aibudget"
	"github.com/modelsql/modelsql/internal/aicache"
	"github.com/modelsql/modelsql/internal/aiprogress"
	"github.com/modelsql/modelsql/internal/aiusage"
	"github.com/modelsql/modelsql/internal/catalog"
	"github.com/modelsql/modelsql/internal/duckrun"
	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/functions"
	"github.com/modelsql/modelsql/internal/objtable"
	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/secrets"
)

// Warehouse is an open data directory.
type Warehouse struct {
	Engine    *engine.Engine
	Catalog   *catalog.Catalog
	Functions *functions.Registry
	Models    *functions.ModelCache
	Objects   *objtable.Manager
	// AICache keeps the answers of AI requests (package aicache).
	AICache *aicache.Store
	// Progress lists the running statements with AI calls (modelsql_progress()).
	Progress *aiprogress.Registry
	// Observer, when set, is told of sessions, statements and AI work (the
	// server's metrics); set it before opening sessions.
	Observer Observer
	queryID  atomic.Int64
	started  string // process start, so that query ids differ across runs
	store    storage
}

// Observer receives the counts behind the server's metrics.
type Observer interface {
	SessionOpened()
	SessionClosed()
	StatementDone(err error)
	// AIRequest is the time of one request of an AI call as it ends.
	AIRequest(model, version string, took time.Duration)
	// AIStatement is what a statement's AI calls did, when it ends.
	AIStatement(recs []aiusage.Record)
}

// Options configure OpenWarehouse.
type Options struct {
	Engine engine.Options
	// ModelCacheBytes bounds the parsed models kept in memory; zero means 1 GiB.
	ModelCacheBytes int64
	// AICacheBytes bounds the stored answers of AI requests; zero means
	// $MODELSQL_AI_CACHE_MAX_BYTES, else aicache.DefaultMaxBytes.
	AICacheBytes int64
}

// OpenWarehouse opens a data directory, creating it on first use.
func OpenWarehouse(ctx context.Context, dataDir string, opt Options) (*Warehouse, error) {
	eng, err := engine.Open(ctx, dataDir, opt.Engine)
	if err != nil {
		return nil, err
	}
	box, err := secrets.Load(eng.DataDir)
	if err != nil {
		eng.Close()
		return nil, err
	}
	cat, err := catalog.Open(ctx, eng, box)
	if err != nil {
		eng.Close()
		return nil, err
	}
	reg := functions.NewRegistry()
	// Functions registered on one connection are visible to every
	// connection of the database: register them once, here. (Registering
	// on each new session raced when sessions opened concurrently.)
	if err := registerFunctions(ctx, eng, reg); err != nil {
		eng.Close()
		return nil, err
	}
	if opt.ModelCacheBytes == 0 {
		opt.ModelCacheBytes = 1 << 30
	}
	w := &Warehouse{Engine: eng, Catalog: cat, Functions: reg, Progress: aiprogress.New(),
		Models: functions.NewModelCache(opt.ModelCacheBytes), started: time.Now().UTC().Format("20060102T150405")}
	if w.Objects, err = objtable.Open(ctx, eng.DB, w.fetcher); err == nil {
		err = registerObjectFunctions(ctx, eng, w.Objects)
	}
	if err == nil && opt.AICacheBytes == 0 {
		opt.AICacheBytes, err = aiCacheBytesFromEnv()
	}
	if err == nil {
		w.AICache, err = aicache.Open(ctx, eng.DB, opt.AICacheBytes)
	}
	if err != nil {
		eng.Close()
		return nil, err
	}
	return w, nil
}

// Close releases the data directory.
func (w *Warehouse) Close() error {
	w.AICache.Close() // what it could not write is lost, not the directory
	return w.Engine.Close()
}

func registerFunctions(ctx context.Context, eng *engine.Engine, reg *functions.Registry) error {
	conn, err := eng.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, register := range []func(*sql.Conn, *functions.Registry) error{functions.RegisterBind, functions.RegisterPredict, functions.RegisterRemote, functions.RegisterTableFuncs} {
		if err := register(conn, reg); err != nil {
			return err
		}
	}
	return nil
}

// Guard is the server's access control. Embedded mode has none: its user is
// the local administrator.
type Guard interface {
	// Check runs before every statement; an error refuses it unchanged.
	Check(ctx context.Context, s *Session, st parser.Statement, text string) error
	// CheckModel runs for each model a statement uses: priv is "Execute" for
	// inference calls, "List" for each model SHOW MODELS would show (an error
	// hides it), "Describe" for DESC and SHOW VERSIONS.
	CheckModel(ctx context.Context, s *Session, m *catalog.Model, priv string) error
	// Exec runs the statements the guard owns (users, roles, grants); handled
	// is false for all others.
	Exec(ctx context.Context, s *Session, st parser.Statement) (res *Result, handled bool, err error)
	// After runs after every statement that Check let through, with the
	// statement's error (nil when it succeeded). It ends what Check began
	// (Check may run the check and the statement in one transaction, so that
	// what was checked is what ran) and records owners of new objects; its
	// error (a failed commit) becomes the statement's.
	After(ctx context.Context, s *Session, st parser.Statement, text string, err error) error
}

// Session is one user's connection.
type Session struct {
	w     *Warehouse
	conn  *sql.Conn
	User  string
	Admin bool
	// UserCreated is when the login's user was created: with the name it
	// identifies the user, so that a session of a dropped user is not
	// taken for a new user of the same name (zero in embedded mode).
	UserCreated time.Time
	project     string
	schema      string
	guard       Guard
	settings    map[string]string
	queryID     string               // of the running statement
	flights     *aicache.Flights     // the running statement's AI requests
	budget      *aibudget.Budget     // the running statement's AI budget
	budgetDaily bool                 // the user's daily limits were applied to it
	costCalls   []*functions.Binding // AI calls of the statement under EXPLAIN COST (nil: none runs)
	runMu       sync.Mutex
	running     []*functions.Binding // inference calls of the running statement
	progress    *aiprogress.Handle   // of the running statement's AI calls (nil: none)
	toRead      atomic.Uint64        // rows the running statement's scans will read, by DuckDB's estimate (0: unknown)
	closed      bool                 // Close ran (the metrics count a session once)
	sink        Sink                 // of the running ExecStream statement
	training    atomic.Int64         // rounds done<<32 | total of a running training statement
	// Warnings receives messages about problems that do not fail a statement.
	Warnings io.Writer
	// Notices receives the summary of a long statement's AI calls, as
	// "NOTICE: ..." lines (nil: none).
	Notices io.Writer
}

func (s *Session) warn(format string, a ...any) {
	if s.Warnings != nil {
		fmt.Fprintf(s.Warnings, "WARNING: "+format+"\n", a...)
	}
}

// Conn is the session's DuckDB connection (for the guard's own queries).
func (s *Session) Conn() *sql.Conn { return s.conn }

// Warehouse returns the warehouse the session belongs to.
func (s *Session) Warehouse() *Warehouse { return s.w }

// SessionOptions configure NewSession.
type SessionOptions struct {
	User  string // "" means the OS user
	Admin bool
	// UserCreated identifies the user with its name (Session.UserCreated).
	UserCreated time.Time
	Project     string // "" means "default"
	Guard       Guard  // nil in embedded mode
	// CreateProject creates the project when it does not exist (embedded mode).
	CreateProject bool
}

// NewSession opens a session.
func (w *Warehouse) NewSession(ctx context.Context, o SessionOptions) (*Session, error) {
	if o.User == "" {
		o.User = osUser()
	}
	if o.Project == "" {
		o.Project = "default"
	}
	o.Project = strings.ToLower(o.Project)
	if o.CreateProject {
		if err := w.Engine.EnsureProject(ctx, o.Project); err != nil {
			return nil, err
		}
	} else if !w.Engine.HasProject(o.Project) {
		return nil, fmt.Errorf("project %s does not exist", o.Project)
	}
	conn, err := w.Engine.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	s := &Session{w: w, conn: conn, User: o.User, Admin: o.Admin, UserCreated: o.UserCreated, guard: o.Guard, settings: map[string]string{}}
	if err := s.use(ctx, o.Project, engine.DefaultSchema); err != nil {
		conn.Close()
		return nil, err
	}
	// Streamed results (ExecStream) stay small in memory; DuckDB tracks a
	// statement's progress (the rows_total of modelsql_progress()) without
	// printing a bar.
	for _, q := range append([]string{"SET streaming_buffer_size = '" + duckrun.StreamingBufferSize + "'"}, duckrun.ProgressSettings...) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Close()
			return nil, err
		}
	}
	if w.Observer != nil {
		w.Observer.SessionOpened()
	}
	return s, nil
}

// Close ends the session. Its DuckDB connection is closed rather than
// returned to database/sql's pool: closing it rolls back an open
// transaction and drops the session's temporary objects, prepared
// statements and settings, so no later session (of any user) starts on a
// connection holding something of this one, and a client that vanished
// mid-transaction loses exactly its own uncommitted work.
func (s *Session) Close() error {
	if s.w.Observer != nil && !s.closed {
		s.w.Observer.SessionClosed()
	}
	s.closed = true
	// Returning driver.ErrBadConn makes database/sql discard the connection.
	err := s.conn.Raw(func(any) error { return driver.ErrBadConn })
	if err != nil && !errors.Is(err, driver.ErrBadConn) {
		return err
	}
	return nil
}

// Project and Schema return the current namespace.
func (s *Session) Project() string { return s.project }

// Schema returns the current schema.
func (s *Session) Schema() string { return s.schema }

// Setting returns a session setting set with SET.
func (s *Session) Setting(key string) string { return s.settings[strings.ToLower(key)] }

// Result is the outcome of one statement. Statements without a result set
// have no Columns and a Message such as "OK".
type Result struct {
	Columns []string
	Types   []string // DuckDB type names, when known
	Rows    [][]any
	Message string
	// Streamed reports that the rows went to ExecStream's sink instead of
	// Rows; RowCount counts the rows either way.
	Streamed bool
	RowCount int64
}

// Sink receives a statement's rows while DuckDB produces them (ExecStream),
// so that a large result is never held whole.
type Sink interface {
	// Start receives the result's columns and types (no rows) before any
	// row; false asks for the rows in the returned Result instead (for a
	// small result such as a DML count).
	Start(res *Result) (bool, error)
	// Row receives one row; returning an error ends the statement.
	Row(vals []any) error
}

// ExecStream runs one statement like Exec; when the statement is ordinary
// SQL whose rows sink accepts, the rows go to sink as DuckDB produces them
// (with back-pressure: DuckDB waits while Row blocks) and the returned
// Result has Streamed set and no Rows. Statements with AI calls are
// computed whole first, so that their waiting costs no CPU (see duckrun).
func (s *Session) ExecStream(ctx context.Context, text string, sink Sink) (*Result, error) {
	s.sink = sink
	defer func() { s.sink = nil }()
	return s.Exec(ctx, text)
}

// Exec runs one statement. DuckDB's errors quote the statement ("LINE 1:
// ..."); for a statement that may carry a secret (CREATE SECRET, a
// password, a token) that context is dropped, so that a mistyped statement
// does not echo its secret to the screen or a client's log.
func (s *Session) Exec(ctx context.Context, text string) (*Result, error) {
	res, err := s.execText(ctx, text)
	if s.w.Observer != nil {
		s.w.Observer.StatementDone(err)
	}
	if err != nil && parser.MayHoldSecret(text) {
		err = withoutQuotedStatement(err)
	}
	return res, err
}

func (s *Session) execText(ctx context.Context, text string) (*Result, error) {
	s.queryID = fmt.Sprintf("%s-%d", s.w.started, s.w.queryID.Add(1))
	s.flights = aicache.NewFlights()
	s.budget, s.budgetDaily = s.newBudget(), false
	defer func() { s.flights, s.budget = nil, nil }()
	st, err := parser.Parse(text)
	if err != nil {
		return nil, err
	}
	if s.guard != nil {
		checkSt, checkText := checkForm(st, text)
		if err := s.guard.Check(ctx, s, checkSt, checkText); err != nil {
			return nil, err
		}
		res, handled, err := s.guard.Exec(ctx, s, st)
		if !handled {
			res, err = s.exec(ctx, st, text)
		}
		if aerr := s.guard.After(ctx, s, checkSt, checkText, err); err == nil && aerr != nil {
			return nil, aerr
		}
		return res, err
	}
	return s.exec(ctx, st, text)
}

func (s *Session) exec(ctx context.Context, st parser.Statement, text string) (*Result, error) {
	switch st := st.(type) {
	case *parser.CreateModel:
		return s.createModel(ctx, st)
	case *parser.AddVersion:
		return s.addVersion(ctx, st)
	case *parser.DropVersion:
		ref, err := s.resolveModel(ctx, st.Model)
		if err != nil {
			return nil, err
		}
		_, before, _ := s.w.Catalog.GetModel(ctx, ref)
		if _, err := s.w.Catalog.DropVersion(ctx, ref, st.Version, st.IfExists); err != nil {
			return nil, err
		}
		for _, v := range before {
			if strings.EqualFold(v.Name, st.Version) {
				s.w.Models.Evict(v.Artifact)
			}
		}
		return ok(), s.w.AICache.Prune(ctx)
	case *parser.SetDefaultVersion:
		ref, err := s.resolveModel(ctx, st.Model)
		if err != nil {
			return nil, err
		}
		if err := s.w.Catalog.SetDefaultVersion(ctx, ref, st.Version); err != nil {
			return nil, err
		}
		return ok(), nil
	case *parser.SetAlias:
		return s.setAlias(ctx, st)
	case *parser.UnsetAlias:
		return s.unsetAlias(ctx, st)
	case *parser.DropModel:
		ref, err := s.resolveModel(ctx, st.Model)
		if err != nil {
			return nil, err
		}
		_, before, _ := s.w.Catalog.GetModel(ctx, ref)
		if _, err := s.w.Catalog.DropModel(ctx, ref, st.IfExists); err != nil {
			return nil, err
		}
		// Parsed models of dropped versions leave the cache (running
		// statements keep theirs until they end).
		for _, v := range before {
			s.w.Models.Evict(v.Artifact)
		}
		return ok(), s.w.AICache.Prune(ctx)
	case *parser.ClearAICache:
		return s.clearAICache(ctx, st)
	case *parser.ExplainCost:
		return s.explainCost(ctx, st)
	case *parser.ShowModels:
		return s.showModels(ctx, st)
	case *parser.ShowVersions:
		return s.showVersions(ctx, st)
	case *parser.DescModel:
		return s.descModel(ctx, st)
	case *parser.Use:
		return s.execUse(ctx, st)
	case *parser.Set:
		return s.execSet(ctx, st, text)
	case *parser.CreateObjectTable:
		return s.createObjectTable(ctx, st)
	case *parser.RefreshMetadata:
		return s.refreshMetadata(ctx, st)
	case *parser.Passthrough:
		if res, handled, err := s.objectTableStatement(ctx, st.SQL); handled {
			return res, err
		}
		ctx, done := s.objectFunctions(ctx)
		defer done()
		res, err := s.passthrough(ctx, st.SQL)
		return res, objtable.UserError(err)
	}
	return nil, unsupported(st, text)
}

func ok() *Result { return &Result{Message: "OK"} }

func (s *Session) use(ctx context.Context, project, schema string) error {
	if _, err := s.conn.ExecContext(ctx, "USE "+engine.QuoteIdent(project)+"."+engine.QuoteIdent(schema)); err != nil {
		return fmt.Errorf("use %s.%s: %w", project, schema, err)
	}
	s.project, s.schema = project, schema
	return nil
}

func (s *Session) execUse(ctx context.Context, st *parser.Use) (*Result, error) {
	parts := st.Target.Parts
	project, schema := strings.ToLower(parts[0]), engine.DefaultSchema
	switch len(parts) {
	case 1:
	case 2:
		schema = strings.ToLower(parts[1])
	default:
		return nil, fmt.Errorf("USE takes project or project.schema, got %s", strings.Join(parts, "."))
	}
	if !s.w.Engine.HasProject(project) {
		return nil, fmt.Errorf("project %s does not exist", project)
	}
	if okSchema, err := s.w.Engine.HasSchema(ctx, project, schema); err != nil || !okSchema {
		return nil, fmt.Errorf("schema %s.%s does not exist", project, schema)
	}
	if err := s.use(ctx, project, schema); err != nil {
		return nil, err
	}
	return ok(), nil
}

// Settings under these prefixes belong to modelsql (MaxCompute's odps.* flags
// are accepted and kept); all others are DuckDB settings.
func isSessionSetting(key string) bool {
	return strings.HasPrefix(key, "odps.") || strings.HasPrefix(key, "modelsql.")
}

func (s *Session) execSet(ctx context.Context, st *parser.Set, text string) (*Result, error) {
	if !isSessionSetting(st.Key) {
		return s.passthrough(ctx, text)
	}
	if err := validateSetting(st.Key, st.Value); err != nil {
		return nil, err
	}
	s.settings[st.Key] = st.Value
	return ok(), nil
}

// passthrough runs ordinary SQL on DuckDB after rewriting inference calls.
func (s *Session) passthrough(ctx context.Context, text string) (*Result, error) {
	q, cleanup, err := s.bindInference(ctx, text)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	// duckrun drives the statement so that waiting on AI calls costs no CPU;
	// rows stream to a sink unless the statement waits on AI calls.
	query, sink := duckrun.Query, s.sink
	switch {
	case sink != nil && !s.hasRemoteCalls():
		query = duckrun.QueryStream
	case sink != nil && spoolable(q):
		query = func(ctx context.Context, _ *sql.Conn, q string, read func(duckrun.Rows) error) error {
			return s.spoolQuery(ctx, q, read)
		}
	}
	var res *Result
	err = query(s.progressContext(ctx), s.conn, q, func(rows duckrun.Rows) error {
		cols := rows.Columns()
		// Unnamed inference calls would be named after their rewritten text;
		// name them as MaxCompute names unnamed expressions.
		for i, c := range cols {
			if strings.Contains(c, "__modelsql_") {
				cols[i] = fmt.Sprintf("_c%d", i)
			}
		}
		res = &Result{Columns: cols, Types: rows.Types()}
		if len(cols) == 0 {
			res.Message = "OK"
		}
		if sink != nil && len(cols) > 0 {
			ok, err := sink.Start(res)
			if err != nil {
				return err
			}
			res.Streamed = ok
		}
		for {
			vals := make([]any, len(cols))
			if err := rows.Next(vals); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			res.RowCount++
			if res.Streamed {
				if err := sink.Row(vals); err != nil {
					return err
				}
				continue
			}
			res.Rows = append(res.Rows, vals)
		}
	})
	if err != nil {
		return nil, s.cleanDuckDBError(err)
	}
	return res, nil
}

// cleanDuckDBError keeps DuckDB's message but drops the driver's noise.
// In a statement with inference calls, an inference call's own error is
// shown instead of DuckDB's wrapping of it, and DuckDB's messages lose what
// quotes the rewritten statement (see userError).
func (s *Session) cleanDuckDBError(err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("statement cancelled")
	}
	s.runMu.Lock()
	running := s.running
	s.runMu.Unlock()
	return userError(err, running)
}

func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

func firstWords(s string) string {
	f := strings.Fields(s)
	if len(f) > 3 {
		f = f[:3]
	}
	return strings.Join(f, " ")
}
