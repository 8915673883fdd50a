package writer

import (
	"bytes"
	"maps"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/diff"
)

// apply carries out a build that has no conflicts, in an order that lets
// the next build repair whatever an interruption leaves:
//
//  1. leftovers of an interrupted build are cleared, and stale files pruned;
//  2. every new content, the indexes' included, is written to a temporary
//     file next to its target, and all of it is made durable at once;
//  3. the pending index, which accepts both old and new content, is renamed
//     into place, and that is made durable;
//  4. the files are renamed over their targets, and that is made durable;
//  5. the final index is renamed into place, and that is made durable.
//
// Where the file systems allow it, a build thus syncs each of them at most
// four times, however many files it writes, rather than every file.
//
// New pipeline directories, built whole under a temporary name (fresh),
// are renamed into place with the files.
//
// own lists the temporary files this build staged already, which are not
// leftovers.
func (b *build) apply(own map[string]bool, fresh []*freshDir) error {
	t := b.t
	defer t.discardFresh(fresh) // those not published when apply fails
	emptied := map[string]bool{}
	if err := t.rootLeftovers(fresh); err != nil {
		return err
	}
	for _, p := range b.leftovers {
		if own[p] {
			continue
		}
		if err := t.remove(p); err != nil {
			return err
		}
		emptied[path.Dir(p)] = true
	}
	// Pruning needs no index to accept anything, and frees the places
	// of files that make way for directories.
	prunes := make([]string, len(b.prunes))
	for i, c := range b.prunes {
		prunes[i] = c.path
	}
	if err := t.removeFiles(prunes); err != nil {
		return err
	}

	var pending, files, finals []*staged
	var obsolete []string // indexes of pipelines the build leaves empty
	for _, ix := range b.indexes {
		if ix.pendingFile != nil {
			pending = append(pending, ix.pendingFile)
		}
		if ix.finalFile != nil {
			finals = append(finals, ix.finalFile)
		}
		if ix.outcome == indexRemoved {
			obsolete = append(obsolete, ix.path)
		}
	}
	for _, c := range b.writes {
		f := c.staged
		if f == nil {
			f = &staged{path: c.path, data: c.new}
			if c.onDisk {
				f.perm = &c.perm
			}
		}
		files = append(files, f)
	}

	if all := slices.Concat(pending, files, finals); len(all) > 0 || len(fresh) > 0 {
		// A Session staged most files as they came.
		var notYet []*staged
		for _, f := range all {
			if f.tmp == "" {
				notYet = append(notYet, f)
			}
		}
		err := t.stage(notYet)
		if err == nil {
			err = t.syncData(all, fresh)
		}
		if err != nil {
			t.discard(all)
			return err
		}
		// Should a rename fail, the files not yet renamed go too.
		defer t.discard(all)
	}

	if err := t.publish(pending); err != nil {
		return err
	}
	t.syncNames(dirsOf(pathsOf(pending)))

	if err := t.publish(files); err != nil {
		return err
	}
	if err := t.publishFresh(fresh); err != nil {
		return err
	}
	published := dirsOf(slices.Concat(prunes, pathsOf(files)))
	if len(fresh) > 0 {
		published["."] = true
	}
	t.syncNames(published)

	if err := t.removeFiles(obsolete); err != nil {
		return err
	}
	if err := t.publish(finals); err != nil {
		return err
	}
	t.syncNames(dirsOf(slices.Concat(obsolete, pathsOf(finals))))

	maps.Copy(emptied, dirsOf(slices.Concat(prunes, obsolete)))
	return t.removeEmptyDirs(emptied, b.scope)
}

// dirsOf returns the directories that hold paths.
func dirsOf(paths []string) map[string]bool {
	dirs := map[string]bool{}
	for _, p := range paths {
		dirs[path.Dir(p)] = true
	}
	return dirs
}

// result lists what the build changes, whether or not it ran.
func (b *build) result() Result {
	r := Result{Unchanged: slices.Clone(b.unchanged), Written: slices.Clone(b.bundled)}
	for _, c := range b.writes {
		r.Written = append(r.Written, c.path)
	}
	for _, c := range b.prunes {
		r.Pruned = append(r.Pruned, c.path)
	}
	for _, ix := range b.indexes {
		switch ix.outcome {
		case indexRemoved:
			r.Pruned = append(r.Pruned, ix.path)
		case indexUnchanged:
			r.Unchanged = append(r.Unchanged, ix.path)
		case indexWritten:
			r.Written = append(r.Written, ix.path)
		}
	}
	r.Written = sortedHalves(r.Written)
	r.Unchanged = sortedHalves(r.Unchanged)
	slices.Sort(r.Pruned)
	return r
}

// sortedHalves sorts s, a large list in two halves side by side and then
// merged: the list of a build of 1000 pipelines holds 186,500 paths, and
// sorting it alone was a tenth of a no-op build's time, with one core idle.
// It may return a new slice.
func sortedHalves(s []string) []string {
	if len(s) < 1<<12 || runtime.GOMAXPROCS(0) < 2 {
		slices.Sort(s)
		return s
	}
	a, b := s[:len(s)/2], s[len(s)/2:]
	var wg sync.WaitGroup
	wg.Go(func() { slices.Sort(a) })
	slices.Sort(b)
	wg.Wait()
	out := make([]string, 0, len(s))
	for len(a) > 0 && len(b) > 0 {
		if b[0] < a[0] {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

// fileDiff is the difference of one file.
type fileDiff struct {
	path string
	text []byte
}

// fileDiffs returns the difference between the output directory and the
// build, file by file. New and pruned files are compared with /dev/null.
func (b *build) fileDiffs() []fileDiff {
	var diffs []fileDiff
	add := func(p string, oldOK bool, old []byte, newOK bool, new []byte) {
		diffs = append(diffs, fileDiff{p, unified(p, oldOK, old, newOK, new)})
	}
	for _, c := range b.writes {
		add(c.path, c.onDisk, c.old, true, c.new)
	}
	for _, c := range b.prunes {
		add(c.path, true, c.old, false, nil)
	}
	for _, ix := range b.indexes {
		if ix.onDisk != (ix.final != nil) || !bytes.Equal(ix.old, ix.final) {
			add(ix.path, ix.onDisk, ix.old, ix.final != nil, ix.final)
		}
	}
	return diffs
}

// joinDiffs is a unified diff of the files, one after the other in path
// order.
func joinDiffs(diffs []fileDiff) []byte {
	slices.SortFunc(diffs, func(a, b fileDiff) int { return strings.Compare(a.path, b.path) })
	var out []byte
	for _, d := range diffs {
		out = append(out, d.text...)
	}
	return out
}

// unified returns the diff of one file, with a/ and b/ prefixes as git and
// patch expect, and /dev/null for a side without the file.
func unified(p string, oldOK bool, old []byte, newOK bool, new []byte) []byte {
	from, to := "a/"+p, "b/"+p
	if !oldOK {
		from = "/dev/null"
	}
	if !newOK {
		to = "/dev/null"
	}
	text := diff.Diff(from, old, to, new)
	if text == nil {
		// An empty file created or deleted: only the header says so.
		return []byte("--- " + from + "\n+++ " + to + "\n")
	}
	// Drop diff.Diff's leading "diff from to" line: plain unified format.
	_, text, _ = bytes.Cut(text, []byte("\n"))
	return text
}
