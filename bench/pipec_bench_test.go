package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pipec/pipec/bench/synth"
	"github.com/pipec/pipec/internal/cli"
)

// The whole commands, in process, over synthetic trees: what to profile
// when bench/run says a command is slow, e.g.
//
//	go test ./bench -run '^$' -bench 'Build/N=100' -benchtime 1x -cpuprofile cpu.out
//	go tool pprof -top -cum bench.test cpu.out
//
// -args -sizes=1000 runs them on 1000 pipelines.

var sizesFlag = flag.String("sizes", "1,10,100", "comma-separated numbers of pipelines the whole-command benchmarks run on")

func sizes(b *testing.B) []int {
	var out []int
	for _, f := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			b.Fatalf("-sizes: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out
}

func tree(b *testing.B, n int) string {
	dir := b.TempDir()
	if err := synth.Write(dir, n); err != nil {
		b.Fatal(err)
	}
	b.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	b.Setenv("PIPEC_CACHE", filepath.Join(dir, "cache", "build"))
	return dir
}

func run(b *testing.B, args ...string) {
	if code := cli.Run(context.Background(), args, io.Discard, os.Stderr); code != cli.ExitOK {
		b.Fatalf("pipec %v: exit %d", args, code)
	}
}

// BenchmarkVet is `pipec vet` over N synthetic pipelines.
func BenchmarkVet(b *testing.B) {
	for _, n := range sizes(b) {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			dir := tree(b, n)
			for b.Loop() {
				run(b, "vet", filepath.Join(dir, "pipelines")+"/...")
			}
		})
	}
}

// BenchmarkBuild is a cold `pipec build` of N synthetic pipelines: an
// empty output directory and an empty build cache.
func BenchmarkBuild(b *testing.B) {
	for _, n := range sizes(b) {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			dir := tree(b, n)
			in := filepath.Join(dir, "pipelines") + "/..."
			i := 0
			for b.Loop() {
				i++
				os.Setenv("PIPEC_CACHE", filepath.Join(dir, "cache", fmt.Sprintf("build%d", i)))
				run(b, "build", "-o", filepath.Join(dir, fmt.Sprintf("out%d", i)), in)
			}
		})
	}
}

// BenchmarkRebuild is `pipec build` of N synthetic pipelines over its own
// output, with the build cache of the first build: nothing to compile and
// nothing to write.
func BenchmarkRebuild(b *testing.B) {
	for _, n := range sizes(b) {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			dir := tree(b, n)
			in, out := filepath.Join(dir, "pipelines")+"/...", filepath.Join(dir, "out")
			run(b, "build", "-o", out, in)
			for b.Loop() {
				run(b, "build", "-o", out, in)
			}
		})
	}
}
