package compiler_test

import (
	"context"
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
