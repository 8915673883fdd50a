package writer

import (
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// Session is a build whose files arrive a pipeline or a few at a time, as
// they are generated, so that a build of thousands of pipelines never
// holds all their files in memory: each batch is compared with the output
// directory when it is added, its new content is written to temporary
// files and dropped, and nothing replaces anything until Commit. Abort, or
// a Commit that finds conflicts, removes what was staged, so a failed
// build changes nothing. Add may be called from several goroutines.
type Session struct {
	opts    Options
	lock    *buildLock
	t       *tree
	created bool // the output directory did not exist before the build

	mu sync.Mutex
	b  *build
	// added holds the pipelines added so far, in lower case: a pipeline
	// added twice, or two differing only in case, share a directory.
	added map[string]string
	// staged lists the temporary files written so far, and fresh the
	// new pipeline directories.
	staged []*staged
	fresh  []*freshDir
	// diffs holds the check-mode difference of every file added so far.
	diffs []fileDiff
	// flusher writes staged data back while the build goes on.
	flusher *flusher
}

// Begin starts a build of the output directory root: it waits for other
// builds of root to finish and holds them off until Commit or Abort.
func Begin(root string, opts Options) (*Session, error) {
	wait := opts.LockWait
	if wait == 0 {
		wait = DefaultLockWait
	}
	lock, err := acquire(root, wait)
	if err != nil {
		return nil, err
	}
	t, err := openTree(root)
	if err != nil {
		lock.release()
		return nil, err
	}
	s := &Session{opts: opts, lock: lock, t: t, added: map[string]string{}, b: &build{t: t, scope: scopeSet{}}}
	if !opts.Check && t.root == nil {
		// Created now rather than by the first file staged, which would
		// race with the other goroutines adding files; removed again if
		// the build leaves it empty.
		if err := t.create(); err != nil {
			s.release()
			return nil, err
		}
		s.created = true
	}
	if !opts.Check {
		s.flusher = t.startFlusher()
	}
	return s, nil
}

// Add compares plan's files with the output directory and, unless the
// build is a check or already has conflicts, stages their content. plan
// must not share a pipeline with an earlier Add.
func (s *Session) Add(plan Plan) error {
	files, scope, err := validate(plan)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for dir := range scope {
		names[strings.ToLower(pipelineOf(dir))] = pipelineOf(dir)
	}
	s.mu.Lock()
	for lower, name := range names {
		if other, ok := s.added[lower]; ok {
			s.mu.Unlock()
			return internalError("pipeline %q is added to the build twice (as %q and %q)", name, other, name)
		}
	}
	maps.Copy(s.added, names)
	s.mu.Unlock()

	part, err := s.t.plan(files, scope, s.opts.Force)
	if err != nil {
		return err
	}
	switch {
	case s.opts.Check:
		diffs := part.fileDiffs()
		part.dropContent()
		s.mu.Lock()
		s.diffs = append(s.diffs, diffs...)
		s.mu.Unlock()
	case len(part.conflicts) == 0 && !s.hasConflicts():
		s.stageEarly(part)
	default:
		part.dropContent() // the build will not write anything
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.merge(part)
	return nil
}

// AddUnchanged adds a pipeline whose directory is still as stamp, taken
// by an earlier build, recorded it, without reading any of its files. The
// caller vouches that this build generates what that build did (the same
// inputs, the same pipec) and covers the pipeline whole; the build then
// reports the pipeline's files as unchanged. It reports false, and adds
// nothing, when anything in the directory changed since, when the build
// is a check, which always reads everything, or when the pipeline was
// added already: the caller then adds it with Add.
func (s *Session) AddUnchanged(pipeline string, stamp []byte) bool {
	if s.opts.Check || !cleanRelative(pipeline) || strings.Contains(pipeline, "/") {
		return false
	}
	files, ok := s.t.unchangedSince(pipeline, stamp)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	lower := strings.ToLower(pipeline)
	if _, ok := s.added[lower]; ok {
		return false
	}
	s.added[lower] = pipeline
	s.b.unchanged = append(s.b.unchanged, files...)
	return true
}

func (s *Session) hasConflicts() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.b.conflicts) > 0
}

