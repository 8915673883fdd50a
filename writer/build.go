package writer

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"syscall"

	"github.com/pipec/pipec/targets"
)

// build is everything a run will do, decided before anything is written.
type build struct {
	t         *tree
	scope     scopeSet
	pipelines []string
	indexes   []*pipelineIndex
	writes    []change
	prunes    []change
	unchanged []string
	conflicts []Conflict
	// leftovers lists the temporary files an interrupted build left.
	leftovers []string
	// fresh lists the pipelines whose directory does not exist yet, and
	// bundled the files a Session wrote into their new directories, which
	// it keeps by path only.
	fresh   []string
	bundled []string
}

// change is one file the build writes or prunes.
type change struct {
	path   string
	onDisk bool // whether a regular file is there now
	old    []byte
	perm   fs.FileMode // of the file there now, kept when it is replaced
	new    []byte      // nil when the file is pruned, or once staged
	// staged is the temporary file holding new, once a Session staged it.
	staged *staged
	// bundled is set once a Session wrote the file into a whole new
	// pipeline directory, published by renaming that directory.
	bundled bool
}

// pipelineIndex is the index of one pipeline in this run.
type pipelineIndex struct {
	path   string
	onDisk bool
	old    []byte
	// pending lists the old and the new hashes; it is written before any
	// file is replaced, and is nil when the build adds no hash.
	pending []byte
	// final lists what the build leaves; nil when nothing is left.
	final []byte

	// What the build does with the index, decided by settle while the
	// contents above are at hand, so that a Session can stage them and
	// let them go: the files to write, pending first, and the outcome.
	pendingFile, finalFile *staged
	outcome                indexOutcome
}

// indexOutcome is what a build does to a pipeline's index, as Result
// reports it.
type indexOutcome int

const (
	indexAbsent    indexOutcome = iota // there is none, and the build writes none
	indexUnchanged                     // the build leaves it as it is
	indexWritten                       // the build writes it
	indexRemoved                       // the build leaves the pipeline empty
)

// settle decides what the build writes of the index and what it reports.
func (ix *pipelineIndex) settle() {
	present, now := ix.onDisk, ix.old
	if ix.pending != nil {
		ix.pendingFile = &staged{path: ix.path, data: ix.pending}
		present, now = true, ix.pending
	}
	if ix.final != nil && (!present || !bytes.Equal(ix.final, now)) {
		ix.finalFile = &staged{path: ix.path, data: ix.final}
	}
	// A pending index comes only with files to write, hence with a final
	// one: an index goes exactly when it is on disk and nothing is left.
	switch {
	case ix.final == nil && ix.onDisk:
		ix.outcome = indexRemoved
	case ix.final == nil:
		ix.outcome = indexAbsent
	case ix.onDisk && bytes.Equal(ix.final, ix.old):
		ix.outcome = indexUnchanged
	default:
		ix.outcome = indexWritten
	}
}

// plan compares the files with the output directory. It reads, and never
// writes. Pipelines are compared in parallel, since a build that changes
// nothing still reads every file it generates.
func (t *tree) plan(files []targets.File, scope scopeSet, force bool) (*build, error) {
	b := &build{t: t, scope: scope}
	byPipeline := map[string][]targets.File{}
	for _, f := range files {
		name := pipelineOf(f.Path)
		byPipeline[name] = append(byPipeline[name], f)
	}
	dirs := map[string][]string{} // the scope, by pipeline
	for _, s := range scope.sorted() {
		dirs[pipelineOf(s)] = append(dirs[pipelineOf(s)], s)
	}
	b.pipelines = slices.Sorted(maps.Keys(dirs))
	parts := make([]*build, len(b.pipelines))
	err := parallel(len(parts), func(i int) error {
		name := b.pipelines[i]
		parts[i] = &build{t: t, scope: scope}
		return parts[i].planPipeline(name, byPipeline[name], dirs[name], force)
	})
	if err != nil {
		return nil, err
	}
	for _, part := range parts {
		b.merge(part)
	}
	// Sorted and without repeats: several files may need the same place.
	slices.SortFunc(b.conflicts, func(a, b Conflict) int { return strings.Compare(a.String(), b.String()) })
	b.conflicts = slices.Compact(b.conflicts)
	return b, nil
}

// merge adds part, a plan of other pipelines, to b.
func (b *build) merge(part *build) {
	maps.Copy(b.scope, part.scope)
	b.pipelines = append(b.pipelines, part.pipelines...)
	b.indexes = append(b.indexes, part.indexes...)
	b.writes = append(b.writes, part.writes...)
	b.prunes = append(b.prunes, part.prunes...)
	b.unchanged = append(b.unchanged, part.unchanged...)
	b.conflicts = append(b.conflicts, part.conflicts...)
	b.leftovers = append(b.leftovers, part.leftovers...)
	b.fresh = append(b.fresh, part.fresh...)
	b.bundled = append(b.bundled, part.bundled...)
}

