// Package duckrun runs one statement on a DuckDB connection, driving its
// execution itself so that the calling thread sleeps, rather than spins,
// while DuckDB has no task for it.
//
// Why: duckdb-go executes a statement with duckdb_execute_pending, whose C++
// loop (PendingQueryResult::ExecuteInternal) retries ExecuteTask without
// waiting while the executor answers NO_TASKS_AVAILABLE (duckdb/duckdb
// issue 22178). That is the state of a statement whose AI_* call blocks on
// the network in one of DuckDB's worker threads: the thread that drives the
// query then burns a whole core for as long as the requests take (measured:
// 2.7 ms of CPU per request at 50 ms latency, in about half the runs,
// depending on which thread picked up the task). Here the driving loop is
// ours: it runs tasks while DuckDB has some and, when it has none, sleeps
// with a back-off (a few µs up to a few ms), so waiting costs almost nothing
// and a CPU-bound statement loses at most the short sleep at the end of a
// pipeline.
//
// duckdb-go keeps the handles this needs unexported: the prepared
// statement of a *duckdb.Stmt and the connection of a *duckdb.Conn are read
// with reflect and unsafe after a reflect check of the field's name and
// type, and the materialised result is handed to duckdb-go's own row reader
// (so that rows scan to exactly the Go values duckdb-go gives everywhere
// else). Both are tied to the pinned duckdb-go version; a layout change
// fails loudly (Available reports it and Query returns the error) instead of
// reading garbage.
package duckrun

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"time"
	"unsafe"

	bindings "github.com/duckdb/duckdb-go-bindings"
	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// Rows is the result of a statement, read inside Query's callback.
type Rows interface {
	// Columns are the result's column names.
	Columns() []string
	// Types are DuckDB's names of the column types.
	Types() []string
	// Next fills dst (one value per column) with the next row; io.EOF at the end.
	Next(dst []any) error
}

// StreamingBufferSize is the streaming_buffer_size to SET on connections
// that stream results: DuckDB's parallel tasks may each fill a vector before
// the buffer counts as full, so it is kept small.
const StreamingBufferSize = "64KB"

// Back-off of the driving loop while DuckDB has no task for it: a few
// immediate retries (a pipeline hand-over usually takes microseconds), then
// sleeps doubling from minSleep to maxSleep. maxSleep bounds both the CPU
// spent polling (a few hundred wake-ups a second) and the delay added when
// work appears.
const (
	spinRetries = 8
	minSleep    = 20 * time.Microsecond
	maxSleep    = 4 * time.Millisecond
)

// Query runs the single statement q on conn and calls read with its rows,
// all computed before read is called; the connection is held until read
// returns. Cancelling ctx interrupts the statement.
func Query(ctx context.Context, conn *sql.Conn, q string, read func(Rows) error) error {
	return run(ctx, conn, q, false, read)
}

// QueryStream is Query with DuckDB's streaming result: read receives rows
// as DuckDB produces them, and DuckDB pauses while read does not ask for
// more, so memory does not grow with the size of the result. How far
// DuckDB runs ahead is the connection's streaming_buffer_size: with
// DuckDB's default (about 1 MB) a result of 10 KB rows still took 350 MB;
// with 64 KB, 130 MB for any size (StreamingBufferSize). While rows
// are fetched DuckDB's own loop drives the statement: use it for
// statements that do not wait on AI calls.
func QueryStream(ctx context.Context, conn *sql.Conn, q string, read func(Rows) error) error {
	return run(ctx, conn, q, true, read)
}

func run(ctx context.Context, conn *sql.Conn, q string, stream bool, read func(Rows) error) error {
	if err := check(); err != nil {
		return err
	}
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("duckrun: driver connection is %T, not *duckdb.Conn", dc)
		}
		return query(ctx, c, q, stream, read)
	})
}

