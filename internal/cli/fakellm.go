package cli

import (
	"fmt"
	"io"

	"github.com/modelsql/modelsql/internal/fakellm"
)

// modelsql fake-llm: the deterministic PAI-EAS / OpenAI-compatible test server.
func init() {
	subcommands["fake-llm"] = func(args []string, _ io.Reader, _, stderr io.Writer) int {
		if err := fakellm.Main(args); err != nil {
			fmt.Fprintf(stderr, "ERROR: %v\n", err)
			return 1
		}
		return 0
	}
}
