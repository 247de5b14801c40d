package pgserver

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/modelsql/modelsql/internal/membudget"
)

// exchange sends msgs and returns what the server answers up to
// ReadyForQuery.
func exchange(t *testing.T, nc net.Conn, fe *pgproto3.Frontend, msgs ...pgproto3.FrontendMessage) []pgproto3.BackendMessage {
	t.Helper()
	if _, err := nc.Write(encodeMsgs(msgs...)); err != nil {
		t.Fatal(err)
	}
	return untilReady(t, nc, fe)
}

// summary renders the answer compactly: D:<first value> per row, S for
// PortalSuspended, C:<tag>, E:<code>, Z:<status>.
func summary(msgs []pgproto3.BackendMessage) string {
	var b []string
	for _, m := range msgs {
		switch x := m.(type) {
		case *pgproto3.DataRow:
			b = append(b, "D:"+string(x.Values[0]))
		case *pgproto3.PortalSuspended:
			b = append(b, "S")
		case *pgproto3.CommandComplete:
			b = append(b, "C:"+string(x.CommandTag))
		case *pgproto3.ErrorResponse:
			b = append(b, "E:"+x.Code)
		case *pgproto3.ReadyForQuery:
			b = append(b, "Z:"+string(x.TxStatus))
		}
	}
	return strings.Join(b, " ")
}

func execMax(portal string, n uint32) []pgproto3.FrontendMessage {
	return []pgproto3.FrontendMessage{&pgproto3.Execute{Portal: portal, MaxRows: n}, &pgproto3.Sync{}}
}

// A portal fetched with maxRows keeps PostgreSQL's semantics while its
// statement streams: rows continue where they stopped across Syncs in a
// transaction, other statements (a Query, another portal) run in between,
// a Query closes the unnamed portal, and the end of the transaction closes
// them all.
func TestSuspendedPortals(t *testing.T) {
	ts := startServer(t, nil)
	nc, fe := rawSession(t, ts, "admin", "admin-pw")
	q := func(sql string) string { return summary(exchange(t, nc, fe, &pgproto3.Query{String: sql})) }
	bind := func(stmt, portal, sql string) string {
		return summary(exchange(t, nc, fe, &pgproto3.Parse{Name: stmt, Query: sql},
			&pgproto3.Bind{PreparedStatement: stmt, DestinationPortal: portal}, &pgproto3.Sync{}))
	}
	fetch := func(portal string, n uint32) string { return summary(exchange(t, nc, fe, execMax(portal, n)...)) }
	if got := q("BEGIN"); got != "C:BEGIN Z:T" {
		t.Fatal(got)
	}
	bind("s1", "c1", "SELECT i FROM range(100000) t(i)")
	bind("s2", "c2", "SELECT i * 10 FROM range(5) t(i)")
	for _, step := range []struct{ got, want string }{
		{fetch("c1", 3), "D:0 D:1 D:2 S Z:T"},
		{fetch("c1", 2), "D:3 D:4 S Z:T"},
		{fetch("c2", 2), "D:0 D:10 S Z:T"},
		{fetch("c1", 1), "D:5 S Z:T"},
		{q("SELECT 42"), "D:42 C:SELECT 1 Z:T"},
		{fetch("c1", 2), "D:6 D:7 S Z:T"},
		{fetch("c2", 0), "D:20 D:30 D:40 C:SELECT 5 Z:T"},
	} {
		if step.got != step.want {
			t.Errorf("got %q, want %q", step.got, step.want)
		}
	}
	// The rest of c1 (parked by the Query) arrives whole and in order.
	rest := exchange(t, nc, fe, execMax("c1", 0)...)
	n := 0
	for _, m := range rest {
		if d, ok := m.(*pgproto3.DataRow); ok {
			if string(d.Values[0]) != fmt.Sprint(8+n) {
				t.Fatalf("row %d is %s", 8+n, d.Values[0])
			}
			n++
		}
	}
	if n != 100000-8 || !strings.HasSuffix(summary(rest), "C:SELECT 100000 Z:T") {
		t.Errorf("rest of c1: %d rows, %s", n, summary(rest)[max(0, len(summary(rest))-40):])
	}
	// The end of the transaction closes the portals.
	bind("s3", "c3", "SELECT i FROM range(10) t(i)")
	if got := fetch("c3", 1); got != "D:0 S Z:T" {
		t.Errorf("c3: %s", got)
	}
	if got := q("COMMIT"); got != "C:COMMIT Z:I" {
		t.Errorf("COMMIT: %s", got)
	}
	if got := fetch("c3", 1); got != "E:34000 Z:I" {
		t.Errorf("c3 after COMMIT: %s", got)
	}
	// Outside a transaction a portal lives until Sync.
	got := summary(exchange(t, nc, fe, &pgproto3.Parse{Query: "SELECT i FROM range(10) t(i)"}, &pgproto3.Bind{},
		&pgproto3.Execute{MaxRows: 2}, &pgproto3.Execute{MaxRows: 2}, &pgproto3.Sync{}))
	if got != "D:0 D:1 S D:2 D:3 S Z:I" {
		t.Errorf("unnamed portal: %s", got)
	}
	if got := fetch("", 1); got != "E:34000 Z:I" {
		t.Errorf("unnamed portal after Sync: %s", got)
	}
	// A Describe of a portal that is running answers its columns (the
	// statement holds the session meanwhile).
	got = summary(exchange(t, nc, fe, &pgproto3.Parse{Query: "SELECT i FROM range(10) t(i)"}, &pgproto3.Bind{},
		&pgproto3.Execute{MaxRows: 1}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{}))
	if got != "D:0 S D:1 S Z:I" {
		t.Errorf("Describe of a running portal: %s", got)
	}
	// A Query closes the unnamed portal.
	q("BEGIN")
	bind("", "", "SELECT i FROM range(10) t(i)")
	fetch("", 1)
	q("SELECT 1")
	if got := fetch("", 1); !strings.HasPrefix(got, "E:34000 Z:") {
		t.Errorf("unnamed portal after a Query: %s", got)
	}
	q("ROLLBACK")
	// A portal closed part-way leaves the session usable, in and out of
	// transactions; an error part-way arrives after the rows.
	if got := summary(exchange(t, nc, fe, &pgproto3.Parse{Name: "s4", Query: "SELECT i FROM range(100000) t(i)"},
		&pgproto3.Bind{PreparedStatement: "s4", DestinationPortal: "c4"}, &pgproto3.Execute{Portal: "c4", MaxRows: 1},
		&pgproto3.Close{ObjectType: 'P', Name: "c4"}, &pgproto3.Sync{})); got != "D:0 S Z:I" {
		t.Errorf("closed portal: %s", got)
	}
	got = summary(exchange(t, nc, fe, &pgproto3.Parse{Name: "s5", Query: "SELECT CASE WHEN i < 3000 THEN i ELSE error('boom') END FROM range(100000) t(i)"},
		&pgproto3.Bind{PreparedStatement: "s5", DestinationPortal: "c5"}, &pgproto3.Execute{Portal: "c5", MaxRows: 2},
		&pgproto3.Execute{Portal: "c5"}, &pgproto3.Sync{}))
	// (DuckDB may meet the error before the first row, running in parallel.)
	if !strings.HasPrefix(got, "D:0 D:1 S D:2 D:3") && !strings.HasPrefix(got, "E:") || !strings.HasSuffix(got, " Z:I") || strings.Contains(got, "57014") {
		t.Errorf("c5: %s", got[max(0, len(got)-60):])
	}
	if got := q("SELECT 7"); got != "D:7 C:SELECT 1 Z:I" {
		t.Errorf("after: %s", got)
	}
}

