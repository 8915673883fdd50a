package airflow_test

import (
	"testing"

	"github.com/pipec/pipec/bench/compiled"
	"github.com/pipec/pipec/targets/airflow"
)

// BenchmarkGenerate measures the airflow target alone, on compiled pipelines.
func BenchmarkGenerate(b *testing.B) {
	for _, name := range compiled.Names {
		b.Run(name, func(b *testing.B) {
			spec, target := compiled.Spec(b, name), airflow.Target{}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := target.Generate(spec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
