package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/modelsql/modelsql/internal/fakellm"
)

// The other ways a large result leaves the server stream too (issue 20
// item 4): a portal fetched with maxRows (PortalSuspended, as JDBC's
// setFetchSize fetches), COPY ... TO STDOUT, and a statement with an AI
// call, whose result DuckDB materialises in its own memory (bounded by
// --memory-limit, spilling to its temporary directory) rather than the
// server's Go heap. Each is a 572 MiB result; the server's RSS must not
// grow with it (measured before: 594 MiB for the AI call's result with
// --memory-limit 256MB, the whole result for the others).
func TestServerStreamsPortalsCopyAndAIResults(t *testing.T) {
	ctx := context.Background()
	llm := fakellm.NewServer(fakellm.Options{})
	hs := httptest.NewServer(llm)
	defer hs.Close()
	defer llm.Close()
	data := t.TempDir()
	addUser(t, data, "admin", "pw", true)
	s := serve(t, data, "--memory-limit", "128MB")
	conn, err := pgx.Connect(ctx, s.url("admin", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE MODEL gen WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM',
		TASKS='text-generation', PAI_EAS_MODEL_NAME='m', PAI_EAS_SERVICE_NAME='s', ENDPOINT='%s', APIKEY='k', PAI_EAS_SYNC_MODE='true')`, hs.URL)); err != nil {
		t.Fatal(err)
	}
	var warm int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM range(1000)").Scan(&warm); err != nil {
		t.Fatal(err)
	}
	pid := s.cmd.Process.Pid
	const rows, width = 60000, 10000
	query := fmt.Sprintf("SELECT i, repeat('x', %d) AS s FROM range(%d) t(i)", width, rows)
	check := func(what string, base int64, got int64, bound int64) {
		t.Helper()
		peak := procKB(t, pid, "VmHWM")
		growth := (peak - base) / 1024
		t.Logf("%s: server RSS %d MiB before, peak %d MiB: growth %d MiB for a %d MiB result", what, base/1024, peak/1024, growth, rows*width>>20)
		if got < rows*width {
			t.Fatalf("%s: the client got %d bytes of %d", what, got, rows*width)
		}
		if growth > bound {
			t.Fatalf("%s: server memory grew by %d MiB for a %d MiB result (bound %d MiB)", what, growth, rows*width>>20, bound)
		}
	}

	// A portal fetched 1,000 rows at a time, in a transaction.
	conn2, err := pgx.Connect(ctx, s.url("admin", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	hc, err := conn2.PgConn().Hijack()
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Conn.Close()
	nc, fe := hc.Conn, pgproto3.NewFrontend(hc.Conn, hc.Conn)
	send := func(msgs ...pgproto3.FrontendMessage) (n int64, done bool) {
		for _, m := range msgs {
			fe.Send(m)
		}
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		nc.SetReadDeadline(time.Now().Add(60 * time.Second))
		for {
			m, err := fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			switch x := m.(type) {
			case *pgproto3.DataRow:
				n += int64(len(x.Values[1]))
			case *pgproto3.CommandComplete:
				done = true
			case *pgproto3.ErrorResponse:
				t.Fatalf("portal: %s", x.Message)
			case *pgproto3.ReadyForQuery:
				return n, done
			}
		}
	}
	send(&pgproto3.Query{String: "BEGIN"})
	send(&pgproto3.Parse{Name: "q", Query: query}, &pgproto3.Bind{PreparedStatement: "q", DestinationPortal: "c"}, &pgproto3.Sync{})
	base := resetPeak(t, pid)
	var got int64
	for fetches := 0; ; fetches++ {
		n, done := send(&pgproto3.Execute{Portal: "c", MaxRows: 1000}, &pgproto3.Sync{})
		got += n
		if done {
			break
		}
		if fetches > rows/1000+1 {
			t.Fatalf("the portal did not end after %d fetches", fetches)
		}
	}
	check("portal fetched with maxRows", base, got, 250)
	send(&pgproto3.Query{String: "COMMIT"})

	// COPY TO STDOUT.
	base = resetPeak(t, pid)
	var copied int64
	tag, err := conn.PgConn().CopyTo(ctx, writerFunc(func(p []byte) (int, error) {
		copied += int64(len(p))
		return len(p), nil
	}), "COPY ("+query+") TO STDOUT")
	if err != nil || tag.RowsAffected() != rows {
		t.Fatalf("COPY TO STDOUT: %v %v", tag, err)
	}
	check("COPY TO STDOUT", base, copied, 250)

	// A statement with an AI call (one call, on every row).
	base = resetPeak(t, pid)
	r, err := conn.Query(ctx, fmt.Sprintf("SELECT i, repeat('x', %d) || g AS s FROM range(%d) t(i), (SELECT AI_GENERATE(gen, v1, 'hi') AS g)", width, rows))
	if err != nil {
		t.Fatal(err)
	}
	got = 0
	for r.Next() {
		got += int64(len(r.RawValues()[1]))
	}
	if err := r.Err(); err != nil {
		t.Fatalf("AI result: %v", err)
	}
	// DuckDB holds up to --memory-limit of it, the rest in its temporary
	// directory.
	check("statement with an AI call", base, got, 128+200)

}

// resetPeak resets the process's peak RSS (VmHWM) where Linux allows it
// and returns its RSS now.
func resetPeak(t *testing.T, pid int) int64 {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
	return procKB(t, pid, "VmRSS")
}
