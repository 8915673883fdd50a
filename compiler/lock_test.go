package compiler

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pipec/pipec/schema"
)

const (
	pinA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	pinB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

const lockedSpec = `package shop

name:     "shop"
project:  string
registry: "europe-docker.pkg.dev/\(project)/shop"
images: web: {
	context: "web"
	python:  "3.12"
	copy: ["app.py"]
	command: ["python", "app.py"]
}
environments: {
	dev: project: "shop-dev-123"
	prod: {project: "shop-prod-123", requireDigests: true}
}
`

// compileLocked compiles lockedSpec beside lock (no lock file if empty),
// from inside its directory so positions are relative.
func compileLocked(t *testing.T, lock string, opts Options) *Result {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"pipeline.cue": lockedSpec, "web/app.py": "print('hi')\n"}
	if lock != "" {
		files["pipec.lock"] = lock
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	res, err := Compile(context.Background(), []string{"."}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestLockPinsImages(t *testing.T) {
	res := compileLocked(t, strings.Join([]string{
		"python:3.12-slim-bookworm@" + pinA,
		"europe-docker.pkg.dev/shop-prod-123/shop/web:latest@" + pinB,
	}, "\n")+"\n", Options{})
	if res.Diagnostics.HasErrors() {
		t.Fatalf("a fully pinned pipeline was rejected:\n%v", res.Diagnostics)
	}
	spec := res.Specs[0]
	if got := spec.Pinned("python:3.12-slim-bookworm"); got != "python:3.12-slim-bookworm@"+pinA {
		t.Errorf("Pinned(python) = %s", got)
	}
	dev, prod := spec.Envs[0].Images["web"], spec.Envs[1].Images["web"]
	if dev.Digest != "" || dev.Ref != "europe-docker.pkg.dev/shop-dev-123/shop/web:latest" {
		t.Errorf("dev, not locked: digest %q ref %q", dev.Digest, dev.Ref)
	}
	if prod.Digest != pinB || prod.Ref != "europe-docker.pkg.dev/shop-prod-123/shop/web@"+pinB {
		t.Errorf("prod, locked: digest %q ref %q", prod.Digest, prod.Ref)
	}
	want := []schema.ImageUse{
		{Ref: "python:3.12-slim-bookworm", Image: "web", Path: "images.web.python", Pos: "pipeline.cue:8:2"},
		{Ref: "europe-docker.pkg.dev/shop-dev-123/shop/web:latest", Image: "web", Env: "dev", Path: "images.web", Pos: "pipeline.cue:6:9"},
		{Ref: "europe-docker.pkg.dev/shop-prod-123/shop/web:latest", Image: "web", Env: "prod", Path: "images.web", Pos: "pipeline.cue:6:9"},
	}
	if !slices.Equal(spec.Uses, want) {
		t.Errorf("uses\n%+v\nwant\n%+v", spec.Uses, want)
	}
}

func TestRequireDigests(t *testing.T) {
	res := compileLocked(t, "", Options{})
	var got []string
	for _, d := range res.Diagnostics {
		got = append(got, d.String())
	}
	want := []string{
		`pipeline.cue:6:9: images.web: image web is not pinned in environment "prod", which sets requireDigests: after CI pushes it, run 'pipec lock --set web=europe-docker.pkg.dev/shop-prod-123/shop/web@sha256:...'`,
		`pipeline.cue:8:2: images.web.python: base image python:3.12-slim-bookworm is not pinned and environment "prod" sets requireDigests: run 'pipec lock'`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("diagnostics\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// `pipec lock` compiles what it is about to pin.
	if res := compileLocked(t, "", Options{AllowUnpinned: true}); res.Diagnostics.HasErrors() {
		t.Errorf("AllowUnpinned still rejects:\n%v", res.Diagnostics)
	}
	// An environment that does not require digests builds by tag.
	if res := compileLocked(t, "", Options{Env: "dev"}); res.Diagnostics.HasErrors() {
		t.Errorf("dev alone is rejected:\n%v", res.Diagnostics)
	}
}
