package writer

import (
	"bytes"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/diff"
)

// apply carries out a build that has no conflicts, in an order that lets
// the next build repair whatever an interruption leaves: leftovers are
// cleared, the pending index accepts both old and new content, files are
// replaced one by one, and the final index comes last.
func (b *build) apply() error {
	t := b.t
	emptied := map[string]bool{}
	tmps, err := t.leftovers(b.scope, b.pipelines)
	if err != nil {
		return err
	}
	for _, p := range tmps {
		if err := t.remove(p); err != nil {
			return err
		}
		emptied[path.Dir(p)] = true
	}
	for _, ix := range b.indexes {
		if ix.pending != nil {
			if err := t.writeIndex(ix.path, ix.pending); err != nil {
				return err
			}
		}
	}

	touched := map[string]bool{}
	for _, c := range b.prunes {
		if err := t.remove(c.path); err != nil {
			return err
		}
		emptied[path.Dir(c.path)] = true
		touched[path.Dir(c.path)] = true
	}
	for _, c := range b.writes {
		var perm *fs.FileMode
		if c.onDisk {
			perm = &c.perm
		}
		if err := t.writeFile(c.path, c.new, perm); err != nil {
			return err
		}
		touched[path.Dir(c.path)] = true
	}
	t.syncDirs(touched)

	for _, ix := range b.indexes {
		present, now := ix.onDisk, ix.old
		if ix.pending != nil {
			present, now = true, ix.pending
		}
		switch {
		case ix.final == nil && present:
			if err := t.remove(ix.path); err != nil {
				return err
			}
			emptied[path.Dir(ix.path)] = true
			t.syncDirs(map[string]bool{path.Dir(ix.path): true})
		case ix.final != nil && (!present || !bytes.Equal(ix.final, now)):
			if err := t.writeIndex(ix.path, ix.final); err != nil {
				return err
			}
		}
	}
	return t.removeEmptyDirs(emptied, b.scope)
}

// writeIndex writes an index and makes it durable before anything that
// relies on it happens.
func (t *tree) writeIndex(p string, data []byte) error {
	if err := t.writeFile(p, data, nil); err != nil {
		return err
	}
	t.syncDirs(map[string]bool{path.Dir(p): true})
	return nil
}

// result lists what the build changes, whether or not it ran.
func (b *build) result() Result {
	r := Result{Unchanged: slices.Clone(b.unchanged)}
	for _, c := range b.writes {
		r.Written = append(r.Written, c.path)
	}
	for _, c := range b.prunes {
		r.Pruned = append(r.Pruned, c.path)
	}
	for _, ix := range b.indexes {
		switch {
		case ix.final == nil && ix.onDisk:
			r.Pruned = append(r.Pruned, ix.path)
		case ix.final == nil:
		case ix.onDisk && bytes.Equal(ix.final, ix.old):
			r.Unchanged = append(r.Unchanged, ix.path)
		default:
			r.Written = append(r.Written, ix.path)
		}
	}
	slices.Sort(r.Written)
	slices.Sort(r.Unchanged)
	slices.Sort(r.Pruned)
	return r
}

// diff is a unified diff from the output directory to the build, one file
// after the other in path order. New and pruned files are compared with
// /dev/null.
func (b *build) diff() []byte {
	type fileDiff struct {
		path string
		text []byte
	}
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