// What a session holds is bounded: a portal parked past the bound fails
// with 53200 (the session goes on), a result kept whole over it fails, and
// a message over it ends the connection before it is read.
func TestSessionMemoryBound(t *testing.T) {
	ts := startServerWith(t, Config{SessionMemory: 4 << 20})
	nc, fe := rawSession(t, ts, "admin", "admin-pw")
	q := func(sql string) string { return summary(exchange(t, nc, fe, &pgproto3.Query{String: sql})) }
	q("BEGIN")
	exchange(t, nc, fe, &pgproto3.Parse{Name: "s1", Query: "SELECT repeat('x', 1000) FROM range(100000)"},
		&pgproto3.Bind{PreparedStatement: "s1", DestinationPortal: "big"}, &pgproto3.Sync{})
	if got := summary(exchange(t, nc, fe, execMax("big", 1)...)); !strings.HasPrefix(got, "D:xxx") {
		t.Fatalf("big: %s", got)
	}
	if got := q("SELECT 1"); got != "D:1 C:SELECT 1 Z:T" {
		t.Errorf("query while big is open: %s", got)
	}
	if got := summary(exchange(t, nc, fe, execMax("big", 1)...)); !strings.HasPrefix(got, "E:53200 Z:") {
		t.Errorf("big after parking: %s", got)
	}
	q("ROLLBACK")
	// A result kept whole (INSERT ... RETURNING runs whole at its first Execute).
	q("CREATE TEMP TABLE w (s VARCHAR)")
	if got := summary(exchange(t, nc, fe, &pgproto3.Parse{Name: "s2", Query: "INSERT INTO w SELECT repeat('y', 1000) FROM range(100000) RETURNING s"},
		&pgproto3.Bind{PreparedStatement: "s2", DestinationPortal: "ret"}, &pgproto3.Execute{Portal: "ret", MaxRows: 1}, &pgproto3.Sync{})); got != "E:53200 Z:I" {
		t.Errorf("RETURNING over the bound: %s", got)
	}
	if got := q("SELECT count(*) FROM w"); got != "D:0 C:SELECT 1 Z:I" {
		t.Errorf("the INSERT whose rows did not fit was not undone: %s", got)
	}
	// A result kept whole (CALL is not fetched as a cursor).
	if got := summary(exchange(t, nc, fe, &pgproto3.Parse{Name: "s3", Query: "CALL range(1000000)"},
		&pgproto3.Bind{PreparedStatement: "s3", DestinationPortal: "call"}, &pgproto3.Execute{Portal: "call", MaxRows: 1}, &pgproto3.Sync{})); got != "E:53200 Z:I" {
		t.Errorf("CALL over the bound: %s", got)
	}
	// Within the bound all is well.
	if got := q("SELECT length(repeat('z', 1000000))"); got != "D:1000000 C:SELECT 1 Z:I" {
		t.Errorf("small: %s", got)
	}
	// A message over 1 MiB is reserved from the process-wide buffer budget
	// while it is read and handled, and given back after.
	membudget.Default.ResetPeak()
	before := membudget.Default.Used()
	if got := q("SELECT length('" + strings.Repeat("m", 2<<20) + "')"); got != "D:2097152 C:SELECT 1 Z:I" {
		t.Errorf("2 MiB query: %s", got)
	}
	q("SELECT 1")
	if peak, used := membudget.Default.Peak(), membudget.Default.Used(); peak < before+2<<20 || used != before {
		t.Errorf("buffer budget: peak %d, used %d (before %d)", peak, used, before)
	}
	// A message over the bound ends the connection with FATAL 53200.
	big := &pgproto3.Query{String: "SELECT '" + strings.Repeat("q", 5<<20) + "'"}
	go nc.Write(encodeMsgs(big))
	msgs := untilEnd(t, nc, fe)
	if errorCode(msgs) != "53200" {
		t.Errorf("big message: %v", msgs)
	}
}

