package pgserver

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A client that vanishes mid-transaction (closing without COMMIT, or its
// TCP connection dropping, also while a statement runs) loses exactly its
// own uncommitted work: other sessions never see it, log in at once, run
// their own transactions, and CREATE USER works with the new user able to
// log in straight away. Before the fix the session's DuckDB connection went
// back to the pool with the transaction open and the next session got it.
func TestVanishedClientLosesOnlyItsWork(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	admin := ts.connect(t, "admin", "admin-pw")
	mustExec(t, admin, "CREATE TABLE ledger (who VARCHAR, n INTEGER)")
	mustExec(t, admin, "GRANT Select, Update ON TABLE ledger TO USER bob")

	vanish := map[string]func(c *pgx.Conn){
		// Terminate is sent, as psycopg2's close() does.
		"close": func(c *pgx.Conn) { c.Close(ctx) },
		// The socket just goes away (a killed client, a dropped network).
		"drop": func(c *pgx.Conn) { c.PgConn().Conn().Close() },
		// The socket goes away while a statement runs.
		"drop-busy": func(c *pgx.Conn) {
			go c.Exec(ctx, "SELECT count(*) FROM range(1000000000000000)")
			time.Sleep(100 * time.Millisecond)
			c.PgConn().Conn().Close()
		},
	}
	committed := 0
	for round := 0; round < 8; round++ {
		for mi, mode := range []string{"close", "drop", "drop-busy"} {
			for _, user := range []string{"bob", "admin"} {
				pw := user + "-pw"
				c, err := pgx.Connect(ctx, ts.url(user, pw, "default", ""))
				if err != nil {
					t.Fatalf("round %d %s: connect %s: %v", round, mode, user, err)
				}
				mustExec(t, c, "BEGIN")
				mustExec(t, c, "INSERT INTO ledger VALUES ('ghost', $1)", round)
				mustExec(t, c, "CREATE TEMP TABLE ghost_tmp AS SELECT 1 AS x")
				mustExec(t, c, "SET search_path = 'memory.main'")
				vanish[mode](c)

				// Straight away: other users log in and work.
				for _, other := range []string{"bob", "admin"} {
					o, err := pgx.Connect(ctx, ts.url(other, other+"-pw", "default", ""))
					if err != nil {
						t.Fatalf("round %d %s/%s: %s cannot log in: %v", round, mode, user, other, err)
					}
					var ghosts, tmp int
					if err := o.QueryRow(ctx, "SELECT count(*) FROM ledger WHERE who = 'ghost'").Scan(&ghosts); err != nil || ghosts != 0 {
						t.Fatalf("round %d %s/%s: %s sees %d uncommitted rows (%v)", round, mode, user, other, ghosts, err)
					}
					if err := o.QueryRow(ctx, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ghost_tmp'").Scan(&tmp); err != nil || tmp != 0 {
						t.Fatalf("round %d %s/%s: %s sees the vanished session's temp table (%v)", round, mode, user, other, err)
					}
					for _, q := range []string{"BEGIN", "INSERT INTO ledger VALUES ('real', 1)", "COMMIT"} {
						if _, err := o.Exec(ctx, q); err != nil {
							t.Fatalf("round %d %s/%s: %s: %s: %v", round, mode, user, other, q, err)
						}
					}
					committed++
					o.Close(ctx)
				}
				name := fmt.Sprintf("u_%d_%d_%s", round, mi, user)
				mustExec(t, admin, "CREATE USER "+name+" PASSWORD 'pw'")
				nu, err := pgx.Connect(ctx, ts.url(name, "pw", "default", ""))
				if err != nil {
					t.Fatalf("round %d %s/%s: new user cannot log in: %v", round, mode, user, err)
				}
				nu.Close(ctx)
			}
		}
	}
	var ghosts, real int
	if err := admin.QueryRow(ctx, "SELECT count(*) FILTER (WHERE who = 'ghost'), count(*) FILTER (WHERE who = 'real') FROM ledger").Scan(&ghosts, &real); err != nil {
		t.Fatal(err)
	}
	if ghosts != 0 || real != committed {
		t.Fatalf("ledger: %d ghost rows, %d real rows (want 0, %d)", ghosts, real, committed)
	}
}

// A session of a dropped user ends at its next message; it never continues
// as a new user created under the same name (who may hold other grants).
func TestDroppedUsersSessionEnds(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	admin := ts.connect(t, "admin", "admin-pw")
	mustExec(t, admin, "CREATE TABLE payroll (salary INTEGER)")
	mustExec(t, admin, "INSERT INTO payroll VALUES (100)")
	old := ts.connect(t, "bob", "bob-pw")
	mustExec(t, old, "SELECT 1")
	mustExec(t, admin, "DROP USER bob")
	mustExec(t, admin, "CREATE USER bob PASSWORD 'new-bob-pw'")
	mustExec(t, admin, "GRANT Select ON TABLE payroll TO USER bob")

	var salary int
	err := old.QueryRow(ctx, "SELECT salary FROM payroll").Scan(&salary)
	if err == nil {
		t.Fatalf("the dropped bob's session reads the new bob's table: %d", salary)
	}
	if pgCode(err) != "28000" {
		t.Errorf("dropped user's statement: %v", err)
	}
	if err := old.Ping(ctx); err == nil {
		t.Error("the dropped user's session goes on")
	}
	// The new bob logs in and holds its grant.
	nb, err := pgx.Connect(ctx, ts.url("bob", "new-bob-pw", "default", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer nb.Close(ctx)
	if err := nb.QueryRow(ctx, "SELECT salary FROM payroll").Scan(&salary); err != nil || salary != 100 {
		t.Fatalf("new bob: %d %v", salary, err)
	}
	// A password change is the same user: sessions go on.
	mustExec(t, admin, "ALTER USER bob PASSWORD 'third-pw'")
	if err := nb.QueryRow(ctx, "SELECT salary FROM payroll").Scan(&salary); err != nil {
		t.Fatalf("after a password change: %v", err)
	}
	if !strings.Contains(ts.logs.String(), "user bob was dropped") {
		t.Errorf("logs: %s", ts.logs.String())
	}
}