func query(ctx context.Context, c *duckdb.Conn, q string, stream bool, read func(Rows) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := learnRowsType(ctx, c); err != nil {
		return err
	}
	ds, err := c.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	st, ok := ds.(*duckdb.Stmt)
	if !ok {
		ds.Close()
		return fmt.Errorf("duckrun: statement is %T, not *duckdb.Stmt", ds)
	}
	defer st.Close()
	if err := st.Bind(nil); err != nil {
		return err
	}
	prepared := *fieldAt[*mapping.PreparedStatement](unsafe.Pointer(st), stmtPrepared)
	cconn := *fieldAt[mapping.Connection](unsafe.Pointer(c), connHandle)
	// Scalar functions read the statement's context from duckdb-go's
	// store, as when duckdb-go runs the statement.
	if store := *fieldAt[*sync.Map](unsafe.Pointer(c), connCtxStore); store != nil {
		id := *fieldAt[uint64](unsafe.Pointer(c), connID)
		store.Store(id, ctx)
		defer store.Delete(id)
	}
	if prepared == nil {
		return errors.New("duckrun: statement has no prepared handle")
	}

	var pending mapping.PendingResult
	start := mapping.PendingPrepared
	if stream {
		start = bindings.PendingPreparedStreaming //nolint:staticcheck // the C API's only way to a streaming pending result
	}
	if start(*prepared, &pending) == mapping.StateError {
		err := duckError(mapping.PendingError(pending))
		mapping.DestroyPending(&pending)
		return err
	}
	defer mapping.DestroyPending(&pending)

	// Cancellation: interrupt DuckDB (repeatedly: an interrupt can be
	// consumed by a task that was finishing) until the loop below ends.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-stop:
			return
		case <-ctx.Done():
		}
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			mapping.Interrupt(cconn)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	// The interrupter runs while DuckDB executes: until the result is
	// materialised, or until a streamed result is read (fetching it
	// executes the rest of the statement).
	stopInterrupts := sync.OnceFunc(func() {
		close(stop)
		wg.Wait()
	})
	defer stopInterrupts()
	if err := drive(pending, progressTicker(ctx, cconn)); err != nil {
		return errors.Join(ctx.Err(), err)
	}

	var res mapping.Result
	if mapping.ExecutePending(pending, &res) == mapping.StateError {
		err := errors.Join(ctx.Err(), duckError(mapping.ResultError(&res)))
		mapping.DestroyResult(&res)
		return err
	}
	if !stream {
		stopInterrupts()
	}
	r := newRows(res, st)
	defer r.Close()
	dr, ok := r.(driver.RowsColumnTypeDatabaseTypeName)
	if !ok {
		return fmt.Errorf("duckrun: rows %T have no column types", r)
	}
	// The result is read through duckdb-go's rows; its error (set when a
	// streamed result fails part-way) through their res field.
	resp := fieldAt[mapping.Result](reflect.ValueOf(r).UnsafePointer(), rowsRes)
	if err := read(&rows{r: r, types: dr, res: resp}); err != nil {
		return errors.Join(ctx.Err(), err)
	}
	return nil
}

// Progress is DuckDB's own account of a running statement: the rows its
// sources (table scans) have read and will read in all (zero while it does
// not know, or when a source does not say, as range() does not).
type Progress struct {
	RowsRead, RowsToRead uint64
}

// progressKey carries a WithProgress report in a context.
type progressKey struct{}

// WithProgress asks Query and QueryStream to report DuckDB's Progress of
// the statement about every progressEvery while DuckDB computes it (the
// connection needs ProgressSettings).
func WithProgress(ctx context.Context, report func(Progress)) context.Context {
	return context.WithValue(ctx, progressKey{}, report)
}

// ProgressSettings make DuckDB track a statement's progress for
// WithProgress, without printing its own progress bar.
var ProgressSettings = []string{"SET enable_progress_bar = true", "SET enable_progress_bar_print = false"}

// progressEvery is a variable for the tests.
var progressEvery = 200 * time.Millisecond

// progressTicker reports DuckDB's progress of the statement on cconn to the
// context's WithProgress function, at most every progressEvery.
func progressTicker(ctx context.Context, cconn mapping.Connection) func() {
	report, _ := ctx.Value(progressKey{}).(func(Progress))
	if report == nil {
		return func() {}
	}
	next := time.Now()
	return func() {
		if now := time.Now(); now.After(next) {
			next = now.Add(progressEvery)
			p := mapping.QueryProgress(cconn)
			if _, read, total := mapping.QueryProgressTypeMembers(&p); total > 0 {
				report(Progress{RowsRead: read, RowsToRead: total})
			}
		}
	}
}

// drive runs the statement's tasks until its result is ready, calling tick
// between them.
func drive(pending mapping.PendingResult, tick func()) error {
	idle := 0
	sleep := minSleep
	for {
		tick()
		switch mapping.PendingExecuteTask(pending) {
		case mapping.PendingStateResultReady:
			return nil
		case mapping.PendingStateError:
			return duckError(mapping.PendingError(pending))
		case mapping.PendingStateNoTasksAvailable:
			idle++
			if idle <= spinRetries {
				continue
			}
			time.Sleep(sleep)
			sleep = min(2*sleep, maxSleep)
		default: // a task ran: work is flowing again
			idle, sleep = 0, minSleep
		}
	}
}

type rows struct {
	r     driver.Rows
	types driver.RowsColumnTypeDatabaseTypeName
	res   *mapping.Result
	buf   []driver.Value
}

func (r *rows) Columns() []string { return r.r.Columns() }

func (r *rows) Types() []string {
	cols := r.r.Columns()
	out := make([]string, len(cols))
	for i := range cols {
		out[i] = r.types.ColumnTypeDatabaseTypeName(i)
	}
	return out
}

func (r *rows) Next(dst []any) error {
	if len(r.buf) != len(dst) {
		r.buf = make([]driver.Value, len(dst))
	}
	if err := r.r.Next(r.buf); err != nil {
		if err == io.EOF {
			// duckdb-go reports a failed fetch as the end of the rows.
			if msg := mapping.ResultError(r.res); msg != "" {
				return duckError(msg)
			}
			return io.EOF
		}
		return err
	}
	for i, v := range r.buf {
		if b, ok := v.([]byte); ok { // as database/sql does: the driver may reuse it
			v = append([]byte(nil), b...)
		}
		dst[i] = v
	}
	return nil
}