// untilEnd reads messages until the connection ends.
func untilEnd(t *testing.T, nc net.Conn, fe *pgproto3.Frontend) []pgproto3.BackendMessage {
	var got []pgproto3.BackendMessage
	for {
		m, err := fe.Receive()
		if err != nil {
			return got
		}
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			c := *e
			m = &c
		}
		got = append(got, m)
	}
}

// A user's cursor is checked like any statement, and streams inside and
// outside a transaction.
func TestSuspendedPortalsChecked(t *testing.T) {
	ts := startServer(t, nil)
	admin := ts.connect(t, "admin", "admin-pw")
	mustExec(t, admin, "CREATE TABLE open_t AS SELECT i FROM range(5000) t(i)")
	mustExec(t, admin, "CREATE TABLE secret_t AS SELECT i FROM range(10) t(i)")
	mustExec(t, admin, "GRANT Select ON TABLE open_t TO USER bob")
	nc, fe := rawSession(t, ts, "bob", "bob-pw")
	run := func(msgs ...pgproto3.FrontendMessage) string { return summary(exchange(t, nc, fe, msgs...)) }
	portal := func(name, sql string, n uint32) []pgproto3.FrontendMessage {
		return []pgproto3.FrontendMessage{&pgproto3.Parse{Name: name, Query: sql}, &pgproto3.Bind{PreparedStatement: name, DestinationPortal: name},
			&pgproto3.Execute{Portal: name, MaxRows: n}}
	}
	if got := run(append(portal("a", "SELECT i FROM secret_t", 2), &pgproto3.Sync{})...); got != "E:42501 Z:I" {
		t.Errorf("secret: %s", got)
	}
	if got := run(append(portal("b", "SELECT i FROM open_t ORDER BY i", 2), &pgproto3.Execute{Portal: "b", MaxRows: 1}, &pgproto3.Sync{})...); got != "D:0 D:1 S D:2 S Z:I" {
		t.Errorf("autocommit: %s", got)
	}
	run(&pgproto3.Query{String: "BEGIN"})
	run(append(portal("c", "SELECT i FROM open_t ORDER BY i", 2), &pgproto3.Sync{})...)
	if got := run(&pgproto3.Query{String: "SELECT count(*) FROM open_t"}); got != "D:5000 C:SELECT 1 Z:T" {
		t.Errorf("query while c is open: %s", got)
	}
	if got := run(&pgproto3.Execute{Portal: "c", MaxRows: 1}, &pgproto3.Sync{}); got != "D:2 S Z:T" {
		t.Errorf("c: %s", got)
	}
	if got := run(&pgproto3.Query{String: "COMMIT"}); got != "C:COMMIT Z:I" {
		t.Errorf("COMMIT: %s", got)
	}
}
