package fakellm

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// APIKeyEnv is read for the expected token when --api-key is not given.
const APIKeyEnv = "MODELSQL_FAKE_LLM_API_KEY"

// Config is the parsed command line of `modelsql fake-llm`.
type Config struct {
	Listen  string
	Options Options
	Verbose bool
}

// ParseFlags parses the arguments of `modelsql fake-llm` (without the
// subcommand name). Usage and errors go to errOut. -h gives flag.ErrHelp.
func ParseFlags(args []string, errOut io.Writer) (Config, error) {
	fs := flag.NewFlagSet("fake-llm", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var (
		c        Config
		statuses string
		services string
		models   string
	)
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8089", "address to listen on (port 0 picks a free port)")
	fs.StringVar(&c.Options.APIKey, "api-key", "", "expected token (raw on /api/predict paths, Bearer on /v1); default $"+APIKeyEnv+", empty accepts any")
	fs.BoolVar(&c.Options.LenientAuth, "lenient-auth", false, "accept raw and Bearer tokens on every path")
	fs.DurationVar(&c.Options.Latency, "latency", 0, "latency added to every request, e.g. 50ms")
	fs.Float64Var(&c.Options.FailRate, "fail-rate", 0, "fraction of requests (0..1) answered with a --fail-status")
	fs.StringVar(&statuses, "fail-status", "429,503", "comma-separated statuses for --fail-rate")
	fs.StringVar(&c.Options.RetryAfter, "retry-after", "", "Retry-After sent with --fail-rate faults (seconds or HTTP-date)")
	fs.IntVar(&c.Options.FailLimit, "fail-limit", 0, "only the first N arrivals of a body can fail through --fail-rate (0 = no limit)")
	fs.Uint64Var(&c.Options.Seed, "seed", 1, "seed of the --fail-rate decisions")
	fs.StringVar(&c.Options.Fault, "fault", "", "fault for every request, e.g. hang, malformed, reset, 503;retry-after=1")
	fs.IntVar(&c.Options.EmbeddingDims, "dims", 1024, "default embedding dimensions")
	fs.StringVar(&services, "services", "", "comma-separated EAS service names to serve (default any)")
	fs.StringVar(&models, "models", "", "comma-separated model names to serve (default any)")
	fs.IntVar(&c.Options.MaxRecorded, "max-recorded", -1, "requests kept in memory (-1 none)")
	fs.BoolVar(&c.Verbose, "v", false, "log every request to stderr")
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
	fmt.Fprintf(out, "fake-llm listening on %s\n", r.URL)
	fmt.Fprintf(out, "  PAI-EAS: ENDPOINT='%s' PAI_EAS_SERVICE_NAME='<any>'\n", r.URL)
	fmt.Fprintf(out, "  OpenAI:  ENDPOINT='%s/v1' API_FLAVOR='openai'\n", r.URL)
	<-ctx.Done()
	return r.Shutdown()
}

// Main is `modelsql fake-llm [flags]`: it serves until SIGINT or SIGTERM.
func Main(args []string) error {
	cfg, err := ParseFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Serve(ctx, cfg, os.Stdout, os.Stderr)
}
