package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/session"
)

func TestStatusOnly(t *testing.T) {
	empty := func(col string) *session.Result { return &session.Result{Columns: []string{col}} }
	for _, tc := range []struct {
		res  *session.Result
		stmt string
		ok   bool
	}{
		{empty("Count"), "CREATE TABLE t(x INT)", true},
		{empty("Success"), "SET threads = 2", true},
		{empty("Success"), "-- a comment first\nDROP TABLE t", true},
		{empty("Count"), "create view v as select 1", true},
		{&session.Result{Columns: []string{"Count"}, Rows: [][]any{{int64(3)}}}, "INSERT INTO t SELECT 1", false},
		{empty("Count"), "SELECT x AS Count FROM t WHERE false", false},
		{empty("Success"), "WITH a AS (SELECT true AS Success) SELECT * FROM a WHERE false", false},
		{empty("Count"), "FROM t SELECT x AS Count LIMIT 0", false},
		{empty("Count"), "(SELECT 1 AS Count LIMIT 0)", false},
		{empty("n"), "CREATE TABLE t2 AS SELECT 1 AS n LIMIT 0", false},
		{&session.Result{Columns: []string{"Count", "x"}}, "CREATE TABLE t(x INT)", false},
	} {
		got := statusOnly(tc.res, tc.stmt)
		if isOK := got.Message == "OK" && got.Columns == nil; isOK != tc.ok {
			t.Errorf("statusOnly(%v, %q) = %+v, want OK: %v", tc.res.Columns, tc.stmt, got, tc.ok)
		}
	}
}

// Flag handling runs before any data directory is opened.
func TestMainUsage(t *testing.T) {
	for _, tc := range []struct {
		args        []string
		code        int
		out, errOut string
	}{
		{[]string{"--help"}, 0, "usage: modelsql [flags]", ""},
		{[]string{"serve", "-h"}, 0, "usage: modelsql serve [--data DIR]", ""},
		{[]string{"--data", "x", "user", "--help"}, 0, "usage: modelsql [--data DIR] user add", ""},
		{[]string{"--nope"}, 2, "", "flag provided but not defined: -nope"},
		{[]string{"sellect", "1"}, 2, "", `unexpected argument "sellect": SQL goes after -c; subcommands are fake-llm, serve, user, version`},
		{[]string{"--project", "p", "serve"}, 2, "", "--project does not apply to modelsql serve"},
		{[]string{"user"}, 2, "", "needs a verb"},
		{[]string{"user", "add"}, 2, "", "takes one user name"},
		{[]string{"user", "list", "bob"}, 2, "", "takes no name"},
		{[]string{"user", "grant", "bob"}, 2, "", `unknown verb "grant"`},
		{[]string{"serve", "--tls-key", "k"}, 2, "", "--tls-cert and --tls-key go together"},
		{[]string{"fake-llm", "--max-recorded", "5"}, 2, "", "flag provided but not defined: -max-recorded"},
		{[]string{"--format", "xml", "-c", "SELECT 1"}, 2, "", `unknown --format "xml"`},
	} {
		var out, errOut bytes.Buffer
		code := Main(tc.args, strings.NewReader(""), &out, &errOut)
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.errOut) {
			t.Errorf("%q: exit %d\nstdout: %s\nstderr: %s", tc.args, code, out.String(), errOut.String())
		}
	}
}

func TestLockConflict(t *testing.T) {
	duck := errors.New(`data directory /tmp/wh is in use by another modelsql process (waited 5s): IO Error: Could not set lock on file "/tmp/wh/system.duckdb": Conflicting lock is held in /usr/bin/duckdb (PID 6990). See also https://duckdb.org/docs/stable/connect/concurrency`)
	msg, ok := lockConflict(duck)
	if !ok || msg != "/tmp/wh/system.duckdb is in use by process 6990 (/usr/bin/duckdb), which did not let it go in time; stop it, or connect to it if it is a server" {
		t.Fatalf("%v %q", ok, msg)
	}
	if _, ok := lockConflict(errors.New("Catalog Error: table t does not exist")); ok {
		t.Fatal("not a lock error")
	}
	if msg, ok := lockConflict(errors.New("IO Error: Could not set lock on file x")); !ok || msg == "" {
		t.Fatal("an unparsed lock error is still a lock error")
	}
}
