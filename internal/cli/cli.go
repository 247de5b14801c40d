// Package cli is the modelsql command line: flags, script execution and the
// interactive shell. cmd/modelsql only calls Main.
package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/chzyer/readline"
	"golang.org/x/term"

	"github.com/modelsql/modelsql/internal/dirlock"
	"github.com/modelsql/modelsql/internal/output"
	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/session"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, "; ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// mainUsage introduces `modelsql --help`.
const mainUsage = `usage: modelsql [flags]                       interactive shell (stdin a terminal)
       modelsql [flags] -c SQL [-c SQL]...     run statements
       modelsql [flags] -f FILE                run a script
       modelsql [flags] < FILE                 run the statements on stdin
       modelsql [--data DIR] serve [flags]     PostgreSQL wire server (docs/server.md)
       modelsql [--data DIR] user add|passwd|del|list ...   server users, offline
       modelsql fake-llm [flags]               test LLM server (PAI-EAS / OpenAI)
       modelsql version | --version            version, commit, DuckDB version

Global flags go before or after the subcommand (modelsql --data DIR serve, or
modelsql serve --data DIR); 'modelsql SUBCOMMAND --help' describes each one.

Flags:
`

// Main runs modelsql with args (without the program name) and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("modelsql", flag.ContinueOnError)
	var (
		commands multiFlag
		dataDir  = fs.String("data", "./modelsql-data", "data directory (created on first use)")
		project  = fs.String("project", "default", "current project (created on first use)")
		file     = fs.String("f", "", "run the statements of a SQL script file")
		format   = fs.String("format", output.Table, "output format: table, csv or jsonl")
		goOn     = fs.Bool("continue-on-error", false, "run the remaining statements after a failing one (the exit status is still 1)")
		version  = versionFlag(fs)
	)
	fs.Var(&commands, "c", "run SQL (may repeat; may hold several ';'-separated statements)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), mainUsage)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\n"+exitCodesHelp)
	}
	if code, ok := parseArgs(fs, args, stdout, stderr); !ok {
		return code
	}
	if *version {
		return printVersion(stdout, stderr)
	}
	if fs.NArg() > 0 {
		return dispatch(fs, stdin, stdout, stderr)
	}
	if !output.Valid(*format) {
		fmt.Fprintf(stderr, "ERROR: unknown --format %q: use table, csv or jsonl\n", *format)
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	interactive := len(commands) == 0 && *file == "" && isTerminal(stdin)
	holder := dirlock.Script
	if interactive {
		holder = dirlock.Shell
	}
	lock, code, ok := holdDataDir(ctx, *dataDir, holder, 60*time.Second, stderr, "")
	if !ok {
		return code
	}
	defer lock.Release()
	w, err := session.OpenWarehouse(ctx, *dataDir, session.Options{})
	if err != nil {
		return openFailed(err, stderr, "")
	}
	defer w.Close()
	sess, err := w.NewSession(ctx, session.SessionOptions{Project: *project, CreateProject: true, Admin: true})
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return exitFailed
	}
	defer sess.Close()
	sess.Warnings = stderr

	// Only the interactive shell shows progress and summaries: -c, -f and
	// piped scripts print their results and nothing extra.
	showProgress := interactive
	r := &runner{sess: sess, out: stdout, errw: stderr, format: *format, goOn: *goOn, progress: showProgress && isTerminal(stderr)}
	if showProgress {
		sess.Notices = &r.notices
	}
	switch {
	case len(commands) > 0 || *file != "":
		for _, c := range commands {
			if !r.runScript(ctx, c, "") {
				return exitFailed
			}
		}
		if *file != "" {
			b, err := os.ReadFile(*file)
			if err != nil {
				fmt.Fprintf(stderr, "ERROR: %v\n", err)
				return exitFailed
			}
			if !r.runScript(ctx, string(b), *file) {
				return exitFailed
			}
		}
	case interactive:
		return r.shell(ctx, *dataDir)
	default:
		b, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: %v\n", err)
			return exitFailed
		}
		if !r.runScript(ctx, string(b), "") {
			return exitFailed
		}
	}
	if r.failed {
		return exitFailed
	}
	return exitOK
}

type runner struct {
	sess   *session.Session
	out    io.Writer
	errw   io.Writer
	format string
	goOn   bool
	failed bool
	// progress reports rows scored by long inference statements on stderr
	// (only in the interactive shell, when stderr is a terminal).
	progress bool
	// notices holds the statement's summary until its progress bar is
	// cleared (interactive shell only).
	notices bytes.Buffer
}

// showProgress prints, after two seconds and then twice a second, how many
// rows the running statement's inference calls have finished. The returned
// function stops it and clears the line.
func (r *runner) showProgress() func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		shown := false
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(r.errw, "\r\033[K")
				}
				return
			case <-tick.C:
				if done, total := r.sess.TrainingProgress(); total > 0 {
					shown = true
					fmt.Fprintf(r.errw, "\r\033[Ktraining: %d of %d rounds (%.0fs)", done, total, time.Since(start).Seconds())
					continue
				}
				if p, ok := r.sess.AIProgress(); ok {
					if p.Elapsed > time.Second {
						shown = true
						fmt.Fprintf(r.errw, "\r\033[K%s", p.Bar())
					}
					continue
				}
				rows, funcs := r.sess.Progress()
				if funcs == "" || time.Since(start) < 2*time.Second {
					continue
				}
				shown = true
				fmt.Fprintf(r.errw, "\r\033[K%s: %d rows done (%.0fs)", funcs, rows, time.Since(start).Seconds())
			}
		}
	}()
	return func() { close(done); <-finished }
}

