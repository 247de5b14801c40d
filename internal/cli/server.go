package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"
	"golang.org/x/term"

	"github.com/modelsql/modelsql/internal/access"
	"github.com/modelsql/modelsql/internal/dirlock"
	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/membudget"
	"github.com/modelsql/modelsql/internal/pgserver"
	"github.com/modelsql/modelsql/internal/promexport"
	"github.com/modelsql/modelsql/internal/session"
)

func init() {
	subcommands["serve"] = subcommand{run: serveMain, globals: []string{"data"}}
	subcommands["user"] = subcommand{run: userMain, globals: []string{"data"}}
}

// serveMain is `modelsql serve`.
func serveMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("modelsql serve", flag.ContinueOnError)
	var allow, allowHost multiFlag
	var (
		dataDir     = fs.String("data", "./modelsql-data", "data directory")
		listen      = fs.String("listen", "127.0.0.1:5433", "address to listen on (host:port)")
		certFile    = fs.String("tls-cert", "", "TLS certificate (PEM); enables SSL connections")
		keyFile     = fs.String("tls-key", "", "TLS private key (PEM)")
		grace       = fs.Duration("shutdown-grace", 30*time.Second, "on SIGTERM, how long running statements may finish before they are cancelled")
		maxConns    = fs.Int("max-connections", 200, "maximum concurrent sessions, administrators' reserve included")
		reserved    = fs.Int("reserved-connections", 3, "of --max-connections, sessions only administrators may use (0 = none)")
		maxPending  = fs.Int("max-pending-logins", 32, "maximum connections not yet authenticated (bounds concurrent authentications); more are refused")
		loginTO     = fs.Duration("login-timeout", 10*time.Second, "time a connection has to authenticate")
		maxCopy     = fs.Int64("max-copy-bytes", 8<<30, "maximum size of one COPY FROM STDIN (bytes, 0 = unlimited)")
		threads     = fs.Int("threads", 0, "DuckDB worker threads (0 = DuckDB's default)")
		memoryLimit = fs.String("memory-limit", "", "DuckDB memory_limit, e.g. 4GB")
		bufferMem   = fs.String("buffer-memory", "1GiB", "memory all buffered LLM answers and model downloads may hold at once, e.g. 512MiB")
		sessionMem  = fs.String("session-memory", "256MiB", "memory the server may hold for one session: results kept between messages and incoming messages, e.g. 64MiB")
		authDelay   = fs.Duration("auth-fail-delay", time.Second, "minimum time before a failed login is answered")
		metricsAddr = fs.String("metrics", "", "serve Prometheus metrics on http://ADDR/metrics (host:port; default: none)")
		version     = versionFlag(fs)
	)
	fs.Var(&allow, "allow-dir", "directory whose files users may read with read_csv & co. and CREATE MODEL LOCATION (may repeat)")
	fs.Var(&allowHost, "allow-host", "host (or *.domain, optionally :port) that non-administrators' ENDPOINT and http(s)/oss LOCATION may name (may repeat; default: any)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: modelsql serve [--data DIR] [--listen HOST:PORT] [--tls-cert F --tls-key F] [--allow-dir DIR]... [--allow-host HOST]...\n\nServes the data directory over the PostgreSQL wire protocol until SIGINT or SIGTERM\n(docs/server.md). Flags:\n")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\n"+exitCodesHelp)
	}
	if code, ok := parseFlags(fs, args, stdout, stderr, ""); !ok {
		return code
	}
	if *version {
		return printVersion(stdout, stderr)
	}
	if err := membudget.Configure(*bufferMem); err != nil {
		fmt.Fprintf(stderr, "ERROR: --buffer-memory: %v\n", err)
		return exitUsage
	}
	sessionBytes, err := humanize.ParseBytes(*sessionMem)
	if err != nil || sessionBytes < 1<<20 || sessionBytes > 1<<50 {
		fmt.Fprintf(stderr, "ERROR: --session-memory: not a size from 1MiB to 1PiB (e.g. 256MiB): %q\n", *sessionMem)
		return exitUsage
	}
	if *maxConns < 1 || *reserved < 0 || *reserved >= *maxConns || *maxPending < 1 || *loginTO <= 0 {
		fmt.Fprintln(stderr, "ERROR: need --max-connections ≥ 1, 0 ≤ --reserved-connections < --max-connections, --max-pending-logins ≥ 1 and a positive --login-timeout")
		return exitUsage
	}
	if *authDelay >= *loginTO {
		fmt.Fprintln(stderr, "ERROR: --auth-fail-delay must be shorter than --login-timeout (a failed login is answered within the login time)")
		return exitUsage
	}
	if (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(stderr, "ERROR: --tls-cert and --tls-key go together")
		return exitUsage
	}
	logger := log.New(stderr, "modelsql: ", log.LstdFlags)
	var tlsConfig *tls.Config
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: TLS: %v\n", err)
			return exitFailed
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	lock, code, ok := holdDataDir(ctx, *dataDir, dirlock.Serve, 60*time.Second, stderr, "")
	if !ok {
		return code
	}
	defer lock.Release()
	w, err := session.OpenWarehouse(ctx, *dataDir, session.Options{Engine: engine.Options{Threads: *threads, MemoryLimit: *memoryLimit}})
	if err != nil {
		return openFailed(err, stderr, "")
	}
	defer w.Close()
	if *metricsAddr != "" {
		stopMetrics, err := serveMetrics(w, *metricsAddr, logger)
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: --metrics: %v\n", err)
			return exitFailed
		}
		defer stopMetrics()
	}
	store, err := access.OpenStore(ctx, w.Engine.DB)
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return exitFailed
	}
	sn, err := store.Snapshot(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return exitFailed
	}
	if len(sn.Users) == 0 {
		fmt.Fprintf(stderr, "ERROR: the warehouse has no users yet; create the first administrator with\n  modelsql user add --admin NAME --data %s\n(password from stdin or MODELSQL_PASSWORD)\n", *dataDir)
		return exitFailed
	}
	if err := w.Engine.EnsureProject(ctx, "default"); err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return exitFailed
	}
	var allowDirs []string
	for _, d := range allow {
		abs, err := filepath.Abs(d)
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: --allow-dir %s: %v\n", d, err)
			return exitFailed
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "ERROR: --allow-dir %s is not a directory\n", d)
			return exitFailed
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		if abs == w.Engine.DataDir || strings.HasPrefix(w.Engine.DataDir, abs+string(filepath.Separator)) || strings.HasPrefix(abs, w.Engine.DataDir+string(filepath.Separator)) {
			fmt.Fprintf(stderr, "ERROR: --allow-dir %s overlaps the data directory\n", d)
			return exitFailed
		}
		allowDirs = append(allowDirs, abs)
	}
	w.LimitLocalFiles(allowDirs)
	if err := access.LockDown(ctx, w.Engine, allowDirs); err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return exitFailed
	}
	var allowHosts []access.HostPattern
	for _, h := range allowHost {
		p, err := access.ParseHostPattern(h)
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: %v\n", err)
			return exitUsage
		}
		allowHosts = append(allowHosts, p)
	}
	guard, err := access.NewGuard(store, access.GuardOptions{AllowDirs: allowDirs, AllowHosts: allowHosts, Logger: logger})
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return exitFailed
	}
	srv, err := pgserver.New(pgserver.Config{
		Warehouse: w, Guard: guard, TLS: tlsConfig, MaxCopyBytes: *maxCopy,
		AuthFailDelay: *authDelay, MaxConnections: *maxConns, ReservedConnections: reservedFlag(*reserved),
		MaxPendingLogins: *maxPending, LoginTimeout: *loginTO, SessionMemory: int64(sessionBytes), Logger: logger,
	})
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return exitFailed
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return exitFailed
	}
	if err := lock.SetListen(ln.Addr().String()); err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return exitFailed
	}
	tlsNote := "plain connections only"
	if tlsConfig != nil {
		tlsNote = "TLS available"
	}
	logger.Printf("serving %s on %s (%s; %d users)", w.Engine.DataDir, ln.Addr(), tlsNote, len(sn.Users))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		logger.Printf("shutting down: no new connections; running statements have %s to finish", *grace)
		srv.Shutdown(*grace)
	case err := <-errc:
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: %v\n", err)
			srv.Shutdown(0)
			return exitFailed
		}
	}
	if err := w.Close(); err != nil {
		fmt.Fprintf(stderr, "ERROR: close: %v\n", err)
		return exitFailed
	}
	logger.Printf("stopped")
	return exitOK
}