// stageEarly writes the new content of part's files to temporary files
// and drops it from memory. A file that cannot be staged yet, such as one
// whose directory a file to be pruned still occupies, keeps its content
// and is staged by Commit, which also reports any real failure.
func (s *Session) stageEarly(part *build) {
	var fresh []*freshDir
	for _, p := range part.fresh {
		if f := s.t.stageFresh(part, p); f != nil {
			fresh = append(fresh, f)
		}
	}
	if len(fresh) > 0 {
		s.mu.Lock()
		s.fresh = append(s.fresh, fresh...)
		s.mu.Unlock()
	}
	if len(fresh) > 0 {
		part.writes = slices.DeleteFunc(part.writes, func(c change) bool {
			if c.bundled {
				part.bundled = append(part.bundled, c.path)
			}
			return c.bundled
		})
	}
	var files []*staged
	for i := range part.writes {
		c := &part.writes[i]
		c.staged = &staged{path: c.path, data: c.new}
		if c.onDisk {
			c.staged.perm = &c.perm
		}
		files = append(files, c.staged)
	}
	for _, ix := range part.indexes {
		for _, f := range []*staged{ix.pendingFile, ix.finalFile} {
			if f != nil {
				files = append(files, f)
			}
		}
	}
	if len(files) == 0 {
		part.dropContent()
		return
	}
	if err := s.t.stage(files); err != nil {
		s.t.discard(files)
		for i := range part.writes {
			part.writes[i].staged = nil
		}
		return
	}
	for _, f := range files {
		f.data = nil
	}
	part.dropContent()
	s.mu.Lock()
	s.staged = append(s.staged, files...)
	s.mu.Unlock()
}

// Commit carries out the build: in check mode it reports the difference;
// otherwise, if no file is refused, it replaces, writes and prunes files
// as Write does. With refusals it returns a *ConflictError and leaves the
// output directory as it was.
func (s *Session) Commit() (Result, error) {
	defer s.release()
	s.flusher.halt()
	b := s.b
	slices.Sort(b.pipelines)
	slices.SortFunc(b.indexes, func(x, y *pipelineIndex) int { return strings.Compare(x.path, y.path) })
	slices.SortFunc(b.conflicts, func(x, y Conflict) int { return strings.Compare(x.String(), y.String()) })
	b.conflicts = slices.Compact(b.conflicts)
	if s.opts.Check {
		res := b.result()
		res.Conflicts = b.conflicts
		res.Diff = joinDiffs(s.diffs)
		return res, nil
	}
	if len(b.conflicts) > 0 {
		s.discard()
		return Result{}, &ConflictError{Conflicts: b.conflicts}
	}
	own := map[string]bool{}
	for _, f := range s.staged {
		own[path.Join(path.Dir(f.path), f.tmp)] = true
	}
	if err := b.apply(own, s.fresh); err != nil {
		return Result{}, err
	}
	res := b.result()
	if s.opts.Stamps {
		res.Stamps = s.stamps()
	}
	return res, nil
}

// stamps stamps the directories of the pipelines the build covered whole.
func (s *Session) stamps() map[string][]byte {
	var whole []string
	for _, p := range s.b.pipelines {
		if s.b.scope[p] {
			whole = append(whole, p)
		}
	}
	fresh := map[string]*freshDir{}
	for _, f := range s.fresh {
		fresh[f.pipeline] = f
	}
	now := time.Now()
	stamps := make([][]byte, len(whole))
	parallel(len(whole), func(i int) error {
		if f := fresh[whole[i]]; f != nil {
			stamps[i] = s.t.stampFresh(f, now)
		} else {
			stamps[i] = s.t.stampPipeline(whole[i], now)
		}
		return nil
	})
	byName := map[string][]byte{}
	for i, p := range whole {
		if stamps[i] != nil {
			byName[p] = stamps[i]
		}
	}
	return byName
}

// Abort ends a build that will not be committed, removing what it staged.
func (s *Session) Abort() {
	s.discard()
	s.release()
}

// discard removes the staged files and the directories created for them.
func (s *Session) discard() {
	s.t.discardFresh(s.fresh)
	s.t.discard(s.staged)
	s.t.removeEmptyDirs(dirsOf(pathsOf(s.staged)), s.b.scope)
	s.staged = nil
}

func (s *Session) release() {
	s.flusher.halt()
	if s.lock == nil {
		return
	}
	s.t.close()
	if s.created {
		os.Remove(s.t.dir) // only if the build left it empty
	}
	s.lock.release()
	s.lock = nil
}

// dropContent forgets the content of b's files once it is staged, or once
// a check has taken their difference; what the build does with each file
// is decided by then.
func (b *build) dropContent() {
	for i := range b.writes {
		b.writes[i].old, b.writes[i].new = nil, nil
	}
	for i := range b.prunes {
		b.prunes[i].old = nil
	}
	for _, ix := range b.indexes {
		ix.old, ix.pending, ix.final = nil, nil, nil
	}
}
