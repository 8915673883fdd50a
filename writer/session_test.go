package writer_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pipec/pipec/writer"
)

// snapshot returns every file below dir with its content, or nil when dir
// does not exist.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[filepath.ToSlash(rel)+"/"] = ""
			return nil
		}
		data, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func pipelinePlan(name, body string) writer.Plan {
	return plan([]string{name + "/"},
		name+"/k8s/base/a.yaml", body,
		name+"/k8s/overlays/dev/b.yaml", body,
		name+"/gcp/dev/c.yaml", body)
}

// A session fed pipeline by pipeline, from several goroutines, leaves the
// same tree as one Write of everything.
func TestSessionMatchesWrite(t *testing.T) {
	whole, streamed := newHarness(t), newHarness(t)
	var all writer.Plan
	for i := range 20 {
		p := pipelinePlan(fmt.Sprintf("p%02d", i), "v1")
		all.Files = append(all.Files, p.Files...)
		all.Scope = append(all.Scope, p.Scope...)
	}
	whole.write(all, writer.Options{})

	s, err := writer.Begin(streamed.root, writer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := s.Add(pipelinePlan(fmt.Sprintf("p%02d", i), "v1")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	res, err := s.Commit()
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "files written", len(res.Written), 20*4)
	equal(t, "tree", snapshot(t, streamed.root), snapshot(t, whole.root))
}

// An aborted session leaves the output directory as it found it: no
// temporary file, no new directory, and no output directory if there was
// none.
func TestAbortedSessionChangesNothing(t *testing.T) {
	h := newHarness(t)
	s, err := writer.Begin(h.root, writer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(pipelinePlan("fresh", "v1")); err != nil {
		t.Fatal(err)
	}
	s.Abort()
	if _, err := os.Stat(h.root); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the output directory was left behind: %v", snapshot(t, h.root))
	}

	h.write(pipelinePlan("old", "v1"), writer.Options{})
	before := snapshot(t, h.root)
	s, err = writer.Begin(h.root, writer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []writer.Plan{pipelinePlan("old", "v2"), pipelinePlan("fresh", "v1")} {
		if err := s.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	s.Abort()
	equal(t, "tree after abort", snapshot(t, h.root), before)
}

// A conflict found in a later pipeline fails the whole build, including
// the pipelines staged before it.
func TestConflictInALaterPipelineWritesNothing(t *testing.T) {
	h := newHarness(t)
	h.write(pipelinePlan("b", "v1"), writer.Options{})
	h.put("b/gcp/dev/c.yaml", "edited by hand\n")
	before := snapshot(t, h.root)

	s, err := writer.Begin(h.root, writer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []writer.Plan{pipelinePlan("a", "v1"), pipelinePlan("b", "v2")} {
		if err := s.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.Commit()
	var conflict *writer.ConflictError
	if !errors.As(err, &conflict) || len(conflict.Conflicts) != 1 {
		t.Fatalf("Commit: %v, want one conflict", err)
	}
	equal(t, "tree after the refused build", snapshot(t, h.root), before)
}

func TestSessionRefusesAPipelineTwice(t *testing.T) {
	h := newHarness(t)
	s, err := writer.Begin(h.root, writer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	if err := s.Add(pipelinePlan("tweets", "v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(pipelinePlan("Tweets", "v1")); err == nil {
		t.Error("a pipeline differing only in case was added to the same build")
	}
}

// In check mode a session reports the same difference as Write.
func TestSessionCheckMatchesWrite(t *testing.T) {
	h := newHarness(t)
	h.write(pipelinePlan("b", "v1"), writer.Options{})
	want := h.write(writer.Plan{
		Files: append(pipelinePlan("a", "v1").Files, pipelinePlan("b", "v2").Files...),
		Scope: []string{"a/", "b/"},
	}, writer.Options{Check: true})

	s, err := writer.Begin(h.root, writer.Options{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []writer.Plan{pipelinePlan("b", "v2"), pipelinePlan("a", "v1")} {
		if err := s.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Diff) == 0 || string(got.Diff) != string(want.Diff) {
		t.Errorf("session diff:\n%s\nWrite diff:\n%s", got.Diff, want.Diff)
	}
	equal(t, "written", got.Written, want.Written)
}
