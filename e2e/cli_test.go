package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Global flags go before or after the subcommand, as with git or docker.
func TestGlobalFlagsEitherSideOfSubcommand(t *testing.T) {
	data := t.TempDir()
	if r := run(t, "a-long-password\n", "--data", data, "user", "add", "--admin", "alice"); r.code != 0 {
		t.Fatalf("modelsql --data DIR user add --admin alice: %d %s", r.code, r.stderr)
	}
	if r := run(t, "another-password\n", "user", "add", "bob", "--data", data); r.code != 0 {
		t.Fatalf("modelsql user add bob --data DIR: %d %s", r.code, r.stderr)
	}
	for _, args := range [][]string{{"--data", data, "user", "list"}, {"user", "--data", data, "list"}, {"user", "list", "--data", data}} {
		r := run(t, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "alice\tadmin") || !strings.Contains(r.stdout, "bob\tuser") {
			t.Fatalf("%q: %d %q %s", args, r.code, r.stdout, r.stderr)
		}
	}
	if out := sql(t, data, "SELECT 1 AS one"); !strings.Contains(out, "| 1   |") {
		t.Fatal(out)
	}
	if r := run(t, "", "-c", "SELECT 2 AS two", "--data", data, "--format", "csv"); r.code != 0 || r.stdout != "two\n2\n" {
		t.Fatalf("flags after -c: %d %q %s", r.code, r.stdout, r.stderr)
	}

	// modelsql --data DIR serve serves DIR.
	port := freePort(t)
	cmd := exec.Command(bin, "--data", data, "serve", "--listen", fmt.Sprintf("127.0.0.1:%d", port))
	logs, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, _ := bufio.NewReader(logs).ReadString('\n')
	abs, _ := filepath.EvalSymlinks(data)
	if !strings.Contains(line, "serving "+abs+" on 127.0.0.1:"+strconv.Itoa(port)) {
		t.Fatalf("serve log: %q", line)
	}
	go io.Copy(io.Discard, logs)

	// A global flag the subcommand does not take is a usage error.
	for _, args := range [][]string{{"--project", "p", "serve"}, {"-c", "SELECT 1", "user", "list"}, {"--format", "csv", "fake-llm"}} {
		r := run(t, "", args...)
		if r.code != 2 || !strings.Contains(r.stderr, "does not apply to modelsql") {
			t.Errorf("%q: %d %s", args, r.code, r.stderr)
		}
	}
}

var versionOut = regexp.MustCompile(`^modelsql (\S+)\ncommit (\S+)\nDuckDB (v\d+\.\d+\.\d+) \(\w+\)\ngo\S+ \w+/\w+\n$`)

// --help (usage on stdout, exit 0) and --version work for every command.
func TestHelpAndVersionEverywhere(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"serve", "--help"}, {"user", "--help"}, {"user", "add", "--help"},
		{"fake-llm", "--help"}, {"version", "--help"}, {"--data", t.TempDir(), "serve", "--help"}} {
		r := run(t, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "usage: modelsql") || r.stderr != "" {
			t.Errorf("%q: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
		}
	}
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"user", "--help"}, {"fake-llm", "--help"}} {
		if r := run(t, "", args...); !strings.Contains(r.stdout, "Exit status: 0 success; 1 ") {
			t.Errorf("%q does not document the exit codes:\n%s", args, r.stdout)
		}
	}
	var first string
	for _, args := range [][]string{{"--version"}, {"version"}, {"serve", "--version"}, {"user", "--version"}, {"fake-llm", "--version"}} {
		r := run(t, "", args...)
		if r.code != 0 || !versionOut.MatchString(r.stdout) {
			t.Fatalf("%q: exit %d\nstdout: %q\nstderr: %s", args, r.code, r.stdout, r.stderr)
		}
		if first == "" {
			first = r.stdout
		} else if r.stdout != first {
			t.Errorf("%q prints %q, --version %q", args, r.stdout, first)
		}
	}
	// The DuckDB version is the one that runs the statements.
	r := run(t, "", "--data", t.TempDir(), "--format", "csv", "-c", "SELECT library_version FROM pragma_version()")
	if want := "library_version\n" + versionOut.FindStringSubmatch(first)[3] + "\n"; r.stdout != want {
		t.Errorf("DuckDB runs %q, --version says %q", r.stdout, want)
	}
}

