// Command modelsql is a SQL warehouse in which machine-learning models are
// first-class, versioned objects. See the README for usage.
package main

import (
	"os"

	"github.com/modelsql/modelsql/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
