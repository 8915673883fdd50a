package lock

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/pipec/pipec/internal/fixture"
	"github.com/pipec/pipec/schema"
)

const (
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	d3 = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
)

func TestFormatParseRoundTrip(t *testing.T) {
	pins := map[string]string{
		"python:3.12-slim-bookworm": d1,
		"asia-northeast3-docker.pkg.dev/tweets-prod-4821/pipelines/collector:latest": d2,
		"gcr.io/distroless/static-debian12:nonroot":                                  d3,
	}
	data := Format(pins)
	want := header +
		"asia-northeast3-docker.pkg.dev/tweets-prod-4821/pipelines/collector:latest@" + d2 + "\n" +
		"gcr.io/distroless/static-debian12:nonroot@" + d3 + "\n" +
		"python:3.12-slim-bookworm@" + d1 + "\n"
	if string(data) != want {
		t.Errorf("Format:\n%s\nwant\n%s", data, want)
	}
	back, err := Parse("pipec.lock", data)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(back, pins) {
		t.Errorf("Parse(Format(pins)) = %v", back)
	}
	// Every pinned line is itself a reference to the pinned image.
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[2:] {
		if _, err := name.NewDigest(line); err != nil {
			t.Errorf("%q is not a digest reference: %v", line, err)
		}
	}
}

func TestParseAcceptsCommentsBlankLinesAndCRLF(t *testing.T) {
	pins, err := Parse("pipec.lock", []byte("# a comment\r\n\r\npython:3.12@"+d1+"\r\n"))
	if err != nil || pins["python:3.12"] != d1 || len(pins) != 1 {
		t.Errorf("%v, %v", pins, err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		line, col  int
		msg        string
	}{
		{"no digest", "# x\npython:3.12\n", 2, 12, `"python:3.12" has no digest: write REF@sha256:DIGEST`},
		{"space", "python:3.12 @" + d1 + "\n", 1, 12, "unexpected space"},
		{"short digest", "python:3.12@sha256:abc\n", 1, 13, `"sha256:abc" is not a digest`},
		{"uppercase digest", "python:3.12@" + strings.ToUpper(d1) + "\n", 1, 13, "is not a digest"},
		{"bad reference", "Python:3.12@" + d1 + "\n", 1, 1, `"Python:3.12" is not an image reference`},
		{"digest key", "python@" + d2 + "@" + d1 + "\n", 1, 1, "already holds a digest"},
		{"twice", "python:3.12@" + d1 + "\n\npython:3.12@" + d2 + "\n", 3, 1, "python:3.12 is pinned twice (also on line 1): keep one"},
		{"conflict", "<<<<<<< HEAD\npython:3.12@" + d1 + "\n", 1, 1, "merge conflict marker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p/pipec.lock", []byte(tc.data))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *SyntaxError", err)
			}
			if se.File != "p/pipec.lock" || se.Line != tc.line || se.Column != tc.col || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("%v, want p/pipec.lock:%d:%d: ...%s...", se, tc.line, tc.col, tc.msg)
			}
		})
	}
}

func TestReadMissingIsEmpty(t *testing.T) {
	pins, err := Read(filepath.Join(t.TempDir(), FileName))
	if err != nil || pins == nil || len(pins) != 0 {
		t.Errorf("%v, %v", pins, err)
	}
}

func TestWriteReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, FileName)
	if err := Write(file, map[string]string{"python:3.12": d1}); err != nil {
		t.Fatal(err)
	}
	if err := Write(file, map[string]string{"python:3.12": d2}); err != nil {
		t.Fatal(err)
	}
	if pins, err := Read(file); err != nil || pins["python:3.12"] != d2 {
		t.Errorf("after the second write: %v, %v", pins, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}

	// A directory that cannot take the temporary file: the old lock stays.
	if os.Getuid() != 0 {
		old, _ := os.ReadFile(file)
		os.Chmod(dir, 0o555)
		defer os.Chmod(dir, 0o755)
		if err := Write(file, map[string]string{"python:3.12": d3}); err == nil {
			t.Fatal("Write into a read-only directory succeeded")
		}
		if now, _ := os.ReadFile(file); string(now) != string(old) {
			t.Errorf("a failed Write changed the lock:\n%s", now)
		}
	}
}

// tweets is the tweets fixture with the uses the compiler records.
func tweets() *schema.Spec {
	spec := fixture.Tweets()
	spec.Uses = []schema.ImageUse{
		{Ref: "python:3.12-slim-bookworm", Image: "collector", Path: "images.collector.python", Pos: "pipeline.cue:14:2"},
	}
	for _, env := range spec.Envs {
		spec.Uses = append(spec.Uses, schema.ImageUse{Ref: env.Images["collector"].Ref, Image: "collector", Env: env.Env, Path: "images.collector", Pos: "pipeline.cue:12:9"})
	}
	spec.Pins = map[string]string{}
	return spec
}

