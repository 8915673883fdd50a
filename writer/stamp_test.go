package writer_test

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pipec/pipec/targets"
	"github.com/pipec/pipec/writer"
)

// stampedTree builds pipeline "tweets" (and "other") into a fresh output
// directory, waits until the files are old enough to be stamped, and
// returns the stamp a second, unchanged build took.
func stampedTree(t *testing.T) (*harness, []byte) {
	t.Helper()
	h := newHarness(t)
	both := func() writer.Plan {
		a, b := pipelinePlan("tweets", "v1"), pipelinePlan("other", "v1")
		return writer.Plan{Files: append(a.Files, b.Files...), Scope: append(a.Scope, b.Scope...)}
	}
	h.write(both(), writer.Options{Stamps: true})
	time.Sleep(150 * time.Millisecond) // beyond the racy window
	res := h.write(both(), writer.Options{Stamps: true})
	stamp := res.Stamps["tweets"]
	if stamp == nil {
		if runtime.GOOS != "linux" {
			t.Skip("stamps are taken on Linux only")
		}
		t.Fatalf("no stamp of an unchanged pipeline on a local file system; stamps: %v", res.Stamps)
	}
	return h, stamp
}

// addUnchanged starts a build of the harness and asks it to add tweets by
// its stamp.
func addUnchanged(t *testing.T, h *harness, stamp []byte, opts writer.Options) (bool, writer.Result) {
	t.Helper()
	s, err := writer.Begin(h.root, opts)
	if err != nil {
		t.Fatal(err)
	}
	ok := s.AddUnchanged("tweets", stamp)
	res, err := s.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return ok, res
}

// A file modified within the racy window is not stamped: written again
// within the same tick of the clock, it could keep the same times.
func TestRecentlyModifiedPipelineIsNotStamped(t *testing.T) {
	h := newHarness(t)
	both := writer.Plan{Scope: []string{"tweets/", "other/"}}
	for _, p := range []writer.Plan{pipelinePlan("tweets", "v1"), pipelinePlan("other", "v1")} {
		both.Files = append(both.Files, p.Files...)
	}
	h.write(both, writer.Options{})
	time.Sleep(150 * time.Millisecond)
	// A minute ahead, not now: on a loaded machine the build below could
	// take longer than the window before it stamps, and a file set to now
	// would then rightly be old enough to stamp. A time the stamp's clock
	// has not reached is inside the window whatever the delay.
	ahead := time.Now().Add(time.Minute)
	if err := os.Chtimes(h.path("tweets/gcp/dev/c.yaml"), ahead, ahead); err != nil {
		t.Fatal(err)
	}
	res := h.write(both, writer.Options{Stamps: true})
	if res.Stamps["other"] == nil && runtime.GOOS == "linux" {
		t.Fatal("no stamp of the pipeline left alone")
	}
	if res.Stamps["tweets"] != nil {
		t.Error("stamped a pipeline with a file modified just now")
	}
}

// An untouched pipeline is added by its stamp, and reported as a full
// read of it would: every file and the index unchanged.
func TestStampVouchesForAnUntouchedPipeline(t *testing.T) {
	h, stamp := stampedTree(t)
	before := snapshot(t, h.root)
	ok, res := addUnchanged(t, h, stamp, writer.Options{})
	if !ok {
		t.Fatal("AddUnchanged refused an untouched pipeline")
	}
	read := h.write(pipelinePlan("tweets", "v1"), writer.Options{})
	equal(t, "unchanged files", res.Unchanged, read.Unchanged)
	if res.Changed() {
		t.Errorf("a stamped pipeline changed something: %+v", res)
	}
	equal(t, "tree", snapshot(t, h.root), before)
}

