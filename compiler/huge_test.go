package compiler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/targets/all"
)

// writeSpec writes a pipeline directory holding src and the image source
// the specs here copy.
func writeSpec(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "web", "app.py"), []byte("print(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pipeline.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const hugeBase = `package shop

name:    "shop"
project: string
images: web: {
	context: "web"
	python:  "3.12"
	copy: ["app.py"]
	command: ["python", "app.py"]
}
environments: dev: project: "shop-dev-123"
`

// TestHugeString: a 10 MB value is either compiled or refused, never a
// crash, and the build stays within reason.
func TestHugeString(t *testing.T) {
	big := strings.Repeat("x", 10<<20)
	dir := writeSpec(t, hugeBase+fmt.Sprintf("services: web: {image: \"web\", env: BLOB: %q}\n", big))
	res, err := compiler.Compile(context.Background(), []string{dir}, compiler.Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range res.Specs {
		for _, target := range all.Targets() {
			if _, err := target.Generate(spec); err != nil {
				t.Fatalf("%s: %v", target.Name(), err)
			}
		}
	}
}

// TestTenThousandTasks: a DAG of 10,000 tasks in a chain compiles, its
// cycle check does not recurse itself to death, and every target copes.
func TestTenThousandTasks(t *testing.T) {
	var b strings.Builder
	b.WriteString(hugeBase + "dags: big: {\n\tschedule: null\n\tstart: \"2026-01-01\"\n\ttasks: {\n")
	for i := range 10000 {
		after := ""
		if i > 0 {
			after = fmt.Sprintf(", after: [\"t%d\"]", i-1)
		}
		fmt.Fprintf(&b, "\t\tt%d: {image: \"web\"%s}\n", i, after)
	}
	b.WriteString("\t}\n}\n")
	dir := writeSpec(t, b.String())
	res, err := compiler.Compile(context.Background(), []string{dir}, compiler.Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatalf("a valid 10,000-task DAG was refused:\n%v", res.Diagnostics[:min(5, len(res.Diagnostics))])
	}
	for _, target := range all.Targets() {
		if _, err := target.Generate(res.Specs[0]); err != nil {
			t.Fatalf("%s: %v", target.Name(), err)
		}
	}
}

// TestSymlinkLeavingTheSpecDirectory: a copied path that is a symlink to a
// file outside the spec directory is refused, naming the path.
func TestSymlinkLeavingTheSpecDirectory(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "id_rsa")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := writeSpec(t, strings.Replace(hugeBase, `copy: ["app.py"]`, `copy: ["app.py", "key"]`, 1))
	if err := os.Symlink(outside, filepath.Join(dir, "web", "key")); err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(context.Background(), []string{dir}, compiler.Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(res.Diagnostics)
	if !strings.Contains(got, `images.web.copy[1]: "key" is a symlink that leaves the spec directory`) {
		t.Fatalf("want the symlink refused at images.web.copy[1], got:\n%s", got)
	}
}
