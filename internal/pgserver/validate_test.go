package pgserver

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/modelsql/modelsql/internal/access"
	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/membudget"
	"github.com/modelsql/modelsql/internal/session"
)

// The two inputs of issue 20 that killed the server: Parse 'SELECT 1',
// Bind with result format 2, Execute, Sync; and Parse 'SELECT
// $100000000000000', Sync.
const (
	crashBadResultFormat = "50000000100053454c4543542031000000420000000e00000000000000010002450000000900000000005300000004"
	crashHugeParam       = "500000001f0053454c45435420243130303030303030303030303030300000005300000004"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func encodeMsgs(msgs ...pgproto3.FrontendMessage) []byte {
	var out []byte
	for _, m := range msgs {
		var err error
		out, err = m.Encode(out)
		if err != nil {
			panic(err)
		}
	}
	return out
}

// rawSession logs in over the wire and returns the connection with a
// frontend to talk to it message by message.
func rawSession(t *testing.T, ts *testServer, user, pw string) (net.Conn, *pgproto3.Frontend) {
	t.Helper()
	c := ts.connect(t, user, pw)
	hc, err := c.PgConn().Hijack()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hc.Conn.Close() })
	return hc.Conn, pgproto3.NewFrontend(hc.Conn, hc.Conn)
}

// untilReady reads messages up to ReadyForQuery and returns them.
func untilReady(t *testing.T, nc net.Conn, fe *pgproto3.Frontend) []pgproto3.BackendMessage {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	var got []pgproto3.BackendMessage
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatalf("receive after %d messages: %v", len(got), err)
		}
		switch x := m.(type) {
		case *pgproto3.ErrorResponse:
			e := *x
			m = &e
		case *pgproto3.DataRow:
			d := &pgproto3.DataRow{}
			for _, v := range x.Values {
				d.Values = append(d.Values, append([]byte(nil), v...))
			}
			m = d
		}
		got = append(got, m)
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			return got
		}
	}
}

func errorCode(msgs []pgproto3.BackendMessage) string {
	for _, m := range msgs {
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			return e.Code
		}
	}
	return ""
}

