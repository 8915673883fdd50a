package kubeapiserver

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeGo stands in for the go command: `go env` answers, `go build -o X`
// writes X and counts the build.
const fakeGo = `#!/bin/sh
case "$1" in
env) printf 'go1.99.0\nlinux\namd64\n' ;;
build)
  while [ "$1" != -o ]; do shift; done
  echo built > "$2"
  echo x >> "$COUNT" ;;
esac
`

func TestEnsureCaches(t *testing.T) {
	dir := t.TempDir()
	goCmd := filepath.Join(dir, "go")
	count := filepath.Join(dir, "count")
	t.Setenv("COUNT", count)
	if err := os.WriteFile(goCmd, []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(dir, "tools")
	os.Mkdir(mod, 0o755)
	writeMod := func(version string) {
		gomod := "module example.com/tools\n\ngo 1.26\n\nrequire k8s.io/kubernetes " + version + "\n"
		if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mod, "go.sum"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	builds := func() int {
		b, _ := os.ReadFile(count)
		return strings.Count(string(b), "x")
	}
	opts := Options{ModuleDir: mod, CacheDir: filepath.Join(dir, "cache"), Go: goCmd, Log: io.Discard}
	ctx := context.Background()

	writeMod("v1.37.1")
	if _, ok, err := Lookup(ctx, opts); err != nil || ok {
		t.Fatalf("Lookup before any build: cached %v, %v", ok, err)
	}
	first, err := Ensure(ctx, opts)
	if err != nil || !first.Built || first.Version != "v1.37.1" || builds() != 1 {
		t.Fatalf("first Ensure: %+v, %v, %d builds", first, err, builds())
	}
	again, err := Ensure(ctx, opts)
	if err != nil || again.Built || again.Path != first.Path || builds() != 1 {
		t.Fatalf("second Ensure: %+v, %v, %d builds; want the cached %s", again, err, builds(), first.Path)
	}

	// A binary without its stamp (a crash after the rename) is rebuilt.
	os.Remove(filepath.Join(filepath.Dir(first.Path), "STAMP"))
	if b, err := Ensure(ctx, opts); err != nil || !b.Built || builds() != 2 {
		t.Fatalf("Ensure without stamp: %+v, %v, %d builds", b, err, builds())
	}

	writeMod("v1.37.2")
	bumped, err := Ensure(ctx, opts)
	if err != nil || !bumped.Built || bumped.Path == first.Path || builds() != 3 {
		t.Fatalf("Ensure after a version bump: %+v, %v, %d builds", bumped, err, builds())
	}
	if !strings.Contains(filepath.Base(filepath.Dir(bumped.Path)), "v1.37.2") {
		t.Errorf("cache entry %s does not name the version", bumped.Path)
	}
}

func TestVersionFlags(t *testing.T) {
	got := versionFlags("v1.37.1")
	for _, want := range []string{
		"-X k8s.io/component-base/version.gitVersion=v1.37.1",
		"-X k8s.io/component-base/version.gitMajor=1",
		"-X k8s.io/component-base/version.gitMinor=37",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("versionFlags lacks %q: %s", want, got)
		}
	}
}
