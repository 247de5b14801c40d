package duckrun

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

func open(t *testing.T) *sql.Conn {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func readAll(t *testing.T, conn *sql.Conn, q string) ([]string, []string, [][]any, error) {
	t.Helper()
	var cols, types []string
	var out [][]any
	err := Query(context.Background(), conn, q, func(r Rows) error {
		cols, types = r.Columns(), r.Types()
		for {
			row := make([]any, len(cols))
			if err := r.Next(row); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			out = append(out, row)
		}
	})
	return cols, types, out, err
}

func TestLayoutOfPinnedDriver(t *testing.T) {
	if err := Available(); err != nil {
		t.Fatal(err)
	}
}

// Values read through duckrun equal those database/sql gives for the
// same statement.
func TestQueryMatchesDatabaseSQL(t *testing.T) {
	conn := open(t)
	for _, q := range []string{
		"SELECT 1 AS a, 'x' AS b, NULL AS n",
		"SELECT [1, 2, NULL] AS l, {'k': 'v', 'n': 2.5} AS s, MAP {'a': 1} AS m",
		"SELECT DATE '2024-02-29' d, TIMESTAMP '2024-01-01 12:34:56.789' ts, INTERVAL 3 DAY i, 12.345::DECIMAL(10,3) AS dc",
		"SELECT '\\xAA\\x00'::BLOB b, 170141183460469231731687303715884105727::HUGEINT h, uuid() IS NOT NULL u",
		"SELECT i, i * 2.5 AS f FROM range(5000) t(i) ORDER BY i", // more than one vector
		"SELECT * FROM range(0) t(i)",
	} {
		cols, types, got, err := readAll(t, conn, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		rows, err := conn.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		wantCols, _ := rows.Columns()
		cts, _ := rows.ColumnTypes()
		var want [][]any
		for rows.Next() {
			vals := make([]any, len(wantCols))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			want = append(want, vals)
		}
		rows.Close()
		if !reflect.DeepEqual(cols, wantCols) {
			t.Errorf("%s: columns %v, want %v", q, cols, wantCols)
		}
		for i, ct := range cts {
			if types[i] != ct.DatabaseTypeName() {
				t.Errorf("%s: type %d is %s, want %s", q, i, types[i], ct.DatabaseTypeName())
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: rows differ:\n got %v\nwant %v", q, got, want)
		}
	}
}

func TestQueryErrorsAreDuckDBErrors(t *testing.T) {
	conn := open(t)
	for q, typ := range map[string]duckdb.ErrorType{
		"SELECT nope":                    duckdb.ErrorTypeBinder,
		"SELEC 1":                        duckdb.ErrorTypeParser,
		"SELECT 1/0::INT, error('boom')": duckdb.ErrorTypeInvalidInput,
	} {
		_, _, _, err := readAll(t, conn, q)
		var de *duckdb.Error
		if !errors.As(err, &de) || de.Type != typ {
			t.Errorf("%s: error %v (%T), want a %v *duckdb.Error", q, err, err, typ)
		}
	}
	// The connection still works after an error.
	if _, _, rows, err := readAll(t, conn, "SELECT 42"); err != nil || rows[0][0] != int32(42) {
		t.Fatalf("after errors: %v %v", rows, err)
	}
}

func TestQueryCancel(t *testing.T) {
	conn := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Query(ctx, conn, "SELECT count(*) FROM range(1000000000000) a(i), range(10) b(j) WHERE i * j = -1", func(Rows) error { return nil })
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled query returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("cancel did not stop the query")
	}
	if _, _, _, err := readAll(t, conn, "SELECT 1"); err != nil {
		t.Fatalf("after cancel: %v", err)
	}
}

// A streamed result holds the same rows, and a reader may stop early.
func TestQueryStream(t *testing.T) {
	conn := open(t)
	q := "SELECT i, repeat('x', i % 100) AS s FROM range(10000) t(i) ORDER BY i"
	_, _, want, err := readAll(t, conn, q)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]any
	err = QueryStream(context.Background(), conn, q, func(r Rows) error {
		for {
			row := make([]any, 2)
			if err := r.Next(row); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			got = append(got, row)
		}
	})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("streamed %d rows (want %d): %v", len(got), len(want), err)
	}
	stop := errors.New("enough")
	err = QueryStream(context.Background(), conn, "SELECT * FROM range(100000000)", func(r Rows) error {
		row := make([]any, 1)
		for range 3 {
			if err := r.Next(row); err != nil {
				return err
			}
		}
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("early stop: %v", err)
	}
	if _, _, rows, err := readAll(t, conn, "SELECT 7"); err != nil || rows[0][0] != int32(7) {
		t.Fatalf("after an abandoned stream: %v %v", rows, err)
	}
}

// An error part-way through a streamed result is the statement's error,
// not an early end of its rows (duckdb-go's rows end silently there).
func TestStreamErrorPartWay(t *testing.T) {
	conn := open(t)
	if err := Query(context.Background(), conn, "SET streaming_buffer_size = '"+StreamingBufferSize+"'", func(Rows) error { return nil }); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := QueryStream(context.Background(), conn, "SELECT CASE WHEN i = 40000 THEN error('boom at 40000') ELSE i END FROM range(50000) t(i)", func(r Rows) error {
		row := make([]any, 1)
		for {
			if err := r.Next(row); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			n++
		}
	})
	// DuckDB sometimes reports the interruption of the statement's other
	// tasks instead of the first error (a race inside DuckDB's executor);
	// either way the rows must not end as if complete.
	if err == nil || !strings.Contains(err.Error(), "boom") && !strings.Contains(err.Error(), "Interrupted") {
		t.Fatalf("after %d rows: %v", n, err)
	}
	if n >= 50000-1 {
		t.Fatalf("all %d rows arrived despite the error", n)
	}
}

// WithProgress reports the rows DuckDB's scans will read.
func TestWithProgress(t *testing.T) {
	conn := open(t)
	for _, q := range append(ProgressSettings, "CREATE TABLE big AS SELECT i FROM range(20000000) t(i)") {
		if err := Query(context.Background(), conn, q, func(Rows) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 0 // every task
	var reports []Progress
	ctx := WithProgress(context.Background(), func(p Progress) { reports = append(reports, p) })
	q := "SELECT count(*), sum(sqrt(i)) FROM big" // no filter: DuckDB knows the rows exactly
	if err := Query(ctx, conn, q, func(Rows) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if len(reports) == 0 {
		t.Fatal("no progress reported")
	}
	for i, p := range reports {
		if p.RowsToRead < 20000000 || p.RowsToRead > 20000000+2048 || p.RowsRead > p.RowsToRead || i > 0 && p.RowsRead < reports[i-1].RowsRead {
			t.Fatalf("progress reports: %v", reports)
		}
	}
}
