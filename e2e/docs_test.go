package e2e

// The doc tests: every fenced SQL and shell example of README.md and
// docs/*.md runs against the real binary, page by page, in a fresh sandbox
// (working directory, data directory ./modelsql-data). Remote services are
// replaced as docs/doctests.md states:
//
//   - PAI-EAS gateways (http://<x>.pai-eas.aliyuncs.com) and the local LLM
//     servers of the recipes (127.0.0.1:18089, :11434, :8000, :30000,
//     10.0.0.5:8000) become one `modelsql fake-llm` started on a free port;
//   - the OSS endpoints of the pages (oss-cn-*.aliyuncs.com) are mapped by
//     the data directory's storage.json to a local MinIO holding
//     examples/churn_classifier.json under my-bucket/churn/,
//     my-models/churn/ and models/churn/ (and models/several/ with two
//     model files, models/none/ with none, for the errors), and the role
//     acs:ram::1234567890123456:role/aliyunodpsdefaultrole (also the
//     default_role) to MinIO's keys;
//   - the server port 5433 becomes a free port; /srv/ and /tmp/warehouse
//     move into the sandbox, which links examples/ to the repository's;
//   - `make run` runs scripts/demo.sh with the binary under test; `make test`
//     is not re-entered (it runs this test).

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// docEnv is what every page shares: the fake LLM server and MinIO.
type docEnv struct {
	llmURL string
	minio  *minioServer
}

const docRole = "acs:ram::1234567890123456:role/aliyunodpsdefaultrole"

func TestDocExamples(t *testing.T) {
	requirePsql(t)
	env := &docEnv{minio: startMinio(t)}
	for _, bucketKey := range [][2]string{{"my-bucket", "churn/churn_classifier.json"}, {"my-models", "churn/churn_classifier.json"},
		{"models", "churn/churn_classifier.json"}, {"models", "several/a.json"}, {"models", "several/b.ubj"},
		{"models", "none/notes.md"}, {"models", "none/readme.txt"}, {"models", "none/deeper/model.json"}} {
		env.minio.put(t, bucketKey[0], bucketKey[1], example("churn_classifier.json"))
	}
	// The object-table tutorial's images (docs/object-tables.md).
	for _, f := range []string{"poster_01.jpg", "poster_02.png", "poster_03.jpg", "notes/readme.txt"} {
		env.minio.put(t, "mllm-demo", "jpg-test/"+f, example("objects/"+f))
	}
	env.llmURL = startFakeLLM(t)

	pages, _ := filepath.Glob(filepath.Join(repoRoot(), "docs", "*.md"))
	pages = append([]string{filepath.Join(repoRoot(), "README.md")}, pages...)
	var notRun []string
	for _, page := range pages {
		rel, _ := filepath.Rel(repoRoot(), page)
		src, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		blocks := parseDoc(string(src))
		for _, b := range blocks {
			if b.noRun != "" && runnable(b) {
				notRun = append(notRun, fmt.Sprintf("%s:%d (%s): %s", rel, b.line, b.lang, b.noRun))
			}
		}
		t.Run(rel, func(t *testing.T) { runPage(t, env, rel, blocks) })
	}
	sort.Strings(notRun)
	t.Logf("examples not run here (annotated no-run in their page):\n  %s", strings.Join(notRun, "\n  "))
}

// runnable reports whether a block is an example the doc tests execute.
func runnable(b docBlock) bool {
	return b.lang == "sql" || b.lang == "sh" || b.lang == "json" || b.writeTo != ""
}

// startFakeLLM starts `modelsql fake-llm` on a free port, accepting any
// key, and returns its URL.
func startFakeLLM(t *testing.T) string {
	t.Helper()
	urlFile := filepath.Join(t.TempDir(), "llm-url")
	cmd := exec.Command(bin, "fake-llm", "--listen", "127.0.0.1:0", "--url-file", urlFile)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(urlFile); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return strings.TrimSpace(string(b))
		}
	}
	t.Fatalf("modelsql fake-llm did not start: %s", log.String())
	return ""
}

// page is one page's sandbox.
type page struct {
	t       *testing.T
	env     *docEnv
	name    string
	dir     string // working directory of every example
	pgPort  int
	replace *strings.Replacer
}

var userRE = regexp.MustCompile(`user=[^ ]+`)

var easHost = regexp.MustCompile(`https?://[A-Za-z0-9.-]+\.pai-eas\.aliyuncs\.com`)

// substitute applies the mapping of remote services (see the file comment).
func (p *page) substitute(s string) string {
	s = easHost.ReplaceAllString(s, p.env.llmURL)
	return p.replace.Replace(s)
}