// Malformed fields are answered with PostgreSQL's SQLSTATE and leave the
// connection (and the server) working.
func TestMalformedMessagesAnswered(t *testing.T) {
	ts := startServer(t, nil)
	nc, fe := rawSession(t, ts, "bob", "bob-pw")
	sel := &pgproto3.Parse{Query: "SELECT 1 AS a, 2 AS b"}
	for _, tc := range []struct {
		name  string
		input []byte
		code  string
	}{
		{"issue: result format 2", mustHex(crashBadResultFormat), "22023"},
		{"issue: $100000000000000", mustHex(crashHugeParam), "42P02"},
		{"result format -1", encodeMsgs(sel, &pgproto3.Bind{ResultFormatCodes: []int16{-1}}, &pgproto3.Execute{}, &pgproto3.Sync{}), "22023"},
		{"result format 9 among others", encodeMsgs(sel, &pgproto3.Bind{ResultFormatCodes: []int16{0, 9}}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{}), "22023"},
		{"three result formats for two columns", encodeMsgs(sel, &pgproto3.Bind{ResultFormatCodes: []int16{0, 1, 0}}, &pgproto3.Execute{}, &pgproto3.Sync{}), "08P01"},
		{"three result formats, described", encodeMsgs(sel, &pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Bind{ResultFormatCodes: []int16{0, 1, 0}}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Sync{}), "08P01"},
		{"parameter format 7", encodeMsgs(&pgproto3.Parse{Query: "SELECT $1"}, &pgproto3.Bind{ParameterFormatCodes: []int16{7}, Parameters: [][]byte{[]byte("1")}}, &pgproto3.Execute{}, &pgproto3.Sync{}), "22023"},
		{"two parameter formats for one parameter", encodeMsgs(&pgproto3.Parse{Query: "SELECT $1"}, &pgproto3.Bind{ParameterFormatCodes: []int16{0, 0}, Parameters: [][]byte{[]byte("1")}}, &pgproto3.Execute{}, &pgproto3.Sync{}), "08P01"},
		{"parameter $0", encodeMsgs(&pgproto3.Parse{Query: "SELECT $0"}, &pgproto3.Sync{}), "42P02"},
		{"parameter $65536", encodeMsgs(&pgproto3.Parse{Query: "SELECT $65536"}, &pgproto3.Sync{}), "42P02"},
		{"describe subtype X", encodeMsgs(sel, &pgproto3.Describe{ObjectType: 'X'}, &pgproto3.Sync{}), "08P01"},
		{"close subtype X", encodeMsgs(&pgproto3.Close{ObjectType: 'X'}, &pgproto3.Sync{}), "08P01"},
		{"too few parameters", encodeMsgs(&pgproto3.Parse{Query: "SELECT $2"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("1")}}, &pgproto3.Sync{}), "08P01"},
	} {
		if _, err := nc.Write(tc.input); err != nil {
			t.Fatalf("%s: write: %v", tc.name, err)
		}
		if got := errorCode(untilReady(t, nc, fe)); got != tc.code {
			t.Errorf("%s: SQLSTATE %q, want %q", tc.name, got, tc.code)
		}
		// The connection still works, with both formats.
		nc.Write(encodeMsgs(sel, &pgproto3.Bind{ResultFormatCodes: []int16{1, 0}}, &pgproto3.Execute{}, &pgproto3.Sync{}))
		msgs := untilReady(t, nc, fe)
		var row *pgproto3.DataRow
		for _, m := range msgs {
			if r, ok := m.(*pgproto3.DataRow); ok {
				row = r
			}
		}
		if row == nil || !bytes.Equal(row.Values[0], []byte{0, 0, 0, 1}) || string(row.Values[1]) != "2" {
			t.Fatalf("%s: the connection no longer works: %#v", tc.name, msgs)
		}
	}
	// $65535 is the largest parameter, and works.
	nc.Write(encodeMsgs(&pgproto3.Parse{Query: "SELECT $65535 IS NULL"}, &pgproto3.Sync{}))
	if code := errorCode(untilReady(t, nc, fe)); code != "" {
		t.Errorf("$65535: %s", code)
	}
	// A message pgproto3 cannot decode is answered with 08P01 before the
	// connection closes.
	nc.Write([]byte{'B', 0, 0, 0, 5, 'x'})
	nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	m, err := fe.Receive()
	if e, ok := m.(*pgproto3.ErrorResponse); !ok || e.Code != "08P01" || e.Severity != "FATAL" {
		t.Errorf("undecodable Bind: %#v %v", m, err)
	}
	// The server is up for everyone else.
	c := ts.connect(t, "admin", "admin-pw")
	var one int
	if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after malformed messages: %v", err)
	}
}

// panicConn panics on its first read, standing in for any bug reached from
// a connection's goroutine.
type panicConn struct {
	net.Conn
	value   any // what to panic with; nil: an index out of range
	mu      sync.Mutex
	written bytes.Buffer
}

func (p *panicConn) Read([]byte) (int, error) {
	if p.value != nil {
		panic(p.value)
	}
	var s []int
	_ = s[3] // an index out of range, as in issue 20
	return 0, nil
}
func (p *panicConn) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.written.Write(b)
}
func (p *panicConn) SetDeadline(time.Time) error      { return nil }
func (p *panicConn) SetReadDeadline(time.Time) error  { return nil }
func (p *panicConn) SetWriteDeadline(time.Time) error { return nil }
func (p *panicConn) Close() error                     { return nil }
func (p *panicConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 9} }

// A panic in a connection's goroutine ends that connection, not the
// process: it is logged (what and where) and the client told.
func TestPanicEndsOnlyTheConnection(t *testing.T) {
	ts := startServer(t, nil)
	pc := &panicConn{}
	ts.srv.handle(pc, func() {}) // returns instead of crashing the test binary
	logs := ts.logs.String()
	if !strings.Contains(logs, "internal error (runtime error: index out of range") || !strings.Contains(logs, "panicConn") {
		t.Errorf("log: %s", logs)
	}
	if !bytes.Contains(pc.written.Bytes(), []byte("XX000")) {
		t.Errorf("client was not told: %q", pc.written.String())
	}
	// A panic value may hold client data (a statement, a key): only its
	// type is logged.
	ts.srv.handle(&panicConn{value: errors.New("bad option APIKEY='sk-live-123'")}, func() {})
	if logs := ts.logs.String(); strings.Contains(logs, "sk-live-123") || !strings.Contains(logs, "internal error (*errors.errorString)") {
		t.Errorf("log: %s", logs)
	}
	c := ts.connect(t, "bob", "bob-pw")
	var one int
	if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}

