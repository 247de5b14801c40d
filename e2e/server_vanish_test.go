package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// vanishClient is a psycopg2 client that, many times over, inserts a row in
// a transaction and closes its connection without committing; after each,
// another user logs in at once, must see none of it, and commits its own
// transaction; an administrator creates a user who must be able to log in.
const vanishClient = `import json, sys, psycopg2
port = int(sys.argv[1])
def connect(user, pw):
    return psycopg2.connect(host="127.0.0.1", port=port, user=user, password=pw, dbname="default", sslmode="disable")
out = {"ghosts": [], "errors": []}
for i in range(15):
    c = connect("bob", "bob-pw")
    cur = c.cursor()
    cur.execute("INSERT INTO ledger VALUES ('ghost', %s)", (i,))
    cur.execute("CREATE TEMP TABLE ghost_tmp AS SELECT 1 AS x")
    c.close()  # no commit
    try:
        o = connect("admin", "admin-pw")
        cur = o.cursor()
        cur.execute("SELECT count(*) FROM ledger WHERE who = 'ghost'")
        out["ghosts"].append(cur.fetchone()[0])
        cur.execute("INSERT INTO ledger VALUES ('real', %s)", (i,))
        o.commit()
        cur.execute("CREATE USER py_%d PASSWORD 'pw'" % i)
        o.commit()
        o.close()
        n = connect("py_%d" % i, "pw")
        n.close()
    except Exception as e:
        out["errors"].append(str(e).strip())
print(json.dumps(out))
`

// TestServerVanishedClients: psycopg2 closing without commit, a killed
// psql and a dropped TCP connection each lose exactly their own
// uncommitted work; other users' sessions see none of it and work at once.
func TestServerVanishedClients(t *testing.T) {
	requirePsycopg2(t)
	requirePsql(t)
	data := t.TempDir()
	addUser(t, data, "admin", "admin-pw", true)
	addUser(t, data, "bob", "bob-pw", false)
	s := serve(t, data)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, s.url("admin", "admin-pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for _, q := range []string{"CREATE TABLE ledger (who VARCHAR, n INTEGER)", "GRANT Select, Update ON TABLE ledger TO USER bob"} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	// psycopg2 closing without commit.
	script := filepath.Join(t.TempDir(), "vanish.py")
	os.WriteFile(script, []byte(vanishClient), 0o644)
	cmd := exec.Command("/usr/bin/python3", script, fmt.Sprint(s.port))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("psycopg2 client: %v\n%s\nserver:\n%s", err, errb.String(), s.log())
	}
	if got := strings.TrimSpace(out.String()); got != `{"ghosts": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "errors": []}` {
		t.Fatalf("psycopg2 client: %s\nserver:\n%s", got, s.log())
	}

	check := func(what string) {
		t.Helper()
		c, err := pgx.Connect(ctx, s.url("bob", "bob-pw", "default"))
		if err != nil {
			t.Fatalf("%s: bob cannot log in: %v", what, err)
		}
		defer c.Close(ctx)
		var ghosts int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM ledger WHERE who = 'ghost'").Scan(&ghosts); err != nil || ghosts != 0 {
			t.Fatalf("%s: %d ghost rows (%v)", what, ghosts, err)
		}
		for _, q := range []string{"BEGIN", "INSERT INTO ledger VALUES ('real', 0)", "COMMIT"} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %s: %v", what, q, err)
			}
		}
	}

	// A psql killed inside a transaction.
	for i := 0; i < 5; i++ {
		cmd := exec.Command("psql", "-X", "-q", "-A", "-t")
		cmd.Env = append(os.Environ(), "PGHOST=127.0.0.1", fmt.Sprintf("PGPORT=%d", s.port), "PGUSER=admin",
			"PGPASSWORD=admin-pw", "PGDATABASE=default", "PGSSLMODE=disable")
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(stdin, "BEGIN;\nINSERT INTO ledger VALUES ('ghost', %d);\nSELECT 'inserted';\n", i)
		line := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "inserted") {
					line <- sc.Text()
					return
				}
			}
			close(line)
		}()
		select {
		case l, ok := <-line:
			if !ok {
				t.Fatalf("psql ended before inserting: %s", s.log())
			}
			_ = l
		case <-time.After(30 * time.Second):
			t.Fatal("psql did not insert")
		}
		cmd.Process.Kill()
		cmd.Wait()
		check(fmt.Sprintf("killed psql %d", i))
	}

	// A dropped TCP connection.
	for i := 0; i < 5; i++ {
		c, err := pgx.Connect(ctx, s.url("bob", "bob-pw", "default"))
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"BEGIN", "INSERT INTO ledger VALUES ('ghost', 1)"} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		c.PgConn().Conn().Close()
		check(fmt.Sprintf("dropped connection %d", i))
	}
}