func runPage(t *testing.T, env *docEnv, name string, blocks []docBlock) {
	p := &page{t: t, env: env, name: name, dir: t.TempDir(), pgPort: freePort(t)}
	port := strconv.Itoa(p.pgPort)
	p.replace = strings.NewReplacer(
		"http://127.0.0.1:18089", env.llmURL, "http://127.0.0.1:11434", env.llmURL,
		"http://127.0.0.1:8000", env.llmURL, "http://127.0.0.1:30000", env.llmURL, "http://10.0.0.5:8000", env.llmURL,
		"127.0.0.1:5433", "127.0.0.1:"+port, "port=5433", "port="+port, "port 5433", "port "+port,
		"/srv/", p.dir+"/srv/", "/tmp/warehouse", p.dir+"/warehouse",
	)
	p.setup()
	defer p.stopServers()
	for _, b := range blocks {
		if !runnable(b) || b.noRun != "" {
			continue
		}
		where := fmt.Sprintf("%s:%d", name, b.line)
		var err error
		switch {
		case b.writeTo != "":
			err = os.WriteFile(filepath.Join(p.dir, b.writeTo), []byte(p.substitute(b.text)), 0o600)
		case b.lang == "sh":
			err = p.runShell(b.text)
		case b.lang == "sql":
			err = p.runSQL(b)
		}
		if b.lang == "json" && !json.Valid([]byte(b.text)) {
			err = fmt.Errorf("the JSON example does not parse")
		}
		switch {
		case b.knownFailure != "" && err == nil:
			t.Errorf("%s: passes now: remove its annotation `known-failure: %s`", where, b.knownFailure)
		case b.knownFailure != "":
			t.Logf("%s: known failure (%s): %v", where, b.knownFailure, err)
		case err != nil:
			t.Errorf("%s: %v", where, err)
		}
	}
}

