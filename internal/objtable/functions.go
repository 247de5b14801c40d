package objtable

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/modelsql/modelsql/internal/aisched"
	"github.com/modelsql/modelsql/internal/objstore"
	"github.com/modelsql/modelsql/internal/parser"
)

// The session settings of the functions (SET key = value).
const (
	// SettingMaxBytes is the largest object (or byte range) GET_DATA_FROM_OSS returns.
	SettingMaxBytes = "modelsql.object.max_bytes"
	// SettingConcurrency is how many objects one statement fetches at a time.
	SettingConcurrency = "modelsql.object.concurrency"
)

// Defaults of the settings.
const (
	DefaultMaxBytes    = 8 << 20
	DefaultConcurrency = 16
	maxConcurrency     = 256
	// TableConcurrency bounds the fetches of one object table in flight
	// across all statements of the process.
	TableConcurrency = maxConcurrency
	// DefaultTTL is a signed URL's lifetime when none is given.
	DefaultTTL = time.Hour
)

// ValidateSetting checks a value of SettingMaxBytes or SettingConcurrency
// (other keys are accepted).
func ValidateSetting(key, value string) error {
	switch key {
	case SettingMaxBytes:
		if n, err := strconv.ParseInt(value, 10, 64); err != nil || n < 1 || n > 1<<31 {
			return fmt.Errorf("%s must be a number of bytes from 1 to 2147483648, got %q", key, value)
		}
	case SettingConcurrency:
		if n, err := strconv.Atoi(value); err != nil || n < 1 || n > maxConcurrency {
			return fmt.Errorf("%s must be an integer from 1 to %d, got %q", key, maxConcurrency, value)
		}
	}
	return nil
}

// Statement is what the functions need from the statement calling them;
// the session puts it in the statement's context (WithStatement).
type Statement struct {
	MaxBytes    int64
	Concurrency int
	misses      atomic.Int64 // WARN_AND_NULL misses
	semOnce     sync.Once
	sem         chan struct{}
}

// semaphore bounds the statement's fetches in flight.
func (st *Statement) semaphore() chan struct{} {
	st.semOnce.Do(func() { st.sem = make(chan struct{}, st.Concurrency) })
	return st.sem
}

// NewStatement reads the settings (by key, "" when unset; validated by SET).
func NewStatement(setting func(string) string) *Statement {
	st := &Statement{MaxBytes: DefaultMaxBytes, Concurrency: DefaultConcurrency}
	if n, err := strconv.ParseInt(setting(SettingMaxBytes), 10, 64); err == nil && n > 0 {
		st.MaxBytes = n
	}
	if n, err := strconv.Atoi(setting(SettingConcurrency)); err == nil && n > 0 {
		st.Concurrency = n
	}
	return st
}

// Misses is the number of missing objects WARN_AND_NULL turned into NULL.
func (st *Statement) Misses() int64 { return st.misses.Load() }

type stmtKey struct{}

// WithStatement attaches st to a statement's context.
func WithStatement(ctx context.Context, st *Statement) context.Context {
	return context.WithValue(ctx, stmtKey{}, st)
}

func statementOf(ctx context.Context) *Statement {
	if st, ok := ctx.Value(stmtKey{}).(*Statement); ok {
		return st
	}
	return &Statement{MaxBytes: DefaultMaxBytes, Concurrency: DefaultConcurrency}
}

// Not-found policies of GET_DATA_FROM_OSS.
const (
	PolicyOutputNull     = "OUTPUT_NULL"
	PolicyThrowException = "THROW_EXCEPTION"
	PolicyWarnAndNull    = "WARN_AND_NULL"
)

// FunctionNames are the SQL functions of object tables (upper case).
var FunctionNames = []string{"GET_DATA_FROM_OSS", "GET_SIGNED_URL_FROM_OSS"}

// Register registers GET_DATA_FROM_OSS and GET_SIGNED_URL_FROM_OSS on a
// connection (functions are visible to every connection of the database).
func (m *Manager) Register(conn *sql.Conn) error {
	if err := duckdb.RegisterScalarUDF(conn, "get_data_from_oss", &dataFunc{m: m}); err != nil {
		return fmt.Errorf("register GET_DATA_FROM_OSS: %w", err)
	}
	if err := duckdb.RegisterScalarUDF(conn, "get_signed_url_from_oss", &urlFunc{m: m}); err != nil {
		return fmt.Errorf("register GET_SIGNED_URL_FROM_OSS: %w", err)
	}
	return nil
}

func scalarConfig(result duckdb.Type) duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	res, _ := duckdb.NewTypeInfo(result)
	return duckdb.ScalarFuncConfig{
		InputTypeInfos:      []duckdb.TypeInfo{varchar, varchar},
		VariadicTypeInfo:    anyT,
		ResultTypeInfo:      res,
		SpecialNullHandling: true,
		Volatile:            true, // the store may change between rows
	}
}

