package objtable

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelsql/modelsql/internal/aisched"
	"github.com/modelsql/modelsql/internal/objstore"
	"github.com/modelsql/modelsql/internal/parser"
)

// rowsOf simulates DuckDB's row iterator: n rows whose results land in out.
func rowsOf(out []any) func(yield func(func(any) error) bool) {
	return func(yield func(func(any) error) bool) {
		for i := range out {
			if !yield(func(v any) error { out[i] = v; return nil }) {
				return
			}
		}
	}
}

// Results arrive in row order whatever order fetches finish in, and no
// more than the statement's concurrency run at once.
func TestFetchInOrderBoundsAndOrder(t *testing.T) {
	st := &Statement{MaxBytes: DefaultMaxBytes, Concurrency: 4}
	const n = 200
	var inFlight, peak atomic.Int32
	out := make([]any, n)
	err := fetchInOrder(context.Background(), st, n, func(ctx context.Context, i int) (objstore.Object, bool, error) {
		cur := inFlight.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(time.Duration((n-i)%7) * time.Millisecond)
		inFlight.Add(-1)
		if i%10 == 3 {
			return objstore.Object{}, false, nil // NULL
		}
		return objstore.Object{Data: []byte(fmt.Sprint(i))}, true, nil
	}, rowsOf(out))
	if err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p > 4 || p < 2 {
		t.Fatalf("peak concurrency %d, limit 4", p)
	}
	for i, v := range out {
		if i%10 == 3 {
			if v != nil {
				t.Fatalf("row %d: %v, want NULL", i, v)
			}
			continue
		}
		if b, ok := v.([]byte); !ok || string(b) != fmt.Sprint(i) {
			t.Fatalf("row %d: %v", i, v)
		}
	}
}

// Cancelling the statement stops fetches that wait on the network, and
// an error in one row ends the others.
func TestFetchInOrderCancelAndError(t *testing.T) {
	st := &Statement{MaxBytes: DefaultMaxBytes, Concurrency: 8}
	ctx, cancel := context.WithCancel(context.Background())
	var started, stopped atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- fetchInOrder(ctx, st, 1000, func(ctx context.Context, i int) (objstore.Object, bool, error) {
			started.Add(1)
			<-ctx.Done() // a request that never answers
			stopped.Add(1)
			return objstore.Object{}, false, ctx.Err()
		}, rowsOf(make([]any, 1000)))
	}()
	for started.Load() < 8 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancel did not stop the fetches")
	}
	if started.Load() != stopped.Load() || started.Load() > 8 {
		t.Fatalf("started %d, stopped %d (limit 8)", started.Load(), stopped.Load())
	}

	boom := errors.New("boom")
	err := fetchInOrder(context.Background(), st, 100, func(ctx context.Context, i int) (objstore.Object, bool, error) {
		if i == 5 {
			return objstore.Object{}, false, boom
		}
		return objstore.Object{Data: []byte("x")}, true, nil
	}, rowsOf(make([]any, 100)))
	if !errors.Is(err, boom) {
		t.Fatalf("error: %v", err)
	}
}

func TestValidateSetting(t *testing.T) {
	for _, c := range []struct {
		k, v string
		ok   bool
	}{
		{SettingMaxBytes, "1", true}, {SettingMaxBytes, "8388608", true}, {SettingMaxBytes, "0", false},
		{SettingMaxBytes, "x", false}, {SettingMaxBytes, "4294967296", false},
		{SettingConcurrency, "16", true}, {SettingConcurrency, "0", false}, {SettingConcurrency, "257", false},
		{"modelsql.other", "anything", true},
	} {
		if err := ValidateSetting(c.k, c.v); (err == nil) != c.ok {
			t.Errorf("%s=%s: %v", c.k, c.v, err)
		}
	}
	st := NewStatement(func(k string) string { return map[string]string{SettingMaxBytes: "100", SettingConcurrency: "3"}[k] })
	if st.MaxBytes != 100 || st.Concurrency != 3 {
		t.Fatalf("%+v", st)
	}
}

func TestObjectTableArgs(t *testing.T) {
	refs, dyn := ObjectTableArgs("SELECT get_data_from_oss('P.S.T', key), GET_SIGNED_URL_FROM_OSS('p.t', k, 60) FROM x WHERE y = 'GET_DATA_FROM_OSS(z)'")
	if dyn || len(refs) != 2 || refs[0] != (Ref{"p", "s", "t"}) || refs[1] != (Ref{"p", "default", "t"}) {
		t.Fatalf("%v %v", refs, dyn)
	}
	for _, q := range []string{"SELECT GET_DATA_FROM_OSS(t, k) FROM x", "SELECT GET_DATA_FROM_OSS('t' || '', k)", "SELECT GET_DATA_FROM_OSS('t', k)"} {
		if _, dyn := ObjectTableArgs(q); !dyn {
			t.Errorf("%s: not dynamic", q)
		}
	}
}

// GET_DATA_FROM_OSS in SQL: the bytes of local files, sent through the
// process's request scheduler under the table's key.
func TestGetDataThroughScheduler(t *testing.T) {
	ctx := context.Background()
	eng, m := open(t)
	conn, err := eng.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := m.Register(conn); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, 0, 30)
	r := Ref{Project: "default", Schema: "default", Name: "sched"}
	st, _ := parser.Parse("CREATE OBJECT TABLE sched LOCATION '" + dir + "'")
	if err := m.Create(ctx, r, st.(*parser.CreateObjectTable), "tester"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Refresh(ctx, r); err != nil {
		t.Fatal(err)
	}
	before := aisched.Default.Stats("objtable:default.default.sched").Sent
	rows, err := conn.QueryContext(WithStatement(ctx, &Statement{MaxBytes: 10, Concurrency: 4}),
		"SELECT key, GET_DATA_FROM_OSS('default.default.sched', key) FROM "+r.Quoted())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var key string
		var data []byte
		if err := rows.Scan(&key, &data); err != nil {
			t.Fatal(err)
		}
		var i int
		fmt.Sscanf(key[len("d00/f"):], "%06d", &i)
		if len(data) != 1 || int(data[0]) != i { // writeFiles writes byte(i) into file i
			t.Fatalf("%s: %v", key, data)
		}
		n++
	}
	if err := rows.Err(); err != nil || n != 30 {
		t.Fatalf("%d rows: %v", n, err)
	}
	if sent := aisched.Default.Stats("objtable:default.default.sched").Sent - before; sent != 30 {
		t.Fatalf("%d requests through the scheduler, want 30", sent)
	}
}
