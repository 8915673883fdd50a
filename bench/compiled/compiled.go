// Package compiled hands benchmarks a compiled pipeline: one of the
// repository's examples, or a synthetic one from package synth, so that a
// target's or the writer's benchmark measures that stage alone.
package compiled

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pipec/pipec/bench/synth"
	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/schema"
)

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Names lists the pipelines Spec knows: the examples under pipelines/ and
// "synthetic", the pipeline bench/gen writes.
var Names = []string{"tweets", "warehouse", "synthetic"}

// Dir returns the directory of the pipeline called name (one of Names) and
// the root its generated files' headers are relative to. The synthetic
// pipeline is written into a temporary directory of tb's.
func Dir(tb testing.TB, name string) (root, dir string) {
	tb.Helper()
	if name != "synthetic" {
		return Root(), filepath.Join(Root(), "pipelines", name)
	}
	root = tb.TempDir()
	if err := synth.Write(root, 1); err != nil {
		tb.Fatal(err)
	}
	return root, filepath.Join(root, "pipelines", synth.Name(1))
}

// Spec compiles the pipeline called name (one of Names) and fails tb if it
// does not compile cleanly.
func Spec(tb testing.TB, name string) *schema.Spec {
	tb.Helper()
	root, dir := Dir(tb, name)
	res, err := compiler.Compile(context.Background(), []string{dir}, compiler.Options{Root: root})
	if err != nil {
		tb.Fatal(err)
	}
	if res.Diagnostics.HasErrors() || len(res.Specs) != 1 {
		var b strings.Builder
		res.Diagnostics.Print(&b)
		tb.Fatalf("%s does not compile:\n%s", dir, b.String())
	}
	return res.Specs[0]
}
