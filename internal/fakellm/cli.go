package fakellm

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// APIKeyEnv is read for the expected token when --api-key is not given.
const APIKeyEnv = "MODELSQL_FAKE_LLM_API_KEY"

// Config is the parsed command line of `modelsql fake-llm`.
type Config struct {
	Listen string
	// URLFile, when set, receives the server's URL (http://host:port and a
	// newline) once it listens, so that a script can start it on port 0.
	URLFile string
	Options Options
	Verbose bool
	// Version asks for modelsql's version instead (handled by the caller).
	Version bool
}

// usageHeader introduces `modelsql fake-llm --help`.
const usageHeader = `usage: modelsql fake-llm [--listen HOST:PORT] [--url-file FILE] [flags]

A deterministic PAI-EAS- and OpenAI-compatible LLM server for tests and demos
(docs/ai-functions.md §7). It prints its URL and the CREATE MODEL options that
reach it, then serves until SIGINT or SIGTERM. Routes:
  POST /api/predict/<service>/v1/chat/completions, /api/predict/<service>/v1/embeddings
  POST /v1/chat/completions, /v1/embeddings
  GET  .../v1/models, /healthz

Flags:
`

// ParseFlags parses the arguments of `modelsql fake-llm` (without the
// subcommand name). Usage and errors go to errOut. -h gives flag.ErrHelp.
func ParseFlags(args []string, errOut io.Writer) (Config, error) {
	fs := flag.NewFlagSet("modelsql fake-llm", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}
	var (
		c        Config
		statuses string
		services string
		models   string
	)
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8089", "address to listen on (port 0 picks a free port)")
	fs.StringVar(&c.URLFile, "url-file", "", "write the server's URL to this file once it listens (for scripts using port 0)")
	fs.StringVar(&c.Options.APIKey, "api-key", "", "expected token (raw on /api/predict paths, Bearer on /v1); default $"+APIKeyEnv+", empty accepts any")
	fs.BoolVar(&c.Options.LenientAuth, "lenient-auth", false, "accept raw and Bearer tokens on every path")
	fs.DurationVar(&c.Options.Latency, "latency", 0, "latency added to every request, e.g. 50ms")
	fs.IntVar(&c.Options.Workers, "workers", 0, "answer this many requests at a time, queueing the others (0 = no limit)")
	fs.Float64Var(&c.Options.FailRate, "fail-rate", 0, "fraction of requests (0..1) answered with a --fail-status")
	fs.StringVar(&statuses, "fail-status", "429,503", "comma-separated statuses for --fail-rate")
	fs.StringVar(&c.Options.RetryAfter, "retry-after", "", "Retry-After sent with --fail-rate faults (seconds or HTTP-date)")
	fs.IntVar(&c.Options.FailLimit, "fail-limit", 0, "only the first N arrivals of a body can fail through --fail-rate (0 = no limit)")
	fs.Uint64Var(&c.Options.Seed, "seed", 1, "seed of the --fail-rate decisions")
	fs.StringVar(&c.Options.Fault, "fault", "", "fault for every request, e.g. hang, malformed, reset, 503;retry-after=1")
	fs.IntVar(&c.Options.EmbeddingDims, "dims", 1024, "default embedding dimensions")
	fs.StringVar(&services, "services", "", "comma-separated EAS service names to serve (default any)")
	fs.StringVar(&models, "models", "", "comma-separated model names to serve (default any)")
	fs.IntVar(&c.Options.MaxEmbedInputs, "max-embed-inputs", 0, "answer embeddings requests with more inputs 413 (0 = no limit)")
	fs.IntVar(&c.Options.MaxInputChars, "max-input-chars", 0, "answer requests with a longer input 400 context length exceeded (0 = no limit)")
	fs.BoolVar(&c.Verbose, "v", false, "log every request to stderr")
	fs.BoolVar(&c.Version, "version", false, "print modelsql's version and exit")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("fake-llm: unexpected argument %q", fs.Arg(0))
	}
	if c.Options.APIKey == "" {
		c.Options.APIKey = os.Getenv(APIKeyEnv)
	}
	if c.Options.FailRate < 0 || c.Options.FailRate > 1 {
		return Config{}, fmt.Errorf("fake-llm: --fail-rate must be between 0 and 1")
	}
	for _, s := range splitList(statuses) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 400 || n > 599 {
			return Config{}, fmt.Errorf("fake-llm: --fail-status %q is not a status between 400 and 599", s)
		}
		c.Options.FailStatuses = append(c.Options.FailStatuses, n)
	}
	if c.Options.Fault != "" {
		if d := parseDirective(c.Options.Fault); d.kind == "invalid" {
			return Config{}, fmt.Errorf("fake-llm: bad --fault %q", c.Options.Fault)
		}
	}
	c.Options.Services = splitList(services)
	c.Options.Models = splitList(models)
	// Requests are recorded for Go tests (Server.Requests); the command has
	// no way to read them back, so it keeps none.
	c.Options.MaxRecorded = -1
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Running is a server listening on a real address.
type Running struct {
	*Server
	URL  string // http://host:port
	Addr net.Addr
	srv  *http.Server
}

