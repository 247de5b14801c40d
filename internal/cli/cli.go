// Package cli is the modelsql command line: flags, script execution and the
// interactive shell. cmd/modelsql only calls Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/chzyer/readline"
	"golang.org/x/term"

	"github.com/modelsql/modelsql/internal/output"
	"github.com/modelsql/modelsql/internal/parser"
	"github.com/modelsql/modelsql/internal/session"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, "; ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// Subcommands registered by other packages' wiring (serve, user, fake-llm).
var subcommands = map[string]func(args []string, stdin io.Reader, stdout, stderr io.Writer) int{}

// Main runs modelsql with args (without the program name) and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if sub, ok := subcommands[args[0]]; ok {
			return sub(args[1:], stdin, stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("modelsql", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		commands multiFlag
		dataDir  = fs.String("data", "./modelsql-data", "data directory (created on first use)")
		project  = fs.String("project", "default", "current project (created on first use)")
		file     = fs.String("f", "", "run the statements of a SQL script file")
		format   = fs.String("format", output.Table, "output format: table, csv or jsonl")
		goOn     = fs.Bool("continue-on-error", false, "run the remaining statements after a failing one")
	)
	fs.Var(&commands, "c", "run SQL (may repeat; may hold several ';'-separated statements)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: modelsql [--data DIR] [--project NAME] [-c SQL]... [-f FILE] [--format table|csv|jsonl] [--continue-on-error]\n")
		fmt.Fprintf(stderr, "       modelsql serve|user|fake-llm ... (see README)\n\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr, " (SQL goes after -c)"); !ok {
		return code
	}
	if !output.Valid(*format) {
		fmt.Fprintf(stderr, "ERROR: unknown --format %q: use table, csv or jsonl\n", *format)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	w, err := session.OpenWarehouse(ctx, *dataDir, session.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return 1
	}
	defer w.Close()
	sess, err := w.NewSession(ctx, session.SessionOptions{Project: *project, CreateProject: true, Admin: true})
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return 1
	}
	defer sess.Close()
	sess.Warnings = stderr

	r := &runner{sess: sess, out: stdout, errw: stderr, format: *format, goOn: *goOn, progress: isTerminal(stderr)}
	switch {
	case len(commands) > 0 || *file != "":
		for _, c := range commands {
			if !r.runScript(ctx, c, "") {
				return 1
			}
		}
		if *file != "" {
			b, err := os.ReadFile(*file)
			if err != nil {
				fmt.Fprintf(stderr, "ERROR: %v\n", err)
				return 1
			}
			if !r.runScript(ctx, string(b), *file) {
				return 1
			}
		}
	case isTerminal(stdin):
		return r.shell(ctx, *dataDir)
	default:
		b, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: %v\n", err)
			return 1
		}
		if !r.runScript(ctx, string(b), "") {
			return 1
		}
	}
	if r.failed {
		return 1
	}
	return 0
}

type runner struct {
	sess   *session.Session
	out    io.Writer
	errw   io.Writer
	format string
	goOn   bool
	failed bool
	// progress reports rows scored by long inference statements on stderr
	// (only when stderr is a terminal).
	progress bool
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
	r.print(res)
	return true
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
	home, _ := os.UserHomeDir()
	rl, err := readline.NewEx(&readline.Config{
		Prompt:          r.prompt(),
		HistoryFile:     filepath.Join(home, ".modelsql_history"),
		InterruptPrompt: "^C",
		EOFPrompt:       "",
	})
	if err != nil {
		fmt.Fprintf(r.errw, "ERROR: %v\n", err)
		return 1
	}
	defer rl.Close()
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
			return 0
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
		r.failed = false
		r.runScript(ctx, buf.String(), "")
		buf.Reset()
		rl.SetPrompt(r.prompt())
	}
}

func (r *runner) prompt() string {
	return fmt.Sprintf("modelsql:%s.%s> ", r.sess.Project(), r.sess.Schema())
}

// parseFlags parses args into fs, for a command that takes no positional
// arguments (hint follows the error about one). ok is false when the
// command must exit, with code.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, hint string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		return parseExitCode(err), false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ERROR: unexpected argument %q%s\n", fs.Arg(0), hint)
		return 2, false
	}
	return 0, true
}

// parseExitCode is the exit code after a flag parsing error: 0 for -h,
// whose usage the flag package printed, 2 for a bad flag it reported.
func parseExitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
