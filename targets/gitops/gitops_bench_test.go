package gitops_test

import (
	"testing"

	"github.com/pipec/pipec/bench/compiled"
	"github.com/pipec/pipec/targets/gitops"
)

// BenchmarkGenerate measures the gitops target alone, on compiled pipelines.
func BenchmarkGenerate(b *testing.B) {
	for _, name := range compiled.Names {
		b.Run(name, func(b *testing.B) {
			spec, target := compiled.Spec(b, name), gitops.Target{}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := target.Generate(spec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