// fullName parses a function's table argument: project.schema.table or
// project.table (schema "default").
func fullName(s string) (Ref, bool) {
	n, err := parser.ParseName(s)
	if err != nil || len(n.Parts) < 2 || len(n.Parts) > 3 {
		return Ref{}, false
	}
	r := Ref{Project: strings.ToLower(n.Parts[0]), Schema: "default", Name: strings.ToLower(n.Parts[len(n.Parts)-1])}
	if len(n.Parts) == 3 {
		r.Schema = strings.ToLower(n.Parts[1])
	}
	return r, true
}

// cachedTable resolves the function's first argument v, remembering the
// tables of a chunk in tables.
func (m *Manager) cachedTable(fn string, v any, tables map[string]*Table) (*Table, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%s: the first argument must be the object table's full name (project.schema.table), not NULL", fn)
	}
	if t, ok := tables[s]; ok {
		return t, nil
	}
	r, ok := fullName(s)
	if !ok {
		return nil, fmt.Errorf("%s: %q is not a full object table name: use project.schema.table (or project.table)", fn, s)
	}
	t, ok := m.Lookup(r)
	if !ok {
		return nil, fmt.Errorf("%s: %s is not an object table", fn, r)
	}
	tables[s] = t
	return t, nil
}

// ObjectTableArgs returns the table names the statement passes to the
// functions as constant first arguments; dynamic is set when a call's first
// argument is not a string literal (its table cannot be known in advance).
func ObjectTableArgs(sql string) (names []Ref, dynamic bool) {
	raw, dyn := parser.FunctionFirstStrings(sql, FunctionNames)
	for _, s := range raw {
		r, ok := fullName(s)
		if !ok {
			dyn = true
			continue
		}
		names = append(names, r)
	}
	return names, dyn
}

type dataFunc struct{ m *Manager }

func (f *dataFunc) Config() duckdb.ScalarFuncConfig { return scalarConfig(duckdb.TYPE_BLOB) }

func (f *dataFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: f.execute}
}

type dataReq struct {
	t              *Table
	key            string
	offset, length int64
	policy         string
	skip           bool
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	}
	return 0, false
}

func (f *dataFunc) readRow(row *duckdb.ChunkIteratorState, tables map[string]*Table) (dataReq, error) {
	const fn = "GET_DATA_FROM_OSS"
	n := row.GetInputChunk().ColumnCount()
	val := func(i int) any { return *row.GetValuePtr(i) }
	r := dataReq{length: -1, policy: PolicyOutputNull}
	t, err := f.m.cachedTable(fn, val(0), tables)
	if err != nil {
		return r, err
	}
	r.t = t
	key, ok := val(1).(string)
	if !ok || key == "" {
		r.skip = true // NULL key: NULL
	}
	r.key = key
	policyAt := -1
	switch n {
	case 2:
	case 3:
		policyAt = 2
	case 4, 5:
		off, okO := toInt(val(2))
		ln, okL := toInt(val(3))
		if val(2) != nil && !okO || val(3) != nil && !okL {
			return r, fmt.Errorf("%s: offset and length must be integers", fn)
		}
		if val(2) != nil {
			r.offset = off
		}
		if val(3) != nil {
			r.length = ln
		}
		if r.offset < 0 {
			return r, fmt.Errorf("%s: offset must be >= 0, got %d", fn, r.offset)
		}
		if r.length < -1 {
			return r, fmt.Errorf("%s: length must be >= 0 (or -1: to the end), got %d", fn, r.length)
		}
		if n == 5 {
			policyAt = 4
		}
	default:
		return r, fmt.Errorf("%s takes (object_table STRING, key STRING [, offset BIGINT, length BIGINT] [, object_not_found_policy STRING])", fn)
	}
	if policyAt >= 0 {
		p, ok := val(policyAt).(string)
		if !ok {
			if _, isNum := toInt(val(policyAt)); isNum && n == 3 {
				return r, fmt.Errorf("%s: give offset and length together (the third argument alone is object_not_found_policy)", fn)
			}
			if val(policyAt) != nil {
				return r, fmt.Errorf("%s: object_not_found_policy must be a string", fn)
			}
		} else {
			switch up := strings.ToUpper(strings.TrimSpace(p)); up {
			case PolicyOutputNull, PolicyThrowException, PolicyWarnAndNull:
				r.policy = up
			default:
				return r, fmt.Errorf("%s: object_not_found_policy must be OUTPUT_NULL, THROW_EXCEPTION or WARN_AND_NULL, got %q", fn, p)
			}
		}
	}
	return r, nil
}

