package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const progressModel = `CREATE MODEL gen WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM',
	TASKS='text-generation', PAI_EAS_MODEL_NAME='m', PAI_EAS_SERVICE_NAME='s', ENDPOINT='%s', APIKEY='k',
	PAI_EAS_SYNC_MODE='true', MAX_CONCURRENCY='4')`

// 40 rows, 4 at a time, 150 ms each: about 1.5 s.
const progressQuery = `SELECT count(AI_GENERATE(gen, v1, 'p ' || i)) FROM range(40) t(i)`

// modelsql_progress() read from a second connection while a slow statement
// runs shows the statement with counts that grow; a user who is not an
// administrator does not see another user's statement; the statement ends
// with a summary NOTICE, over pgx and over psql.
func TestAIProgressFromAnotherConnection(t *testing.T) {
	fake := startFakeProcess(t, false, "--latency", "150ms")
	ctx := context.Background()
	data := t.TempDir()
	addUser(t, data, "admin", "pw", true)
	addUser(t, data, "bob", "pw", false)
	s := serve(t, data)

	cfg, err := pgx.ParseConfig(s.url("admin", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var notices []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		notices = append(notices, n.Severity+": "+n.Message)
		mu.Unlock()
	}
	slow, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close(ctx)
	if _, err := slow.Exec(ctx, fmt.Sprintf(progressModel, fake.url)); err != nil {
		t.Fatal(err)
	}
	watcher, err := pgx.Connect(ctx, s.url("admin", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close(ctx)
	other, err := pgx.Connect(ctx, s.url("bob", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)

	// Nothing runs yet: the table is empty, with its columns.
	var n int
	if err := watcher.QueryRow(ctx, "SELECT count(*) FROM modelsql_progress()").Scan(&n); err != nil || n != 0 {
		t.Fatalf("idle modelsql_progress(): %d rows, %v", n, err)
	}

	done := make(chan error, 1)
	go func() {
		var c int64
		done <- slow.QueryRow(ctx, progressQuery).Scan(&c)
	}()
	type seen struct {
		rows, requests, inFlight, tokens int64
		elapsed                          float64
	}
	var obs []seen
	bobSaw := 0
	finished := false
	for deadline := time.Now().Add(60 * time.Second); !finished && time.Now().Before(deadline); {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("slow statement: %v", err)
			}
			finished = true
			continue
		default:
		}
		var user string
		var o seen
		var total *int64
		err := watcher.QueryRow(ctx, "SELECT user_name, rows_done, rows_total, requests, in_flight, tokens, elapsed_s FROM modelsql_progress()").
			Scan(&user, &o.rows, &total, &o.requests, &o.inFlight, &o.tokens, &o.elapsed)
		if err == nil {
			if user != "admin" {
				t.Errorf("user_name = %q, want admin", user)
			}
			obs = append(obs, o)
			var b int
			if err := other.QueryRow(ctx, "SELECT count(*) FROM modelsql_progress()").Scan(&b); err != nil {
				t.Fatal(err)
			}
			bobSaw += b
		} else if err != pgx.ErrNoRows {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !finished {
		t.Fatal("the slow statement did not finish")
	}
	if len(obs) < 2 {
		t.Fatalf("saw the statement %d times while it ran: %+v", len(obs), obs)
	}
	grew, inFlight := false, false
	for i := 1; i < len(obs); i++ {
		if obs[i].rows < obs[i-1].rows || obs[i].requests < obs[i-1].requests || obs[i].elapsed < obs[i-1].elapsed {
			t.Errorf("counts went back: %+v then %+v", obs[i-1], obs[i])
		}
		grew = grew || obs[i].rows > obs[i-1].rows && obs[i].rows < 40
	}
	for _, o := range obs {
		inFlight = inFlight || o.inFlight > 0
	}
	if !grew || !inFlight || obs[len(obs)-1].tokens == 0 {
		t.Errorf("counts did not grow, or showed no request in flight or no tokens: %+v", obs)
	}
	if bobSaw != 0 {
		t.Errorf("bob, not an administrator, saw admin's statement %d times", bobSaw)
	}
	if err := watcher.QueryRow(ctx, "SELECT count(*) FROM modelsql_progress()").Scan(&n); err != nil || n != 0 {
		t.Errorf("after the statement: %d rows, %v", n, err)
	}
	mu.Lock()
	got := strings.Join(notices, "\n")
	mu.Unlock()
	if !strings.Contains(got, "NOTICE: AI calls: 40 rows, 40 requests, 0 cache hits,") {
		t.Errorf("notices = %q, want the summary", got)
	}

	// psql prints the notice too; a repeated statement is answered by the
	// cache, which the summary counts. A fast statement has no summary.
	requirePsql(t)
	r := s.psql(t, "admin", "pw", "default", nil, "-c", strings.Replace(progressQuery, "40", "80", 1))
	if r.code != 0 || !strings.Contains(r.err, "NOTICE:  AI calls: 80 rows, 40 requests, 40 cache hits,") {
		t.Errorf("psql: code %d, stderr %q", r.code, r.err)
	}
	r = s.psql(t, "admin", "pw", "default", nil, "-c", "SELECT AI_GENERATE(gen, v1, 'p 1')")
	if r.code != 0 || strings.Contains(r.err, "NOTICE") {
		t.Errorf("a statement shorter than 1 s: code %d, stderr %q", r.code, r.err)
	}
}

// The interactive shell shows a progress bar on a terminal while a slow AI
// statement runs and ends it with a summary; -c prints neither, even on a
// terminal.
func TestShellAIProgressBar(t *testing.T) {
	fake := startFakeProcess(t, false, "--latency", "150ms")
	data := t.TempDir()
	sql(t, data, fmt.Sprintf(progressModel, fake.url))

	runPty := func(stdin string, args ...string) string {
		cmd := exec.Command(bin, append([]string{"--data", data}, args...)...)
		f, err := pty.Start(cmd)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var mu sync.Mutex
		var out bytes.Buffer
		copied := make(chan struct{})
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := f.Read(buf)
				mu.Lock()
				out.Write(buf[:n])
				mu.Unlock()
				if err != nil {
					close(copied)
					return
				}
			}
		}()
		output := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
		if stdin != "" {
			f.Write([]byte(stdin))
			// Ctrl-D once the statement's result is printed (typed during the
			// statement, the line editor would not see it).
			for deadline := time.Now().Add(60 * time.Second); !strings.Contains(output(), "+\r\n") && time.Now().Before(deadline); {
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond)
			f.Write([]byte{4})
		}
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		select {
		case err := <-waited:
			if err != nil {
				t.Errorf("%v: %v", args, err)
			}
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v did not end:\n%s", args, output())
		}
		f.Close()
		<-copied
		return output()
	}
	shell := runPty(progressQuery + ";\n")
	for _, want := range []string{"AI: ", "in flight", "\r\033[K", "\033[KNOTICE: AI calls: 40 rows, 40 requests, 0 cache hits,", "| 40 "} {
		if !strings.Contains(shell, want) {
			t.Errorf("shell output lacks %q:\n%q", want, shell)
		}
	}
	c := runPty("", "-c", strings.Replace(progressQuery, "40", "44", 1))
	if strings.Contains(c, "AI") || strings.Contains(c, "\033[K") || !strings.Contains(c, "44") {
		t.Errorf("-c on a terminal printed more than its result:\n%q", c)
	}
}

// When AI calls read a table, modelsql_progress() knows the rows they will
// see (DuckDB's count of the rows its scans read) and estimates the time left.
func TestAIProgressTotalAndETA(t *testing.T) {
	fake := startFakeProcess(t, false, "--latency", "20ms")
	ctx := context.Background()
	data := t.TempDir()
	addUser(t, data, "admin", "pw", true)
	s := serve(t, data)
	slow, err := pgx.Connect(ctx, s.url("admin", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close(ctx)
	model := strings.Replace(fmt.Sprintf(progressModel, fake.url), "MAX_CONCURRENCY='4'", "MAX_CONCURRENCY='16'", 1)
	for _, q := range []string{model, "CREATE TABLE prompts AS SELECT i FROM range(3000) t(i)"} {
		if _, err := slow.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	watcher, err := pgx.Connect(ctx, s.url("admin", "pw", "default"))
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close(ctx)
	done := make(chan error, 1)
	go func() {
		var c int64
		done <- slow.QueryRow(ctx, "SELECT count(AI_GENERATE(gen, v1, 'p ' || i)) FROM prompts").Scan(&c)
	}()
	var totals []int64
	var etas []float64
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if len(totals) == 0 || len(etas) == 0 {
				t.Fatalf("rows_total %v, eta_s %v while the statement ran", totals, etas)
			}
			for _, n := range totals {
				// DuckDB counts a row or two more than the table has.
				if n < 3000 || n > 3010 {
					t.Fatalf("rows_total = %v, want about 3000", totals)
				}
			}
			for i := 1; i < len(etas); i++ {
				if etas[i] > etas[0]*1.5+1 {
					t.Fatalf("eta_s grew: %v", etas)
				}
			}
			return
		default:
		}
		var total *int64
		var eta *float64
		if err := watcher.QueryRow(ctx, "SELECT rows_total, eta_s FROM modelsql_progress()").Scan(&total, &eta); err == nil {
			if total != nil {
				totals = append(totals, *total)
			}
			if eta != nil {
				etas = append(etas, *eta)
			}
		} else if err != pgx.ErrNoRows {
			t.Fatal(err)
		}
	}
	t.Fatal("the statement did not finish")
}