// Reaching into duckdb-go. The offsets come from reflect, checked once.

var (
	checkOnce     sync.Once
	checkErr      error
	stmtPrepared  uintptr // offset of duckdb.Stmt.preparedStmt
	connHandle    uintptr // offset of duckdb.Conn.conn
	rowsOnce      sync.Once
	rowsType      reflect.Type // duckdb-go's rows struct
	rowsErr       error
	rowsRes       uintptr // offset of rows.res
	connID        uintptr // offset of duckdb.Conn.id
	connCtxStore  uintptr // offset of duckdb.Conn.ctxStore
	errLayoutHint = "the pinned github.com/duckdb/duckdb-go/v2 changed; update internal/duckrun"
)

// Available reports whether this duckdb-go build has the layout duckrun
// relies on.
func Available() error { return check() }

func check() error {
	checkOnce.Do(func() {
		var err error
		if stmtPrepared, err = offsetOf(reflect.TypeFor[duckdb.Stmt](), "preparedStmt", reflect.TypeFor[*mapping.PreparedStatement]()); err != nil {
			checkErr = err
			return
		}
		if connHandle, err = offsetOf(reflect.TypeFor[duckdb.Conn](), "conn", reflect.TypeFor[mapping.Connection]()); err != nil {
			checkErr = err
			return
		}
		if connID, err = offsetOf(reflect.TypeFor[duckdb.Conn](), "id", reflect.TypeFor[uint64]()); err != nil {
			checkErr = err
			return
		}
		// ctxStore is a *contextStore, a struct holding one sync.Map
		// from connection id to the context of the running statement.
		f, ok := reflect.TypeFor[duckdb.Conn]().FieldByName("ctxStore")
		if !ok || f.Type.Kind() != reflect.Pointer || f.Type.Elem().Kind() != reflect.Struct ||
			f.Type.Elem().NumField() != 1 || f.Type.Elem().Field(0).Type != reflect.TypeFor[sync.Map]() {
			checkErr = fmt.Errorf("duckrun: duckdb.Conn.ctxStore is not a store of one sync.Map: %s", errLayoutHint)
			return
		}
		connCtxStore = f.Offset
	})
	return checkErr
}

func offsetOf(t reflect.Type, name string, want reflect.Type) (uintptr, error) {
	f, ok := t.FieldByName(name)
	if !ok || f.Type != want {
		return 0, fmt.Errorf("duckrun: %s.%s is not a %s: %s", t, name, want, errLayoutHint)
	}
	return f.Offset, nil
}

func fieldAt[T any](base unsafe.Pointer, off uintptr) *T {
	return (*T)(unsafe.Add(base, off))
}

// duckError turns a DuckDB error message into the *duckdb.Error duckdb-go
// would return for it (typed by its "<Type> Error: " prefix).
//
//go:linkname duckError github.com/duckdb/duckdb-go/v2.getDuckDBError
func duckError(msg string) error

// newRowsPtr is duckdb-go's constructor of its driver.Rows over a result;
// the rows it returns own res.
//
//go:linkname newRowsPtr github.com/duckdb/duckdb-go/v2.newRowsWithStmt
func newRowsPtr(res mapping.Result, stmt *duckdb.Stmt) unsafe.Pointer

// newRows wraps duckdb-go's *rows as the driver.Rows it is.
func newRows(res mapping.Result, stmt *duckdb.Stmt) driver.Rows {
	p := newRowsPtr(res, stmt)
	return reflect.NewAt(rowsType, p).Interface().(driver.Rows)
}

// learnRowsType reads the type of duckdb-go's rows from the result of a
// trivial query (the type is unexported) and checks that it is the struct
// newRowsWithStmt returns a pointer to.
func learnRowsType(ctx context.Context, c *duckdb.Conn) error {
	rowsOnce.Do(func() {
		r, err := c.QueryContext(ctx, "SELECT 1", nil)
		if err != nil {
			rowsErr = fmt.Errorf("duckrun: %w", err)
			return
		}
		defer r.Close()
		t := reflect.TypeOf(r)
		if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct || t.Elem().Name() != "rows" ||
			t.Elem().PkgPath() != reflect.TypeFor[duckdb.Stmt]().PkgPath() {
			rowsErr = fmt.Errorf("duckrun: duckdb-go rows are %s: %s", t, errLayoutHint)
			return
		}
		f, ok := t.Elem().FieldByName("res")
		if !ok || f.Type != reflect.TypeFor[mapping.Result]() {
			rowsErr = fmt.Errorf("duckrun: duckdb-go rows hold no mapping.Result: %s", errLayoutHint)
			return
		}
		rowsRes = f.Offset
		rowsType = t.Elem()
	})
	return rowsErr
}