func (f *dataFunc) execute(ctx context.Context, state *duckdb.ChunkIteratorState) error {
	if state.GetInputChunk().GetSize() == 0 {
		return nil
	}
	st := statementOf(ctx)
	tables := map[string]*Table{}
	var reqs []dataReq
	for row, err := range state.Rows() {
		if err != nil {
			return err
		}
		r, err := f.readRow(row, tables)
		if err != nil {
			return err
		}
		reqs = append(reqs, r)
	}
	fetcher, err := f.m.fetcher()
	if err != nil {
		return err
	}
	return fetchInOrder(ctx, st, len(reqs), func(ctx context.Context, i int) (objstore.Object, bool, error) {
		r := &reqs[i]
		if r.skip {
			return objstore.Object{}, false, nil
		}
		// Through the process's request scheduler (the one AI calls use),
		// which bounds one table's fetches across statements.
		v, err := aisched.Default.Submit(ctx, aisched.Request{
			Model: "objtable:" + r.t.Ref.String(), Limit: TableConcurrency,
			Body: aisched.BodyID([]byte(r.t.Ref.String()), []byte(r.key)),
			Send: func(ctx context.Context) (any, error) {
				return fetcher.Read(ctx, r.t.prefix, r.t.Role, r.key, r.offset, r.length, st.MaxBytes)
			},
		})
		obj, _ := v.(objstore.Object)
		if err != nil {
			if e, ok := err.(*objstore.Error); ok && e.Kind == objstore.ErrNotFound && e.Code != "NoSuchBucket" {
				switch r.policy {
				case PolicyOutputNull:
					return objstore.Object{}, false, nil
				case PolicyWarnAndNull:
					st.misses.Add(1)
					return objstore.Object{}, false, nil
				}
				return objstore.Object{}, false, fmt.Errorf("GET_DATA_FROM_OSS: object %q of %s is gone (listed at the last refresh): %v", r.key, r.t.Ref, err)
			}
			return objstore.Object{}, false, fmt.Errorf("GET_DATA_FROM_OSS(%s, %q): %v", r.t.Ref, r.key, err)
		}
		return obj, true, nil
	}, func(yield func(func(any) error) bool) {
		for row, err := range state.Rows() {
			if err != nil {
				yield(func(any) error { return err })
				return
			}
			if !yield(row.SetResult) {
				return
			}
		}
	})
}

// fetchInOrder fetches rows 0..n-1 concurrently and hands their bytes, in
// row order, to the setters rows yields. At most st.Concurrency fetches of
// the statement run at a time (across DuckDB's threads), and at most twice
// that many fetched objects wait for their row, so a chunk's memory is
// bounded by the window, not by the chunk's size. The fetching goroutines
// wait on the network without using the CPU; cancelling ctx (the
// statement) stops them.
func fetchInOrder(ctx context.Context, st *Statement, n int, fetch func(context.Context, int) (objstore.Object, bool, error),
	rows func(yield func(func(any) error) bool)) (err error) {
	type slot struct {
		done  chan struct{}
		obj   objstore.Object
		found bool
		err   error
	}
	slots := make([]slot, n)
	for i := range slots {
		slots[i].done = make(chan struct{})
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		for i := range slots {
			slots[i].obj.Release()
		}
	}()
	window := make(chan struct{}, 2*st.Concurrency)
	sem := st.semaphore()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				for j := i; j < n; j++ {
					slots[j].err = ctx.Err()
					close(slots[j].done)
				}
				return
			}
			wg.Add(1)
			go func(s *slot, i int) {
				defer wg.Done()
				defer close(s.done)
				defer func() {
					if r := recover(); r != nil {
						s.err = fmt.Errorf("internal error in an object function: %v", r)
					}
				}()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					s.err = ctx.Err()
					return
				}
				defer func() { <-sem }()
				s.obj, s.found, s.err = fetch(ctx, i)
			}(&slots[i], i)
		}
	}()
	i := 0
	rows(func(set func(any) error) bool {
		if i >= n {
			err = fmt.Errorf("internal error: more rows than requests")
			return false
		}
		s := &slots[i]
		select {
		case <-s.done:
		case <-ctx.Done():
			err = ctx.Err()
			return false
		}
		if s.err != nil {
			err = s.err
			return false
		}
		var v any
		if s.found {
			v = s.obj.Data
		}
		if err = set(v); err != nil {
			return false
		}
		// DuckDB copied the bytes into its vector.
		s.obj.Release()
		s.obj.Data = nil
		<-window
		i++
		return true
	})
	return err
}

type urlFunc struct{ m *Manager }

func (f *urlFunc) Config() duckdb.ScalarFuncConfig { return scalarConfig(duckdb.TYPE_VARCHAR) }

