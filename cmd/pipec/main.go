// Command pipec compiles declarative data pipelines into GitOps-ready files.
package main

import (
	"os"

	"github.com/pipec/pipec/internal/cli"
)

func main() { os.Exit(cli.Main()) }