// `make build` stamps the version and the commit with -ldflags.
func TestMakeBuildStampsVersion(t *testing.T) {
	for _, tool := range []string{"make", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	head, err := exec.Command("git", "-C", repoRoot(), "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	out := filepath.Join(t.TempDir(), "modelsql")
	cmd := exec.Command("make", "-C", repoRoot(), "build", "BIN="+out)
	cmd.Env = []string{"MAKEFLAGS="} // and no VERSION or COMMIT from the caller's environment
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VERSION=") && !strings.HasPrefix(kv, "COMMIT=") && !strings.HasPrefix(kv, "MAKEFLAGS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, b)
	}
	b, err := exec.Command(out, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	m := versionOut.FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("--version: %q", b)
	}
	if commit := strings.TrimSuffix(m[2], "-dirty"); commit != strings.TrimSpace(string(head)) {
		t.Errorf("commit %q, HEAD is %s", m[2], head)
	}
	if m[1] == "devel" || m[1] == "" {
		t.Errorf("version %q not stamped", m[1])
	}
}

// Every exit status the README documents.
func TestExitCodes(t *testing.T) {
	data := t.TempDir()
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--data", data, "-c", "SELECT 1"}, 0},
		{[]string{"--data", data, "-c", "SELECT nope"}, 1},
		{[]string{"--data", data, "--continue-on-error", "-c", "SELECT nope; SELECT 1"}, 1},
		{[]string{"--data", data, "-f", filepath.Join(data, "missing.sql")}, 1},
		{[]string{"--nope"}, 2},
		{[]string{"--data", data, "--format", "xml", "-c", "SELECT 1"}, 2},
		{[]string{"--data", data, "SELECT 1"}, 2},
		{[]string{"user"}, 2},
		{[]string{"user", "rename", "x"}, 2},
		{[]string{"serve", "--tls-cert", "x"}, 2},
		{[]string{"fake-llm", "--fail-rate", "2"}, 2},
		{[]string{"version", "extra"}, 2},
	} {
		if r := run(t, "", tc.args...); r.code != tc.want {
			t.Errorf("%q: exit %d, want %d (%s)", tc.args, r.code, tc.want, r.stderr)
		}
	}
}

// While `modelsql serve` holds a data directory, other commands on it say
// so at once (exit status 3) and tell how to reach the server.
func TestDataDirectoryHeldByServer(t *testing.T) {
	data := t.TempDir()
	addUser(t, data, "alice", "a-long-password", true)
	s := serve(t, data)
	pid := strconv.Itoa(s.cmd.Process.Pid)
	for _, args := range [][]string{{"--data", data, "-c", "SELECT 1"}, {"--data", data, "user", "add", "bob"}, {"user", "list", "--data", data}} {
		start := time.Now()
		r := run(t, "pw-for-bob\n", args...)
		took := time.Since(start)
		if r.code != 3 {
			t.Fatalf("%q: exit %d: %s", args, r.code, r.stderr)
		}
		for _, want := range []string{"served by `modelsql serve` (process " + pid + ")", fmt.Sprintf("psql \"host=127.0.0.1 port=%d dbname=default", s.port)} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%q: %q lacks %q", args, r.stderr, want)
			}
		}
		if took > 4*time.Second { // it waited 5 s (user) or 60 s (-c) before
			t.Errorf("%q took %s", args, took)
		}
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if out := sql(t, data, "SELECT 7 AS seven"); !strings.Contains(out, "| 7     |") {
		t.Fatal(out)
	}
}