func (f *urlFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: f.execute}
}

type urlReq struct {
	t      *Table
	key    string
	ttl    time.Duration
	method string
	skip   bool
}

func (f *urlFunc) readRow(row *duckdb.ChunkIteratorState, tables map[string]*Table, now time.Time) (urlReq, error) {
	const fn = "GET_SIGNED_URL_FROM_OSS"
	n := row.GetInputChunk().ColumnCount()
	val := func(i int) any { return *row.GetValuePtr(i) }
	r := urlReq{ttl: DefaultTTL, method: http.MethodGet}
	t, err := f.m.cachedTable(fn, val(0), tables)
	if err != nil {
		return r, err
	}
	r.t = t
	key, ok := val(1).(string)
	r.key, r.skip = key, !ok || key == ""
	if n > 5 {
		return r, fmt.Errorf("%s takes (object_table STRING, key STRING [, time_to_live_seconds INT] [, expiration DATETIME] [, http_method STRING])", fn)
	}
	ttlGiven := false
	if n >= 3 && val(2) != nil {
		secs, ok := toInt(val(2))
		if !ok {
			return r, fmt.Errorf("%s: time_to_live_seconds must be an integer", fn)
		}
		if secs < 1 || secs > int64(objstore.MaxPresignTTL/time.Second) {
			return r, fmt.Errorf("%s: time_to_live_seconds must be from 1 to 604800 (7 days), got %d", fn, secs)
		}
		r.ttl, ttlGiven = time.Duration(secs)*time.Second, true
	}
	if n >= 4 && val(3) != nil {
		exp, ok := val(3).(time.Time)
		if !ok {
			return r, fmt.Errorf("%s: expiration must be a DATETIME/TIMESTAMP", fn)
		}
		if ttlGiven {
			return r, fmt.Errorf("%s: give time_to_live_seconds or expiration, not both (pass NULL for the other)", fn)
		}
		// DuckDB TIMESTAMPs carry no zone: read as UTC.
		exp = time.Date(exp.Year(), exp.Month(), exp.Day(), exp.Hour(), exp.Minute(), exp.Second(), exp.Nanosecond(), time.UTC)
		d := exp.Sub(now).Truncate(time.Second)
		if d < time.Second || d > objstore.MaxPresignTTL {
			return r, fmt.Errorf("%s: expiration must be between 1 second and 7 days from now (UTC), got %s", fn, exp.Format("2006-01-02 15:04:05"))
		}
		r.ttl = d
	}
	if n >= 5 && val(4) != nil {
		m, ok := val(4).(string)
		m = strings.ToUpper(strings.TrimSpace(m))
		if !ok || m != http.MethodGet && m != http.MethodPut {
			return r, fmt.Errorf("%s: http_method must be 'GET' or 'PUT'", fn)
		}
		r.method = m
	}
	return r, nil
}

func (f *urlFunc) execute(ctx context.Context, state *duckdb.ChunkIteratorState) error {
	if state.GetInputChunk().GetSize() == 0 {
		return nil
	}
	now := time.Now().UTC()
	tables := map[string]*Table{}
	var reqs []urlReq
	for row, err := range state.Rows() {
		if err != nil {
			return err
		}
		r, err := f.readRow(row, tables, now)
		if err != nil {
			return err
		}
		reqs = append(reqs, r)
	}
	fetcher, err := f.m.fetcher()
	if err != nil {
		return err
	}
	i := 0
	for row, err := range state.Rows() {
		if err != nil {
			return err
		}
		r := reqs[i]
		i++
		var v any
		if !r.skip {
			u, err := fetcher.Presign(ctx, r.t.prefix, r.t.Role, r.key, r.method, r.ttl)
			if err != nil {
				return fmt.Errorf("GET_SIGNED_URL_FROM_OSS(%s, %q): %v", r.t.Ref, r.key, err)
			}
			v = u
		}
		if err := row.SetResult(v); err != nil {
			return err
		}
	}
	return nil
}

// UserError drops DuckDB's wrapping ("Invalid Input Error: database/sql/driver:
// API error: ...") of the functions' own errors; other errors are returned as
// they are.
func UserError(err error) error {
	if err == nil {
		return nil
	}
	const wrap = "database/sql/driver: API error: "
	msg := err.Error()
	i := strings.Index(msg, wrap)
	if i < 0 {
		return err
	}
	rest := msg[i+len(wrap):]
	for _, fn := range FunctionNames {
		if strings.HasPrefix(rest, fn) {
			if j := strings.Index(rest, "\nLINE "); j >= 0 {
				rest = rest[:j]
			}
			return errors.New(strings.TrimRight(rest, "\n "))
		}
	}
	return err
}