const (
	devRef  = "asia-northeast3-docker.pkg.dev/tweets-dev-4821/pipelines/collector:latest"
	prodRef = "asia-northeast3-docker.pkg.dev/tweets-prod-4821/pipelines/collector:latest"
)

func TestUpdateResolvesBasesKeepsBuiltDropsUnused(t *testing.T) {
	spec := tweets()
	spec.Pins = map[string]string{"python:3.12-slim-bookworm": d1, devRef: d2, "python:3.11-slim-bookworm": d1}
	got := Update(spec, map[string]string{"python:3.12-slim-bookworm": d3})
	want := map[string]string{"python:3.12-slim-bookworm": d3, devRef: d2}
	if !maps.Equal(got, want) {
		t.Errorf("Update = %v, want %v", got, want)
	}
	if refs := BaseRefs([]*schema.Spec{spec, tweets()}); len(refs) != 1 || refs[0] != "python:3.12-slim-bookworm" {
		t.Errorf("BaseRefs = %q", refs)
	}
}

func TestCheck(t *testing.T) {
	spec := tweets()
	spec.Pins = map[string]string{"python:3.12-slim-bookworm": d1, devRef: d2, "python:3.11-slim-bookworm": d1}
	got := Check(spec, map[string]string{"python:3.12-slim-bookworm": d3}, "pipelines/tweets/pipec.lock")
	want := []string{
		"pipeline.cue:14:2: images.collector.python: base image python:3.12-slim-bookworm now points to " + d3 + ", not the locked " + d1 + ": run 'pipec lock' to take it",
		"pipeline.cue:12:9: images.collector: image collector of environment prod is not pinned: after CI pushes it, run 'pipec lock --set collector=asia-northeast3-docker.pkg.dev/tweets-prod-4821/pipelines/collector@sha256:...'",
		"pipelines/tweets/pipec.lock: python:3.11-slim-bookworm is pinned but the pipeline no longer uses it: run 'pipec lock' to drop it",
	}
	if len(got) != len(want) {
		t.Fatalf("%d findings, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("finding %d:\n%s\nwant\n%s", i, got[i], want[i])
		}
	}

	spec.Pins = map[string]string{"python:3.12-slim-bookworm": d3, devRef: d2, prodRef: d2}
	if got := Check(spec, map[string]string{"python:3.12-slim-bookworm": d3}, "pipec.lock"); len(got) != 0 {
		t.Errorf("an up-to-date lock: %v", got)
	}
}

func TestAssignments(t *testing.T) {
	specs := []*schema.Spec{tweets()}
	for _, tc := range []struct {
		set, err string
		envs     []string
		digest   string
	}{
		{set: "collector=asia-northeast3-docker.pkg.dev/tweets-prod-4821/pipelines/collector@" + d1, envs: []string{"prod"}, digest: d1},
		{set: "collector=asia-northeast3-docker.pkg.dev/tweets-dev-4821/pipelines/collector:3f2a9c1", envs: []string{"dev"}},
		{set: "collector", err: "--set collector: write NAME=REF@sha256:DIGEST"},
		{set: "collector=Asia/collector@" + d1, err: `"Asia/collector@` + d1 + `" is not an image reference`},
		{set: "collector=example.com/collector@sha256:abc", err: "is not an image reference"},
		{set: "nope=asia-northeast3-docker.pkg.dev/tweets-dev-4821/pipelines/nope@" + d1, err: `no pipeline here has an image named "nope"`},
		{set: "collector=example.com/collector@" + d1, err: "no environment pushes image collector to example.com/collector; it is pushed to asia-northeast3-docker.pkg.dev/tweets-dev-4821/pipelines/collector (pipeline tweets, environment dev), asia-northeast3-docker.pkg.dev/tweets-prod-4821/pipelines/collector (pipeline tweets, environment prod)"},
	} {
		a, err := ParseAssignment(tc.set)
		var matches []Match
		if err == nil {
			matches, err = Matches(specs, a)
		}
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("--set %s: error %v, want %q", tc.set, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("--set %s: %v", tc.set, err)
			continue
		}
		var envs []string
		for _, m := range matches {
			envs = append(envs, m.Env)
			if want := map[string]string{"dev": devRef, "prod": prodRef}[m.Env]; m.Ref != want {
				t.Errorf("--set %s pins %s, want %s", tc.set, m.Ref, want)
			}
		}
		if strings.Join(envs, ",") != strings.Join(tc.envs, ",") || a.Digest() != tc.digest {
			t.Errorf("--set %s: environments %q digest %q, want %q %q", tc.set, envs, a.Digest(), tc.envs, tc.digest)
		}
	}
}
