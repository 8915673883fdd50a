// Command gen writes N synthetic pipelines for pipec's benchmarks:
//
//	go run ./bench/gen -n 100 -o /tmp/pipelines
//
// writes /tmp/pipelines/pipelines/p0001 ... p0100 (pipec's input) and
// /tmp/pipelines/cue (the same specs as a CUE module, for the cue CLI).
// The output depends only on -n.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/pipec/pipec/bench/synth"
)

func main() {
	n := flag.Int("n", 10, "how many pipelines to write")
	out := flag.String("o", "", "directory to write them under; must not exist or be empty")
	flag.Parse()
	if *out == "" || *n < 1 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -n N -o DIR")
		os.Exit(2)
	}
	if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
		fmt.Fprintf(os.Stderr, "gen: %s is not empty; choose a new directory\n", *out)
		os.Exit(2)
	}
	if err := synth.Write(*out, *n); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}