// Statements that return nothing print OK, like modelsql's own statements.
func TestStatusStatementsPrintOK(t *testing.T) {
	data := t.TempDir()
	r := run(t, "", "--data", data, "-c", "CREATE TABLE t(x INT); SET threads = 2; CREATE VIEW v AS SELECT 1 AS one; DROP VIEW v; BEGIN; COMMIT")
	if r.code != 0 || r.stdout != strings.Repeat("OK\n", 6) {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Counts and empty query results are tables still.
	r = run(t, "", "--data", data, "-c", "INSERT INTO t VALUES (1); SELECT x AS Count FROM t WHERE x > 5")
	if r.code != 0 || !strings.Contains(r.stdout, "| Count |\n+-------+\n| 1     |") || strings.Contains(r.stdout, "OK") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Users, roles and privileges are server statements: the embedded CLI says
// so in full and points to where they work.
func TestServerStatementsInTheCLI(t *testing.T) {
	data := t.TempDir()
	for _, stmt := range []string{"CREATE USER bob PASSWORD 'pw-secret-1'", "GRANT rr TO bob", "GRANT Select ON TABLE t TO USER bob",
		"CREATE ROLE rr", "SHOW GRANTS FOR USER bob", "DROP USER bob", "REVOKE rr FROM bob"} {
		r := run(t, "", "--data", data, "-c", stmt)
		if r.code != 1 || !strings.Contains(r.stderr, "is a server statement") || !strings.Contains(r.stderr, "modelsql serve") ||
			!strings.Contains(r.stderr, "modelsql user add") || strings.Contains(r.stderr, "pw-secret-1") {
			t.Errorf("%s: exit %d: %s", stmt, r.code, r.stderr)
		}
	}
}

// The shell's history file is private and keeps no secret, also when an
// earlier version left one world-readable with a key in it.
func TestShellHistoryIsPrivate(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) not installed")
	}
	home := t.TempDir()
	hist := filepath.Join(home, ".modelsql_history")
	if err := os.WriteFile(hist, []byte("SELECT 1;\nAPIKEY = 'sk-old-secret',\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(hist, 0o644)
	data := t.TempDir()
	cmd := exec.Command("script", "-qec", bin+" --data "+data, "/dev/null")
	cmd.Env = append(os.Environ(), "HOME="+home)
	cmd.Stdin = strings.NewReader(`SELECT 40 +
 2 AS answer;
CREATE MODEL llm WITH VERSION v1 OPTIONS(
  MODEL_SOURCE_TYPE = 'REMOTE', MODEL_TYPE = 'LLM', TASKS = 'text-generation',
  PAI_EAS_MODEL_NAME = 'm', PAI_EAS_SERVICE_NAME = 's', ENDPOINT = 'http://127.0.0.1:9',
  APIKEY = 'sk-new-secret', PAI_EAS_SYNC_MODE = 'true');
CREATE USER bob PASSWORD 'pw-new-secret';
CREATE SECRET s3c (TYPE s3, KEY_ID 'AKIDNEW', SECRET 'aws-new-secret');
`)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("shell: %v\n%s", err, out)
	}
	st, err := os.Stat(hist)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("history mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(hist)
	for _, secret := range []string{"sk-old-secret", "sk-new-secret", "pw-new-secret", "AKIDNEW", "aws-new-secret"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("history holds %s:\n%s", secret, b)
		}
	}
	if !strings.Contains(string(b), "SELECT 40 + 2 AS answer;") {
		t.Errorf("history lacks the query:\n%s", b)
	}
}

// fake-llm's banner names the services and models it serves.
func TestFakeLLMBanner(t *testing.T) {
	urlFile := filepath.Join(t.TempDir(), "url")
	cmd := exec.Command(bin, "fake-llm", "--listen", "127.0.0.1:0", "--url-file", urlFile, "--services", "svc_a,svc_b", "--models", "qwen")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var banner strings.Builder
	sc := bufio.NewScanner(stdout)
	for i := 0; i < 4 && sc.Scan(); i++ {
		banner.WriteString(sc.Text() + "\n")
	}
	b := banner.String()
	url, err := os.ReadFile(urlFile)
	if err != nil {
		t.Fatal(err)
	}
	u := strings.TrimSpace(string(url))
	for _, want := range []string{"fake-llm listening on " + u + "\n", "PAI_EAS_SERVICE_NAME='svc_a' | 'svc_b'", "PAI_EAS_MODEL_NAME='qwen'", "ENDPOINT='" + u + "/v1'"} {
		if !strings.Contains(b, want) {
			t.Errorf("banner lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(b, "<any>") {
		t.Errorf("banner offers any name:\n%s", b)
	}
	if c, err := net.Dial("tcp", strings.TrimPrefix(u, "http://")); err != nil {
		t.Errorf("the url file's address does not answer: %v", err)
	} else {
		c.Close()
	}
}
