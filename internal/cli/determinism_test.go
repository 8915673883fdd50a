package cli

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestBuildIsDeterministic builds the example pipelines twice, once on one
// core and once on two, from different working directories, naming the
// pipelines in different orders, and requires byte-identical trees.
func TestBuildIsDeterministic(t *testing.T) {
	examples, err := filepath.Abs("../../pipelines")
	if err != nil {
		t.Fatal(err)
	}
	build := func(procs int, cwd string, args ...string) map[string][]byte {
		t.Helper()
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		out := filepath.Join(t.TempDir(), "repo", "deploy")
		t.Chdir(cwd)
		var stderr bytes.Buffer
		if code := Run(context.Background(), append([]string{"build", "-o", out}, args...), &stderr, &stderr); code != 0 {
			t.Fatalf("build exited %d:\n%s", code, stderr.String())
		}
		return readTree(t, out)
	}
	one := build(1, t.TempDir(), examples+"/...")
	two := build(2, examples, filepath.Join(examples, "warehouse"), filepath.Join(examples, "tweets"))
	if len(one) < 20 {
		t.Fatalf("the examples produced only %d files", len(one))
	}
	for path, data := range one {
		if !bytes.Equal(data, two[path]) {
			t.Errorf("%s differs between GOMAXPROCS=1 and GOMAXPROCS=2", path)
		}
	}
	for path := range two {
		if _, ok := one[path]; !ok {
			t.Errorf("%s only generated with GOMAXPROCS=2", path)
		}
	}
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
