package main

import (
	"bytes"
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/pipec/pipec/internal/cli"
	"github.com/pipec/pipec/lock"
	"github.com/pipec/pipec/lock/registrytest"
)

// shopSpec is a pipeline with a Python and a Go image, so its Dockerfiles
// build from three base images, pushed to one repository per environment
// on registry host; prod requires digests.
func shopSpec(host string) string {
	return `package shop

name:     "shop"
project:  string
registry: "` + host + `/\(project)"
images: web: {
	context: "web"
	python:  "3.12"
	copy: ["app.py"]
	command: ["python", "app.py"]
}
images: relay: {
	context: "relay"
	go:      "1.24"
	copy: ["main.go"]
}
topics: orders: {}
services: web: {
	image: "web"
	publishes: ["orders"]
	replicas: *1 | int
}
environments: {
	dev: project: "shop-dev-123"
	prod: {project: "shop-prod-123", requireDigests: true, services: web: replicas: 2}
}
`
}

// repo writes a repository holding the shop pipeline, makes it the working
// directory and returns the lock file's path.
func repo(t *testing.T, host string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"pipelines/shop/pipeline.cue":   shopSpec(host),
		"pipelines/shop/web/app.py":     "print('hello')\n",
		"pipelines/shop/relay/main.go":  "package main\n\nfunc main() {}\n",
		"pipelines/shop/relay/.keep.md": "",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return filepath.Join(dir, "pipelines", "shop", lock.FileName)
}

// pipec runs the CLI in-process and returns its exit code and stderr.
func pipec(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := cli.Run(context.Background(), args, &stdout, &stderr)
	t.Logf("pipec %s: exit %d in %s", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond))
	return code, stderr.String()
}

