package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// TestImage reads the repository's Dockerfile, pipec's own image, with
// BuildKit's parser (no Docker engine runs here) and checks what CI
// systems rely on: a static, trimmed binary on a distroless base, run as a
// numeric non-root user through an exec-form entrypoint.
func TestImage(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("# syntax=docker/dockerfile:1\n# check=error=true\n")) {
		t.Error("the syntax and check directives are not the first lines")
	}
	if v, _, _, ok := parser.ParseDirective("check", data); !ok || v != "error=true" {
		t.Errorf("check directive %q, %v", v, ok)
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings {
		t.Errorf("parser warning: %s", w.Short)
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 2 {
		t.Fatalf("%d stages, want a build stage and a final one", len(stages))
	}
	build, final := stages[0], stages[1]
	if !strings.HasPrefix(build.BaseName, "golang:") || build.Name != "build" {
		t.Errorf("build stage FROM %s AS %s", build.BaseName, build.Name)
	}
	if !strings.HasPrefix(final.BaseName, "gcr.io/distroless/static") || !strings.HasSuffix(final.BaseName, ":nonroot") {
		t.Errorf("final stage FROM %s, want distroless static nonroot", final.BaseName)
	}

	env := map[string]string{}
	var goBuild string
	var copied []string
	for _, cmd := range build.Commands {
		switch c := cmd.(type) {
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				env[kv.Key] = kv.Value
			}
		case *instructions.RunCommand:
			if line := strings.Join(c.CmdLine, " "); strings.Contains(line, "go build") {
				goBuild = line
			}
		case *instructions.CopyCommand:
			copied = append(copied, c.SourcePaths...)
		}
	}
	if env["CGO_ENABLED"] != "0" {
		t.Errorf("CGO_ENABLED=%q in the build stage; a binary on distroless static must not need libc", env["CGO_ENABLED"])
	}
	for _, flag := range []string{"-trimpath", "-o /out/pipec ./cmd/pipec"} {
		if !strings.Contains(goBuild, flag) {
			t.Errorf("go build lacks %s: %q", flag, goBuild)
		}
	}

	var user string
	var entrypoint *instructions.EntrypointCommand
	for _, cmd := range final.Commands {
		switch c := cmd.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.EntrypointCommand:
			entrypoint = c
		case *instructions.RunCommand:
			t.Errorf("the final stage runs %q; distroless has no shell", c.CmdLine)
		case *instructions.CopyCommand:
			if c.From != "build" {
				t.Errorf("the final stage copies %q from the context; it holds only the binary", c.SourcePaths)
			}
		}
	}
	ids := strings.Split(user, ":")
	for _, id := range ids {
		if n, err := strconv.Atoi(id); err != nil || n <= 0 {
			t.Errorf("USER %q, want a numeric non-root uid:gid", user)
			break
		}
	}
	if entrypoint == nil || entrypoint.PrependShell || !slices.Equal(entrypoint.CmdLine, []string{"/usr/local/bin/pipec"}) {
		t.Errorf("ENTRYPOINT %+v, want the exec form [\"/usr/local/bin/pipec\"]", entrypoint)
	}

	// The build context is an allow-list, in step with what the binary
	// imports: a new package directory must be copied and admitted.
	want := append([]string{"go.mod", "go.sum"}, packageDirs(t)...)
	if !slices.Equal(copied, want) {
		t.Errorf("the Dockerfile copies %q; cmd/pipec needs %q: add a COPY line and a ! line in .dockerignore for each missing directory", copied, want)
	}
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns, admitted []string
	for _, l := range strings.Split(string(ignore), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
			if a, ok := strings.CutPrefix(l, "!"); ok {
				admitted = append(admitted, a)
			}
		}
	}
	if len(patterns) == 0 || patterns[0] != "*" {
		t.Errorf(".dockerignore does not deny everything first: %q", patterns)
	}
	if !slices.Equal(admitted, want) {
		t.Errorf(".dockerignore admits %q; the build reads %q", admitted, want)
	}
}

// TestImageContextBuilds builds pipec from only the files the image's
// build context admits (the directories it copies, without tests and test
// data), offline: nothing the build needs may be left out of the context.
// It builds with the test's own settings rather than the image's
// CGO_ENABLED=0 and -trimpath, which TestImage checks, so that it reuses
// the build cache instead of compiling every dependency again.
func TestImageContextBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds pipec")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.TempDir()
	for _, top := range append([]string{"go.mod", "go.sum"}, packageDirs(t)...) {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			// The two exclusions of .dockerignore, **/testdata and **/*_test.go.
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(ctx, filepath.Dir(rel)), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(ctx, rel), data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "pipec"), "./cmd/pipec")
	build.Dir = ctx
	build.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOPROXY=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the image's build context does not build: %v\n%s", err, out)
	}
}

// packageDirs lists the top-level directories of this module that hold
// the packages cmd/pipec is built from.
func packageDirs(t *testing.T) []string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var dirs []string
	for _, d := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, d)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a dependency's module
		}
		if top := strings.Split(filepath.ToSlash(rel), "/")[0]; !slices.Contains(dirs, top) {
			dirs = append(dirs, top)
		}
	}
	slices.Sort(dirs)
	return dirs
}
