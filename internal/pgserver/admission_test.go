package pgserver

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// Sessions are counted before they are admitted: many parallel logins never
// get more than MaxConnections sessions.
func TestMaxConnectionsNotOvershot(t *testing.T) {
	ts := startServerWith(t, Config{MaxConnections: 6, ReservedConnections: -1})
	ctx := context.Background()
	const tries = 24
	var (
		mu       sync.Mutex
		ok       []*pgx.Conn
		refused  int
		wg       sync.WaitGroup
		start    = make(chan struct{})
		otherErr []error
	)
	for i := 0; i < tries; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c, err := pgx.Connect(ctx, ts.url("bob", "bob-pw", "default", ""))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok = append(ok, c)
			case pgCode(err) == "53300":
				refused++
			default:
				otherErr = append(otherErr, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, c := range ok {
		c.Close(ctx)
	}
	if len(ok) > 6 || len(ok)+refused+len(otherErr) != tries {
		t.Errorf("%d sessions admitted of 6 (%d refused, other errors %v)", len(ok), refused, otherErr)
	}
}

// The last ReservedConnections slots are for administrators.
func TestAdminReserve(t *testing.T) {
	ts := startServerWith(t, Config{MaxConnections: 4, ReservedConnections: 2})
	ctx := context.Background()
	ts.connect(t, "bob", "bob-pw")
	ts.connect(t, "bob", "bob-pw")
	_, err := pgx.Connect(ctx, ts.url("bob", "bob-pw", "default", ""))
	if pgCode(err) != "53300" || !strings.Contains(err.Error(), "reserved for administrators") {
		t.Fatalf("third bob: %v", err)
	}
	ts.connect(t, "admin", "admin-pw")
	ts.connect(t, "admin", "admin-pw")
	_, err = pgx.Connect(ctx, ts.url("admin", "admin-pw", "default", ""))
	if pgCode(err) != "53300" || !strings.Contains(err.Error(), "too many connections") {
		t.Fatalf("third admin: %v", err)
	}
	if n := ts.srv.Sessions(); n != 4 {
		t.Fatalf("%d sessions", n)
	}
}

// Sockets that have not logged in count toward MaxPendingLogins, are
// dropped after LoginTimeout, and bound concurrent (failing) logins.
func TestPendingLoginsBounded(t *testing.T) {
	ts := startServerWith(t, Config{MaxPendingLogins: 3, LoginTimeout: time.Second})
	var idle []net.Conn
	for i := 0; i < 3; i++ {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		idle = append(idle, nc)
	}
	time.Sleep(100 * time.Millisecond) // let the server accept them
	_, err := pgx.Connect(context.Background(), ts.url("admin", "admin-pw", "default", ""))
	if pgCode(err) != "53300" {
		t.Fatalf("login with 3 idle sockets pending: %v", err)
	}
	// The idle sockets are closed after the login timeout.
	for _, nc := range idle {
		nc.SetReadDeadline(time.Now().Add(15 * time.Second))
		start := time.Now()
		if _, err := io.ReadAll(nc); err != nil {
			t.Fatalf("idle socket: %v after %s", err, time.Since(start))
		}
	}
	c := ts.connect(t, "admin", "admin-pw")
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Parallel wrong-password guesses: at most 3 are in authentication
	// at a time; the others are refused at once.
	ts = startServerWith(t, Config{MaxPendingLogins: 3, AuthFailDelay: 2 * time.Second})
	const guesses = 18
	codes := make(chan string, guesses)
	start := make(chan struct{})
	for i := 0; i < guesses; i++ {
		go func() {
			<-start
			_, err := pgx.Connect(context.Background(), ts.url("admin", "wrong", "default", ""))
			codes <- pgCode(err)
		}()
	}
	close(start)
	counts := map[string]int{}
	for i := 0; i < guesses; i++ {
		counts[<-codes]++
	}
	// The guesses start within milliseconds; each wrong one holds its
	// slot for AuthFailDelay (2s), so only the first three (and, on a
	// very slow machine, three more after them) get to guess.
	if counts["28P01"] < 1 || counts["28P01"] > 6 || counts["28P01"]+counts["53300"] != guesses {
		t.Errorf("outcomes of %d parallel guesses: %v", guesses, counts)
	}
}

// Backend ids are random, and failed cancel requests are logged and,
// past a limit, ignored.
func TestBackendIDsAndCancelRequests(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	var ids []uint32
	for i := 0; i < 4; i++ {
		ids = append(ids, ts.connect(t, "bob", "bob-pw").PgConn().PID())
	}
	sequential := true
	for i := 1; i < len(ids); i++ {
		sequential = sequential && ids[i] == ids[i-1]+1
		if ids[i] == ids[i-1] {
			t.Fatalf("repeated backend id: %v", ids)
		}
	}
	if sequential || ids[0] < 1000 && ids[1] < 1000 {
		t.Errorf("backend ids look sequential: %v", ids)
	}

	victim := ts.connect(t, "bob", "bob-pw")
	pid := victim.PgConn().PID()
	sendCancel := func(pid uint32, key []byte) {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		msg, _ := (&pgproto3.CancelRequest{ProcessID: pid, SecretKey: key}).Encode(nil)
		nc.Write(msg)
		io.ReadAll(nc) // the server closes it
	}
	for i := 0; i < cancelFailLimit; i++ {
		sendCancel(pid, []byte{0, 0, 0, byte(i)})
	}
	logs := ts.logs.String()
	if strings.Count(logs, "cancel request from 127.0.0.1") != cancelFailLimit || !strings.Contains(logs, "ignoring cancel requests from 127.0.0.1") {
		t.Errorf("logs: %s", logs)
	}
	// Throttled: even the right key is ignored for now, so the
	// statement runs into its own timeout instead of being cancelled.
	mustExec(t, victim, "SET statement_timeout = '3s'")
	done := make(chan error, 1)
	go func() {
		// Far longer than the timeout on any machine (1e10 rows took
		// 2.2 s here once the driving loop stopped spinning).
		_, err := victim.Exec(ctx, "SELECT count(*) FROM range(1000000000000000)")
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if err := victim.PgConn().CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; pgCode(err) != "57014" || !strings.Contains(err.Error(), "statement timeout") {
		t.Errorf("statement after a throttled cancel: %v", err)
	}
}

// Sockets that hold a login slot without logging in (connected and
// silent, or stopped after the startup message) do not lock others out:
// once they have waited on their client for stalledLogin, a new login
// takes the slot of the oldest one.
func TestStalledLoginsMakeRoom(t *testing.T) {
	ts := startServerWith(t, Config{MaxPendingLogins: 3, LoginTimeout: 30 * time.Second})
	startup, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters: map[string]string{"user": "admin", "database": "default"}}).Encode(nil)
	var stalled []net.Conn
	for i := 0; i < 3; i++ {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if i == 2 { // this one stops after its startup message
			nc.Write(startup)
		}
		stalled = append(stalled, nc)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := pgx.Connect(context.Background(), ts.url("admin", "admin-pw", "default", "")); pgCode(err) != "53300" {
		t.Fatalf("a login while 3 fresh sockets are pending: %v", err)
	}
	time.Sleep(stalledLogin + 200*time.Millisecond)
	for i := 0; i < 3; i++ { // each new login takes a stalled socket's slot
		c, err := pgx.Connect(context.Background(), ts.url("admin", "admin-pw", "default", ""))
		if err != nil {
			t.Fatalf("login %d after the pending sockets stalled: %v", i, err)
		}
		c.Close(context.Background())
	}
	closed := 0
	for _, nc := range stalled {
		nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.ReadAll(nc); err == nil {
			closed++
		}
	}
	if closed == 0 {
		t.Fatal("no stalled socket was closed")
	}
	if !strings.Contains(ts.logs.String(), "to make room for a new login") {
		t.Errorf("logs: %s", ts.logs.String())
	}
}
