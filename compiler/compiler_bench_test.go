package compiler_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipec/pipec/bench/compiled"
	"github.com/pipec/pipec/compiler"
)

// BenchmarkSchemaLoad measures what every pipeline pays before its own
// evaluation: a fresh cue.Context with the embedded schema compiled in.
func BenchmarkSchemaLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := compiler.LoadSchema(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompile measures one pipeline's whole compilation: loading its
// package, the schema, evaluating and checking every environment, and
// decoding each into the model.
func BenchmarkCompile(b *testing.B) {
	for _, name := range compiled.Names {
		b.Run(name, func(b *testing.B) {
			root, dir := compiled.Dir(b, name)
			b.ReportAllocs()
			for b.Loop() {
				res, err := compiler.Compile(context.Background(), []string{dir}, compiler.Options{Root: root})
				if err != nil {
					b.Fatal(err)
				}
				if res.Diagnostics.HasErrors() || len(res.Specs) != 1 {
					b.Fatalf("%s does not compile: %v", dir, res.Diagnostics)
				}
			}
		})
	}
}

// BenchmarkCompileWithWarning is BenchmarkCompile/synthetic with a warning
// in every environment (a dead-letter topic no subscription reads): a
// finding's position must not cost another evaluation of the environment.
func BenchmarkCompileWithWarning(b *testing.B) {
	root, dir := compiled.Dir(b, "synthetic")
	extra := "package " + filepath.Base(dir) + "\n\n" +
		`topics: "audit-dead-letter": {}` + "\n" +
		`subscriptions: "events-audit": {topic: "events", deadLetter: topic: "audit-dead-letter"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "warning.cue"), []byte(extra), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := compiler.Compile(context.Background(), []string{dir}, compiler.Options{Root: root})
		if err != nil {
			b.Fatal(err)
		}
		if res.Diagnostics.HasErrors() || len(res.Diagnostics) != 1 || len(res.Specs) != 1 {
			b.Fatalf("%s: want one warning, got %v", dir, res.Diagnostics)
		}
	}
}