// runScript runs every statement of a script; it returns false when the run must stop.
func (r *runner) runScript(ctx context.Context, script, file string) bool {
	// Split returns the statements before a lexical error with the error:
	// those run first, as they would in a statement-by-statement client.
	pieces, splitErr := parser.Split(script)
	for _, p := range pieces {
		if !r.runOne(ctx, p) && !r.goOn {
			return false
		}
	}
	if splitErr != nil {
		r.report(splitErr)
		return r.goOn
	}
	return true
}

func (r *runner) runOne(ctx context.Context, p parser.Piece) bool {
	stmt := p.Text
	stop := func() {}
	if r.progress {
		stop = r.showProgress()
	}
	res, err := r.sess.Exec(ctx, stmt)
	stop()
	if r.notices.Len() > 0 {
		r.errw.Write(r.notices.Bytes())
		r.notices.Reset()
	}
	if err != nil {
		// Syntax errors name the line and column in the whole script.
		var se *parser.SyntaxError
		if errors.As(err, &se) {
			moved := *se
			moved.Pos = p.ScriptPos(se.Pos)
			err = &moved
		}
		r.report(err)
		return false
	}
	r.print(statusOnly(res, stmt))
	return true
}

// statusOnly turns DuckDB's answer to a statement that returns nothing
// (CREATE TABLE, SET, DROP, BEGIN, ...: an empty "Count" or "Success"
// column) into the "OK" that modelsql's own statements print. A query that
// happens to return no rows in such a column stays a table.
func statusOnly(res *session.Result, stmt string) *session.Result {
	if len(res.Rows) > 0 || len(res.Columns) != 1 || (res.Columns[0] != "Count" && res.Columns[0] != "Success") {
		return res
	}
	if w := parser.LeadingWords(stmt, 1); len(w) == 0 || queryWords[w[0]] {
		return res
	}
	return &session.Result{Message: "OK"}
}

// queryWords start statements whose result is a table, even an empty one.
var queryWords = map[string]bool{
	"SELECT": true, "WITH": true, "FROM": true, "VALUES": true, "TABLE": true, "SHOW": true,
	"DESCRIBE": true, "DESC": true, "SUMMARIZE": true, "CALL": true, "EXPLAIN": true,
	"PIVOT": true, "UNPIVOT": true,
}

func (r *runner) report(err error) {
	r.failed = true
	fmt.Fprintf(r.errw, "ERROR: %s\n", err.Error())
}

func (r *runner) print(res *session.Result) {
	if len(res.Columns) == 0 {
		if r.format == output.Table && res.Message != "" {
			fmt.Fprintln(r.out, res.Message)
		}
		return
	}
	if err := output.Write(r.out, r.format, res.Columns, res.Rows); err != nil {
		r.report(err)
	}
}

func isTerminal(x any) bool {
	f, ok := x.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// shell is the interactive loop: line editing, history, statements ending in ';'.
func (r *runner) shell(ctx context.Context, dataDir string) int {
	hist := &history{path: historyPath()}
	entries, err := hist.load()
	if err != nil {
		fmt.Fprintf(r.errw, "WARNING: history %s: %v (not recorded this session)\n", hist.path, err)
		hist.path = ""
	}
	rl, err := readline.NewEx(&readline.Config{
		Prompt:          r.prompt(),
		InterruptPrompt: "^C",
		EOFPrompt:       "",
		// Whole statements are recorded by hist, not every line typed.
		DisableAutoSaveHistory: true,
		HistoryLimit:           historyLimit,
	})
	if err != nil {
		fmt.Fprintf(r.errw, "ERROR: %v\n", err)
		return exitFailed
	}
	defer rl.Close()
	for _, e := range entries {
		rl.SaveHistory(e) // no HistoryFile: memory only
	}
	fmt.Fprintf(r.out, "modelsql on %s — statements end with ';', Ctrl-D quits.\n", dataDir)
	var buf strings.Builder
	for {
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			buf.Reset()
			rl.SetPrompt(r.prompt())
			continue
		}
		if err != nil { // io.EOF
			return exitOK
		}
		if buf.Len() == 0 && strings.TrimSpace(line) == "" {
			continue
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		if !parser.Complete(buf.String()) {
			rl.SetPrompt("      -> ")
			continue
		}
		if e := historyEntry(buf.String()); e != "" {
			rl.SaveHistory(e)
			if err := hist.add(e); err != nil {
				fmt.Fprintf(r.errw, "WARNING: history: %v\n", err)
			}
		}
		r.failed = false
		r.runScript(ctx, buf.String(), "")
		buf.Reset()
		rl.SetPrompt(r.prompt())
	}
}

func (r *runner) prompt() string {
	return fmt.Sprintf("modelsql:%s.%s> ", r.sess.Project(), r.sess.Schema())
}