// planPipeline plans the files of one pipeline, of which the build owns
// the directories dirs.
func (b *build) planPipeline(name string, files []targets.File, dirs []string, force bool) error {
	t := b.t
	// Nothing stands anywhere below a pipeline directory that does not
	// exist: its files need not be looked for one by one.
	_, err := t.lstat(name)
	absent := errors.Is(err, fs.ErrNotExist)
	if absent {
		b.fresh = []string{name}
	} else {
		// Looked for now, in parallel with the other pipelines: this
		// build creates its own temporary files only once its plan is
		// made.
		leftovers, err := t.leftovers(name, dirs)
		if err != nil {
			return err
		}
		b.leftovers = leftovers
	}
	ixPath := name + "/" + indexName
	ix := &pipelineIndex{path: ixPath}
	var old *index
	data, err := t.readFile(ixPath)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		old = &index{hashes: map[string][]string{}}
	case err != nil:
		return t.fail(ixPath, "read pipec index", err)
	default:
		if old, err = parseIndex(t.display(ixPath), name, data); err != nil {
			return err
		}
		ix.onDisk, ix.old = true, data
	}

	desired := make(map[string]bool, len(files))
	final := &index{header: header(files, old.header), hashes: make(map[string][]string, len(files)+len(old.hashes))}
	for _, f := range files {
		desired[f.Path] = true
		final.hashes[f.Path] = []string{sum(f.Data)}
	}
	for p, hashes := range old.hashes {
		if !b.scope.contains(p) {
			final.hashes[p] = hashes
		}
	}

	r := &dirReader{t: t}
	defer r.close()
	// Stale files first: a desired file may need the place of one.
	pruned := map[string]bool{}
	for _, p := range slices.Sorted(maps.Keys(old.hashes)) {
		if desired[p] || !b.scope.contains(p) {
			continue
		}
		c, _, err := r.current(p)
		if err != nil {
			return err
		}
		// Whatever stands there now, if it is not a regular file, is not
		// what pipec generated: the entry goes, the thing stays.
		if !c.onDisk {
			continue
		}
		if !old.accepts(p, c.old) {
			b.refuse(force, p, "edited by hand since pipec generated it, and the spec no longer generates it; "+
				"move your change into the spec, or rerun with --force to delete it")
		}
		b.prunes = append(b.prunes, c)
		pruned[p] = true
	}

	writes := 0
	b.writes = slices.Grow(b.writes, len(files))
	for _, f := range files {
		if absent {
			b.writes = append(b.writes, change{path: f.Path, new: f.Data})
			writes++
			continue
		}
		c, info, err := r.current(f.Path)
		if err != nil {
			return err
		}
		c.new = f.Data
		switch {
		case info == nil:
			if a := t.fileAncestor(f.Path); a != "" && !pruned[a] {
				b.refuse(false, a, "is a file, but the build puts a directory here; move it out of the way")
			}
		case info.IsDir():
			b.refuse(false, f.Path, "is a directory, but the build puts a file here; move it out of the way")
		case !c.onDisk:
			b.refuse(force, f.Path, "is not a regular file; move it out of the way, or rerun with --force to replace it")
		case bytes.Equal(c.old, f.Data):
			b.unchanged = append(b.unchanged, f.Path)
			continue
		case old.accepts(f.Path, c.old):
		case len(old.hashes[f.Path]) > 0:
			b.refuse(force, f.Path, "edited by hand since pipec generated it; "+
				"move your change into the spec, or rerun with --force to overwrite it")
		default:
			b.refuse(force, f.Path, "exists, but pipec did not generate it; "+
				"move it out of the way, or rerun with --force to overwrite it")
		}
		b.writes = append(b.writes, c)
		writes++
	}

	if len(final.hashes) > 0 {
		ix.final = final.encode()
	}
	if writes > 0 {
		// With no index before it (a new pipeline, most of a cold build),
		// the pending index is the final one.
		data := ix.final
		if len(old.hashes) > 0 {
			pending := &index{header: final.header, hashes: make(map[string][]string, len(final.hashes))}
			for p, hashes := range old.hashes {
				pending.hashes[p] = slices.Clone(hashes)
			}
			for p, hashes := range final.hashes {
				pending.hashes[p] = append(pending.hashes[p], hashes...)
			}
			data = pending.encode()
		}
		if !bytes.Equal(data, ix.old) {
			ix.pending = data
		}
	}
	ix.settle()
	b.indexes = append(b.indexes, ix)
	return nil
}

// current looks at what is at p now: info is nil when nothing is, and
// c.onDisk says whether it is a regular file, whose content c.old holds.
func (r *dirReader) current(p string) (c change, info fs.FileInfo, err error) {
	c.path = p
	d, name := r.open(p)
	if d == nil {
		return c, nil, nil
	}
	info, err = d.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return c, nil, nil
	case err != nil:
		return c, nil, r.t.fail(p, "read", err)
	case !info.Mode().IsRegular():
		return c, info, nil
	}
	if d == r.d {
		c.old, err = r.read(p, info.Size())
	} else {
		c.old, err = d.ReadFile(name)
	}
	if err != nil {
		return c, nil, r.t.fail(p, "read", err)
	}
	c.onDisk, c.perm = true, info.Mode().Perm()
	return c, info, nil
}

// refuse records a conflict, unless it is overridden.
func (b *build) refuse(overridden bool, p, reason string) {
	if !overridden {
		b.conflicts = append(b.conflicts, Conflict{Path: b.t.display(p), Reason: reason})
	}
}