// reservedFlag maps --reserved-connections (0 = none) to
// pgserver.Config.ReservedConnections (0 = default, negative = none).
func reservedFlag(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// userMain is `modelsql user add|passwd|del|list`.
func userMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("modelsql user", flag.ContinueOnError)
	dataDir := fs.String("data", "./modelsql-data", "data directory")
	admin := fs.Bool("admin", false, "the user is an administrator (add)")
	version := versionFlag(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: modelsql [--data DIR] user add [--admin] NAME   (password from stdin or MODELSQL_PASSWORD)
       modelsql [--data DIR] user passwd NAME
       modelsql [--data DIR] user del NAME
       modelsql [--data DIR] user list
Manages the users of 'modelsql serve' while no server runs on the data
directory (while one does, use CREATE USER, ALTER USER, DROP USER over SQL).
Flags may also follow the verb or the name. Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\n"+exitCodesHelp)
	}
	var pos []string
	if code, ok := parseWith(fs, stdout, stderr, func() (err error) {
		pos, err = parseInterspersed(fs, args)
		return err
	}); !ok {
		return code
	}
	if *version {
		return printVersion(stdout, stderr)
	}
	usageError := func(msg string) int {
		fmt.Fprintf(stderr, "ERROR: %s\n(run 'modelsql user --help' for usage)\n", msg)
		return exitUsage
	}
	if len(pos) == 0 {
		return usageError("modelsql user needs a verb: add, passwd, del or list")
	}
	verb := pos[0]
	pos = pos[1:]
	need := 1
	switch verb {
	case "add", "passwd", "del":
	case "list":
		need = 0
	default:
		return usageError(fmt.Sprintf("unknown verb %q: use add, passwd, del or list", verb))
	}
	if len(pos) != need {
		if need == 0 {
			return usageError(fmt.Sprintf("modelsql user %s takes no name", verb))
		}
		return usageError(fmt.Sprintf("modelsql user %s takes one user name", verb))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The directory is checked before the password is asked for, so that a
	// running server is reported before anyone types a password.
	const overSQL = "\n(while the server runs, manage users over SQL as an administrator: CREATE USER, ALTER USER, DROP USER)"
	lock, code, ok := holdDataDir(ctx, *dataDir, dirlock.User, 5*time.Second, stderr, overSQL)
	if !ok {
		return code
	}
	defer lock.Release()
	var password string
	if verb == "add" || verb == "passwd" {
		p, err := readPassword(stdin, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: %v\n", err)
			return exitFailed
		}
		password = p
	}
	w, err := session.OpenWarehouse(ctx, *dataDir, session.Options{Engine: engine.Options{LockTimeout: 5 * time.Second}})
	if err != nil {
		return openFailed(err, stderr, overSQL)
	}
	defer w.Close()
	store, err := access.OpenStore(ctx, w.Engine.DB)
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return exitFailed
	}
	switch verb {
	case "add":
		err = store.AddUser(ctx, pos[0], password, *admin)
		if err == nil {
			kind := "user"
			if *admin {
				kind = "administrator"
			}
			fmt.Fprintf(stdout, "created %s %s\n", kind, strings.ToLower(pos[0]))
		}
	case "passwd":
		err = store.SetPassword(ctx, pos[0], password)
		if err == nil {
			fmt.Fprintf(stdout, "password of %s changed\n", strings.ToLower(pos[0]))
		}
	case "del":
		var sn *access.Snapshot
		sn, err = store.Snapshot(ctx)
		if err == nil {
			u := sn.User(pos[0])
			switch {
			case u == nil:
				err = fmt.Errorf("user %s does not exist", strings.ToLower(pos[0]))
			case u.Admin && sn.AdminCount() == 1:
				err = fmt.Errorf("%s is the last administrator", u.Name)
			default:
				_, err = store.DropUser(ctx, pos[0])
				if err == nil {
					fmt.Fprintf(stdout, "dropped user %s\n", u.Name)
				}
			}
		}
	case "list":
		var sn *access.Snapshot
		sn, err = store.Snapshot(ctx)
		if err == nil {
			for _, n := range sn.UserNames() {
				u := sn.Users[n]
				role := "user"
				if u.Admin {
					role = "admin"
				}
				fmt.Fprintf(stdout, "%s\t%s\t%s\n", u.Name, role, strings.Join(sn.RolesOf(u.Name), ","))
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// readPassword takes the password from MODELSQL_PASSWORD, a terminal
// prompt (asked twice, not echoed), or the first line of stdin.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if p := os.Getenv("MODELSQL_PASSWORD"); p != "" {
		return p, nil
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords differ")
		}
		if len(p1) == 0 {
			return "", errors.New("empty password")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password: give it on stdin or in MODELSQL_PASSWORD")
	}
	return line, nil
}

// serveMetrics serves the warehouse's counters in Prometheus' text format on
// addr (path /metrics) until the returned function is called.
func serveMetrics(w *session.Warehouse, addr string, logger *log.Logger) (func(), error) {
	m := promexport.New()
	w.Observer = m
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	logger.Printf("metrics on http://%s/metrics", ln.Addr())
	return func() { hs.Close() }, nil
}
