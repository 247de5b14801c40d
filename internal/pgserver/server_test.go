package pgserver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/modelsql/modelsql/internal/access"
	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/session"
)

type testServer struct {
	addr  string
	w     *session.Warehouse
	srv   *Server
	store *access.Store
	guard *access.Guard
	logs  *bytes.Buffer
}

const testFailDelay = 300 * time.Millisecond

func startServer(t *testing.T, tlsConfig *tls.Config) *testServer {
	t.Helper()
	return startServerWith(t, Config{TLS: tlsConfig})
}

// startServerWith starts a server with cfg's limits (Warehouse, Guard and
// Logger are filled in).
func startServerWith(t *testing.T, cfg Config) *testServer {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	w, err := session.OpenWarehouse(ctx, dir, session.Options{Engine: engine.Options{Threads: 2}})
	if err != nil {
		t.Fatal(err)
	}
	store, err := access.OpenStore(ctx, w.Engine.DB)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name, pw string
		admin    bool
	}{{"admin", "admin-pw", true}, {"bob", "bob-pw", false}} {
		if err := store.AddUser(ctx, u.name, u.pw, u.admin); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Engine.EnsureProject(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	if err := access.LockDown(ctx, w.Engine, nil); err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	logger := log.New(&lockedWriter{w: logs}, "", 0)
	guard, err := access.NewGuard(store, access.GuardOptions{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Warehouse, cfg.Guard, cfg.Logger = w, guard, logger
	if cfg.AuthFailDelay == 0 {
		cfg.AuthFailDelay = testFailDelay
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	ts := &testServer{addr: ln.Addr().String(), w: w, srv: srv, store: store, guard: guard, logs: logs}
	t.Cleanup(func() {
		srv.Shutdown(5 * time.Second)
		w.Close()
	})
	return ts
}

type lockedWriter struct {
	w io.Writer
}

var logMu = make(chan struct{}, 1)

func (l *lockedWriter) Write(p []byte) (int, error) {
	logMu <- struct{}{}
	defer func() { <-logMu }()
	return l.w.Write(p)
}

func (ts *testServer) url(user, pw, db string, extra string) string {
	u := fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", user, pw, ts.addr, db)
	if extra != "" {
		u = strings.Replace(u, "sslmode=disable", extra, 1)
	}
	return u
}

func (ts *testServer) connect(t *testing.T, user, pw string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), ts.url(user, pw, "default", ""))
	if err != nil {
		t.Fatalf("connect %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func mustExec(t *testing.T, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestAuthentication(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	c := ts.connect(t, "admin", "admin-pw")
	var one int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1: %v %d", err, one)
	}
	for _, tc := range []struct{ user, pw string }{{"admin", "wrong"}, {"nobody", "x"}, {"bob", "admin-pw"}} {
		start := time.Now()
		_, err := pgx.Connect(ctx, ts.url(tc.user, tc.pw, "default", ""))
		if err == nil {
			t.Fatalf("%s/%s: connected", tc.user, tc.pw)
		}
		if pgCode(err) != "28P01" || !strings.Contains(err.Error(), `password authentication failed for user "`+tc.user+`"`) {
			t.Errorf("%s: error %v", tc.user, err)
		}
		if d := time.Since(start); d < testFailDelay {
			t.Errorf("%s: failed login answered after %s, want ≥ %s", tc.user, d, testFailDelay)
		}
	}
	logs := ts.logs.String()
	if !strings.Contains(logs, `login failed for user "nobody"`) || strings.Contains(logs, "admin-pw") || strings.Contains(logs, "wrong") {
		t.Errorf("logs: %s", logs)
	}
	// The password can be changed over SQL, by the user itself.
	bob := ts.connect(t, "bob", "bob-pw")
	mustExec(t, bob, "ALTER USER bob PASSWORD 'n3w''pw'")
	if _, err := pgx.Connect(ctx, ts.url("bob", "n3w'pw", "default", "")); err != nil {
		t.Errorf("new password: %v", err)
	}
	if _, err := bob.Exec(ctx, "ALTER USER admin PASSWORD 'x'"); pgCode(err) != "42501" {
		t.Errorf("bob changing admin's password: %v", err)
	}
	// Unknown project.
	if _, err := pgx.Connect(ctx, ts.url("bob", "n3w'pw", "nosuch", "")); err == nil || pgCode(err) != "3D000" {
		t.Errorf("unknown project: %v", err)
	}
}

func TestExtendedProtocolParameters(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	c := ts.connect(t, "admin", "admin-pw")
	mustExec(t, c, `CREATE TABLE p (i INTEGER, s VARCHAR, d DOUBLE, b BOOLEAN, ts TIMESTAMP, n DECIMAL(10,2), bl BLOB, dt DATE, big BIGINT)`)
	tricky := `it's a \'quoted\' string; DROP TABLE p; --`
	when := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	day := time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		mustExec(t, c, "DELETE FROM p")
		n := pgtype.Numeric{}
		n.Scan("12345.67")
		_, err := c.Exec(ctx, `INSERT INTO p VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, mode,
			int32(7), tricky, 2.5, true, when, n, []byte{0, 1, 0xff}, day, int64(1)<<40)
		if err != nil {
			t.Fatalf("mode %v insert: %v", mode, err)
		}
		_, err = c.Exec(ctx, `INSERT INTO p (i, s) VALUES ($1, $2)`, mode, nil, nil)
		if err != nil {
			t.Fatalf("mode %v insert nulls: %v", mode, err)
		}
		var (
			i   int32
			s   string
			d   float64
			b   bool
			tsv time.Time
			nv  pgtype.Numeric
			bl  []byte
			dt  time.Time
			big int64
		)
		err = c.QueryRow(ctx, `SELECT i, s, d, b, ts, n, bl, dt, big FROM p WHERE i = $1 AND s = $2`, mode, 7, tricky).
			Scan(&i, &s, &d, &b, &tsv, &nv, &bl, &dt, &big)
		if err != nil {
			t.Fatalf("mode %v select: %v", mode, err)
		}
		f, _ := nv.Float64Value()
		// With client-side interpolation (simple protocol) a bytea arrives
		// as a '\x..' string literal, which DuckDB reads with its own escape
		// rules (see docs/server.md); the extended protocol is exact.
		blobOK := bytes.Equal(bl, []byte{0, 1, 0xff}) || mode == pgx.QueryExecModeSimpleProtocol
		if i != 7 || s != tricky || d != 2.5 || !b || !tsv.Equal(when) || f.Float64 != 12345.67 || !blobOK || !dt.Equal(day) || big != 1<<40 {
			t.Errorf("mode %v: got %v %q %v %v %v %v %v %v %v", mode, i, s, d, b, tsv, f, bl, dt, big)
		}
		var nulls int
		if err := c.QueryRow(ctx, `SELECT count(*) FROM p WHERE i IS NULL AND s IS NULL`, mode).Scan(&nulls); err != nil || nulls != 1 {
			t.Errorf("mode %v: null row count %d %v", mode, nulls, err)
		}
	}
	// A named prepared statement used twice, and an unknown parameter type.
	if _, err := c.Prepare(ctx, "q", "SELECT $1::INTEGER * 2 AS x"); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{3, 5} {
		var x int
		if err := c.QueryRow(ctx, "q", v).Scan(&x); err != nil || x != 2*v {
			t.Errorf("prepared q(%d) = %d, %v", v, x, err)
		}
	}
	var echo string
	if err := c.QueryRow(ctx, "SELECT $1 || '!'", "hi").Scan(&echo); err != nil || echo != "hi!" {
		t.Errorf("untyped parameter: %q %v", echo, err)
	}
	// Errors in the extended protocol leave the connection usable.
	if _, err := c.Exec(ctx, "SELECT * FROM nosuchtable WHERE x = $1", 1); err == nil {
		t.Error("expected an error")
	}
	var one int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Errorf("after error: %v", err)
	}
}

func TestResultTypes(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	c := ts.connect(t, "admin", "admin-pw")
	rows, err := c.Query(ctx, `SELECT 1::SMALLINT AS a, 2::INTEGER AS b, 3::BIGINT AS c, 1.5::FLOAT AS d, 2.25::DOUBLE AS e,
		1.25::DECIMAL(10,2) AS f, 'txt' AS g, '\xAA\x01'::BLOB AS h, true AS i, DATE '2024-01-02' AS j,
		TIMESTAMP '2024-01-02 03:04:05.5' AS k, TIMESTAMPTZ '2024-01-02 03:04:05+00' AS l, INTERVAL '1 month 2 days 3 seconds' AS m,
		'8e8f1c34-5b5c-4d8e-9d3e-0a0b0c0d0e0f'::UUID AS n, {'label': 1, 'probs': [0.25, 0.75]} AS o, [1, 2, 3] AS p,
		123456789012345678901234::HUGEINT AS q, NULL::INTEGER AS r, TIME '10:11:12' AS s`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	wantOIDs := []uint32{oidInt2, oidInt4, oidInt8, oidFloat4, oidFloat8, oidNumeric, oidText, oidBytea, oidBool, oidDate,
		oidTimestamp, oidTimestamptz, oidInterval, oidUUID, oidJSON, oidJSON, oidNumeric, oidInt4, oidTime}
	for i, fd := range rows.FieldDescriptions() {
		if fd.DataTypeOID != wantOIDs[i] {
			t.Errorf("column %s: OID %d, want %d", fd.Name, fd.DataTypeOID, wantOIDs[i])
		}
	}
	if !rows.Next() {
		t.Fatal(rows.Err())
	}
	vals, err := rows.Values()
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	got := fmt.Sprintf("%v", vals)
	for _, want := range []string{"1 2 3 1.5 2.25", "txt [170 1] true 2024-01-02 00:00:00 +0000 UTC", "2024-01-02 03:04:05.5 +0000 UTC",
		"map[label:1 probs:[0.25 0.75]] [1 2 3]", "<nil>"} {
		if !strings.Contains(got, want) {
			t.Errorf("values %s lack %q", got, want)
		}
	}
	// The struct arrives as JSON text in declaration order.
	var js string
	if err := c.QueryRow(ctx, `SELECT {'z': 1, 'a': 'x'}::VARCHAR, {'z': 1, 'a': 'x'}`, pgx.QueryExecModeSimpleProtocol).Scan(new(string), &js); err != nil || js != `{"z":1,"a":"x"}` {
		t.Errorf("struct as json: %q %v", js, err)
	}
}

func TestCopyFromAndTo(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	c := ts.connect(t, "admin", "admin-pw")
	mustExec(t, c, "CREATE TABLE cp (id INTEGER, name VARCHAR, score DOUBLE, ts_at TIMESTAMP, raw BLOB)")
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	var src [][]any
	for i := 0; i < 2500; i++ {
		src = append(src, []any{int32(i), fmt.Sprintf("name %d, \"quoted\"\ttab", i), float64(i) / 4, at, []byte{byte(i), 0}})
	}
	src = append(src, []any{int32(-1), nil, nil, nil, nil})
	n, err := c.CopyFrom(ctx, pgx.Identifier{"cp"}, []string{"id", "name", "score", "ts_at", "raw"}, pgx.CopyFromRows(src))
	if err != nil || n != int64(len(src)) {
		t.Fatalf("CopyFrom: %d %v", n, err)
	}
	var cnt, nulls int
	var name string
	var raw []byte
	if err := c.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE name IS NULL), max(name) FILTER (WHERE id = 7), max(raw) FILTER (WHERE id = 7) FROM cp").Scan(&cnt, &nulls, &name, &raw); err != nil {
		t.Fatal(err)
	}
	if cnt != len(src) || nulls != 1 || name != "name 7, \"quoted\"\ttab" || !bytes.Equal(raw, []byte{7, 0}) {
		t.Errorf("after COPY: %d rows, %d nulls, %q, %v", cnt, nulls, name, raw)
	}
	// Text and CSV formats through the raw connection.
	pc := c.PgConn()
	text := "10001\tone\\ttab\t\\N\t2024-01-01 00:00:00\t\\\\x0102\n10002\ttwo\t0.5\t\\N\t\\N\n\\.\n"
	tag, err := pc.CopyFrom(ctx, strings.NewReader(text), "COPY cp FROM STDIN")
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("COPY text: %v %v", tag, err)
	}
	if err := c.QueryRow(ctx, "SELECT name, raw FROM cp WHERE id = 10001").Scan(&name, &raw); err != nil || name != "one\ttab" || !bytes.Equal(raw, []byte{1, 2}) {
		t.Errorf("text COPY row: %q %v %v", name, raw, err)
	}
	csv := "id,name\n10010,\"a,b\"\n10011,\"\"\n10012,\n"
	tag, err = pc.CopyFrom(ctx, strings.NewReader(csv), "COPY cp (id, name) FROM STDIN WITH (FORMAT csv, HEADER true)")
	if err != nil || tag.RowsAffected() != 3 {
		t.Fatalf("COPY csv: %v %v", tag, err)
	}
	var empty, null int
	c.QueryRow(ctx, "SELECT count(*) FILTER (WHERE name = ''), count(*) FILTER (WHERE name IS NULL) FROM cp WHERE id IN (10011, 10012)").Scan(&empty, &null)
	if empty != 1 || null != 1 {
		t.Errorf("CSV empty vs NULL: %d empty, %d null", empty, null)
	}
	// COPY TO STDOUT.
	var out bytes.Buffer
	tag, err = pc.CopyTo(ctx, &out, "COPY (SELECT id, name FROM cp WHERE id IN (10010, 10012) ORDER BY id) TO STDOUT WITH (FORMAT csv)")
	if err != nil || out.String() != "10010,\"a,b\"\n10012,\n" {
		t.Errorf("COPY TO: %q %v %v", out.String(), tag, err)
	}
	// A bad row fails the whole COPY and leaves nothing behind.
	before := cnt + 5
	if _, err := pc.CopyFrom(ctx, strings.NewReader("20\tok\n21x\tbad\n"), "COPY cp (id, name) FROM STDIN"); err == nil {
		t.Error("bad COPY succeeded")
	}
	c.QueryRow(ctx, "SELECT count(*) FROM cp").Scan(&cnt)
	if cnt != before {
		t.Errorf("after failed COPY: %d rows, want %d", cnt, before)
	}
}

func TestCancelLongQuery(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.connect(t, "admin", "admin-pw")
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	var n int64
	err := c.QueryRow(ctx, "SELECT count(*) FROM range(1000000000000000)").Scan(&n)
	if err == nil {
		t.Fatal("the long query finished")
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("cancel took %s", d)
	}
	// pgx closes the connection when the context ends: the server notices
	// and cancels the statement.
	deadline := time.Now().Add(10 * time.Second)
	for ts.srv.Sessions() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := ts.srv.Sessions(); n != 0 || !(strings.Contains(ts.logs.String(), "client went away") || strings.Contains(ts.logs.String(), "cancel request")) {
		t.Errorf("%d sessions left; logs: %s", n, ts.logs.String())
	}
	// A fresh connection works and the server is not stuck.
	c2 := ts.connect(t, "admin", "admin-pw")
	var one int
	if err := c2.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	// The cancel through the raw protocol: the statement fails with 57014.
	pc := c2.PgConn()
	done := make(chan error, 1)
	go func() {
		_, err := pc.Exec(context.Background(), "SELECT count(*) FROM range(1000000000000000)").ReadAll()
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if err := pc.CancelRequest(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if pgCode(err) != "57014" {
			t.Errorf("cancelled statement: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("cancel request had no effect")
	}
	if err := c2.QueryRow(context.Background(), "SELECT 2").Scan(&one); err != nil || one != 2 {
		t.Errorf("connection after cancel: %v", err)
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestTLS(t *testing.T) {
	ts := startServer(t, &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}})
	ctx := context.Background()
	c, err := pgx.Connect(ctx, ts.url("admin", "admin-pw", "default", "sslmode=require"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
		t.Errorf("connection is %T, not TLS", c.PgConn().Conn())
	}
	var one int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	// Without TLS configured, sslmode=require fails and disable works.
	plain := startServer(t, nil)
	if _, err := pgx.Connect(ctx, plain.url("admin", "admin-pw", "default", "sslmode=require")); err == nil {
		t.Error("sslmode=require succeeded on a server without TLS")
	}
}

func TestManySessions(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	admin := ts.connect(t, "admin", "admin-pw")
	mustExec(t, admin, "CREATE TABLE shared (k INTEGER)")
	const n = 16
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			c, err := pgx.Connect(ctx, ts.url("admin", "admin-pw", "default", ""))
			if err != nil {
				errs <- err
				return
			}
			defer c.Close(ctx)
			if _, err := c.Exec(ctx, fmt.Sprintf("CREATE TEMP TABLE mine AS SELECT %d AS v", i)); err != nil {
				errs <- err
				return
			}
			for j := 0; j < 20; j++ {
				if _, err := c.Exec(ctx, "INSERT INTO shared VALUES ($1)", i); err != nil {
					errs <- err
					return
				}
			}
			var v int
			if err := c.QueryRow(ctx, "SELECT v FROM mine").Scan(&v); err != nil || v != i {
				errs <- fmt.Errorf("session %d sees temp value %d (%v)", i, v, err)
				return
			}
			errs <- nil
		}(i)
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	var cnt int
	admin.QueryRow(ctx, "SELECT count(*) FROM shared").Scan(&cnt)
	if cnt != n*20 {
		t.Errorf("rows: %d", cnt)
	}
}

func TestShutdownLetsRunningStatementsFinish(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	busy := ts.connect(t, "admin", "admin-pw")
	idle := ts.connect(t, "admin", "admin-pw")
	done := make(chan error, 1)
	go func() {
		_, err := busy.Exec(ctx, "CREATE TABLE slow AS SELECT sum(i % 7) AS n FROM range(300000000) t(i)")
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	ts.srv.Shutdown(60 * time.Second)
	if err := <-done; err != nil {
		t.Errorf("running statement: %v", err)
	}
	if _, err := idle.Exec(ctx, "SELECT 1"); err == nil {
		t.Error("idle connection still works after shutdown")
	}
	var n int64
	if err := ts.w.Engine.DB.QueryRow("SELECT n FROM \"default\".\"default\".slow").Scan(&n); err != nil || n != 899999997 {
		t.Errorf("committed result: %d %v", n, err)
	}
	if _, err := pgx.Connect(ctx, ts.url("admin", "admin-pw", "default", "")); err == nil {
		t.Error("connected after shutdown")
	}
	_ = runtime.NumGoroutine
}

func TestStatementTimeoutAndEmptyQuery(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	c := ts.connect(t, "admin", "admin-pw")
	mustExec(t, c, "SET statement_timeout = '300ms'")
	start := time.Now()
	_, err := c.Exec(ctx, "SELECT count(*) FROM range(1000000000000000)")
	if pgCode(err) != "57014" || !strings.Contains(err.Error(), "statement timeout") || time.Since(start) > 15*time.Second {
		t.Errorf("statement_timeout: %v after %s", err, time.Since(start))
	}
	mustExec(t, c, "RESET statement_timeout")
	var s string
	if err := c.QueryRow(ctx, "SHOW statement_timeout").Scan(&s); err != nil || s != "0" {
		t.Errorf("SHOW statement_timeout: %q %v", s, err)
	}
	if err := c.QueryRow(ctx, "SHOW search_path").Scan(&s); err != nil || !strings.Contains(s, "default") {
		t.Errorf("SHOW search_path: %q %v", s, err)
	}
	if err := c.QueryRow(ctx, "SHOW application_name").Scan(&s); err != nil {
		t.Errorf("SHOW application_name: %v", err)
	}
	if _, err := c.Exec(ctx, ""); err != nil {
		t.Errorf("empty query: %v", err)
	}
	if _, err := c.Exec(ctx, ";"); err != nil {
		t.Errorf("lone semicolon: %v", err)
	}
}
