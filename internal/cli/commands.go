package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/modelsql/modelsql/internal/buildinfo"
	"github.com/modelsql/modelsql/internal/dirlock"
	"github.com/modelsql/modelsql/internal/engine"
)

// Exit statuses of every modelsql command (README, "Using it").
const (
	exitOK     = 0
	exitFailed = 1 // a statement or an operation failed
	exitUsage  = 2 // bad flags or arguments; nothing was run
	exitBusy   = 3 // the data directory is held by another process (a server, a shell)
)

// exitCodesHelp ends the usage of every command.
const exitCodesHelp = `Exit status: 0 success; 1 a statement or operation failed (statements before
it stay done); 2 bad flags or arguments (nothing was run); 3 the data directory
is held by another process (modelsql serve, a shell, a running script).
`

// subcommand is one `modelsql NAME ...` command.
type subcommand struct {
	run func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
	// globals are the global flags (given before NAME) the command takes;
	// they are passed on to it as if given after NAME.
	globals []string
}

// Subcommands, registered by the files that implement them.
var subcommands = map[string]subcommand{
	"version": {run: versionMain},
}

// subcommandNames lists the subcommands for messages.
func subcommandNames() string {
	var names []string
	for n := range subcommands {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// dispatch runs the subcommand fs.Arg(0) with the global flags set in fs.
func dispatch(fs *flag.FlagSet, stdin io.Reader, stdout, stderr io.Writer) int {
	name := fs.Arg(0)
	sub, ok := subcommands[name]
	if !ok {
		fmt.Fprintf(stderr, "ERROR: unexpected argument %q: SQL goes after -c; subcommands are %s\n", name, subcommandNames())
		return exitUsage
	}
	var pass []string
	var bad string
	fs.Visit(func(f *flag.Flag) {
		switch {
		case slices.Contains(sub.globals, f.Name):
			pass = append(pass, "--"+f.Name+"="+f.Value.String())
		case bad == "":
			bad = f.Name
		}
	})
	if bad != "" {
		fmt.Fprintf(stderr, "ERROR: --%s does not apply to modelsql %s\n", bad, name)
		return exitUsage
	}
	return sub.run(append(pass, fs.Args()[1:]...), stdin, stdout, stderr)
}

// parseArgs parses args into fs. --help prints fs's usage on stdout; a bad
// flag is reported on stderr. ok is false when the command must exit with code.
func parseArgs(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	return parseWith(fs, stdout, stderr, func() error { return fs.Parse(args) })
}

// parseWith runs parse (fs.Parse or an interspersed parse) as parseArgs does.
func parseWith(fs *flag.FlagSet, stdout, stderr io.Writer, parse func() error) (code int, ok bool) {
	fs.SetOutput(io.Discard)
	err := parse()
	fs.SetOutput(stderr)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK, false
	}
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n(run '%s --help' for usage)\n", err, fs.Name())
		return exitUsage, false
	}
	return exitOK, true
}

// parseFlags parses args into fs, for a command that takes no positional
// arguments (hint follows the error about one).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer, hint string) (code int, ok bool) {
	if code, ok := parseArgs(fs, args, stdout, stderr); !ok {
		return code, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ERROR: unexpected argument %q%s\n", fs.Arg(0), hint)
		return exitUsage, false
	}
	return exitOK, true
}

// parseInterspersed parses flags that may follow positional arguments
// (modelsql user add --admin NAME --data DIR) and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// versionFlag adds --version to fs.
func versionFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("version", false, "print the version, the commit and the DuckDB version, and exit")
}

// versionMain is `modelsql version`.
func versionMain(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("modelsql version", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: modelsql version   (also: modelsql --version)\nPrints modelsql's version and commit and the DuckDB version it embeds.")
	}
	versionFlag(fs)
	if code, ok := parseFlags(fs, args, stdout, stderr, ""); !ok {
		return code
	}
	return printVersion(stdout, stderr)
}

// printVersion writes modelsql's version, commit and DuckDB version.
func printVersion(stdout, stderr io.Writer) int {
	info := buildinfo.Get()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	duck, source, err := engine.DuckDBVersion(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: DuckDB version: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "modelsql %s\ncommit %s\nDuckDB %s (%s)\n%s %s/%s\n",
		info.Version, info.Commit, duck, source, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}

// holdDataDir takes the data directory's lock for command before DuckDB
// opens it, so that a directory held by a server or a shell is reported at
// once (exit status 3) and a wait for a script is announced. ok is false
// when the command must exit with code; hint follows a busy error.
func holdDataDir(ctx context.Context, dataDir, command string, wait time.Duration, stderr io.Writer, hint string) (l *dirlock.Lock, code int, ok bool) {
	l, err := dirlock.Acquire(ctx, dataDir, dirlock.Options{
		Command: command,
		Wait:    wait,
		Waiting: func(h dirlock.Holder) {
			fmt.Fprintf(stderr, "modelsql: waiting up to %s for %s to release the data directory %s\n", wait, h, dataDir)
		},
	})
	var busy *dirlock.BusyError
	if errors.As(err, &busy) {
		fmt.Fprintf(stderr, "ERROR: %v%s\n", err, hint)
		return nil, exitBusy, false
	}
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return nil, exitFailed, false
	}
	return l, exitOK, true
}

// openFailed reports an error opening the warehouse; DuckDB's own lock
// conflict (a process that took no modelsql.lock: an older modelsql, the
// duckdb shell) is exit status 3 too, with the holder DuckDB names.
func openFailed(err error, stderr io.Writer, hint string) int {
	if msg, ok := lockConflict(err); ok {
		fmt.Fprintf(stderr, "ERROR: %s%s\n", msg, hint)
		return exitBusy
	}
	fmt.Fprintf(stderr, "ERROR: %v\n", err)
	return exitFailed
}

// duckdbLockHolder matches DuckDB's "Conflicting lock is held in PROGRAM (PID N)".
var duckdbLockHolder = regexp.MustCompile(`Could not set lock on file "([^"]*)": Conflicting lock is held in (.*) \(PID (\d+)\)`)

// lockConflict rewrites DuckDB's lock error as a sentence naming the
// holding process, without DuckDB's error class and documentation link.
func lockConflict(err error) (string, bool) {
	text := err.Error()
	if !strings.Contains(text, "Could not set lock") {
		return "", false
	}
	m := duckdbLockHolder.FindStringSubmatch(text)
	if m == nil {
		return text, true
	}
	return fmt.Sprintf("%s is in use by process %s (%s), which did not let it go in time; stop it, or connect to it if it is a server", m[1], m[3], m[2]), true
}