// FuzzMessages drives the message handler of one logged-in session (a user
// without privileges) with arbitrary bytes after authentication: whatever
// arrives, it answers or closes, and never panics.
func FuzzMessages(f *testing.F) {
	f.Add(mustHex(crashBadResultFormat))
	f.Add(mustHex(crashHugeParam))
	f.Add(encodeMsgs(&pgproto3.Query{String: "SELECT 1, 'x'; SELECT $1"}))
	f.Add(encodeMsgs(&pgproto3.Parse{Name: "s", Query: "SELECT $1::INTEGER + $2", ParameterOIDs: []uint32{23, 0}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 0, 7}, []byte("2")}, ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Close{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{}))
	f.Add(encodeMsgs(&pgproto3.Query{String: "BEGIN"}, &pgproto3.Parse{Name: "c", Query: "SELECT i FROM range(10) t(i)"},
		&pgproto3.Bind{PreparedStatement: "c", DestinationPortal: "p"}, &pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Sync{},
		&pgproto3.Query{String: "SELECT 1"}, &pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Sync{}))
	f.Add(encodeMsgs(&pgproto3.Query{String: strings.Repeat("x", 1<<20+10)}))
	f.Add(encodeMsgs(&pgproto3.Query{String: "COPY (SELECT 1) TO STDOUT"}, &pgproto3.Query{String: "BEGIN"}, &pgproto3.Query{String: "SELECT [1,2], {'a': 1}::JSON, 1.5::DECIMAL(4,1)"}))

	ctx := context.Background()
	w, err := session.OpenWarehouse(ctx, f.TempDir(), session.Options{Engine: engine.Options{Threads: 1}})
	if err != nil {
		f.Fatal(err)
	}
	defer w.Close()
	store, err := access.OpenStore(ctx, w.Engine.DB)
	if err != nil {
		f.Fatal(err)
	}
	if err := store.AddUser(ctx, "bob", "bob-pw", false); err != nil {
		f.Fatal(err)
	}
	if err := w.Engine.EnsureProject(ctx, "default"); err != nil {
		f.Fatal(err)
	}
	if err := access.LockDown(ctx, w.Engine, nil); err != nil {
		f.Fatal(err)
	}
	logger := log.New(io.Discard, "", 0)
	guard, err := access.NewGuard(store, access.GuardOptions{Logger: logger})
	if err != nil {
		f.Fatal(err)
	}
	srv, err := New(Config{Warehouse: w, Guard: guard, Logger: logger, MaxCopyBytes: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	sn, err := store.Snapshot(ctx)
	if err != nil {
		f.Fatal(err)
	}
	bob := sn.User("bob")
	f.Fuzz(func(t *testing.T, input []byte) {
		sess, err := srv.newSession(session.SessionOptions{User: "bob", UserCreated: bob.Created, Project: "default", Guard: guard})
		if err != nil {
			t.Fatal(err)
		}
		// The framer bounds messages as the server's connections do.
		fr := &framer{r: bytes.NewReader(input), typed: true, limit: 1 << 20, budget: membudget.New(2 << 20)}
		be := pgproto3.NewBackend(fr, io.Discard)
		be.SetMaxBodyLen(1 << 20)
		c := srv.newConn(nil, be, sess, "bob", false)
		defer func() {
			c.dropPortals() // open portal runs and cursors hold the session's connection
			c.closeCursors()
			fr.close()
			guard.Forget(sess)
			sess.Close()
		}()
		// Statements the fuzzer writes may run long: a deadline cancels them.
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		err = c.loop(ctx)
		var lost errConnLost
		var pe *pgError
		if err != nil && !errors.As(err, &lost) && !errors.As(err, &pe) {
			t.Fatalf("loop: %v", err)
		}
	})
}
