package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/modelsql/modelsql/internal/fakellm"
)

func init() {
	subcommands["fake-llm"] = subcommand{run: fakeLLMMain}
}

// fakeLLMMain is `modelsql fake-llm`: the deterministic PAI-EAS /
// OpenAI-compatible test server, until SIGINT or SIGTERM.
func fakeLLMMain(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	cfg, err := fakellm.ParseFlags(args, io.Discard)
	if errors.Is(err, flag.ErrHelp) {
		fakellm.ParseFlags([]string{"-h"}, stdout)
		fmt.Fprint(stdout, "\n"+exitCodesHelp)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n(run 'modelsql fake-llm --help' for usage)\n", err)
		return exitUsage
	}
	if cfg.Version {
		return printVersion(stdout, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := fakellm.Serve(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return exitFailed
	}
	return exitOK
}
