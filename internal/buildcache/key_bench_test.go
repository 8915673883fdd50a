package buildcache

import (
	"testing"

	"github.com/pipec/pipec/bench/compiled"
)

// BenchmarkKey measures what a build pays per pipeline before it knows
// whether the cache holds it: hashing the spec directory.
func BenchmarkKey(b *testing.B) {
	c, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	_, dir := compiled.Dir(b, "synthetic")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Key(dir, "p"); err != nil {
			b.Fatal(err)
		}
	}
}