func must(t *testing.T, args ...string) {
	t.Helper()
	if code, stderr := pipec(t, args...); code != 0 {
		t.Fatalf("pipec %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
}

func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func randomIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	idx, err := random.Index(512, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestLockEndToEnd runs the CI flow against a real registry (distribution
// 2.8), without auth and with htpasswd: push, lock, lock --set, build; then
// a base image's tag moves and CI pushes a new build: lock --check fails,
// relock and --set, and build changes exactly the digests.
func TestLockEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []registrytest.Option
	}{
		{"anonymous", nil},
		{"htpasswd", []registrytest.Option{registrytest.WithBasicAuth("ci", "s3cret")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			lockEndToEnd(t, registrytest.Start(t, tc.opts...))
			t.Logf("%s: %s", tc.name, time.Since(start).Round(time.Millisecond))
		})
	}
}

func lockEndToEnd(t *testing.T, reg *registrytest.Registry) {
	h := reg.Host
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", reg.DockerConfig(t))
	file := repo(t, h)
	// The base images come from Docker Hub and gcr.io, which these tests
	// cannot reach: the registry stands in for both as their mirror.
	mirrors := []string{"--mirror", "docker.io=" + h + "/hub", "--mirror", "gcr.io=" + h + "/gcr"}

	python := reg.Push(t, "hub/library/python:3.12-slim-bookworm", randomIndex(t))
	golang := reg.Push(t, "hub/library/golang:1.24-bookworm", randomIndex(t))
	distroless := reg.Push(t, "gcr/distroless/static-debian12:nonroot", randomImage(t))
	webProd := reg.Push(t, "shop-prod-123/web:latest", randomImage(t))
	reg.Push(t, "shop-prod-123/web:3f2a9c1", randomImage(t))
	relayProd := reg.Push(t, "shop-prod-123/relay:latest", randomImage(t))
	webDev := reg.Push(t, "shop-dev-123/web:latest", randomImage(t))
	relayDev := reg.Push(t, "shop-dev-123/relay:latest", randomImage(t))

	// lock pins the base images; the pipeline's own images wait for CI.
	must(t, append([]string{"lock"}, append(mirrors, "./pipelines/...")...)...)
	wantPins := map[string]string{
		"python:3.12-slim-bookworm":                 python.String(),
		"golang:1.24-bookworm":                      golang.String(),
		"gcr.io/distroless/static-debian12:nonroot": distroless.String(),
	}
	checkLock(t, file, wantPins)

	// Prod requires digests: build refuses its images by tag.
	code, stderr := pipec(t, "build", "./pipelines/...")
	if code != cli.ExitFindings || !strings.Contains(stderr, "run 'pipec lock --set web="+h+"/shop-prod-123/web@sha256:...'") {
		t.Fatalf("build with prod unpinned: exit %d\n%s", code, stderr)
	}

	// CI pushed: --set by digest (offline) or by the pushed tag (resolved).
	must(t, "lock", "--set", "web="+h+"/shop-prod-123/web:latest", "--set", "relay="+h+"/shop-prod-123/relay@"+relayProd.String(),
		"--set", "web="+h+"/shop-dev-123/web@"+webDev.String(), "--set", "relay="+h+"/shop-dev-123/relay:latest", "./pipelines/...")
	wantPins[h+"/shop-prod-123/web:latest"] = webProd.String()
	wantPins[h+"/shop-prod-123/relay:latest"] = relayProd.String()
	wantPins[h+"/shop-dev-123/web:latest"] = webDev.String()
	wantPins[h+"/shop-dev-123/relay:latest"] = relayDev.String()
	checkLock(t, file, wantPins)

	must(t, "build", "./pipelines/...")
	before := tree(t, "deploy")
	for path, want := range map[string]string{
		"shop/images/web/Dockerfile":                "FROM python:3.12-slim-bookworm@" + python.String() + " AS build\n",
		"shop/images/relay/Dockerfile":              "FROM gcr.io/distroless/static-debian12:nonroot@" + distroless.String() + "\n",
		"shop/k8s/overlays/prod/kustomization.yaml": "digest: " + webProd.String(),
	} {
		if !strings.Contains(before[path], want) {
			t.Errorf("%s does not pin %q:\n%s", path, want, before[path])
		}
	}
	must(t, append([]string{"lock", "--check"}, append(mirrors, "./pipelines/...")...)...)

	// The python tag moves, and CI pushes a new web image to prod.
	movedPython := reg.Push(t, "hub/library/python:3.12-slim-bookworm", randomIndex(t))
	movedWeb := reg.Push(t, "shop-prod-123/web:latest", randomImage(t))
	locked, _ := os.ReadFile(file)
	code, stderr = pipec(t, append([]string{"lock", "--check"}, append(mirrors, "./pipelines/...")...)...)
	if code != cli.ExitFindings {
		t.Fatalf("lock --check after the tag moved: exit %d\n%s", code, stderr)
	}
	wantFinding := "pipelines/shop/pipeline.cue:8:2: images.web.python: base image python:3.12-slim-bookworm now points to " +
		movedPython.String() + ", not the locked " + python.String() + ": run 'pipec lock' to take it\n"
	if !strings.HasPrefix(stderr, wantFinding) || !strings.Contains(stderr, "pipelines/shop/pipec.lock is out of date") {
		t.Errorf("lock --check says\n%s\nwant first\n%s", stderr, wantFinding)
	}
	if now, _ := os.ReadFile(file); !bytes.Equal(now, locked) {
		t.Errorf("lock --check changed the lock")
	}

	must(t, append([]string{"lock"}, append(mirrors, "./pipelines/...")...)...)
	must(t, "lock", "--set", "web="+h+"/shop-prod-123/web:latest", "./pipelines/...")
	wantPins["python:3.12-slim-bookworm"] = movedPython.String()
	wantPins[h+"/shop-prod-123/web:latest"] = movedWeb.String()
	checkLock(t, file, wantPins)
	must(t, append([]string{"lock", "--check"}, append(mirrors, "./pipelines/...")...)...)

	// Build again: the only change is the two digests.
	must(t, "build", "./pipelines/...")
	after := tree(t, "deploy")
	if !slices.Equal(slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after))) {
		t.Fatalf("files changed: %q, then %q", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
	}
	moved := strings.NewReplacer(python.String(), movedPython.String(), webProd.String(), movedWeb.String())
	var changed []string
	for path, old := range before {
		if path == "shop/.pipec-index" {
			continue // it records the files' hashes
		}
		if after[path] != old {
			changed = append(changed, path)
		}
		if want := moved.Replace(old); after[path] != want {
			t.Errorf("%s changed beyond the digests:\n%s", path, after[path])
		}
	}
	slices.Sort(changed)
	for _, want := range []string{"shop/images/web/Dockerfile", "shop/k8s/overlays/prod/kustomization.yaml"} {
		if !slices.Contains(changed, want) {
			t.Errorf("%s did not take the new digest; changed: %q", want, changed)
		}
	}
	for _, path := range changed {
		if strings.Contains(path, "relay") || strings.Contains(path, "/dev/") {
			t.Errorf("%s changed, though nothing it uses moved", path)
		}
	}
}

func checkLock(t *testing.T, file string, pins map[string]string) {
	t.Helper()
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := lock.Format(pins); !bytes.Equal(got, want) {
		t.Errorf("pipec.lock\n%s\nwant\n%s", got, want)
	}
}

// TestLockRegistryUnavailable points every image at a registry that is
// down, then at one that hangs: lock fails within its timeout, naming the
// registry at each spec value that uses it, and leaves the lock as it was.
func TestLockRegistryUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name, host, says string
		timeout          time.Duration
	}{
		{"down", registrytest.Down(t), "is unreachable (connection refused; 3 attempts in ", 10 * time.Second},
		{"hanging", registrytest.Hanging(t), "did not answer in time (1 attempt in ", 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := repo(t, tc.host)
			old := []byte("# kept\npython:3.12-slim-bookworm@sha256:" + strings.Repeat("0", 64) + "\n")
			if err := os.WriteFile(file, old, 0o644); err != nil {
				t.Fatal(err)
			}
			mirrors := []string{"--mirror", "docker.io=" + tc.host + "/hub", "--mirror", "gcr.io=" + tc.host + "/gcr"}
			for _, args := range [][]string{
				append([]string{"lock", "--timeout", tc.timeout.String()}, mirrors...),
				append([]string{"lock", "--check", "--timeout", tc.timeout.String()}, mirrors...),
				{"lock", "--timeout", tc.timeout.String(), "--set", "web=" + tc.host + "/shop-prod-123/web:latest"},
			} {
				start := time.Now()
				code, stderr := pipec(t, args...)
				took := time.Since(start)
				if code != cli.ExitError {
					t.Errorf("%q: exit %d, want %d", args, code, cli.ExitError)
				}
				if took > tc.timeout+time.Second {
					t.Errorf("%q took %s, past its %s timeout", args, took, tc.timeout)
				}
				if !strings.Contains(stderr, "registry "+tc.host) || !strings.Contains(stderr, tc.says) {
					t.Errorf("%q does not name the registry and say it %q:\n%s", args, tc.says, stderr)
				}
				if now, _ := os.ReadFile(file); !bytes.Equal(now, old) {
					t.Errorf("%q changed the lock:\n%s", args, now)
				}
				if slices.Contains(args, "--set") {
					continue
				}
				// Each spec value that uses an image of the registry.
				for _, at := range []string{"pipelines/shop/pipeline.cue:8:2: images.web.python: python:3.12-slim-bookworm: registry " + tc.host + " (mirror of index.docker.io) ",
					"pipelines/shop/pipeline.cue:14:2: images.relay.go: gcr.io/distroless/static-debian12:nonroot: registry " + tc.host + " (mirror of gcr.io) "} {
					if !strings.Contains(stderr, at) {
						t.Errorf("%q does not say %q:\n%s", args, at, stderr)
					}
				}
			}
		})
	}
}