// Shutdown stops the server, releasing hung requests.
func (r *Running) Shutdown() error {
	r.Server.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.srv.Shutdown(ctx)
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves a Server with
// options o in the background.
func Start(addr string, o Options) (*Running, error) {
	return start(addr, NewServer(o), nil)
}

func start(addr string, s *Server, logTo io.Writer) (*Running, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	var h http.Handler = s
	if logTo != nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t := time.Now()
			s.ServeHTTP(w, r)
			fmt.Fprintf(logTo, "%s %s %s %s\n", t.Format(time.RFC3339Nano), r.Method, r.URL.Path, time.Since(t).Round(time.Microsecond))
		})
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	go srv.Serve(ln)
	return &Running{Server: s, URL: "http://" + ln.Addr().String(), Addr: ln.Addr(), srv: srv}, nil
}

// Serve runs the server of cfg until ctx ends, printing its URL to out.
func Serve(ctx context.Context, cfg Config, out, errOut io.Writer) error {
	var logTo io.Writer
	if cfg.Verbose {
		logTo = errOut
	}
	r, err := start(cfg.Listen, NewServer(cfg.Options), logTo)
	if err != nil {
		return fmt.Errorf("fake-llm: %w", err)
	}
	if cfg.URLFile != "" {
		if err := writeFileAtomic(cfg.URLFile, r.URL+"\n"); err != nil {
			r.Shutdown()
			return fmt.Errorf("fake-llm: --url-file: %w", err)
		}
	}
	fmt.Fprint(out, Banner(r.URL, cfg.Options))
	<-ctx.Done()
	return r.Shutdown()
}

// Banner is what `modelsql fake-llm` prints once it listens on url: the
// CREATE MODEL options that reach it with options o (the names it serves
// when --services or --models restrict them; any name otherwise).
func Banner(url string, o Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fake-llm listening on %s\n", url)
	service, model := "'<any>'", "'<any>'"
	if len(o.Services) > 0 {
		service = quoteList(o.Services)
	}
	if len(o.Models) > 0 {
		model = quoteList(o.Models)
	}
	fmt.Fprintf(&b, "  PAI-EAS: ENDPOINT='%s' PAI_EAS_SERVICE_NAME=%s PAI_EAS_MODEL_NAME=%s\n", url, service, model)
	fmt.Fprintf(&b, "  OpenAI:  ENDPOINT='%s/v1' API_FLAVOR='openai' PAI_EAS_MODEL_NAME=%s\n", url, model)
	if o.APIKey != "" {
		b.WriteString("  APIKEY:  the --api-key value (or $" + APIKeyEnv + ")\n")
	} else {
		b.WriteString("  APIKEY:  any\n")
	}
	return b.String()
}

// quoteList is 'a' for one name, 'a' | 'b' for several.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, " | ")
}

// writeFileAtomic writes data to path through a temporary file renamed into
// place, so that a reader polling for path never sees it half written.
func writeFileAtomic(path, data string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fake-llm-url-*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
