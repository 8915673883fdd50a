package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type hook struct {
	ID            string `yaml:"id"`
	Entry         string `yaml:"entry"`
	Language      string `yaml:"language"`
	PassFilenames *bool  `yaml:"pass_filenames"`
	RequireSerial bool   `yaml:"require_serial"`
}

// TestPreCommitHooks runs the hooks of .pre-commit-hooks.yaml as pre-commit
// does: the entry, from the repository's root, followed by the staged file
// names when pass_filenames is on. pipec-vet checks only the pipelines the
// staged files belong to; pipec-check fails on drift.
func TestPreCommitHooks(t *testing.T) {
	data, err := os.ReadFile("../../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []hook
	if err := yaml.Unmarshal(data, &hooks); err != nil {
		t.Fatal(err)
	}
	byID := map[string]hook{}
	for _, h := range hooks {
		if h.Language != "golang" {
			t.Errorf("%s: language %q, want golang so pre-commit builds pipec itself", h.ID, h.Language)
		}
		byID[h.ID] = h
	}
	if byID["pipec-check"].PassFilenames == nil || *byID["pipec-check"].PassFilenames || !byID["pipec-check"].RequireSerial {
		t.Errorf("pipec-check must take no file names and run serially: it builds every pipeline and compares the whole tree")
	}

	bin := filepath.Join(t.TempDir(), "pipec")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	repo := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(repo, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "docs\n")
	write("pipelines/shop/pipeline.cue", hookSpec("shop", `"web"`))
	write("pipelines/shop/web/app.py", "print(1)\n")
	write("pipelines/broken/pipeline.cue", hookSpec("broken", `"wbe"`))
	write("pipelines/broken/web/app.py", "print(1)\n")

	run := func(h hook, files ...string) (string, int) {
		t.Helper()
		args := strings.Fields(h.Entry)
		if args[0] != "pipec" {
			t.Fatalf("%s: entry %q does not run pipec", h.ID, h.Entry)
		}
		if h.PassFilenames == nil || *h.PassFilenames {
			args = append(args, files...)
		}
		cmd := exec.Command(bin, args[1:]...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}

	vet := byID["pipec-vet"]
	// A commit touching only the good pipeline (an image source, a README)
	// does not pay for, or fail on, the broken one.
	if out, code := run(vet, "pipelines/shop/web/app.py", "README.md"); code != 0 {
		t.Errorf("pipec-vet on the shop pipeline's files: exit %d\n%s", code, out)
	}
	out, code := run(vet, "pipelines/broken/pipeline.cue")
	if code != 1 || !strings.Contains(out, `pipelines/broken/pipeline.cue:13:2: services.web.image: image "wbe" is not declared in images; did you mean "web"?`) {
		t.Errorf("pipec-vet on the broken pipeline: exit %d, want 1 and a positioned error\n%s", code, out)
	}

	check := byID["pipec-check"]
	os.RemoveAll(filepath.Join(repo, "pipelines/broken"))
	if out, code := run(check); code != 1 || !strings.Contains(out, "deploy is out of date") {
		t.Errorf("pipec-check before any build: exit %d, want 1 (drift)\n%s", code, out)
	}
	build := exec.Command(bin, "build")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("pipec build: %v\n%s", err, out)
	}
	if out, code := run(check); code != 0 {
		t.Errorf("pipec-check after a build: exit %d\n%s", code, out)
	}
}

func hookSpec(name, image string) string {
	return `package ` + name + `

name:    "` + name + `"
project: string
images: web: {
	context: "web"
	python:  "3.12"
	copy: ["app.py"]
	command: ["python", "app.py"]
}
topics: orders: {}
services: web: {
	image: ` + image + `
	publishes: ["orders"]
}
environments: dev: project: "shop-dev-123"
`
}