// Any change to the pipeline's directory since the stamp makes the build
// read it: edits that keep the size, times set back, permissions, files
// replaced by identical copies, new and removed entries at any depth,
// temporary files of an interrupted build.
func TestStampRefusesAChangedPipeline(t *testing.T) {
	file := "tweets/k8s/base/a.yaml"
	for _, tc := range []struct {
		name   string
		change func(h *harness)
	}{
		{"edit of the same size, times set back", func(h *harness) {
			info, _ := os.Stat(h.path(file))
			data := []byte(h.read(file))
			data[len(data)-1] = 'X'
			os.WriteFile(h.path(file), data, 0o644)
			os.Chtimes(h.path(file), info.ModTime(), info.ModTime())
		}},
		{"touch", func(h *harness) {
			os.Chtimes(h.path(file), time.Now(), time.Now())
		}},
		{"chmod", func(h *harness) { os.Chmod(h.path(file), 0o600) }},
		{"replaced by an identical copy", func(h *harness) {
			h.put("tweets/k8s/base/copy", h.read(file))
			os.Rename(h.path("tweets/k8s/base/copy"), h.path(file))
		}},
		{"index replaced by an identical copy", func(h *harness) {
			h.put("tweets/copy", h.read("tweets/.pipec-index"))
			os.Rename(h.path("tweets/copy"), h.path("tweets/.pipec-index"))
		}},
		{"file deleted", func(h *harness) { os.Remove(h.path(file)) }},
		{"file added deep down", func(h *harness) { h.put("tweets/k8s/overlays/dev/new.yaml", "x") }},
		{"leftover of an interrupted build", func(h *harness) { h.put("tweets/gcp/dev/.pipec-tmp-ABC", "x") }},
		{"empty directory added", func(h *harness) { os.Mkdir(h.path("tweets/k8s/new"), 0o755) }},
		// The files below keep their identities and times: only the link
		// itself tells.
		{"directory replaced by a link to it", func(h *harness) {
			os.Rename(h.path("tweets/k8s"), h.path("k8s-moved"))
			os.Symlink("../k8s-moved", h.path("tweets/k8s"))
		}},
		{"pipeline directory replaced by a link to it", func(h *harness) {
			os.Rename(h.path("tweets"), h.path("tweets-moved"))
			os.Symlink("tweets-moved", h.path("tweets"))
		}},
		{"directory replaced", func(h *harness) {
			os.Rename(h.path("tweets/gcp"), h.path("gcp-moved"))
			os.MkdirAll(h.path("tweets/gcp/dev"), 0o755)
			h.put("tweets/gcp/dev/c.yaml", h.read("gcp-moved/dev/c.yaml"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, stamp := stampedTree(t)
			tc.change(h)
			if ok, _ := addUnchanged(t, h, stamp, writer.Options{}); ok {
				t.Fatal("AddUnchanged vouched for a changed pipeline")
			}
		})
	}
}

// A hand edit made after a stamp is still refused by the build that the
// stamp cannot vouch for: the whole point of reading.
func TestHandEditAfterAStampIsRefused(t *testing.T) {
	h, stamp := stampedTree(t)
	h.put("tweets/k8s/base/a.yaml", "edited by hand\n")
	s, err := writer.Begin(h.root, writer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.AddUnchanged("tweets", stamp) {
		t.Fatal("AddUnchanged vouched for an edited pipeline")
	}
	if err := s.Add(pipelinePlan("tweets", "v2")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(); err == nil {
		t.Fatal("the build overwrote a hand edit")
	}
}

// editStampLine returns stamp with its first line of a generated file
// changed by edit.
func editStampLine(t *testing.T, stamp []byte, edit func(string) string) []byte {
	t.Helper()
	lines := strings.Split(string(stamp), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "g ") {
			lines[i] = edit(l)
			return []byte(strings.Join(lines, "\n"))
		}
	}
	t.Fatalf("no generated file in the stamp:\n%s", stamp)
	return nil
}

func TestStampIsNotUsedWhereItCannotVouch(t *testing.T) {
	h, stamp := stampedTree(t)
	other, _ := os.ReadFile(filepath.Join(h.root, "other", ".pipec-index"))
	for _, tc := range []struct {
		name     string
		pipeline string
		stamp    []byte
		opts     writer.Options
	}{
		{"check mode reads everything", "tweets", stamp, writer.Options{Check: true}},
		{"stamp of another pipeline", "other", stamp, writer.Options{}},
		{"not a stamp", "tweets", other, writer.Options{}},
		{"truncated stamp", "tweets", stamp[:len(stamp)/2], writer.Options{}},
		// A stamp is read as exactly the text the writer writes.
		{"a number with a leading zero", "tweets", editStampLine(t, stamp, func(l string) string {
			return strings.Replace(l, "g ", "g 0", 1)
		}), writer.Options{}},
		{"an entry of an unknown kind", "tweets", editStampLine(t, stamp, func(l string) string {
			return "x" + l[1:]
		}), writer.Options{}},
		{"a path out of the pipeline", "tweets", editStampLine(t, stamp, func(l string) string {
			return l[:strings.LastIndex(l, " ")+1] + "tweets/../other/k8s/base/a.yaml"
		}), writer.Options{}},
		{"no stamp", "tweets", nil, writer.Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := writer.Begin(h.root, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Abort()
			if s.AddUnchanged(tc.pipeline, tc.stamp) {
				t.Fatal("AddUnchanged vouched for it")
			}
		})
	}
	t.Run("pipeline added already", func(t *testing.T) {
		s, err := writer.Begin(h.root, writer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Abort()
		if err := s.Add(pipelinePlan("tweets", "v1")); err != nil {
			t.Fatal(err)
		}
		if s.AddUnchanged("tweets", stamp) {
			t.Fatal("AddUnchanged added a pipeline twice")
		}
	})
}

// A build restricted to part of a pipeline does not stamp it: the stamp
// would vouch for the parts it did not write.
func TestPartialBuildDoesNotStamp(t *testing.T) {
	h, _ := stampedTree(t)
	p := pipelinePlan("tweets", "v1")
	p.Files = slices.DeleteFunc(p.Files, func(f targets.File) bool { return f.Path != "tweets/gcp/dev/c.yaml" })
	p.Scope = []string{"tweets/gcp/dev/"}
	res := h.write(p, writer.Options{Stamps: true})
	if res.Stamps["tweets"] != nil {
		t.Error("a build of one directory stamped the whole pipeline")
	}
}

// A new pipeline's directory is stamped from what was noted as it was
// written, not walked: the stamp must list the same entries as a walk.
func TestStampOfANewPipelineMatchesAWalk(t *testing.T) {
	h := newHarness(t)
	s, err := writer.Begin(h.root, writer.Options{Stamps: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(pipelinePlan("tweets", "v1")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // beyond the racy window
	res, err := s.Commit()
	if err != nil {
		t.Fatal(err)
	}
	noted := res.Stamps["tweets"]
	if noted == nil {
		if runtime.GOOS != "linux" {
			t.Skip("stamps are taken on Linux only")
		}
		t.Fatal("no stamp of a new pipeline staged long enough ago")
	}
	walked := h.write(pipelinePlan("tweets", "v1"), writer.Options{Stamps: true}).Stamps["tweets"]
	lines := func(b []byte) []string { return slices.Sorted(slices.Values(strings.Split(string(b), "\n"))) }
	equal(t, "stamp lines", lines(noted), lines(walked))

	if ok, _ := addUnchanged(t, h, noted, writer.Options{}); !ok {
		t.Error("AddUnchanged refused an untouched new pipeline")
	}
	h.put("tweets/k8s/base/extra.yaml", "x")
	if ok, _ := addUnchanged(t, h, noted, writer.Options{}); ok {
		t.Error("AddUnchanged vouched for a changed new pipeline")
	}
}
