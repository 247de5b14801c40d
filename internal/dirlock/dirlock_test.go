package dirlock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// flock(2) locks belong to open files, so two Acquires in one process
// contend as two processes would.
func TestServerAndShellAreReportedAtOnce(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		command, listen string
		want            []string
	}{
		{Serve, "127.0.0.1:5433", []string{"served by `modelsql serve`", "process " + strconv.Itoa(os.Getpid()), `psql "host=127.0.0.1 port=5433 dbname=default`}},
		{Serve, "0.0.0.0:6543", []string{"on 0.0.0.0:6543", "host=127.0.0.1 port=6543"}},
		{Serve, "", []string{"`modelsql serve` (process", "starting"}},
		{Shell, "", []string{"interactive modelsql shell", "Ctrl-D"}},
	} {
		t.Run(tc.command+tc.listen, func(t *testing.T) {
			dir := t.TempDir()
			held, err := Acquire(ctx, dir, Options{Command: tc.command})
			if err != nil {
				t.Fatal(err)
			}
			defer held.Release()
			if tc.listen != "" {
				if err := held.SetListen(tc.listen); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			_, err = Acquire(ctx, dir, Options{Command: Script, Wait: time.Minute,
				Waiting: func(Holder) { t.Error("waited for a holder that does not let go") }})
			var busy *BusyError
			if !errors.As(err, &busy) {
				t.Fatalf("second Acquire: %v", err)
			}
			if time.Since(start) > 10*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}

func TestScriptHolderIsWaitedFor(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	held, err := Acquire(ctx, dir, Options{Command: Script})
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan Holder, 2)
	go func() {
		<-waited
		held.Release()
	}()
	l, err := Acquire(ctx, dir, Options{Command: User, Wait: time.Minute, Waiting: func(h Holder) { waited <- h }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	b, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !strings.Contains(string(b), `"command":"user"`) {
		t.Fatalf("lock file %s", b)
	}
	if st, _ := os.Stat(filepath.Join(dir, FileName)); st.Mode().Perm() != 0o600 {
		t.Fatalf("lock file mode %v", st.Mode().Perm())
	}

	// A holder that does not let go in time.
	_, err = Acquire(ctx, dir, Options{Command: Script, Wait: 300 * time.Millisecond})
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Waited < 300*time.Millisecond || !strings.Contains(err.Error(), "still in use by modelsql process") {
		t.Fatalf("%v", err)
	}
}

func TestReleasedByExitAndReacquired(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	l, err := Acquire(context.Background(), dir, Options{Command: Script})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("created directory: %v %v", st, err)
	}
	l.Release()
	l.Release() // twice is harmless
	l2, err := Acquire(context.Background(), dir, Options{Command: Serve})
	if err != nil {
		t.Fatal(err)
	}
	l2.Release()
	var none *Lock
	none.Release()
	if err := none.SetListen("x"); err != nil {
		t.Fatal(err)
	}
}

func TestConnectAddr(t *testing.T) {
	for _, tc := range []struct{ listen, host, port string }{
		{"127.0.0.1:5433", "127.0.0.1", "5433"},
		{"0.0.0.0:5433", "127.0.0.1", "5433"},
		{"[::]:5433", "::1", "5433"},
		{":5433", "127.0.0.1", "5433"},
		{"10.1.2.3:7000", "10.1.2.3", "7000"},
		{"db.example:5433", "db.example", "5433"},
	} {
		if h, p := ConnectAddr(tc.listen); h != tc.host || p != tc.port {
			t.Errorf("ConnectAddr(%q) = %q %q", tc.listen, h, p)
		}
	}
}