// setup writes the sandbox: storage.json for the default data directory,
// and bin/modelsql and psql wrappers (serve runs in the background and is
// waited for; psql remembers how it connected, for `sql psql` blocks).
func (p *page) setup() {
	t := p.t
	data := filepath.Join(p.dir, "modelsql-data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	mapped := map[string]any{"url": p.env.minio.url, "path_style": true, "region": "us-east-1"}
	cfg, _ := json.Marshal(map[string]any{
		"default_role": docRole,
		"s3":           map[string]any{"endpoint": p.env.minio.url, "region": "us-east-1", "path_style": true},
		"oss": map[string]any{"endpoints": map[string]any{
			"oss-cn-shanghai-internal.aliyuncs.com": mapped, "oss-cn-hangzhou-internal.aliyuncs.com": mapped, "oss-cn-hangzhou.aliyuncs.com": mapped}},
		"roles": map[string]any{docRole: map[string]any{"type": "static", "access_key_id": minioUser, "access_key_secret": p.env.minio.pass}},
	})
	if err := os.WriteFile(filepath.Join(data, "storage.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	// Examples run from the repository's root: examples/ is there.
	if err := os.Symlink(filepath.Join(repoRoot(), "examples"), filepath.Join(p.dir, "examples")); err != nil {
		t.Fatal(err)
	}
	binDir := filepath.Join(p.dir, "bin")
	os.MkdirAll(binDir, 0o755)
	psqlPath, _ := exec.LookPath("psql")
	wrapper := fmt.Sprintf(`#!/bin/bash
if [ "$1" = serve ]; then
  %q "$@" >>%q 2>&1 &
  echo $! >>%q
  for _ in $(seq 600); do
    (exec 3<>/dev/tcp/127.0.0.1/%d) 2>/dev/null && exit 0
    kill -0 $! 2>/dev/null || { cat %q >&2; exit 1; }
    sleep 0.05
  done
  exit 1
fi
exec %q "$@"
`, bin, filepath.Join(p.dir, "serve.log"), filepath.Join(p.dir, ".pids"), p.pgPort, filepath.Join(p.dir, "serve.log"), bin)
	psqlWrapper := fmt.Sprintf(`#!/bin/bash
printf '%%s\0' "$@" >%q
printf '%%s' "$PGPASSWORD" >%q
exec %q "$@"
`, filepath.Join(p.dir, ".psql-args"), filepath.Join(p.dir, ".psql-password"), psqlPath)
	for name, body := range map[string]string{"modelsql": wrapper, "psql": psqlWrapper} {
		if err := os.WriteFile(filepath.Join(binDir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func (p *page) stopServers() {
	b, _ := os.ReadFile(filepath.Join(p.dir, ".pids"))
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			continue
		}
		syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 200 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// runShell runs a sh block with bash -e in the sandbox.
func (p *page) runShell(text string) error {
	prelude := fmt.Sprintf(`set -eo pipefail
export PATH=%q:"$PATH"
make() {
  case "$1" in
    run) MODELSQL_BIN=%q MODELSQL_DATA=%q %q ;;
    test) echo "doctest: make test is not re-entered" ;;
    *) echo "doctest: no mapping for make $*" >&2; return 1 ;;
  esac
}
`, filepath.Join(p.dir, "bin"), bin, filepath.Join(p.dir, "modelsql-data"), filepath.Join(repoRoot(), "scripts", "demo.sh"))
	cmd := exec.Command("bash", "-c", prelude+p.substitute(text))
	cmd.Dir = p.dir
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("shell example failed (%v):\n%s\n--- output:\n%s", err, text, out)
	}
	return nil
}

// runSQL runs a SQL block statement by statement: with the CLI on the
// sandbox's default data directory, or with psql on the page's server.
// Statements without shown output are run in one process with the
// statements before the next one that shows output.
func (p *page) runSQL(b docBlock) error {
	steps, err := sqlSteps(p.substitute(b.text))
	if err != nil {
		return fmt.Errorf("split: %v", err)
	}
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, errMsg, ok := p.exec(b, batch)
		batch = nil
		if !ok {
			return fmt.Errorf("%s", errMsg)
		}
		return nil
	}
	for _, s := range steps {
		if len(s.expect) == 0 {
			batch = append(batch, s.stmt)
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		rows, errMsg, ok := p.exec(b, []string{s.stmt})
		where := fmt.Sprintf("statement at block line %d:\n%s\n", s.line, s.stmt)
		if wantErr, isErr := strings.CutPrefix(s.expect[0], "ERROR: "); isErr {
			want := strings.Join(append([]string{wantErr}, s.expect[1:]...), "\n")
			if ok {
				return fmt.Errorf("%sthe page shows an error, but it succeeded:\n%s", where, strings.Join(rows, "\n"))
			}
			if !matchLines([]string{want}, []string{errMsg}) {
				return fmt.Errorf("%serror differs from the page:\n  page: %s\n  got:  %s", where, want, errMsg)
			}
			continue
		}
		if !ok {
			return fmt.Errorf("%sfailed: %s", where, errMsg)
		}
		if !matchLines(s.expect, rows) {
			return fmt.Errorf("%soutput differs from the page:\n  page: %q\n  got:  %q", where, s.expect, rows)
		}
	}
	return flush()
}

// exec runs statements and returns the last one's rows (fields joined by
// " | ") or the error message without its "ERROR:" prefix.
func (p *page) exec(b docBlock, stmts []string) (rows []string, errMsg string, ok bool) {
	var cmd *exec.Cmd
	viaPsql := b.psql
	if viaPsql {
		args, err := os.ReadFile(filepath.Join(p.dir, ".psql-args"))
		if err != nil {
			return nil, "a `sql psql` block needs an earlier shell example that ran psql against the page's server", false
		}
		pw, _ := os.ReadFile(filepath.Join(p.dir, ".psql-password"))
		a := strings.Split(strings.TrimSuffix(string(args), "\x00"), "\x00")
		if b.user != "" { // the block logs in as another user
			for i := range a {
				a[i] = userRE.ReplaceAllString(a[i], "user="+b.user)
			}
			pw = []byte(b.pass)
		}
		a = append(a, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--csv", "-t")
		for _, s := range stmts {
			a = append(a, "-c", s)
		}
		cmd = exec.Command("psql", a...)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+string(pw), "PGCONNECT_TIMEOUT=20")
	} else {
		a := []string{"--format", "csv"}
		for _, s := range stmts {
			a = append(a, "-c", s)
		}
		cmd = exec.Command(bin, a...)
	}
	cmd.Dir = p.dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if i := strings.LastIndex(msg, "ERROR:"); i >= 0 {
			msg = strings.TrimSpace(msg[i+len("ERROR:"):])
		}
		return nil, msg, false
	}
	recs, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil {
		return strings.Split(strings.TrimRight(out.String(), "\n"), "\n"), "", true
	}
	if !viaPsql && len(recs) > 0 {
		recs = recs[1:] // the CLI prints a header
	}
	for _, r := range recs {
		rows = append(rows, strings.Join(r, " | "))
	}
	return rows, "", true
}
